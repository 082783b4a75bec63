/**
 * The Redis store when Redis is away: every call rejects fast with a coded error instead of
 * queueing, and the store recovers by itself when Redis comes back. Which bound ended a call is
 * read from the error's reason, not from a stopwatch: on a busy machine a timer fires late, never
 * early, so only lower bounds of time are asserted.
 */
import { once } from 'node:events'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import t from 'tap'
import { createRedisStore } from '../plugin/redis-store.js'
import { startRedisServer } from './helpers/redis-server.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const COMMAND_TIMEOUT_MS = 300

const server = await startRedisServer()
t.teardown(() => server.close())

async function timed<T>(promise: Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now()
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  return { ms: performance.now() - started, error }
}

/**
 * Polls until a claim answers again: the store must reconnect on its own. No deadline of its own
 * (a store that never recovers is tap's timeout), as reconnecting waits on a busy machine.
 */
async function untilClaimed(claim: () => Promise<{ status: string }>) {
  for (;;) {
    try {
      return await claim()
    } catch {
      await sleep(50)
    }
  }
}

t.test('nothing listening: the first call rejects within commandTimeoutMs, coded', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
  const store = createRedisStore({
    url: `redis://127.0.0.1:${port}`,
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
  })
  t.teardown(() => store.close())
  const { ms, error } = await timed(store.claim('evt', 1000))
  t.match(
    error,
    { code: 'BLUUM_REDIS_UNAVAILABLE', statusCode: 503, message: /ECONNREFUSED/ },
    `rejected after ${Math.round(ms)} ms, naming the connection error`,
  )
  const again = await timed(store.claim('evt', 1000))
  t.match(again.error, { code: 'BLUUM_REDIS_UNAVAILABLE' })
  await store.close()
  const status = store.client.status
  await sleep(300)
  t.equal(store.client.status, status, 'close() stopped the reconnection attempts')
  t.not(status, 'ready')
})

t.test(
  'Redis stopped: calls reject at once; Redis back: the store recovers by itself',
  async (t) => {
    const store = createRedisStore({ url: server.url, commandTimeoutMs: COMMAND_TIMEOUT_MS })
    t.teardown(() => store.close())
    const claim = await store.claim(`before-${randomUUID()}`, 10_000)
    t.equal(claim.status, 'claimed')

    await server.stop()
    // The client has seen the connection close (after that nothing is written to a dead socket).
    if (store.client.status === 'ready') await once(store.client, 'close')
    const calls: Array<() => Promise<unknown>> = [
      () => store.claim('evt', 1000),
      () => store.complete('evt', 'token', 1000),
      () => store.release('evt', 'token'),
      () => store.renew('evt', 'token', 1000),
    ]
    for (const call of calls) {
      const { ms, error } = await timed(call())
      // Refused by the client at once (offline queue off), not ended by the command timeout.
      t.match(
        error,
        { code: 'BLUUM_REDIS_UNAVAILABLE', statusCode: 503, message: /enableOfflineQueue/ },
        `rejected after ${ms.toFixed(1)} ms, not queued`,
      )
      t.notMatch((error as Error).message, /timed out|no reply in time/)
    }

    await server.start()
    const started = Date.now()
    const back = await untilClaimed(() => store.claim(`after-${randomUUID()}`, 10_000))
    t.equal(back.status, 'claimed', `recovered ${Date.now() - started} ms after Redis returned`)
  },
)

t.test(
  'Redis frozen: calls reject after commandTimeoutMs; a timed-out claim may still land, and its lease ends it',
  async (t) => {
    const store = createRedisStore({ url: server.url, commandTimeoutMs: COMMAND_TIMEOUT_MS })
    t.teardown(() => store.close())
    await untilClaimed(() => store.claim(`warm-${randomUUID()}`, 1000))

    server.pause()
    const key = `frozen-${randomUUID()}`
    // The lease is long next to the round trips below, which must see the orphan claim in it.
    const leaseMs = 2_000
    const { ms, error } = await timed(store.claim(key, leaseMs))
    server.resume()
    t.match(error, { code: 'BLUUM_REDIS_UNAVAILABLE', message: /timed out/i })
    t.ok(ms >= COMMAND_TIMEOUT_MS - 20, `rejected after ${Math.round(ms)} ms, not before`)

    // Redis ran the claim once it thawed, after the caller had given up: the key is held by a
    // token nobody knows, which is why a lease (not a caller) must end every claim.
    const orphan = await untilClaimed(() => store.claim(key, leaseMs))
    t.equal(orphan.status, 'in-flight')
    let next = orphan
    while (next.status === 'in-flight') {
      await sleep(50)
      next = await store.claim(key, leaseMs)
    }
    t.equal(next.status, 'claimed', 'the lease ended the orphan claim')
  },
)

t.test(
  'a passed-in client with ioredis defaults still rejects within commandTimeoutMs',
  async (t) => {
    const client = new Redis(server.url) // offline queue on, 20 retries per request
    client.on('error', () => {}) // reconnection errors are expected here
    t.teardown(() => client.disconnect())
    const store = createRedisStore({ client, commandTimeoutMs: COMMAND_TIMEOUT_MS })
    t.equal((await store.claim(`p-${randomUUID()}`, 1000)).status, 'claimed')

    await server.stop()
    // Without the store's own bound this claim would wait in ioredis' offline queue until Redis
    // came back, which it does only after this line.
    const { ms, error } = await timed(store.claim(`p-${randomUUID()}`, 1000))
    t.match(error, { code: 'BLUUM_REDIS_UNAVAILABLE', message: /no reply in time/ })
    t.ok(ms >= COMMAND_TIMEOUT_MS - 20, `rejected after ${Math.round(ms)} ms, not before`)
    await server.start()
    t.equal((await untilClaimed(() => store.claim(`p-${randomUUID()}`, 1000))).status, 'claimed')
    await store.close()
    t.equal(client.status, 'ready', 'close() left the passed-in client alone')
  },
)
