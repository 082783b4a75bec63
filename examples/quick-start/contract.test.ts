import t from 'tap'
import { createContractHarness } from 'fastify-bluum-webhooks/testing'
import { buildApp } from './app.ts'

t.test('an order fill is verified and handled once, through duplicated deliveries', async (t) => {
  const harness = await createContractHarness({ app: buildApp, faults: { duplicates: 2 } })
  t.teardown(() => harness.close())

  const { event } = harness.sandbox.trigger('order.filled', { symbol: 'TSLA' })
  await harness.waitForAcknowledged(event)

  t.same(
    harness.attempts(event).map((a) => a.response?.body),
    [
      '{"received":true}',
      '{"received":true,"duplicate":true}',
      '{"received":true,"duplicate":true}',
    ],
  )
  harness.expectSettled() // nothing unacknowledged or parked
})
