import t from 'tap'
import { createMemoryStore } from '../plugin/index.js'

/** Claims `key` and completes it with `ttlMs`; gives the claim's token. */
async function claimAndComplete(
  store: ReturnType<typeof createMemoryStore>,
  key: string,
  ttlMs: number,
): Promise<string> {
  const c = await store.claim(key, 100)
  if (c.status !== 'claimed') throw new Error(`${key} not claimed: ${c.status}`)
  await store.complete(key, c.token, ttlMs)
  return c.token
}

t.test('claim, in-flight, done', async (t) => {
  const store = createMemoryStore()
  const claim = await store.claim('a', 1000)
  t.equal(claim.status, 'claimed')
  t.same(await store.claim('a', 1000), { status: 'in-flight' })
  if (claim.status !== 'claimed') return
  t.equal(await store.complete('a', claim.token, 1000), true)
  t.same(await store.claim('a', 1000), { status: 'done' })
})

t.test('release lets the next claim run; only the owner can release or complete', async (t) => {
  const store = createMemoryStore()
  const first = await store.claim('a', 1000)
  if (first.status !== 'claimed') return t.fail('not claimed')
  t.equal(await store.release('a', 'someone-else'), false)
  t.equal(await store.complete('a', 'someone-else', 1000), false)
  t.same(await store.claim('a', 1000), { status: 'in-flight' }, 'a foreign token changed nothing')
  t.equal(await store.release('a', first.token), true)
  const second = await store.claim('a', 1000)
  t.equal(second.status, 'claimed')
  t.equal(await store.complete('a', first.token, 1000), false, 'the old owner cannot complete')
  t.equal(await store.release('missing', 'x'), false)
})

t.test('an expired lease is taken over, and the late owner is fenced off', async (t) => {
  let now = 0
  const store = createMemoryStore({ now: () => now })
  const first = await store.claim('a', 100)
  now = 101
  const second = await store.claim('a', 100)
  t.equal(second.status, 'claimed')
  if (first.status !== 'claimed' || second.status !== 'claimed') return
  t.equal(await store.complete('a', first.token, 1000), false)
  t.same(await store.claim('a', 100), { status: 'in-flight' }, 'the new owner still holds it')
  t.equal(await store.complete('a', second.token, 1000), true)
})

t.test("renew extends the owner's claim by a lease from now", async (t) => {
  let now = 0
  const store = createMemoryStore({ now: () => now })
  const claim = await store.claim('a', 100)
  if (claim.status !== 'claimed') return t.fail('not claimed')
  now = 90
  t.equal(await store.renew('a', claim.token, 100), true)
  now = 150
  t.same(await store.claim('a', 100), { status: 'in-flight' }, 'held past the first lease')
  now = 189
  t.same(await store.claim('a', 100), { status: 'in-flight' })
  now = 190
  t.equal((await store.claim('a', 100)).status, 'claimed', 'lapses a lease after the renewal')
})

t.test('renew is fenced: a stale or foreign token changes nothing', async (t) => {
  let now = 0
  const store = createMemoryStore({ now: () => now })
  const first = await store.claim('a', 100)
  if (first.status !== 'claimed') return t.fail('not claimed')
  t.equal(await store.renew('a', 'someone-else', 10_000), false, 'a foreign token is refused')
  now = 100
  const second = await store.claim('a', 100)
  if (second.status !== 'claimed') return t.fail('the foreign renew extended the lease')
  t.equal(await store.renew('a', first.token, 10_000), false, 'the old owner is refused')
  now = 199
  t.same(await store.claim('a', 100), { status: 'in-flight' })
  now = 200
  t.equal(
    (await store.claim('a', 100)).status,
    'claimed',
    "the refused renewal did not extend the new owner's lease either",
  )
})

t.test('renew and complete refuse a key that is done, and leave it done', async (t) => {
  const store = createMemoryStore()
  const claim = await store.claim('a', 100)
  if (claim.status !== 'claimed') return t.fail('not claimed')
  t.equal(await store.complete('a', claim.token, 1000), true)
  t.equal(await store.renew('a', claim.token, 100), false)
  t.equal(await store.complete('a', claim.token, 1000), false)
  t.same(await store.claim('a', 100), { status: 'done' })
})

t.test(
  "a lapsed claim nobody took over is still the owner's: renew takes it back, complete marks it done",
  async (t) => {
    let now = 0
    const store = createMemoryStore({ now: () => now })
    const first = await store.claim('a', 100)
    const second = await store.claim('b', 100)
    if (first.status !== 'claimed' || second.status !== 'claimed') return t.fail('not claimed')
    now = 500
    t.equal(await store.renew('a', first.token, 100), true)
    t.same(await store.claim('a', 100), { status: 'in-flight' }, 'held again')
    t.equal(await store.complete('b', second.token, 1000), true)
    t.same(await store.claim('b', 100), { status: 'done' }, 'no retry runs it again')
    t.equal(await store.complete('never-claimed', 'x', 1000), true, 'nobody holds it: done')
  },
)

