import t from 'tap'
import { createContractHarness } from 'fastify-bluum-webhooks/testing'
import { buildApp } from '../basic/app.js'

t.test('a deposit enables trading, once, through duplicates and a failure', async (t) => {
  const harness = await createContractHarness({ app: buildApp, faults: { duplicates: 2 } })
  t.teardown(() => harness.close())
  harness.failHandler('transfer.deposit.completed', 1) // answered 500, retried by the ladder

  const event = harness.sandbox.trigger('transfer.deposit.completed', { investor_id: 'inv_1' })
  await harness.waitForAcknowledged('transfer.deposit.completed')

  t.match(harness.app.db.investor('inv_1'), { trading_enabled: 1 })
  t.equal(harness.attempts(event.event)[0]?.status_code, 500)
  harness.expectSettled() // nothing unacknowledged or parked
})
