/**
 * The standalone sandbox's clock over real HTTP: the CLI as a child process, a plugin app on
 * 127.0.0.1 verifying every delivery with the webhook's secret.
 */
import t from 'tap'
import { sandboxErrors } from '../mock-server/index.js'
import { eventually, startCli, startReceiver } from './helpers/sandbox-cli.js'

interface DeliveryBody {
  event_id: string
  status: string
  failure_reason: string | null
  attempts: { status_code: number | null; attempted_at: string; webhook_timestamp: number }[]
}

const invalidParam = new sandboxErrors.InvalidParamError('duration', 'x').code

async function register(cli: Awaited<ReturnType<typeof startCli>>, url: string) {
  const created = await cli.api('POST', '/webhooks', {
    name: 'app',
    url,
    eventTypeNames: ['*'],
  })
  return created.body as { id: string; secret: string }
}

t.test(
  '--time-scale 60 and a clock advance: every delivery is signed with wall time and the app accepts it',
  async (t) => {
    const cli = await startCli(t, ['--time-scale', '60'])
    // The receiver needs the secret, the webhook needs the receiver's URL: register, then point it.
    const webhook = await register(cli, 'http://127.0.0.1:9/placeholder')
    const receiver = await startReceiver(t, webhook.secret)
    await cli.api('PATCH', `/webhooks/${webhook.id}`, { url: receiver.url })

    const before = await cli.api('POST', '/sandbox/trigger', { event: 'order.filled' })
    await eventually(
      () => receiver.handled,
      (ids) => ids.includes(before.body.id),
    )
    const advanced = await cli.api('POST', '/sandbox/clock/advance', { duration: '6h' })
    t.equal(advanced.status, 200)
    t.ok(
      advanced.body.now_ms - Date.now() > 6 * 3_600_000 - 60_000,
      'the sandbox clock is 6 h ahead of wall time',
    )
    const after = await cli.api('POST', '/sandbox/trigger', { event: 'transfer.deposit.completed' })
    await eventually(
      () => receiver.handled,
      (ids) => ids.includes(after.body.id),
    )
    t.same(
      receiver.handled.filter((id) => id === before.body.id || id === after.body.id),
      [before.body.id, after.body.id],
      'the app verified and handled both events',
    )
    t.ok(
      receiver.answered.every((status) => status === 200),
      `every delivery answered 200 (${receiver.answered.join(', ')})`,
    )
    const deliveries = (await cli.api('GET', `/webhooks/${webhook.id}/deliveries`)).body
      .data as DeliveryBody[]
    const late = deliveries.find((d) => d.event_id === after.body.id)!
    t.match(late, { status: 'succeeded', attempts: [{ status_code: 200 }] })
    t.ok(
      Math.abs(late.attempts[0]!.webhook_timestamp - Date.now() / 1000) < 60,
      'webhook-timestamp is wall time, not sandbox time',
    )
    t.ok(
      Date.parse(late.attempts[0]!.attempted_at) - Date.now() > 5 * 3_600_000,
      'while attempted_at is sandbox time',
    )
    t.equal(await cli.stop(), 0)
  },
)

t.test(
  'an app answering 500: one 11 h advance runs the whole ladder and parks the delivery',
  async (t) => {
    const cli = await startCli(t)
    const webhook = await register(cli, 'http://127.0.0.1:9/placeholder')
    const receiver = await startReceiver(t, webhook.secret, { fail: true })
    await cli.api('PATCH', `/webhooks/${webhook.id}`, { url: receiver.url })

    const event = (await cli.api('POST', '/sandbox/trigger', { event: 'order.filled' })).body
    const list = async () =>
      (
        (await cli.api('GET', `/webhooks/${webhook.id}/deliveries`)).body.data as DeliveryBody[]
      ).find((d) => d.event_id === event.id)
    await eventually(list, (d) => (d?.attempts.length ?? 0) === 1)

    const advanced = await cli.api('POST', '/sandbox/clock/advance', { duration: '11h' })
    t.equal(advanced.status, 200)
    t.equal(advanced.body.pending_timers, 0, 'nothing is left to retry')
    const delivery = await list()
    t.match(delivery, { status: 'parked', failure_reason: 'exhausted' })
    t.equal(delivery!.attempts.length, 6, 'six attempts: the first and five retries')
    t.same(
      delivery!.attempts.map((a) => a.status_code),
      [500, 500, 500, 500, 500, 500],
      'each one verified by the app (500 from its handler, not 401)',
    )
    const start = Date.parse(delivery!.attempts[0]!.attempted_at)
    const offsets = delivery!.attempts.map((a) => (Date.parse(a.attempted_at) - start) / 60_000)
    ;[0, 1, 6, 36, 156, 636].forEach((minutes, i) =>
      t.ok(
        offsets[i]! >= minutes && offsets[i]! < minutes + 1,
        `attempt ${i + 1} at +${offsets[i]!.toFixed(2)} min (due +${minutes})`,
      ),
    )
    t.equal(receiver.answered.length, 6, 'the app saw six requests')
    t.equal(await cli.stop(), 0)
  },
)

t.test(
  'an advance past 30 days is a 400 with a BLUM code, and the sandbox still works',
  async (t) => {
    const cli = await startCli(t)
    const before = (await cli.api('GET', '/sandbox/clock')).body.now_ms as number
    for (const duration of ['31d', '100000000d', 1e20]) {
      const answer = await cli.api('POST', '/sandbox/clock/advance', { duration })
      t.equal(answer.status, 400, String(duration))
      t.match(answer.body, {
        error: { type: 'invalid_request_error', code: invalidParam, param: 'duration' },
      })
    }
    const clock = await cli.api('GET', '/sandbox/clock')
    t.equal(clock.status, 200)
    t.ok(clock.body.now_ms - before < 60_000, 'the clock did not move')
    const investor = await cli.api('POST', '/investors', {
      first_name: 'Ada',
      last_name: 'Lovelace',
      email: 'ada@example.com',
    })
    t.equal(investor.status, 201, 'the API answers normally after')
    t.equal((await cli.api('POST', '/sandbox/clock/advance', { duration: '30d' })).status, 200)
    t.equal((await cli.api('GET', `/investors/${investor.body.id}`)).status, 200)
    t.equal(await cli.stop(), 0)
  },
)

t.test(
  'reset keeps webhooks (the --forward-to one too) and brings the clock back; keep_webhooks: false drops them',
  async (t) => {
    const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64')
    const receiver = await startReceiver(t, secret)
    const cli = await startCli(t, ['--forward-to', receiver.url, '--webhook-secret', secret])
    const forwardId = /Webhook: +(wh_\w+)/.exec(cli.output())![1]!
    const own = await register(cli, 'http://127.0.0.1:9/elsewhere')
    await cli.api('POST', '/investors', { first_name: 'A', last_name: 'B', email: 'a@b.co' })
    await cli.api('POST', '/sandbox/clock/advance', { duration: '5d' })

    const reset = await cli.api('POST', '/sandbox/reset')
    t.equal(reset.status, 200)
    t.ok(Math.abs(reset.body.clock.now_ms - Date.now()) < 60_000, 'the clock is back to now')
    const ids = (await cli.api('GET', '/webhooks')).body.data.map((w: { id: string }) => w.id)
    t.same(ids.sort(), [forwardId, own.id].sort(), 'both webhooks are still registered')
    t.same((await cli.api('GET', '/investors')).body.data, [], 'investors are gone')
    t.same((await cli.api('GET', `/webhooks/${own.id}/deliveries`)).body.data, [])

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