t.test('completed keys expire after their TTL', async (t) => {
  let now = 0
  const store = createMemoryStore({ now: () => now })
  const c = await store.claim('a', 100)
  if (c.status !== 'claimed') return t.fail()
  await store.complete('a', c.token, 1000)
  now = 999
  t.same(await store.claim('a', 100), { status: 'done' })
  now = 1000
  t.equal((await store.claim('a', 100)).status, 'claimed', 'forgotten after the TTL')
  t.equal(store.size, 0, 'expired keys are swept')
})

t.test('the bound evicts the oldest completed keys and never a live claim', async (t) => {
  const store = createMemoryStore({ maxEntries: 3 })
  const live = await store.claim('live', 10_000)
  for (const key of ['k1', 'k2', 'k3', 'k4']) {
    const c = await store.claim(key, 100)
    if (c.status === 'claimed') await store.complete(key, c.token, 10_000)
  }
  t.equal(store.size, 3)
  t.equal((await store.claim('k1', 100)).status, 'claimed', 'the oldest was evicted')
  t.same(await store.claim('k4', 100), { status: 'done' })
  t.same(await store.claim('live', 100), { status: 'in-flight' })
  t.equal(live.status, 'claimed')
})

t.test('mixed TTLs: a key that expired out of order and came back stays done', async (t) => {
  let now = 0
  const store = createMemoryStore({ maxEntries: 3, now: () => now })
  const complete = (key: string, ttl: number) => claimAndComplete(store, key, ttl)
  await complete('long', 10_000)
  await complete('short', 10)
  now = 20 // 'short' expired, behind 'long' in completion order
  await complete('short', 10_000) // its first slot is now stale
  t.equal(store.size, 2)
  t.same(await store.claim('long', 100), { status: 'done' })
  t.same(await store.claim('short', 100), { status: 'done' })
  await complete('third', 10_000)
  await complete('fourth', 10_000)
  t.ok(store.size <= 3, 'the bound holds, stale slots included')
  t.same(
    await store.claim('short', 100),
    { status: 'done' },
    'the stale slot evicted nothing current',
  )
  t.same(await store.claim('fourth', 100), { status: 'done' })
})

t.test('a long run past the bound keeps exactly the newest keys', async (t) => {
  const store = createMemoryStore({ maxEntries: 1000 })
  for (let i = 0; i < 20_000; i++) {
    const c = await store.claim(`k${i}`, 100)
    if (c.status === 'claimed') await store.complete(`k${i}`, c.token, 60_000)
  }
  t.equal(store.size, 1000)
  t.same(await store.claim('k19000', 100), { status: 'done' })
  t.equal((await store.claim('k18999', 100)).status, 'claimed')
})

t.test(
  'a done key taken back after its TTL: its old slot, at the head, evicts nothing',
  async (t) => {
    let now = 0
    const store = createMemoryStore({ maxEntries: 3, now: () => now })
    const done = (key: string, ttl: number) => claimAndComplete(store, key, ttl)
    const renewed = await done('renewed', 10)
    await done('again', 10)
    now = 20 // both expired; no claim has swept them yet
    t.equal(await store.renew('renewed', renewed, 10_000), true, 'renew takes the key back')
    t.equal(await store.complete('again', 'anyone', 10_000), true, 'nobody holds it: done again')
    t.equal(await store.complete('renewed', renewed, 10_000), true, 'the full ring drops its head')
    t.equal(store.size, 2, 'each key counted once')
    t.same(await store.claim('renewed', 100), { status: 'done' }, 'its old slot deleted nothing')
    t.same(await store.claim('again', 100), { status: 'done' }, 'nor did the other one')
    await done('third', 10_000)
    await done('fourth', 10_000) // the bound: 'again' is now the oldest
    t.equal(store.size, 3)
    t.equal((await store.claim('again', 100)).status, 'claimed', 'the oldest was evicted')
    t.same(await store.claim('renewed', 100), { status: 'done' })
  },
)

t.test('an empty key is a key like any other', async (t) => {
  const store = createMemoryStore({ maxEntries: 2 })
  for (const key of ['', 'a', 'b']) {
    const c = await store.claim(key, 100)
    if (c.status === 'claimed') await store.complete(key, c.token, 60_000)
  }
  t.equal(store.size, 2)
  t.equal((await store.claim('', 100)).status, 'claimed', 'evicted as the oldest')
  t.same(await store.claim('b', 100), { status: 'done' })
})
