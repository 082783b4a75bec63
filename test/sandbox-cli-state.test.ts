/**
 * `bluum-sandbox --state <file>` over real HTTP: state, secrets and pending timers survive a
 * restart; a file the sandbox cannot load stops start-up with a coded message and stays untouched.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sampleInvestorRequest } from '../mock-server/index.js'
import t, { type Test } from 'tap'
import { eventually, startCli, startReceiver } from './helpers/sandbox-cli.js'

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
      await first.api(
        'POST',
        '/investors',
        sampleInvestorRequest({
          first_name: 'Ada',
          last_name: 'Lovelace',
          email: 'ada@example.com',
        }),
      )
    ).body as { id: string }
    const settled = await first.api('POST', `/investors/${investor.id}/deposits`, {
      amount: '250.00',
      currency: 'USD',
      method: 'wire',
    })
    t.equal(settled.status, 201)
    await first.api('POST', '/sandbox/clock/advance', { duration: '5s' })
    // This one is still in flight when the sandbox stops: its settlement must resume after.
    const pending = await first.api('POST', `/investors/${investor.id}/deposits`, {
      amount: '40.00',
      currency: 'USD',
      method: 'wire',
    })
    t.equal(pending.body.status, 'pending')
    t.equal(await first.stop(), 0, 'stopping (SIGTERM) exits 0')

    t.equal(statSync(file).mode & 0o777, 0o600, 'the file holds secrets: mode 0600')
    const saved = JSON.parse(readFileSync(file, 'utf8'))
    t.match(saved, { format: 'bluum-sandbox-state', version: 3 })
    t.match(saved.timers, [{ kind: 'transfer.processing', id: pending.body.id }], 'with its timers')

    const second = await startCli(t, ['--state', file])
    t.match(second.output(), /State file: .*\(restored;/)
    t.match((await second.api('GET', `/sandbox/webhooks/${webhook.id}`)).body, {
      id: webhook.id,
      url: 'http://127.0.0.1:9/not-yet',
    })
    t.match((await second.api('GET', `/investors/${investor.id}`)).body, {
      id: investor.id,
      email: 'ada@example.com',
    })
    // The restored settlement timer runs when its time comes: brought forward, not waited for.
    t.equal((await second.api('POST', '/sandbox/clock/advance', { duration: '5s' })).status, 200)
    const restored = (await second.api('GET', `/investors/${investor.id}`)).body
    t.equal(restored.balance, '290.00', 'both deposits are in the balance, the resumed one too')
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
