/**
 * `bluum-sandbox trigger` against a running sandbox (the real CLI process) and a real receiver
 * running the plugin on 127.0.0.1, and every subcommand's answer to a server error: Bluum's code
 * and message on stderr, exit 1, nothing changed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import bluumWebhooks from '../plugin/index.js'
import { freePort } from './helpers/free-port.js'
import { eventually, runCommand, startCli } from './helpers/sandbox-cli.js'

/** A plugin app on `port` (or a free one) whose handlers fail while `state.failing` is true. */
async function startApp(t: Test, secret: string, port = 0) {
  const state = { failing: false, handled: [] as string[] }
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(bluumWebhooks, { secret })
  app.bluum.onAny(async (event) => {
    if (state.failing) throw new Error('the app fails on purpose')
    state.handled.push(String((event as { id?: string }).id))
  })
  await app.listen({ port, host: '127.0.0.1' })
  const { port: bound } = app.server.address() as { port: number }
  return { state, url: `http://127.0.0.1:${bound}/webhooks/bluum` }
}

/** A running sandbox with a webhook to a plugin app that knows its secret. */
async function setup(t: Test) {
  const cli = await startCli(t)
  const created = await cli.api('POST', '/webhooks', {
    name: 'app',
    url: 'http://127.0.0.1:9/placeholder',
    eventTypeNames: ['*'],
  })
  const webhook = created.body as { id: string; secret: string }
  const app = await startApp(t, webhook.secret)
  await cli.api('PATCH', `/webhooks/${webhook.id}`, { url: app.url })
  return { cli, webhook, app, url: ['--url', cli.base.replace(/\/v1$/, '')] }
}

t.test(
  'trigger emits the event, delivered to the app; --data and @file go over the sample',
  async (t) => {
    const { cli, app, url } = await setup(t)
    const triggered = await runCommand([
      'trigger',
      'order.filled',
      ...url,
      '--data',
      '{"symbol":"TSLA"}',
    ])
    t.equal(triggered.code, 0, triggered.stderr)
    const id = /Triggered order\.filled \((evt_\w+)\)/.exec(triggered.stdout)?.[1]
    t.ok(id, 'prints the evt_ id')
    const printed = JSON.parse(triggered.stdout.slice(triggered.stdout.indexOf('{')))
    t.match(printed, { id, event: 'order.filled', data: { symbol: 'TSLA' } })
    await eventually(
      () => app.state.handled,
      (handled) => handled.includes(id!),
    )
    t.ok(app.state.handled.includes(id!), 'the app handled it')

    const dir = mkdtempSync(join(tmpdir(), 'bluum-cli-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const file = join(dir, 'data.json')
    writeFileSync(file, JSON.stringify({ amount: '250.00' }))
    const fromFile = await runCommand([
      'trigger',
      'transfer.deposit.completed',
      ...url,
      '--data',
      `@${file}`,
    ])
    t.equal(fromFile.code, 0, fromFile.stderr)
    t.match(JSON.parse(fromFile.stdout.slice(fromFile.stdout.indexOf('{'))), {
      event: 'transfer.deposit.completed',
      data: { amount: '250.00' },
    })
  },
)

t.test(
  "a server error prints Bluum's code and message and exits 1, changing nothing",
  async (t) => {
    const { cli, url } = await setup(t)
    const rows = [
      {
        args: ['trigger', 'order.filled', ...url, '--data', '{"quantity":"-1"}'],
        says: /answered 400 BLUM-400-\d{3}/,
      },
      { args: ['replay', 'dlv_nope', ...url], says: /answered 404 BLUM-404-001: .*dlv_nope/ },
      {
        args: ['replay', '--parked', '--webhook', 'wh_nope', ...url],
        says: /answered 404 BLUM-404-001/,
      },
      { args: ['deliveries', '--webhook', 'wh_nope', ...url], says: /answered 404 BLUM-404-001/ },
      { args: ['logs', '--webhook', 'wh_nope', ...url], says: /answered 404 BLUM-404-001/ },
      {
        args: ['trigger', 'order.filled', ...url, '--api-secret', 'wrong'],
        says: /answered 401 BLUM-401-003/,
      },
    ]
    const results = await Promise.all(rows.map((row) => runCommand(row.args)))
    rows.forEach((row, i) => {
      const { code, stderr } = results[i]!
      t.equal(code, 1, row.args.join(' '))
      t.match(stderr, row.says, row.args.join(' '))
      t.notMatch(stderr, /Usage:/, 'no usage text for a server error')
    })
    t.same((await cli.api('GET', '/sandbox/events')).body.data, [], 'no event was emitted')

    const port = await freePort()
    const unreachable = await runCommand(['deliveries', '--url', `http://127.0.0.1:${port}`])
    t.equal(unreachable.code, 1)
    t.match(
      unreachable.stderr,
      /Cannot reach the sandbox at http:\/\/127\.0\.0\.1:\d+\/v1 \(ECONNREFUSED\)/,
    )
  },
)
