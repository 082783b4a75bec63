import t from 'tap'
import { createContractHarness } from 'fastify-bluum-webhooks/testing'
import { buildApp } from '../basic/app.js'

t.test('a deposit enables trading, once, through duplicated deliveries', async (t) => {
  const harness = await createContractHarness({ app: buildApp, faults: { duplicates: 2 } })
  t.teardown(() => harness.close())

  const event = harness.sandbox.trigger('transfer.deposit.completed', { investor_id: 'inv_1' })
  // Acknowledged at once (queue mode), then run by the inbox's workers: wait for both.
  await harness.waitForProcessed(event.event, { inbox: harness.app.inbox })

  t.match(await harness.app.db.investor('inv_1'), { trading_enabled: true })
  t.same(
    harness.attempts(event.event).map((a) => a.status_code),
    [200, 200, 200],
  )
  harness.expectSettled() // nothing unacknowledged or parked
})
