/**
 * No second run after a Redis blip or a slow handler, against a real redis-server over real HTTP:
 * a completion that fails while Redis restarts is retried and lands, a handler that outlives
 * `leaseMs` keeps its claim, and a crash-restart in the middle of a run handles every event once.
 */
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import bluumWebhooks from '../plugin/index.js'
import { createRedisStore, type RedisDedupeStore } from '../plugin/redis-store.js'
import type { DedupeStore } from '../plugin/store.js'
import { deliverHttp, inPool, type HttpAnswer } from './helpers/http.js'
import { startRedisServer, type RedisServer } from './helpers/redis-server.js'
import { TEST_SECRET, orderFilled, signedDelivery, type SignedDelivery } from './helpers/sign.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** What the app's store was asked and answered, counted per operation and outcome. */
interface Tally {
  completeTrue: number
  completeFalse: number
  completeRejected: number
  renewTrue: number
  renewOther: number
}

/**
 * The Redis store, counted. `beforeComplete` runs before each completion reaches Redis (the test
 * kills Redis there); `completed` resolves the first time a completion is recorded.
 */
function countedStore(inner: RedisDedupeStore, beforeComplete?: (n: number) => Promise<void>) {
  const tally: Tally = {
    completeTrue: 0,
    completeFalse: 0,
    completeRejected: 0,
    renewTrue: 0,
    renewOther: 0,
  }
  let recorded!: () => void
  const completed = new Promise<void>((resolve) => (recorded = resolve))
  let calls = 0
  const store: DedupeStore = {
    claim: (key, leaseMs) => inner.claim(key, leaseMs),
    async complete(key, token, ttlMs) {
      await beforeComplete?.(++calls)
      try {
        const owned = await inner.complete(key, token, ttlMs)
        if (owned) {
          tally.completeTrue++
          recorded()
        } else tally.completeFalse++
        return owned
      } catch (error) {
        tally.completeRejected++
        throw error
      }
    },
    release: (key, token) => inner.release(key, token),
    async renew(key, token, leaseMs) {
      const owned = await inner.renew(key, token, leaseMs).catch(() => false)
      if (owned) tally.renewTrue++
      else tally.renewOther++
      return owned
    },
    close: () => inner.close(),
  }
  return { store, tally, completed }
}

interface Instance {
  app: FastifyInstance
  base: string
  logs: Array<{ level: number; msg: string }>
}

/** One app with its own Redis connection, as a separate process would have, on 127.0.0.1:0. */
async function startInstance(
  t: Test,
  store: DedupeStore,
  options: { leaseMs: number; ackTimeoutMs: number; setup: (app: FastifyInstance) => void },
): Promise<Instance> {
  const logs: Instance['logs'] = []
  const app = Fastify({
    logger: {
      level: 'info',
      stream: { write: (line: string) => void logs.push(JSON.parse(line)) },
    },
  })
  t.teardown(() => app.close()) // the plugin's onClose drains, then closes the store
  await app.register(bluumWebhooks, {
    secret: TEST_SECRET,
    store,
    leaseMs: options.leaseMs,
    ackTimeoutMs: options.ackTimeoutMs,
  })
  options.setup(app)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, base, logs }
}

// Far above any reply time of a live Redis on a busy machine (a renewal that timed out at 500 ms
// would be a refused renewal here). The crashes below kill Redis, which fails calls at once.
function newRedisStore(server: RedisServer, keyPrefix: string): RedisDedupeStore {
  return createRedisStore({ url: server.url, keyPrefix, commandTimeoutMs: 10_000 })
}

/** One signed delivery per event id; Bluum keeps `webhook-id` across attempts. */
function event(id: string): SignedDelivery {
  return signedDelivery({ body: orderFilled({ id: `ord_${id}` }), id })
}

function count(runs: Map<string, number>, key: string) {
  runs.set(key, (runs.get(key) ?? 0) + 1)
}

/** A raw client that rides out restarts, to look at keys as another process would. */
function lookup(t: Test, server: RedisServer): Redis {
  const raw = new Redis(server.url, { maxRetriesPerRequest: null })
  raw.on('error', () => {})
  t.teardown(() => raw.disconnect())
  return raw
}

