/**
 * The Redis dedupe store against a real redis-server: claims, leases, fencing, TTL, options,
 * and who closes which client.
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import { createRedisStore, type RedisDedupeStore } from '../plugin/redis-store.js'
import { startRedisServer } from './helpers/redis-server.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const server = await startRedisServer()
t.teardown(() => server.close())

// A plain client to look at raw keys, as another process would.
const raw = new Redis(server.url, { lazyConnect: true })
await raw.connect()
t.teardown(() => raw.quit())

function newStore(keyPrefix = `test:${randomUUID()}:`): RedisDedupeStore {
  const store = createRedisStore({ url: server.url, keyPrefix })
  t.teardown(() => store.close())
  return store
}

t.test('a first claim owns the key, a second is in-flight, a completed key is done', async (t) => {
  const store = newStore('t1:')
  const first = await store.claim('evt_1', 10_000)
  t.equal(first.status, 'claimed')
  t.same(await store.claim('evt_1', 10_000), { status: 'in-flight' })
  if (first.status !== 'claimed') return
  t.equal(await raw.get('t1:evt_1'), `c:${first.token}`, 'the claim is c:<token> under the prefix')
  t.equal(await store.complete('evt_1', first.token, 60_000), true)
  t.equal(await raw.get('t1:evt_1'), 'd', 'done is a single byte')
  t.same(await store.claim('evt_1', 10_000), { status: 'done' })
  t.equal(await store.release('evt_1', first.token), false, 'a done key cannot be released')
  t.same(await store.claim('evt_1', 10_000), { status: 'done' })
})

t.test('a released claim lets the next delivery claim again, with a new token', async (t) => {
  const store = newStore()
  const first = await store.claim('evt', 10_000)
  if (first.status !== 'claimed') return t.fail('not claimed')
  t.equal(await store.release('evt', first.token), true)
  const second = await store.claim('evt', 10_000)
  t.equal(second.status, 'claimed')
  if (second.status === 'claimed') t.not(second.token, first.token)
})

t.test('the claim holds its lease on the Redis clock', async (t) => {
  const store = newStore('t3:')
  await store.claim('evt', 5_000)
  const pttl = await raw.pttl('t3:evt')
  t.ok(pttl > 4_000 && pttl <= 5_000, `PTTL ${pttl} ms within the lease`)
})

t.test(
  'an expired lease is taken over, and the old owner can neither complete nor release it',
  async (t) => {
    const store = newStore('t4:')
    const old = await store.claim('evt', 100)
    if (old.status !== 'claimed') return t.fail('not claimed')
    await sleep(150)
    const next = await store.claim('evt', 10_000)
    if (next.status !== 'claimed') return t.fail(`expected a takeover, got ${next.status}`)
    t.equal(await store.complete('evt', old.token, 60_000), false, 'late complete refused')
    t.equal(await store.release('evt', old.token), false, 'late release refused')
    t.equal(await raw.get('t4:evt'), `c:${next.token}`, 'the new claim is untouched')
    t.equal(await store.complete('evt', next.token, 60_000), true)
    t.equal(await store.complete('evt', old.token, 60_000), false, 'still refused once done')
    t.equal(await raw.get('t4:evt'), 'd')
  },
)

t.test(
  'a late complete after the lease expired and nobody took over marks it done: no retry runs it again',
  async (t) => {
    const store = newStore('t5:')
    const old = await store.claim('evt', 50)
    if (old.status !== 'claimed') return t.fail('not claimed')
    await sleep(100)
    t.equal(await raw.exists('t5:evt'), 0, 'the lease is over')
    t.equal(await store.complete('evt', old.token, 60_000), true)
    t.equal(await raw.get('t5:evt'), 'd')
    t.same(await store.claim('evt', 1000), { status: 'done' })
  },
)

t.test("renew extends the owner's claim to a full lease from now", async (t) => {
  const store = newStore('t5r:')
  const claim = await store.claim('evt', 300)
  if (claim.status !== 'claimed') return t.fail('not claimed')
  t.equal(await store.renew('evt', claim.token, 60_000), true)
  const pttl = await raw.pttl('t5r:evt')
  t.ok(pttl > 59_000 && pttl <= 60_000, `PTTL ${pttl} ms is the new lease`)
  t.equal(await raw.get('t5r:evt'), `c:${claim.token}`, 'still the same claim')
  t.equal(await store.complete('evt', claim.token, 120_000), true)
})

t.test('renew is fenced: a stale or foreign token neither extends nor overwrites', async (t) => {
  const store = newStore('t5f:')
  const old = await store.claim('evt', 100)
  if (old.status !== 'claimed') return t.fail('not claimed')
  t.equal(await store.renew('evt', 'someone-else', 60_000), false, 'a foreign token is refused')
  t.ok((await raw.pttl('t5f:evt')) <= 100, 'and did not extend the lease')
  await sleep(150)
  const next = await store.claim('evt', 300)
  if (next.status !== 'claimed') return t.fail(`expected a takeover, got ${next.status}`)
  t.equal(await store.renew('evt', old.token, 60_000), false, 'the old owner is refused')
  t.equal(await raw.get('t5f:evt'), `c:${next.token}`, 'the new claim is untouched')
  const pttl = await raw.pttl('t5f:evt')
  t.ok(pttl > 0 && pttl <= 300, `PTTL ${pttl} ms: the new owner's lease, not extended`)
  t.equal(await store.complete('evt', next.token, 60_000), true)
  t.equal(await store.renew('evt', next.token, 60_000), false, 'a done key is never renewed')
  t.equal(await raw.get('t5f:evt'), 'd')
  t.ok((await raw.pttl('t5f:evt')) > 59_000, 'and keeps its dedupe TTL')
})

t.test('renew takes back a claim that lapsed (or was lost) with nobody else on it', async (t) => {
  const store = newStore('t5l:')
  const claim = await store.claim('evt', 10_000)
  if (claim.status !== 'claimed') return t.fail('not claimed')
  await raw.del('t5l:evt') // as a Redis restart without persistence would
  t.equal(await store.renew('evt', claim.token, 10_000), true)
  t.equal(await raw.get('t5l:evt'), `c:${claim.token}`)
  t.same(await store.claim('evt', 1000), { status: 'in-flight' })
})

t.test('done is remembered for ttlMs, then the key may be claimed again', async (t) => {
  const store = newStore('t6:')
  const claim = await store.claim('evt', 10_000)
  if (claim.status !== 'claimed') return t.fail('not claimed')
  await store.complete('evt', claim.token, 200)
  const pttl = await raw.pttl('t6:evt')
  t.ok(pttl > 0 && pttl <= 200, `PTTL ${pttl} ms is the dedupe TTL, not the lease`)
  t.same(await store.claim('evt', 10_000), { status: 'done' })
  await sleep(250)
  t.equal((await store.claim('evt', 10_000)).status, 'claimed')
})

t.test('concurrent claims from separate connections: exactly one wins', async (t) => {
  const prefix = `race:${randomUUID()}:`
  const stores = [newStore(prefix), newStore(prefix), newStore(prefix)]
  const results = await Promise.all(
    Array.from({ length: 150 }, (_, i) => stores[i % 3]!.claim('evt', 10_000)),
  )
  t.equal(results.filter((r) => r.status === 'claimed').length, 1)
  t.equal(results.filter((r) => r.status === 'in-flight').length, 149)
})

t.test('each call is one round trip: one EVAL/EVALSHA', async (t) => {
  const store = newStore()
  await store.claim('warm-up', 1000) // the first call on a connection sends the script itself
  const calls = async () => {
    const info = await raw.info('commandstats')
    let total = 0
    for (const m of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) total += Number(m[2])
    return total
  }
  const before = await calls()
  for (let i = 0; i < 20; i++) {
    const claim = await store.claim(`rt-${i}`, 10_000)
    if (claim.status === 'claimed') {
      await store.renew(`rt-${i}`, claim.token, 10_000)
      await store.complete(`rt-${i}`, claim.token, 60_000)
    }
  }
  await store.release('rt-0', 'nobody')
  t.equal((await calls()) - before, 61)
})

t.test('the fractional lease is rounded up, a lease or TTL below 1 ms is refused', async (t) => {
  const store = newStore()
  t.equal((await store.claim('evt', 0.5)).status, 'claimed')
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    await t.rejects(store.claim('other', bad), { code: 'BLUUM_REDIS_INVALID_ARGUMENT' })
    await t.rejects(store.complete('other', 'x', bad), { code: 'BLUUM_REDIS_INVALID_ARGUMENT' })
    await t.rejects(store.renew('other', 'x', bad), { code: 'BLUUM_REDIS_INVALID_ARGUMENT' })
  }
  await t.rejects(store.claim('', 1000), { code: 'BLUUM_REDIS_INVALID_ARGUMENT' })
})

t.test('a foreign value under the prefix is reported, not overwritten', async (t) => {
  const store = newStore('t10:')
  await raw.set('t10:string', 'something else')
  await t.rejects(store.claim('string', 1000), { code: 'BLUUM_REDIS_UNEXPECTED_VALUE' })
  t.equal(await raw.get('t10:string'), 'something else')
  await raw.hset('t10:hash', 'a', '1')
  const error = await store.claim('hash', 1000).catch((e: unknown) => e)
  t.match(error, { code: 'BLUUM_REDIS_REPLY_ERROR', message: /WRONGTYPE/ })
})

t.test('options are checked at creation with coded errors', async (t) => {
  const cases: Array<[string, unknown]> = [
    ['neither client nor url', {}],
    ['both client and url', { client: raw, url: server.url }],
    ['url of another scheme', { url: 'http://127.0.0.1:6379' }],
    ['client that is not ioredis', { client: {} }],
    ['commandTimeoutMs zero', { url: server.url, commandTimeoutMs: 0 }],
    ['commandTimeoutMs fractional', { url: server.url, commandTimeoutMs: 1.5 }],
    ['keyPrefix not a string', { url: server.url, keyPrefix: 42 }],
  ]
  for (const [name, options] of cases) {
    t.throws(
      () => createRedisStore(options as Parameters<typeof createRedisStore>[0]),
      { code: 'BLUUM_REDIS_INVALID_OPTION' },
      name,
    )
  }
  t.throws(
    () => createRedisStore({ url: process.env.BLUUM_TEST_UNSET_REDIS_URL }),
    {
      code: 'BLUUM_REDIS_INVALID_OPTION',
      message: /"url": received undefined: is the environment variable .*REDIS_URL.* set/,
    },
    'an unset variable is named as undefined',
  )
  const error = (() => {
    try {
      createRedisStore({ url: 'http://user:hunter2@redis.internal:6379' })
    } catch (e) {
      return e as Error
    }
  })()
  t.notMatch(error?.message, /hunter2/, 'a URL is never echoed: it may carry a password')
})

t.test('close() quits a client the store created, and is idempotent', async (t) => {
  const store = createRedisStore({ url: server.url })
  t.equal((await store.claim(`c-${randomUUID()}`, 1000)).status, 'claimed')
  await Promise.all([store.close(), store.close()])
  t.equal(store.client.status, 'end')
  await t.rejects(store.claim('after-close', 1000), { code: 'BLUUM_REDIS_UNAVAILABLE' })
})

t.test('close() leaves a passed-in client open', async (t) => {
  const client = new Redis(server.url)
  t.teardown(() => client.quit())
  const store = createRedisStore({ client })
  t.equal((await store.claim(`p-${randomUUID()}`, 1000)).status, 'claimed')
  await store.close()
  t.equal(client.status, 'ready')
  t.equal(await client.ping(), 'PONG')
  t.equal((await store.claim(`p-${randomUUID()}`, 1000)).status, 'claimed', 'still usable')
})

t.test('a store created right before its first call waits for the connection', async (t) => {
  const store = newStore()
  t.not(store.client.status, 'ready', 'still connecting')
  t.equal((await store.claim('evt', 1000)).status, 'claimed')
})

t.test(
  'a lazyConnect client with the offline queue off is connected by the first call',
  async (t) => {
    const client = new Redis(server.url, { lazyConnect: true, enableOfflineQueue: false })
    t.teardown(() => client.disconnect())
    const store = createRedisStore({ client })
    t.equal((await store.claim(`lazy-${randomUUID()}`, 1000)).status, 'claimed')
  },
)

t.test('memory per key (MEMORY USAGE), for docs/redis.md', async (t) => {
  const store = newStore('bluum:webhook:')
  const key = `evt_${randomUUID().replaceAll('-', '').slice(0, 26)}` // like evt_01j9x8m2k7qpzwv3t5r6y8n0ab
  const claim = await store.claim(key, 120_000)
  if (claim.status !== 'claimed') return t.fail('not claimed')
  const claimed = Number(await raw.call('MEMORY', 'USAGE', `bluum:webhook:${key}`))
  await store.complete(key, claim.token, 86_400_000)
  const done = Number(await raw.call('MEMORY', 'USAGE', `bluum:webhook:${key}`))
  t.comment(`MEMORY USAGE for a ${key.length}-char id: claimed ${claimed} B, done ${done} B`)
  t.ok(done > 0 && done <= 128, `done key ${done} B`)
  t.ok(claimed >= done, `claimed key ${claimed} B`)
})
