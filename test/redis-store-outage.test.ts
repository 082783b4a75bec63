/**
 * The Redis store when Redis is away: every call rejects fast with a coded error instead of
 * queueing, and the store recovers by itself when Redis comes back.
 */
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

/** Polls until a claim succeeds again: the store must reconnect on its own. */
async function untilClaimed(claim: () => Promise<{ status: string }>, withinMs: number) {
  const deadline = Date.now() + withinMs
  for (;;) {
    try {
      return await claim()
    } catch (error) {
      if (Date.now() > deadline) throw error
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
  t.match(error, { code: 'BLUUM_REDIS_UNAVAILABLE', statusCode: 503, message: /ECONNREFUSED/ })
  t.ok(ms < COMMAND_TIMEOUT_MS + 200, `rejected after ${Math.round(ms)} ms`)
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
    await sleep(20) // let the client see the connection close
    const calls: Array<() => Promise<unknown>> = [
      () => store.claim('evt', 1000),
      () => store.complete('evt', 'token', 1000),
      () => store.release('evt', 'token'),
      () => store.renew('evt', 'token', 1000),
    ]
    for (const call of calls) {
      const { ms, error } = await timed(call())
      t.match(error, { code: 'BLUUM_REDIS_UNAVAILABLE', statusCode: 503 })
      t.ok(ms < COMMAND_TIMEOUT_MS / 3, `rejected after ${ms.toFixed(1)} ms, not queued`)
    }

    await server.start()
    const started = Date.now()
    const back = await untilClaimed(() => store.claim(`after-${randomUUID()}`, 10_000), 3000)
    t.equal(back.status, 'claimed', `recovered ${Date.now() - started} ms after Redis returned`)
  },
)

t.test(
  'Redis frozen: calls reject after commandTimeoutMs; a timed-out claim may still land, and its lease ends it',
  async (t) => {
    const store = createRedisStore({ url: server.url, commandTimeoutMs: COMMAND_TIMEOUT_MS })
    t.teardown(() => store.close())
    await untilClaimed(() => store.claim(`warm-${randomUUID()}`, 1000), 3000)

    server.pause()
    const key = `frozen-${randomUUID()}`
    const { ms, error } = await timed(store.claim(key, 300))
    server.resume()
    t.match(error, { code: 'BLUUM_REDIS_UNAVAILABLE', message: /timed out/i })
    t.ok(
      ms >= COMMAND_TIMEOUT_MS - 20 && ms < COMMAND_TIMEOUT_MS + 200,
      `rejected after ${Math.round(ms)} ms`,
    )

    // Redis ran the claim once it thawed, after the caller had given up: the key is held by a
    // token nobody knows, which is why a lease (not a caller) must end every claim.
    const orphan = await untilClaimed(() => store.claim(key, 300), 1000)
    t.equal(orphan.status, 'in-flight')
    await sleep(350)
    t.equal((await store.claim(key, 300)).status, 'claimed')
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
    const { ms, error } = await timed(store.claim(`p-${randomUUID()}`, 1000))
    t.match(error, { code: 'BLUUM_REDIS_UNAVAILABLE', message: /no reply in time/ })
    t.ok(ms < COMMAND_TIMEOUT_MS + 200, `rejected after ${Math.round(ms)} ms`)
    await server.start()
    t.equal(
      (await untilClaimed(() => store.claim(`p-${randomUUID()}`, 1000), 3000)).status,
      'claimed',
    )
    await store.close()
    t.equal(client.status, 'ready', 'close() left the passed-in client alone')
  },
)
