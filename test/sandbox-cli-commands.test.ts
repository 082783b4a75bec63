/**
 * `bluum-sandbox deliveries | replay | logs | listen` against a running sandbox (the real CLI
 * process) and a real receiver running the plugin on 127.0.0.1: each does what its help says.
 */
import Fastify from 'fastify'
import { once } from 'node:events'
import t, { type Test } from 'tap'
import bluumWebhooks from '../plugin/index.js'
import { freePort } from './helpers/free-port.js'
import {
  eventually,
  runCommand,
  spawnCommand,
  startCli,
  type RunningCli,
} from './helpers/sandbox-cli.js'

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

async function deliveriesOf(cli: RunningCli, query = '') {
  return (await cli.api('GET', `/sandbox/deliveries${query}`)).body.data as {
    id: string
    event_id: string
    phase: string
    attempts: { status_code: number | null }[]
  }[]
}

t.test(
  'deliveries lists by phase and event; replay sends one, then every parked one',
  async (t) => {
    const { cli, app, url } = await setup(t)
    app.state.failing = true
    const first = (await cli.api('POST', '/sandbox/trigger', { event: 'order.filled' })).body
    const second = (await cli.api('POST', '/sandbox/trigger', { event: 'account.created' })).body
    await eventually(
      () => deliveriesOf(cli, '?status=failing'),
      (list) => list.length === 2,
    )
    await cli.api('POST', '/sandbox/clock/advance', { duration: '11h' })

    const parked = await runCommand(['deliveries', '--status', 'parked', ...url])
    t.equal(parked.code, 0, parked.stderr)
    const lines = parked.stdout.trim().split('\n')
    t.match(
      lines[0],
      /^DELIVERY +WEBHOOK +EVENT +EVENT ID +STATUS +ATTEMPTS +LAST ANSWER +NEXT RETRY$/,
    )
    t.equal(lines.length, 3, 'a header and two deliveries')
    t.match(
      lines[1],
      new RegExp(
        `account\\.created +${second.id} +parked +6 +500 BLUUM_HANDLER_FAILED +parked \\(exhausted\\)`,
      ),
    )
    t.match(lines[2], new RegExp(`order\\.filled +${first.id} +parked`))
    const filtered = await runCommand(['deliveries', '--event', 'order.*', '--json', ...url])
    t.same(
      JSON.parse(filtered.stdout).data.map((d: { event_id: string }) => d.event_id),
      [first.id],
    )
    const none = await runCommand(['deliveries', '--status', 'delivered', ...url])
    t.equal(none.stdout, 'No deliveries match.\n')

    app.state.failing = false
    const [one] = await deliveriesOf(cli, `?event=order.filled`)
    const replayed = await runCommand(['replay', one!.id, ...url])
    t.equal(replayed.code, 0, replayed.stderr)
    t.match(replayed.stdout, `Replaying ${one!.id} (order.filled, ${first.id})`)
    await eventually(
      () => app.state.handled,
      (handled) => handled.includes(first.id),
    )
    t.same(app.state.handled, [first.id], 'the app handled the replayed event')

    const all = await runCommand(['replay', '--parked', ...url])
    t.equal(all.code, 0, all.stderr)
    t.match(all.stdout, /1 parked delivery replayed\./)
    await eventually(
      () => app.state.handled,
      (handled) => handled.includes(second.id),
    )
    t.same((await deliveriesOf(cli, '?status=parked')).length, 0, 'nothing parked any more')
    const again = await runCommand(['replay', one!.id, ...url])
    t.equal(again.code, 0, 'a delivered delivery can be replayed too')
  },
)

t.test('logs follows attempts live until SIGTERM', async (t) => {
  const { cli, url } = await setup(t)
  const logs = spawnCommand(['logs', ...url, '--log-format', 'json'])
  t.teardown(() => logs.stop())
  await logs.waitFor((_out, err) => err.includes('Following delivery attempts'))
  const event = (await cli.api('POST', '/sandbox/trigger', { event: 'order.filled' })).body
  await logs.waitFor((out) => out.includes(event.id))
  const line = JSON.parse(logs.stdout().trim().split('\n').at(-1)!)
  t.match(line, { type: 'attempt', event_id: event.id, status: 200, phase: 'delivered' })
  t.equal(await logs.stop(), 0)
})

t.test(
  'listen adds a webhook, prints its secret, streams its attempts and deletes it on SIGTERM',
  async (t) => {
    const cli = await startCli(t)
    const port = await freePort()
    const forwardTo = `http://127.0.0.1:${port}/webhooks/bluum`
    const listen = spawnCommand(['listen', '--forward-to', forwardTo, '--url', cli.base])
    t.teardown(() => listen.stop())
    await listen.waitFor((out) => /Secret: +whsec_\S+/.test(out))
    const secret = /Secret: +(whsec_\S+)/.exec(listen.stdout())![1]!
    const webhookId = /Webhook: +(wh_\w+)/.exec(listen.stdout())![1]!
    t.match((await cli.api('GET', `/webhooks/${webhookId}`)).body, {
      url: forwardTo,
      event_type_names: ['*'],
    })
    const app = await startApp(t, secret, port)
    const event = (await cli.api('POST', '/sandbox/trigger', { event: 'order.filled' })).body
    await listen.waitFor((out) => out.includes(event.id))
    t.match(
      listen.stdout(),
      new RegExp(`order\\.filled  ${event.id}  #1  → 200  \\d+ ms  · delivered`),
    )
    await eventually(
      () => app.state.handled,
      (handled) => handled.includes(event.id),
    )
    t.same(app.state.handled, [event.id], 'the app verified it with the printed secret')
    t.equal(await listen.stop(), 0)
    t.match(listen.stderr(), `Deleted webhook ${webhookId}`)
    t.equal((await cli.api('GET', `/webhooks/${webhookId}`)).status, 404, 'the webhook is gone')
  },
)

t.test('logs exits 1 and says so when the sandbox stops', async (t) => {
  const cli = await startCli(t)
  const logs = spawnCommand(['logs', '--url', cli.base])
  t.teardown(() => logs.stop())
  await logs.waitFor((_out, err) => err.includes('Following delivery attempts'))
  t.equal(await cli.stop(), 0, 'the sandbox closes with a stream open')
  const code = logs.child.exitCode ?? ((await once(logs.child, 'exit')) as [number | null])[0]
  t.equal(code, 1)
  t.match(logs.stderr(), /closed the live stream/)
})
