/**
 * `bluum-sandbox --state <file>` over real HTTP: state, secrets and pending timers survive a
 * restart; a file the sandbox cannot load stops start-up with a coded message and stays untouched.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { eventually, runCliToExit, startCli, startReceiver } from './helpers/sandbox-cli.js'

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'bluum-state-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test(
  'a restart with the same --state file keeps the webhook and its secret, the investor, the balance and pending transfers',
  async (t) => {
    const file = join(tempDir(t), 'sandbox.json')
    const first = await startCli(t, ['--state', file])
    t.match(first.output(), /State file: .*\(new;/)
    const webhook = (
      await first.api('POST', '/webhooks', {
        name: 'app',
        url: 'http://127.0.0.1:9/not-yet',
        eventTypeNames: ['*'],
      })
    ).body as { id: string; secret: string }
    const investor = (
      await first.api('POST', '/investors', {
        first_name: 'Ada',
        last_name: 'Lovelace',
        email: 'ada@example.com',
      })
    ).body as { id: string }
    const settled = await first.api('POST', `/investors/${investor.id}/deposits`, {
      amount: '250.00',
      method: 'ach',
    })
    t.equal(settled.status, 201)
    await first.api('POST', '/sandbox/clock/advance', { duration: '5s' })
    // This one is still in flight when the sandbox stops: its settlement must resume after.
    const pending = await first.api('POST', `/investors/${investor.id}/deposits`, {
      amount: '40.00',
      method: 'ach',
    })
    t.equal(pending.body.status, 'pending')
    t.equal(await first.stop(), 0, 'SIGTERM exits 0')

    t.equal(statSync(file).mode & 0o777, 0o600, 'the file holds secrets: mode 0600')
    const saved = JSON.parse(readFileSync(file, 'utf8'))
    t.match(saved, { format: 'bluum-sandbox-state', version: 1 })
    t.match(saved.timers, [{ kind: 'transfer.processing', id: pending.body.id }], 'with its timers')

    const second = await startCli(t, ['--state', file])
    t.match(second.output(), /State file: .*\(restored;/)
    t.match((await second.api('GET', `/webhooks/${webhook.id}`)).body, {
      id: webhook.id,
      url: 'http://127.0.0.1:9/not-yet',
    })
    t.match((await second.api('GET', `/investors/${investor.id}`)).body, {
      id: investor.id,
      email: 'ada@example.com',
    })
    const balance = await eventually(
      async () => (await second.api('GET', `/investors/${investor.id}/balances`)).body,
      (body) => body.cash === '100290.00',
    )
    t.equal(balance.cash, '100290.00', 'both deposits are in the balance, the resumed one too')
    t.match(
      (await second.api('GET', `/investors/${investor.id}/deposits/${pending.body.id}`)).body,
      { status: 'completed' },
    )

    // The secret from before the restart still verifies: an app built with it accepts a delivery.
    const receiver = await startReceiver(t, webhook.secret)
    await second.api('PATCH', `/webhooks/${webhook.id}`, { url: receiver.url })
    const event = (await second.api('POST', '/sandbox/trigger', { event: 'order.filled' })).body
    await eventually(
      () => receiver.handled,
      (handled) => handled.includes(event.id),
    )
    t.ok(receiver.handled.includes(event.id), 'the app verified it with the old secret')
    t.same(receiver.answered, [200])
    t.equal(await second.stop(), 0)
    t.same(
      readdirSync(join(file, '..')).sort(),
      ['sandbox.json'],
      'no temporary file is left beside it',
    )
  },
)

t.test('--forward-to with --state reuses its webhook after a restart', async (t) => {
  const file = join(tempDir(t), 'sandbox.json')
  const first = await startCli(t, ['--state', file, '--forward-to', 'http://127.0.0.1:9/hook'])
  const id = /Webhook: +(wh_\w+)/.exec(first.output())![1]
  const secret = /Secret: +(whsec_\S+)/.exec(first.output())![1]
  t.equal(await first.stop(), 0)
  const second = await startCli(t, ['--state', file, '--forward-to', 'http://127.0.0.1:9/hook'])
  t.match(second.output(), `Webhook:     ${id}`)
  t.match(second.output(), `Secret:      ${secret}`)
  t.equal((await second.api('GET', '/webhooks')).body.data.length, 1, 'one webhook, not two')
  t.equal(await second.stop(), 0)
})

const valid = {
  format: 'bluum-sandbox-state',
  version: 1,
  saved_at: '2026-01-01T00:00:00.000Z',
  clock: { now_ms: 0, wall_ms: 0 },
  state: {},
  events: [],
  timers: [],
  runs: [],
}

const unloadable: [string, string, RegExp][] = [
  [
    'truncated',
    JSON.stringify(valid).slice(0, 60),
    /BLUUM_SANDBOX_STATE_FILE_CORRUPT.*not valid JSON/,
  ],
  ['empty', '', /BLUUM_SANDBOX_STATE_FILE_CORRUPT/],
  ['not JSON at all', 'webhooks: yes\n', /BLUUM_SANDBOX_STATE_FILE_CORRUPT/],
  [
    'a broken field',
    JSON.stringify({ ...valid, state: { webhooks: { $map: [['wh_1', { id: 'wh_2' }]] } } }),
    /BLUUM_SANDBOX_STATE_FILE_CORRUPT.*webhooks\['wh_1'\]/,
  ],
  [
    'foreign JSON',
    JSON.stringify({ name: 'my-app', version: '1.0.0' }),
    /BLUUM_SANDBOX_STATE_FILE_FOREIGN.*"format" is null/,
  ],
  ['a JSON array', '[1,2,3]', /BLUUM_SANDBOX_STATE_FILE_FOREIGN.*JSON array/],
  [
    'a newer version',
    JSON.stringify({ ...valid, version: 2 }),
    /BLUUM_SANDBOX_STATE_FILE_VERSION.*version 2, newer than the 1/,
  ],
]

t.test(
  'a state file that cannot be loaded: exit 1 with the coded message, file untouched',
  async (t) => {
    const dir = tempDir(t)
    for (const [name, content, message] of unloadable) {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.json`)
      writeFileSync(file, content, { mode: 0o644 })
      const before = statSync(file)
      const { code, output } = await runCliToExit(['--state', file])
      t.equal(code, 1, `${name}: exits 1`)
      t.match(output, message, `${name}: says why`)
      t.notMatch(output, /listening on/, `${name}: never started`)
      t.equal(readFileSync(file, 'utf8'), content, `${name}: content untouched`)
      t.equal(statSync(file).mtimeMs, before.mtimeMs, `${name}: not rewritten`)
      t.equal(statSync(file).mode & 0o777, 0o644, `${name}: mode untouched`)
    }
    t.same(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file was written',
    )
  },
)
