/**
 * The default dedupe store: one process, O(1) per operation, bounded.
 *
 * One Map holds every key the store knows: a live or lapsed claim (an object with its owner
 * token), or a completed key (its slot in the ring below, a small integer). A claim becomes done
 * by overwriting its value in place, so a delivery costs one lookup and one write to claim and
 * the same to complete, and the Map never churns a second table (measured: two Maps, claims and
 * done keys, cost a `get` more per step and a delete per completion, about a third of the
 * store's time). A ring of (key, expiry) beside it keeps completion order, so the oldest
 * completed key is evicted when the bound is reached and expired keys are swept from its head.
 * A done key that moves on (claimed or completed again once expired) empties its slot at once,
 * so an eviction deletes its key without looking it up first (one lookup of a long-cold key
 * fewer per delivery once the store is full), and the Map holds a small integer, not a boxed
 * expiry, per done key. The ring is two plain arrays of at most `maxEntries` slots rather than
 * Map iteration: V8 leaves deleted Map entries in place until it rehashes, and an iterator from
 * the front walks over every one of them (each eviction cost O(evictions)). A fixed ring also
 * keeps the heap flat once the bound is reached. Live claims are never evicted: that would let a
 * duplicate run while the first delivery is still working.
 */
import { InvalidOptionError } from './errors.js'
import { createOptionChecker } from './option-checks.js'
import type { ClaimResult, DedupeStore } from './store.js'

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Completed keys kept at most; the oldest go first. Default 100 000. */
  maxEntries?: number
  /** Clock in unix milliseconds. Default `Date.now`. */
  now?: () => number
}

interface Claim {
  token: string
  expiresAt: number
}

/**
 * The memory store. Every answer is synchronous: nothing here waits, and a promise would cost a
 * microtask per call.
 */
export interface MemoryDedupeStore extends DedupeStore {
  claim(key: string, leaseMs: number): ClaimResult
  complete(key: string, token: string, ttlMs: number): boolean
  renew(key: string, token: string, leaseMs: number): boolean
  release(key: string, token: string): boolean
  /** Completed keys held now. */
  readonly size: number
}

/** Default bound of the memory store: about 25 MB of heap at 30-character ids. */
export const DEFAULT_MAX_ENTRIES = 100_000

const check = createOptionChecker(InvalidOptionError, 'createMemoryStore')

/**
 * Creates an in-memory store. Use the Redis store when several instances receive deliveries.
 * @example await app.register(bluumWebhooks, { secret, store: createMemoryStore({ maxEntries: 10_000 }) })
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryDedupeStore {
  const given = check.knownKeys('options', options, ['maxEntries', 'now'])
  const maxEntries = check.positiveInteger(
    'maxEntries',
    given.maxEntries,
    DEFAULT_MAX_ENTRIES,
    'completed keys',
  )
  const now = check.fn('now', given.now, Date.now)
  /** key -> its claim, or the ring slot of its completion. */
  const keys = new Map<string, Claim | number>()
  /** Completed keys in `keys`, expired or not (the ring sweeps them). */
  let doneCount = 0
  // Completion order, oldest at `head`; a slot's expiry in unix ms. A slot is empty (undefined)
  // once its key moved on (it expired out of order under a shorter TTL and came back): it is
  // skipped when it reaches the head. With one TTL, as the plugin uses, no slot is ever emptied.
  const ringKeys: (string | undefined)[] = []
  const ringExpiries: number[] = []
  let head = 0
  let count = 0
  let nextToken = 0

  /** Drops the head slot, and its key from `keys` unless the slot was emptied. */
  function shift(): void {
    const key = ringKeys[head]
    if (key !== undefined) {
      keys.delete(key)
      doneCount--
      ringKeys[head] = undefined // let the key string go
    }
    head = head + 1 === maxEntries ? 0 : head + 1
    count--
  }

  /** Appends in completion order and gives the slot; a full ring first drops its oldest slot. */
  function push(key: string, expiresAt: number): number {
    if (count === maxEntries) shift()
    // Writes are always sequential modulo the bound, so the arrays never get holes.
    let slot = head + count
    if (slot >= maxEntries) slot -= maxEntries
    ringKeys[slot] = key
    ringExpiries[slot] = expiresAt
    count++
    return slot
  }

  /** A done key moves on (claimed or completed again after its expiry): its slot empties. */
  function vacate(slot: number): void {
    ringKeys[slot] = undefined
    doneCount--
  }

  /**
   * True when `token` owns `held` (the value of its key) or nobody does: not done, and no other
   * live claim. An expired claim counts as nobody's, as it does in Redis, where the key is gone
   * by then.
   */
  function mayOwn(held: Claim | number | undefined, token: string, at: number): boolean {
    if (held === undefined) return true
    if (typeof held === 'number') return ringExpiries[held]! <= at
    return held.token === token || held.expiresAt <= at
  }

  function sweepExpired(at: number): void {
    while (count > 0 && ringExpiries[head]! <= at) shift()
  }

  return {
    get size() {
      return doneCount
    },
    claim(key: string, leaseMs: number): ClaimResult {
      const at = now()
      sweepExpired(at)
      const held = keys.get(key)
      if (typeof held === 'number') {
        if (ringExpiries[held]! > at) return { status: 'done' }
        vacate(held) // expired out of FIFO order (a shorter TTL)
      } else if (held !== undefined && held.expiresAt > at) {
        return { status: 'in-flight' }
      }
      const token = String(++nextToken)
      keys.set(key, { token, expiresAt: at + leaseMs })
      return { status: 'claimed', token }
    },
    complete(key: string, token: string, ttlMs: number): boolean {
      const at = now()
      const held = keys.get(key)
      if (!mayOwn(held, token, at)) return false
      if (typeof held === 'number') vacate(held) // an expired completion, done again
      doneCount++
      keys.set(key, push(key, at + ttlMs))
      return true
    },
    renew(key: string, token: string, leaseMs: number): boolean {
      const at = now()
      const held = keys.get(key)
      if (!mayOwn(held, token, at)) return false
      if (typeof held === 'object' && held.token === token) held.expiresAt = at + leaseMs
      else {
        if (typeof held === 'number') vacate(held) // an expired completion, taken back
        keys.set(key, { token, expiresAt: at + leaseMs })
      }
      return true
    },
    release(key: string, token: string): boolean {
      const held = keys.get(key)
      if (typeof held !== 'object' || held.token !== token) return false
      keys.delete(key)
      return true
    },
  }
}
