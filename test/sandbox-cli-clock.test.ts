/**
 * The standalone sandbox's clock over real HTTP: the CLI in-process, a plugin app on
 * 127.0.0.1 verifying every delivery with the webhook's secret. Signing with wall time, the bound.
 */
import t from 'tap'
import { sampleInvestorRequest, sandboxErrors } from '../mock-server/index.js'
import { eventually, startCli, startReceiver } from './helpers/sandbox-cli.js'

interface DeliveryBody {
  event_id: string
  status: string
  failure_reason: string | null
  attempts: { status_code: number | null; attempted_at: string; webhook_timestamp: number }[]
}

const invalidParam = new sandboxErrors.ValidationError('x').code

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
    const deliveries = (await cli.api('GET', `/sandbox/webhooks/${webhook.id}/deliveries`)).body
      .data as DeliveryBody[]
    const late = deliveries.find((d) => d.event_id === after.body.id)!
    t.match(late, { status: 'delivered', attempts: [{ status_code: 200 }] })
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
    const investor = await cli.api(
      'POST',
      '/investors',
      sampleInvestorRequest({ first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' }),
    )
    t.equal(investor.status, 201, 'the API answers normally after')
    t.equal((await cli.api('POST', '/sandbox/clock/advance', { duration: '30d' })).status, 200)
    t.equal((await cli.api('GET', `/investors/${investor.body.id}`)).status, 200)
    t.equal(await cli.stop(), 0)
  },
)
