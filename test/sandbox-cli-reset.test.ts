/**
 * `POST /v1/sandbox/reset` on the standalone sandbox over real HTTP: webhooks (and the
 * `--forward-to` one) stay, the clock comes back, `keep_webhooks: false` drops them.
 */
import { sampleInvestorRequest } from '../mock-server/index.js'
import t from 'tap'
import { eventually, startCli, startReceiver } from './helpers/sandbox-cli.js'

async function register(cli: Awaited<ReturnType<typeof startCli>>, url: string) {
  const created = await cli.api('POST', '/webhooks', {
    name: 'app',
    url,
    eventTypeNames: ['*'],
  })
  return created.body as { id: string; secret: string }
}

t.test(
  'reset keeps webhooks (the --forward-to one too) and brings the clock back; keep_webhooks: false drops them',
  async (t) => {
    const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64')
    const receiver = await startReceiver(t, secret)
    const cli = await startCli(t, ['--forward-to', receiver.url, '--webhook-secret', secret])
    const forwardId = /Webhook: +(wh_\w+)/.exec(cli.output())![1]!
    const own = await register(cli, 'http://127.0.0.1:9/elsewhere')
    await cli.api('POST', '/investors', sampleInvestorRequest({ email: 'a@b.co' }))
    await cli.api('POST', '/sandbox/clock/advance', { duration: '5d' })

    const reset = await cli.api('POST', '/sandbox/reset')
    t.equal(reset.status, 200)
    t.ok(Math.abs(reset.body.clock.now_ms - Date.now()) < 60_000, 'the clock is back to now')
    const ids = (await cli.api('GET', '/webhooks')).body.data.map((w: { id: string }) => w.id)
    t.same(ids.sort(), [forwardId, own.id].sort(), 'both webhooks are still registered')
    t.same((await cli.api('GET', '/investors')).body.data, [], 'investors are gone')
    t.same((await cli.api('GET', `/sandbox/webhooks/${own.id}/deliveries`)).body.data, [])

    const event = (await cli.api('POST', '/sandbox/trigger', { event: 'order.filled' })).body
    await eventually(
      () => receiver.handled,
      (handled) => handled.includes(event.id),
    )
    t.ok(receiver.handled.includes(event.id), 'the --forward-to app still receives and verifies')

    const drop = await cli.api('POST', '/sandbox/reset', { keep_webhooks: false })
    t.equal(drop.status, 200)
    const left = (await cli.api('GET', '/webhooks')).body.data.map((w: { id: string }) => w.id)
    t.same(left, [forwardId], 'only the pinned --forward-to webhook stays')
    const bad = await cli.api('POST', '/sandbox/reset', { keep_webhooks: 'no' })
    t.equal(bad.status, 400, 'a non-boolean keep_webhooks is refused')
    t.equal((await cli.api('GET', '/webhooks')).body.data.length, 1, 'and changed nothing')
    t.equal(await cli.stop(), 0)
  },
)