for (const persist of [true, false]) {
  t.test(
    `Redis ${persist ? 'with AOF' : 'without persistence'} restarted at the moment of complete: the retry records it, a later repeat is a duplicate, the handler ran once`,
    async (t) => {
      const server = await startRedisServer({ persist })
      t.teardown(() => server.close())
      const keyPrefix = `a:${randomUUID()}:`
      let restarted: Promise<void> | undefined
      const { store, tally, completed } = countedStore(
        newRedisStore(server, keyPrefix),
        async (n) => {
          if (n !== 1) return
          // Redis dies under the first completion, and is back a moment later (well within the
          // lease), while the plugin retries in the background.
          await server.kill()
          restarted = sleep(100).then(() => server.start())
        },
      )
      let runs = 0
      const app = await startInstance(t, store, {
        leaseMs: 10_000,
        ackTimeoutMs: 2_000,
        setup: (app) => app.bluum.on('order.filled', async () => void runs++),
      })
      const delivery = event(`evt_a_${persist}`)

      const first = await deliverHttp(app.base, delivery)
      t.same(first, { status: 200, body: { received: true } }, 'the handler succeeded: 200')
      // (A busy machine may already have seen the first background retry fail too.)
      t.ok(tally.completeRejected >= 1, 'the first completion failed with Redis down')

      const meanwhile = await deliverHttp(app.base, delivery)
      t.ok(
        meanwhile.status === 503 || meanwhile.status === 409,
        `a repeat before the completion landed is refused (${meanwhile.status} ${meanwhile.body.code})`,
      )
      t.equal(runs, 1)

      await restarted
      await completed
      t.equal(tally.completeTrue, 1, 'a retried completion was recorded')
      t.equal(await lookup(t, server).get(keyPrefix + delivery.headers['webhook-id']), 'd')
      t.same(await deliverHttp(app.base, delivery), {
        status: 200,
        body: { received: true, duplicate: true },
      })
      t.equal(runs, 1, 'handled exactly once')
      t.match(
        app.logs.filter((l) => /^bluum complete/.test(l.msg)).map((l) => l.msg),
        [/complete failed; retrying/, /complete recorded after retrying/],
      )
    },
  )
}

t.test(
  'a handler that outlives leaseMs keeps its claim on Redis: another instance gets 409 during and after the first lease, never a second run',
  async (t) => {
    const server = await startRedisServer()
    t.teardown(() => server.close())
    const keyPrefix = `b:${randomUUID()}:`
    // Renewed every 500 ms: a renewal may come a second late (a busy machine) before the claim
    // lapses.
    const leaseMs = 1_500
    const ackTimeoutMs = 100
    let release!: () => void
    const slowMayFinish = new Promise<void>((resolve) => (release = resolve))
    let runs = 0
    const setup = (app: FastifyInstance) =>
      app.bluum.on('order.filled', async () => {
        runs++
        await slowMayFinish
      })
    const a = countedStore(newRedisStore(server, keyPrefix))
    const b = countedStore(newRedisStore(server, keyPrefix))
    const slow = await startInstance(t, a.store, { leaseMs, ackTimeoutMs, setup })
    const other = await startInstance(t, b.store, { leaseMs, ackTimeoutMs, setup })
    const raw = lookup(t, server)
    const delivery = event('evt_b')
    const key = keyPrefix + 'evt_b'

    const started = performance.now()
    const first = await deliverHttp(slow.base, delivery)
    t.equal(first.status, 503, 'answered at the acknowledgement deadline, still running')
    t.equal(first.body.code, 'BLUUM_ACK_TIMEOUT')
    const claimValue = await raw.get(key)
    t.match(claimValue, /^c:/)

    // Four retries spread over more than two leases (the feature is time: Redis expires keys).
    for (let i = 1; i <= 4; i++) {
      await sleep(leaseMs * 0.6)
      const retry = await deliverHttp(other.base, delivery)
      const elapsed = Math.round(performance.now() - started)
      t.equal(retry.status, 409, `a retry ${elapsed} ms after the claim meets it`)
      t.equal(retry.body.code, 'BLUUM_DELIVERY_IN_FLIGHT')
      t.equal(await raw.get(key), claimValue, 'the first claim, still held')
    }
    t.ok(performance.now() - started > 2 * leaseMs, 'two leases have passed')
    t.ok(a.tally.renewTrue >= 3, `renewed ${a.tally.renewTrue} times`)
    t.equal(runs, 1)

    release()
    await a.completed
    t.equal(await raw.get(key), 'd')
    t.same(await deliverHttp(other.base, delivery), {
      status: 200,
      body: { received: true, duplicate: true },
    })
    t.same(await deliverHttp(slow.base, delivery), {
      status: 200,
      body: { received: true, duplicate: true },
    })
    t.equal(runs, 1, 'never a second run')
    t.equal(a.tally.renewOther, 0, 'no renewal was refused or failed')
    t.same(
      slow.logs.filter((l) => l.level >= 40),
      [],
      'no warning',
    )
  },
)

