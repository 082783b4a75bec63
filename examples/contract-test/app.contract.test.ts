/**
 * The contract test to copy: the app's own code against a local Bluum sandbox, proving each
 * event is handled exactly once while the sandbox duplicates deliveries and a handler fails.
 */
import t from 'tap'
import { createContractHarness, sampleInvestorRequest } from 'fastify-bluum-webhooks/testing'
import { buildApp, type Notifier } from '../basic/app.js'

t.test('placing an order notifies the investor exactly once', async (t) => {
  // The push service is down for the first attempt: the handler throws and Bluum retries.
  const sent: string[] = []
  let outages = 1
  const notifier: Notifier = {
    async send(_investorId, message) {
      if (outages-- > 0) throw new Error('push service unavailable')
      sent.push(message)
    },
  }
  const harness = await createContractHarness({
    app: (env) => buildApp({ ...env, notifier }),
    faults: { duplicates: 2 }, // every attempt arrives three times
  })
  t.teardown(() => harness.close())

  const investor = await harness.api(
    'POST',
    '/investors',
    sampleInvestorRequest({ email: 'ada@example.com' }),
  )
  const order = await harness.app.inject({
    method: 'POST',
    url: `/investors/${investor.body.id}/orders`,
    payload: { symbol: 'AAPL', side: 'buy', quantity: '2' },
  })
  t.equal(order.statusCode, 201, 'the app placed the order through the Bluum API')

  await harness.waitForAcknowledged('order.filled') // runs Bluum's retry ladder as needed
  await harness.runLadder()

  t.equal(sent.length, 1, 'one notification sent')
  t.match(harness.app.db.notifications(investor.body.id), [{ message: /buy order for 2 AAPL/ }])
  t.equal(harness.app.db.notifications().length, 1, 'one row, despite 2 attempts × 3 copies')
  const statuses = harness.attempts('order.filled').map((a) => a.status_code)
  t.equal(statuses[0], 500, 'the first attempt failed in the handler')
  t.equal(statuses.length, 6, 'the failed attempt and its retry, three copies each')
  t.ok(
    statuses.slice(1).every((s) => s === 200),
    'every later copy acknowledged, none re-ran',
  )
  harness.expectSettled()
})
