import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from './app.js'
import { orderFilled, signedDelivery, TEST_SECRET } from '../../test/helpers/sign.js'

const credentials = { apiKey: 'k', apiSecret: 's', webhookSecret: TEST_SECRET }

t.test('the routing of the guide lands in the database, once per event', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bluum-basic-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const databaseFile = join(dir, 'app.sqlite')
  const app = await buildApp({ ...credentials, databaseFile })
  t.teardown(() => app.close())

  const deliveries = [
    signedDelivery({ body: orderFilled({ investor_id: 'inv_1' }) }),
    signedDelivery({
      body: {
        event: 'transfer.deposit.completed',
        timestamp: '2026-07-01T15:10:00Z',
        data: {
          id: 'dep_1',
          investor_id: 'inv_1',
          amount: '500.00',
          currency: 'USD',
          status: 'completed',
        },
      },
    }),
    signedDelivery({
      body: {
        event: 'transfer.deposit.failed',
        timestamp: '2026-07-01T15:10:00Z',
        data: {
          id: 'dep_2',
          investor_id: 'inv_2',
          amount: '5.00',
          currency: 'USD',
          status: 'failed',
          failure_reason: 'ach_returned',
        },
      },
    }),
    signedDelivery({
      body: {
        event: 'document.approved',
        timestamp: '2026-07-01T15:10:00Z',
        data: { id: 'doc_1', investor_id: 'inv_3', status: 'approved' },
      },
    }),
  ]
  // Each delivery twice, as an at-least-once sender may do.
  for (const d of [...deliveries, ...deliveries]) {
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/bluum',
      headers: d.headers,
      payload: d.payload,
    })
    t.equal(res.statusCode, 200)
  }
  t.match(app.db.notifications('inv_1'), [
    { order_id: 'ord_01j9x8m2k7qpzwv3t5r6y8n0ab', message: /AAPL was filled at 178.50/ },
  ])
  t.equal(app.db.notifications().length, 1, 'notified once')
  t.match(app.db.investor('inv_1'), { trading_enabled: 1 })
  t.same(app.db.alerts(), [{ investor_id: 'inv_2', reason: 'ach_returned' }])
  t.match(app.db.investor('inv_3'), { onboarding_step: 'funding' })
})
