/**
 * The example on its two databases: PGlite in-process (the default, no server) and a real
 * PostgreSQL server (DATABASE_URL). Queue mode: every delivery is acknowledged at once, then the
 * handlers write through their transaction, once per event.
 */
import t, { type Test } from 'tap'
import { buildApp, type BasicAppOptions } from './app.js'
import { startPostgresServer } from '../../test/helpers/postgres-server.js'
import { orderFilled, signedDelivery, TEST_SECRET } from '../../test/helpers/sign.js'

const credentials = { apiKey: 'k', apiSecret: 's', webhookSecret: TEST_SECRET }

// PGlite compiles its WebAssembly and the server runs initdb: slow on a loaded machine.
t.setTimeout(300_000)

async function routingLandsOnce(t: Test, database: Partial<BasicAppOptions>) {
  const app = await buildApp({ ...credentials, ...database })
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
  // Acknowledged means stored; the workers run the four tasks right after.
  while ((await app.inbox.stats()).tasks.done < deliveries.length) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  t.same((await app.inbox.stats()).tasks, { pending: 0, running: 0, done: 4, dead: 0 })
  t.match(await app.db.notifications('inv_1'), [
    { order_id: 'ord_01j9x8m2k7qpzwv3t5r6y8n0ab', message: /AAPL was filled at 178.50/ },
  ])
  t.equal((await app.db.notifications()).length, 1, 'notified once')
  t.match(await app.db.investor('inv_1'), { trading_enabled: true })
  t.same(await app.db.alerts(), [{ investor_id: 'inv_2', reason: 'ach_returned' }])
  t.match(await app.db.investor('inv_3'), { onboarding_step: 'funding' })
}

t.test('PGlite (default): the routing of the guide lands in the database, once per event', (t) =>
  routingLandsOnce(t, {}),
)

t.test('PostgreSQL (DATABASE_URL): the same, on a real server', async (t) => {
  const server = await startPostgresServer()
  t.teardown(() => server.close())
  await routingLandsOnce(t, { databaseUrl: server.url })
})

t.test(
  'a failing notifier: the task alone is retried, with the same idempotency key',
  async (t) => {
    const keys: string[] = []
    const app = await buildApp({
      ...credentials,
      notifier: {
        async send(_investorId, _message, idempotencyKey) {
          keys.push(idempotencyKey)
          if (keys.length === 1) throw new Error('push service unavailable')
        },
      },
    })
    t.teardown(() => app.close())
    const delivery = signedDelivery({ body: orderFilled({ investor_id: 'inv_1' }), id: 'evt_n1' })
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/bluum',
      headers: delivery.headers,
      payload: delivery.payload,
    })
    t.equal(res.statusCode, 200, 'Bluum is answered before the notifier runs')
    while ((await app.inbox.stats()).tasks.done < 1) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    t.same(keys, ['evt_n1:notify-investor', 'evt_n1:notify-investor'], 'one key for both attempts')
    t.equal(
      (await app.db.notifications()).length,
      1,
      'recorded once, by the attempt that succeeded',
    )
  },
)
