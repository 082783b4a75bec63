/**
 * The standalone sandbox's retry ladder over real HTTP: one clock advance runs it all against a
 * plugin app on 127.0.0.1 whose handler fails.
 */
import t from 'tap'
import { eventually, startCli, startReceiver } from './helpers/sandbox-cli.js'

interface DeliveryBody {
  event_id: string
  status: string
  failure_reason: string | null
  attempts: { status_code: number | null; attempted_at: string; webhook_timestamp: number }[]
}

async function register(cli: Awaited<ReturnType<typeof startCli>>, url: string) {
  const created = await cli.api('POST', '/webhooks', {
    name: 'app',
    url,
    eventTypeNames: ['*'],
  })
  return created.body as { id: string; secret: string }
}

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
        (await cli.api('GET', `/sandbox/webhooks/${webhook.id}/deliveries`)).body
          .data as DeliveryBody[]
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
