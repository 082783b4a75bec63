import { createHash } from 'node:crypto'
import t from 'tap'
import { createMemoryStore } from '../plugin/index.js'
import { buildApp, deliver } from './helpers/app.js'
import { orderFilled, signedDelivery } from './helpers/sign.js'

/** A promise and its resolver, to hold a handler until the test lets it go. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}

t.test('ten concurrent deliveries of one event run the handler exactly once', async (t) => {
  const app = await buildApp(t)
  let runs = 0
  app.bluum.on('order.filled', async () => {
    runs++
    await new Promise((resolve) => setTimeout(resolve, 20))
  })
  const delivery = signedDelivery({ body: orderFilled() })
  const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(app, delivery)))
  t.equal(runs, 1)
  const statuses = answers.map((a) => a.statusCode).sort()
  t.equal(statuses.filter((s) => s === 200).length, 1, 'one delivery processed it')
  t.equal(statuses.filter((s) => s === 409).length, 9, 'the others were told to retry')
  t.match(answers.find((a) => a.statusCode === 409)?.json(), { code: 'BLUUM_DELIVERY_IN_FLIGHT' })
  const again = await deliver(app, delivery)
  t.same(again.json(), { received: true, duplicate: true }, 'a later repeat is a no-op')
  t.equal(runs, 1)
})

t.test('a handler that fails once runs again on the retry and completes', async (t) => {
  const app = await buildApp(t)
  let runs = 0
  const reported: AggregateError[] = []
  app.bluum.on('order.filled', async () => {
    if (++runs === 1) throw new Error('database down')
  })
  app.bluum.onError((error) => void reported.push(error))
  const delivery = signedDelivery({ body: orderFilled() })

  const first = await deliver(app, delivery)
  t.equal(first.statusCode, 500)
  t.match(first.json(), { code: 'BLUUM_HANDLER_FAILED' })
  t.equal(reported.length, 1)
  t.match(reported[0]?.errors, [{ message: 'database down' }])

  const retry = await deliver(app, delivery)
  t.same(retry.json(), { received: true })
  const repeat = await deliver(app, delivery)
  t.same(repeat.json(), { received: true, duplicate: true })
  t.equal(runs, 2)
})

t.test('every handler runs and every failure is collected, never the first one only', async (t) => {
  const app = await buildApp(t)
  const ran: string[] = []
  app.bluum.on('order.filled', async () => {
    ran.push('a')
    throw new Error('a failed')
  })
  app.bluum.on('order.*', async () => void ran.push('b'))
  app.bluum.onAny(async () => {
    ran.push('c')
    throw new Error('c failed')
  })
  const errors: unknown[][] = []
  app.bluum.onError(async (error, event, context) => {
    errors.push(error.errors)
    t.equal(event.event, 'order.filled')
    t.match(context.deliveryId, /^evt_/)
  })
  app.bluum.onError(async () => {
    throw new Error('an observer that throws is logged, not fatal')
  })
  const res = await deliver(app, signedDelivery({ body: orderFilled() }))
  t.equal(res.statusCode, 500)
  t.match(res.json(), { message: /2 handler\(s\) failed/ })
  t.same(ran.sort(), ['a', 'b', 'c'])
  t.match(errors, [[{ message: 'a failed' }, { message: 'c failed' }]])
})

t.test('a claim whose lease expired lets the retry run', async (t) => {
  let clock = 1_000_000
  const store = createMemoryStore({ now: () => clock })
  const app = await buildApp(t, { store, leaseMs: 60_000, ackTimeoutMs: 1_000 })
  // A previous process claimed the event and died: its claim is never completed.
  const delivery = signedDelivery({ body: orderFilled() })
  const stale = await store.claim(delivery.headers['webhook-id']!, 60_000)
  t.equal(stale.status, 'claimed')

  let runs = 0
  app.bluum.on('order.filled', () => void runs++)
  const during = await deliver(app, delivery)
  t.equal(during.statusCode, 409, 'within the lease the event is in flight')
  t.equal(runs, 0)

  clock += 60_001
  const after = await deliver(app, delivery)
  t.same(after.json(), { received: true }, 'after the lease the retry takes over')
  t.equal(runs, 1)
  t.equal(await store.complete(delivery.headers['webhook-id']!, 'stale-token', 1000), false)
})

t.test(
  'handlers still running at the deadline get 503, then finish and are recorded',
  async (t) => {
    const app = await buildApp(t, { ackTimeoutMs: 50 })
    const slow = gate()
    let finished = 0
    app.bluum.on('order.filled', async () => {
      await slow.opened
      finished++
    })
    const delivery = signedDelivery({ body: orderFilled() })
    const first = await deliver(app, delivery)
    t.equal(first.statusCode, 503)
    t.match(first.json(), { code: 'BLUUM_ACK_TIMEOUT' })
    const meanwhile = await deliver(app, delivery)
    t.equal(meanwhile.statusCode, 409, 'a retry while it runs does not start it twice')

    slow.open()
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    t.equal(finished, 1)
    const retry = await deliver(app, delivery)
    t.same(retry.json(), { received: true, duplicate: true }, 'the finished work was recorded')
    t.equal(finished, 1)
  },
)

t.test('closing the app waits for work that outlived its answer', async (t) => {
  const app = await buildApp(t, { ackTimeoutMs: 10 })
  let finished = false
  app.bluum.on('order.filled', async () => {
    await new Promise((resolve) => setTimeout(resolve, 100))
    finished = true
  })
  const res = await deliver(app, signedDelivery({ body: orderFilled() }))
  t.equal(res.statusCode, 503)
  await app.close()
  t.equal(finished, true)
})

t.test('dedupe key: webhook-id, never data.id', async (t) => {
  const app = await buildApp(t)
  const seen: string[] = []
  app.bluum.on(
    'order.*',
    (event, context) => void seen.push(`${event.event}:${context.deliveryId}`),
  )
  // Same order resource, two different events: both must run.
  const accepted = signedDelivery({ body: { ...orderFilled(), event: 'order.accepted' } })
  const filled = signedDelivery({ body: orderFilled() })
  t.equal((await deliver(app, accepted)).statusCode, 200)
  t.same((await deliver(app, filled)).json(), { received: true })
  t.equal(seen.length, 2)
})

t.test('dedupe key falls back to the envelope id, then to a hash of the body', async (t) => {
  const app = await buildApp(t, {
    // A custom scheme without a delivery id of its own.
    verifier: { verify: () => ({ ok: true }) },
  })
  const ids: string[] = []
  app.bluum.onAny((_event, context) => void ids.push(context.deliveryId))
  const post = (payload: string) =>
    app.inject({
      method: 'POST',
      url: '/webhooks/bluum',
      headers: { 'content-type': 'application/json' },
      payload,
    })
  const withId = JSON.stringify({ ...orderFilled(), id: 'evt_envelope' })
  t.same((await post(withId)).json(), { received: true })
  t.same((await post(withId)).json(), { received: true, duplicate: true })
  const noId = JSON.stringify(orderFilled())
  t.same((await post(noId)).json(), { received: true })
  t.same((await post(noId)).json(), { received: true, duplicate: true })
  const hash = createHash('sha256').update(noId).digest('hex')
  t.same(ids, ['evt_envelope', `sha256:${hash}`])
})

t.test('a custom verifier failure answers with its own coded status', async (t) => {
  const app = await buildApp(t, {
    verifier: {
      verify: async () => ({
        ok: false,
        error: Object.assign(new Error('nope'), { code: 'MY_SCHEME_FAILED', statusCode: 403 }),
      }),
    },
  })
  let runs = 0
  app.bluum.onAny(() => void runs++)
  const res = await deliver(app, signedDelivery({ body: orderFilled() }))
  t.equal(res.statusCode, 403)
  t.match(res.json(), { code: 'MY_SCHEME_FAILED' })
  t.equal(runs, 0)
})

t.test('a completion that cannot be recorded still answers 200: the work was done', async (t) => {
  const inner = createMemoryStore()
  const app = await buildApp(t, {
    // The completion is retried until the lease ends (test/lease.test.ts); a short lease keeps
    // closing the app, which waits for those retries, short. The acknowledgement deadline stays
    // far from the quick handler it would otherwise race on a busy machine.
    leaseMs: 1_000,
    ackTimeoutMs: 900,
    store: {
      claim: (k, l) => inner.claim(k, l),
      complete: async () => {
        throw new Error('store went away')
      },
      release: (k, tok) => inner.release(k, tok),
    },
  })
  let runs = 0
  app.bluum.on('order.filled', () => void runs++)
  const res = await deliver(app, signedDelivery({ body: orderFilled() }))
  t.same(res.json(), { received: true })
  t.equal(runs, 1)
})
