/**
 * Exactly-once across instances: several apps with the plugin, each with its own connection to
 * one Redis, driven over real HTTP, with failing handlers, expired leases and a Redis outage.
 */
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import bluumWebhooks from '../plugin/index.js'
import { createRedisStore } from '../plugin/redis-store.js'
import type { ClaimResult, DedupeStore } from '../plugin/store.js'
import { deliverHttp, inPool, type HttpAnswer } from './helpers/http.js'
import { startRedisServer, type RedisServer } from './helpers/redis-server.js'
import { TEST_SECRET, orderFilled, signedDelivery, type SignedDelivery } from './helpers/sign.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface StoreCall {
  op: 'claim' | 'complete' | 'release'
  key: string
  token?: string
  result: ClaimResult | boolean | 'rejected'
}

/** Wraps a store and records every call and its outcome; `after` may hold the caller. */
function spyStore(store: DedupeStore, after?: (call: StoreCall) => unknown) {
  const calls: StoreCall[] = []
  const record = async (call: StoreCall) => {
    calls.push(call)
    await after?.(call)
  }
  const spied: DedupeStore & { calls: StoreCall[] } = {
    calls,
    async claim(key, leaseMs) {
      let result: ClaimResult
      try {
        result = await store.claim(key, leaseMs)
      } catch (error) {
        await record({ op: 'claim', key, result: 'rejected' })
        throw error
      }
      await record({ op: 'claim', key, result })
      return result
    },
    async complete(key, token, ttlMs) {
      const result = await store.complete(key, token, ttlMs)
      await record({ op: 'complete', key, token, result })
      return result
    },
    async release(key, token) {
      const result = await store.release(key, token)
      await record({ op: 'release', key, token, result })
      return result
    },
    close: () => store.close?.() ?? Promise.resolve(),
  }
  return spied
}

interface Instance {
  app: FastifyInstance
  base: string
  store: ReturnType<typeof spyStore>
}

interface InstanceOptions {
  server: RedisServer
  keyPrefix: string
  leaseMs?: number
  ackTimeoutMs?: number
  afterStoreCall?: (call: StoreCall) => unknown
  /** Registers the handlers. */
  setup: (app: FastifyInstance) => void
}

/** One app with its own Redis connection (as a separate process would have), on 127.0.0.1:0. */
async function startInstance(t: Test, options: InstanceOptions): Promise<Instance> {
  const store = spyStore(
    createRedisStore({
      url: options.server.url,
      keyPrefix: options.keyPrefix,
      // Far above any reply time of a live Redis on a busy machine (500 ms answered hundreds of
      // deliveries 503 under load). The outage below stops Redis, which fails calls at once.
      commandTimeoutMs: 10_000,
    }),
    options.afterStoreCall,
  )
  const app = Fastify({ logger: false })
  t.teardown(() => app.close()) // the plugin's onClose closes the store
  await app.register(bluumWebhooks, {
    secret: TEST_SECRET,
    store,
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    ...(options.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: options.ackTimeoutMs }),
  })
  options.setup(app)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, base, store }
}

type Answer = HttpAnswer

const deliver = (instance: Instance, delivery: SignedDelivery): Promise<Answer> =>
  deliverHttp(instance.base, delivery)

/** One signed delivery per event id; Bluum keeps `webhook-id` across attempts. */
function event(id: string): SignedDelivery {
  return signedDelivery({ body: orderFilled({ id: `ord_${id}` }), id })
}

function count(runs: Map<string, number>, key: string) {
  runs.set(key, (runs.get(key) ?? 0) + 1)
}

const server = await startRedisServer()
t.teardown(() => server.close())
const raw = new Redis(server.url)
t.teardown(() => raw.quit())