t.test(
  '1 000 events over two instances, Redis (AOF) killed and restarted mid-run: after retries every event was handled exactly once',
  async (t) => {
    const server = await startRedisServer({ persist: true })
    t.teardown(() => server.close())
    const keyPrefix = `e:${randomUUID()}:`
    const EVENTS = 1000
    // A claim that reached Redis but whose reply was lost in the crash blocks retries for a lease:
    // keep it short enough for the test, long enough for Redis to come back within it, which took
    // more than 4 s on a machine running 20 jobs on 2 cores (completions then gave up, as designed).
    const leaseMs = 10_000
    const runs = new Map<string, number>()
    const setup = (app: FastifyInstance) =>
      app.bluum.on('order.filled', async (_event, ctx) => {
        count(runs, ctx.deliveryId)
        await sleep(Math.random() * 3) // so that handlers are running when Redis dies
      })
    let crash: Promise<void> | undefined
    let crashedAt = 0
    let crashTime = 0
    const runStarted = performance.now()
    const onComplete = async () => {
      // The crash happens under a completion half-way through the run: this one fails for sure,
      // and whatever the other deliveries are doing at that moment fails with it.
      if (crash === undefined && ++crashedAt === EVENTS / 2) {
        crashTime = performance.now() - runStarted
        crash = server.kill().then(async () => {
          await sleep(100)
          await server.start()
        })
        await server.kill()
      }
    }
    const a = countedStore(newRedisStore(server, keyPrefix), onComplete)
    const b = countedStore(newRedisStore(server, keyPrefix), onComplete)
    const instances = [
      await startInstance(t, a.store, { leaseMs, ackTimeoutMs: 2000, setup }),
      await startInstance(t, b.store, { leaseMs, ackTimeoutMs: 2000, setup }),
    ]

    const ids = Array.from({ length: EVENTS }, (_, i) => `evt_e_${i}`)
    const answers = new Map<string, number>()
    const stuck: Array<{ id: string; last: HttpAnswer }> = []
    await inPool(ids, 20, async (id) => {
      const delivery = event(id)
      // Bluum retries every non-2xx; here every 50 ms (sooner than Bluum), alternating
      // instances, for at most 600 attempts (30 s or more).
      let last: HttpAnswer | undefined
      const first = ids.indexOf(id)
      for (let attempt = 0; attempt < 600; attempt++) {
        try {
          last = await deliverHttp(instances[(first + attempt) % 2]!.base, delivery)
        } catch {
          last = { status: 0, body: { code: 'connection error' } }
        }
        const tag = `${last.status} ${last.body.code ?? (last.body.duplicate ? 'duplicate' : 'received')}`
        answers.set(tag, (answers.get(tag) ?? 0) + 1)
        if (last.status === 200) return
        await sleep(50)
      }
      stuck.push({ id, last: last! })
    })
    await crash
    const runTime = performance.now() - runStarted

    t.ok(crash !== undefined, 'Redis was killed during the run')
    t.same(stuck, [], 'every event was eventually answered 200')
    t.equal(runs.size, EVENTS, 'every event was handled')
    t.same(
      [...runs].filter(([, n]) => n !== 1),
      [],
      'no event was handled twice',
    )
    const rejected = a.tally.completeRejected + b.tally.completeRejected
    t.ok(rejected >= 1, `${rejected} completion(s) failed during the crash and were retried`)
    await Promise.all(instances.map((i) => i.app.close())) // drain: every retry has settled
    const raw = lookup(t, server)
    const values = await raw.mget(ids.map((id) => keyPrefix + id))
    const gaveUp = instances.flatMap((i) => i.logs).filter((l) => /not recorded/.test(l.msg))
    t.same(
      new Set(values),
      new Set(['d']),
      `every event is marked done in Redis (completions given up at the lease end: ${gaveUp.length})`,
    )
    t.comment(`crash after ${Math.round(crashTime)} ms, run ended after ${Math.round(runTime)} ms`)
    t.comment(`answers: ${JSON.stringify(Object.fromEntries(answers))}`)
    // completeFalse: a retry that found `d`, written by an earlier attempt whose reply the crash lost.
    t.comment(`store calls: ${JSON.stringify({ a: a.tally, b: b.tally })}`)
  },
)
