/**
 * The contract test to copy: the app's own code against a local Bluum sandbox, proving each
 * event is handled exactly once while the sandbox duplicates deliveries and a handler fails.
 * The app runs its handlers from a Postgres inbox (PGlite) in queue mode: Bluum is answered at
 * once, and the failing handler is retried by the inbox's workers, not by Bluum.
 */
import t from 'tap'
import { createContractHarness, sampleInvestorRequest } from 'fastify-bluum-webhooks/testing'
import { buildApp, type Notifier } from '../basic/app.js'

t.test('placing an order notifies the investor exactly once', async (t) => {
  // The push service is down for the first attempt: the handler throws, its task is retried.
  // Like a real push service, it keeps what it sent by idempotency key.
  const sent = new Map<string, string>()
  let outages = 1
  const notifier: Notifier = {
    async send(_investorId, message, idempotencyKey) {
      if (outages-- > 0) throw new Error('push service unavailable')
      sent.set(idempotencyKey, message)
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
  await harness.fund(investor.body.id) // as in Bluum, a new investor has no cash yet
  const order = await harness.app.inject({
    method: 'POST',
    url: `/investors/${investor.body.id}/orders`,
    payload: { symbol: 'AAPL', side: 'buy', quantity: '2' },
  })
  t.equal(order.statusCode, 201, 'the app placed the order through the Bluum API')

  // Acknowledged at once, then run by the workers (retrying the failed attempt): wait for both.
  await harness.waitForProcessed('order.filled', { inbox: harness.app.inbox })
  await harness.runLadder()

  t.equal(sent.size, 1, 'one notification sent')
  t.match(await harness.app.db.notifications(investor.body.id), [
    { message: /buy order for 2 AAPL/ },
  ])
  t.equal((await harness.app.db.notifications()).length, 1, 'one row, despite 3 copies and a retry')
  t.same(
    harness.attempts('order.filled').map((a) => a.status_code),
    [200, 200, 200],
    'one attempt, three copies, each acknowledged at once: the failure stayed inside the app',
  )
  const [task] = await harness.app.inbox.list({ event: 'order.filled' })
  t.match(task, { handlerId: 'notify-investor', state: 'done', attempts: 2 })
  harness.expectSettled()
})