t.test(
  '1 000 events, each delivered three times to two instances concurrently: every handler ran once',
  async (t) => {
    const keyPrefix = `p1:${randomUUID()}:`
    const runs = new Map<string, number>()
    const setup = (app: FastifyInstance) =>
      app.bluum.on('order.filled', async (_event, ctx) => {
        count(runs, ctx.deliveryId)
        await sleep(Math.random() * 3) // long enough for the other deliveries to meet the claim
      })
    const instances = [
      await startInstance(t, { server, keyPrefix, setup }),
      await startInstance(t, { server, keyPrefix, setup }),
    ]

    const EVENTS = 1000
    const ids = Array.from({ length: EVENTS }, (_, i) => `evt_p1_${i}`)
    const deliveries = new Map(ids.map((id) => [id, event(id)]))
    // The three attempts of an event sit next to each other, so they really run concurrently.
    const jobs = ids.flatMap((id, i) => [0, 1, 2].map((attempt) => ({ id, to: (i + attempt) % 2 })))

    const answers = { processed: 0, duplicate: 0, inFlight: 0, other: [] as Answer[] }
    const processedPerEvent = new Map<string, number>()
    await inPool(jobs, 50, async ({ id, to }) => {
      // A 409 is retried, as Bluum would (sooner here), until the handler elsewhere has finished.
      let answer = await deliver(instances[to]!, deliveries.get(id)!)
      while (answer.status === 409) {
        answers.inFlight++
        await sleep(5)
        answer = await deliver(instances[to]!, deliveries.get(id)!)
      }
      if (answer.status === 200 && answer.body.duplicate) answers.duplicate++
      else if (answer.status === 200) {
        answers.processed++
        count(processedPerEvent, id)
      } else answers.other.push(answer)
    })

    t.same(answers.other, [], 'every delivery ended in 200')
    t.equal(answers.processed, EVENTS, 'one "received" answer per event')
    t.equal(answers.duplicate, 2 * EVENTS, 'the two others were duplicates')
    t.equal(runs.size, EVENTS, 'every event was handled')
    t.same(
      [...runs.values()].filter((n) => n !== 1),
      [],
      'no event was handled twice',
    )
    t.same(
      [...processedPerEvent.values()].filter((n) => n !== 1),
      [],
    )
    const ranOn = instances.map((i) => i.store.calls.filter((c) => c.op === 'complete').length)
    t.ok(ranOn[0]! > 0 && ranOn[1]! > 0, `both instances processed events (${ranOn.join(' / ')})`)
    t.comment(`409 in-flight answers (retried): ${answers.inFlight}`)
    const done = await raw.mget(ids.map((id) => keyPrefix + id))
    t.same(new Set(done), new Set(['d']), 'every key is marked done in Redis')
  },
)

t.test(
  'a handler that fails on one instance is run and completed by the retry on the other',
  async (t) => {
    const keyPrefix = `p2:${randomUUID()}:`
    const runs: string[] = []
    const a = await startInstance(t, {
      server,
      keyPrefix,
      setup: (app) =>
        app.bluum.on('order.filled', async () => {
          runs.push('a')
          throw new Error('downstream unavailable on instance A')
        }),
    })
    const b = await startInstance(t, {
      server,
      keyPrefix,
      setup: (app) => app.bluum.on('order.filled', async () => void runs.push('b')),
    })
    const delivery = event('evt_p2')

    const first = await deliver(a, delivery)
    t.equal(first.status, 500)
    t.equal(first.body.code, 'BLUUM_HANDLER_FAILED')
    t.equal(
      await raw.exists(keyPrefix + 'evt_p2'),
      0,
      'the claim was released, nothing marked done',
    )
    t.match(a.store.calls.at(-1), { op: 'release', result: true })

    t.same(await deliver(b, delivery), { status: 200, body: { received: true } })
    t.equal(await raw.get(keyPrefix + 'evt_p2'), 'd')
    t.same(await deliver(a, delivery), { status: 200, body: { received: true, duplicate: true } })
    t.same(runs, ['a', 'b'], 'A failed once, B completed it, nothing ran after')
  },
)

t.test(
  'a store without renew(): a lease that expires under a slow handler is taken over; the late completion overwrites nothing',
  async (t) => {
    // spyStore() forwards no renew(), so nothing keeps A's claim alive: this is what fencing
    // guards against for a store of one's own (a Redis store renews: redis-store-lease.test.ts).
    const keyPrefix = `p3:${randomUUID()}:`
    const key = 'evt_p3'
    // Wall time is the feature here; the lease is long against the acknowledgement deadline so
    // that a loaded machine still gets the in-lease retry in before the lease ends.
    const leaseMs = 3_000
    const ackTimeoutMs = 200
    let releaseSlow!: () => void
    const slowMayFinish = new Promise<void>((resolve) => (releaseSlow = resolve))
    let lateComplete!: (seen: { result: boolean; valueAfter: string | null }) => void
    const lateCompleteSeen = new Promise<{ result: boolean; valueAfter: string | null }>(
      (resolve) => (lateComplete = resolve),
    )
    const runs: string[] = []

    const a = await startInstance(t, {
      server,
      keyPrefix,
      leaseMs,
      ackTimeoutMs,
      // Right after A's late complete, look at what Redis holds, before B may finish.
      afterStoreCall: async (call) => {
        if (call.op === 'complete') {
          lateComplete({
            result: call.result as boolean,
            valueAfter: await raw.get(keyPrefix + key),
          })
        }
      },
      setup: (app) =>
        app.bluum.on('order.filled', async () => {
          runs.push('a:start')
          await slowMayFinish
          runs.push('a:end')
        }),
    })
    let bToken: string | undefined
    const b = await startInstance(t, {
      server,
      keyPrefix,
      leaseMs,
      ackTimeoutMs,
      afterStoreCall: (call) => {
        if (
          call.op === 'claim' &&
          typeof call.result === 'object' &&
          call.result.status === 'claimed'
        ) {
          bToken = call.result.token
        }
      },
      setup: (app) =>
        app.bluum.on('order.filled', async () => {
          runs.push('b:start')
          releaseSlow() // A finishes now, while B still owns the key
          t.same(await lateCompleteSeen, { result: false, valueAfter: `c:${bToken}` })
          runs.push('b:end')
        }),
    })
    const delivery = event(key)

    const first = await deliver(a, delivery)
    t.equal(first.status, 503, 'A answers at its acknowledgement deadline, still working')
    t.equal(first.body.code, 'BLUUM_ACK_TIMEOUT')
    const meanwhile = await deliver(b, delivery)
    t.equal(meanwhile.status, 409, 'within the lease, a retry meets the claim')

    // Redis ends the lease (nothing renews it): wait for the key to go, then retry.
    while ((await raw.exists(keyPrefix + key)) === 1) await sleep(20)
    const retry = await deliver(b, delivery)
    t.same(
      retry,
      { status: 200, body: { received: true } },
      'after the lease, the retry takes over',
    )
    t.same(await lateCompleteSeen, { result: false, valueAfter: `c:${bToken}` })
    t.match(
      a.store.calls.filter((c) => c.op === 'complete'),
      [{ result: false }],
    )
    t.match(
      b.store.calls.filter((c) => c.op === 'complete'),
      [{ result: true }],
    )
    t.equal(await raw.get(keyPrefix + key), 'd')
    const pttl = await raw.pttl(keyPrefix + key)
    t.ok(pttl > leaseMs * 10, `the key carries B's dedupe TTL (${pttl} ms), not a lease`)
    t.same(await deliver(a, delivery), { status: 200, body: { received: true, duplicate: true } })
    t.same(runs, ['a:start', 'b:start', 'a:end', 'b:end'])
  },
)

