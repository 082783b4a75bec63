/**
 * The observability example over real HTTP: signed deliveries in, then a Prometheus scrape of
 * GET /metrics shows them by event and outcome, with the handler durations.
 */
import t from 'tap'
import { buildApp } from './app.js'
import { orderFilled, randomSecret, signedDelivery, TEST_SECRET } from '../../test/helpers/sign.js'

/** The sample lines of a Prometheus text exposition whose name is `name`. */
function samples(text: string, name: string): Array<{ labels: string; value: number }> {
  return text
    .split('\n')
    .filter((line) => line.startsWith(name + '{') || line.startsWith(name + ' '))
    .map((line) => {
      const value = Number(line.slice(line.lastIndexOf(' ') + 1))
      return { labels: line.slice(name.length, line.lastIndexOf(' ')), value }
    })
}

t.test('Prometheus scrapes deliveries by event and outcome, and handler durations', async (t) => {
  const app = await buildApp(TEST_SECRET)
  t.teardown(() => app.close())
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const post = async (delivery: { headers: Record<string, string>; payload: string }) =>
    (
      await fetch(`${base}/webhooks/bluum`, {
        method: 'POST',
        headers: delivery.headers,
        body: delivery.payload,
      })
    ).status

  const filled = signedDelivery({ body: orderFilled() })
  t.equal(await post(filled), 200)
  t.equal(await post(filled), 200, 'the duplicate')
  t.equal(await post(signedDelivery({ body: orderFilled(), secret: randomSecret() })), 401)
  const failed = {
    event: 'transfer.deposit.failed',
    timestamp: '2026-07-01T15:10:00Z',
    data: {
      id: 'dep_01j9x8m2k7qpzwv3t5r6y8n0ab',
      investor_id: 'inv_01j9x8m2k7qpzwv3t5r6y8n0ab',
      amount: '100.00',
      currency: 'USD',
      method: 'ach',
      status: 'failed',
    },
  }
  t.equal(await post(signedDelivery({ body: failed })), 500)

  const scrape = await fetch(`${base}/metrics`)
  t.equal(scrape.status, 200)
  t.match(scrape.headers.get('content-type'), /^text\/plain/)
  const text = await scrape.text()

  const deliveries = samples(text, 'bluum_webhook_deliveries_total')
  const count = (pattern: RegExp) =>
    deliveries.filter((s) => pattern.test(s.labels)).reduce((sum, s) => sum + s.value, 0)
  t.equal(count(/bluum_delivery_outcome="processed"/), 1, 'processed')
  t.equal(count(/bluum_delivery_outcome="duplicate"/), 1, 'duplicate')
  t.equal(count(/bluum_delivery_outcome="failed"/), 1, 'failed')
  t.equal(
    count(/bluum_delivery_outcome="rejected".*error_type="BLUUM_SIGNATURE_MISMATCH"/),
    1,
    'rejected, with its code',
  )
  t.equal(
    count(/messaging_destination_name="order.filled"/),
    2,
    'by event: the forged one was never trusted to have an event name',
  )

  const handled = samples(text, 'messaging_process_duration_count')
  t.equal(
    handled.find((s) => /destination_name="order.filled".*handler_name="log-fill"/.test(s.labels))
      ?.value,
    1,
    'one order.filled handler run (the duplicate ran none)',
  )
  t.match(
    handled.find((s) => /transfer.deposit.failed/.test(s.labels))?.labels,
    /error_type="Error"/,
    'the failed handler run is labelled with its error type',
  )
  t.ok(samples(text, 'messaging_process_duration_bucket').length > 0, 'a histogram')
})