t.test(
  'Redis stopped mid-run: 503 and nothing runs; Redis back: retries complete, each event once',
  async (t) => {
    // Persistence on, as in production: the done markers written before the outage must survive.
    const outage = await startRedisServer({ persist: true })
    t.teardown(() => outage.close())
    const keyPrefix = `p4:${randomUUID()}:`
    const runs = new Map<string, number>()
    const setup = (app: FastifyInstance) =>
      app.bluum.on('order.filled', async (_event, ctx) => void count(runs, ctx.deliveryId))
    const instances = [
      await startInstance(t, { server: outage, keyPrefix, setup }),
      await startInstance(t, { server: outage, keyPrefix, setup }),
    ]
    const before = Array.from({ length: 100 }, (_, i) => `evt_p4_before_${i}`)
    const during = Array.from({ length: 100 }, (_, i) => `evt_p4_during_${i}`)
    const deliveries = new Map([...before, ...during].map((id) => [id, event(id)]))

    await inPool(before, 20, async (id) => {
      const answer = await deliver(instances[before.indexOf(id) % 2]!, deliveries.get(id)!)
      t.equal(answer.status, 200)
    })
    t.equal(runs.size, 100)

    await outage.stop()
    const whileDown = [...during, ...before.slice(0, 20)]
    const statuses = new Map<string, number>()
    await inPool(whileDown, 20, async (id) => {
      const answer = await deliver(instances[whileDown.indexOf(id) % 2]!, deliveries.get(id)!)
      statuses.set(
        `${answer.status} ${answer.body.code}`,
        (statuses.get(`${answer.status} ${answer.body.code}`) ?? 0) + 1,
      )
    })
    t.same(
      Object.fromEntries(statuses),
      { '503 BLUUM_STORE_UNAVAILABLE': 120 },
      'every delivery got 503',
    )
    t.equal(runs.size, 100, 'no handler ran while Redis was down')
    t.same(
      [...runs.keys()].filter((id) => id.includes('during')),
      [],
    )

    await outage.start()
    const lookup = new Redis(outage.url)
    t.teardown(() => lookup.quit())
    t.equal(
      await lookup.exists(...during.map((id) => keyPrefix + id)),
      0,
      'nothing was marked done or claimed during the outage',
    )
    t.equal(
      await lookup.exists(...before.map((id) => keyPrefix + id)),
      100,
      'the earlier done markers survived',
    )

    // Bluum retries; here every 100 ms until the instance has reconnected (no deadline of the
    // test's own: reconnecting takes its time on a busy machine).
    const outcome = new Map<string, Answer>()
    await inPool(whileDown, 20, async (id) => {
      for (;;) {
        const answer = await deliver(
          instances[(whileDown.indexOf(id) + 1) % 2]!,
          deliveries.get(id)!,
        )
        outcome.set(id, answer)
        if (answer.status !== 503) return
        await sleep(100)
      }
    })
    t.same(
      during.filter((id) => outcome.get(id)?.status !== 200 || outcome.get(id)?.body.duplicate),
      [],
      'every event of the outage was processed on retry',
    )
    t.same(
      before.slice(0, 20).filter((id) => !outcome.get(id)?.body.duplicate),
      [],
      'events done before the outage stayed done',
    )
    t.equal(runs.size, 200)
    t.same(
      [...runs.values()].filter((n) => n !== 1),
      [],
      'every event handled exactly once',
    )
  },
)
