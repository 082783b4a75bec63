/**
 * The default dedupe store: one process, O(1) per operation, bounded.
 *
 * `done` maps each completed key to its expiry; a FIFO of (key, expiry) beside it keeps
 * completion order, so the oldest completed key is evicted when the bound is reached and
 * expired keys are swept from its head. The FIFO is two plain arrays with a moving head rather
 * than Map iteration: V8 leaves deleted Map entries in place until it rehashes, and an iterator
 * from the front walks over every one of them, which made each eviction cost O(evictions).
 * Live claims are never evicted: that would let a duplicate run while the first delivery is
 * still working.
 */
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

/** Default bound of the memory store: about 25 MB of heap at 30-character ids. */
export const DEFAULT_MAX_ENTRIES = 100_000

/** Compact the FIFO once this many slots before its head are dead. */
const COMPACT_AFTER = 4096

/**
 * Creates an in-memory store. Use the Redis store when several instances receive deliveries.
 * @example await app.register(bluumWebhooks, { secret, store: createMemoryStore({ maxEntries: 10_000 }) })
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): DedupeStore & {
  /** Completed keys held now. */
  readonly size: number
} {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
  const now = options.now ?? Date.now
  const claims = new Map<string, Claim>()
  const done = new Map<string, number>() // key -> expiresAt
  // Completion order. A slot is stale when `done` no longer holds that key with that expiry
  // (it expired and was claimed again): it is skipped when it reaches the head.
  let fifoKeys: string[] = []
  let fifoExpiries: number[] = []
  let head = 0
  let nextToken = 0

  /** Drops the head slot, and its key from `done` if the slot is still current. */
  function shift(): void {
    const key = fifoKeys[head]!
    if (done.get(key) === fifoExpiries[head]) done.delete(key)
    head++
    if (head >= COMPACT_AFTER && head * 2 >= fifoKeys.length) {
      fifoKeys = fifoKeys.slice(head)
      fifoExpiries = fifoExpiries.slice(head)
      head = 0
    }
  }

  function sweepExpired(at: number): void {
    while (head < fifoKeys.length && fifoExpiries[head]! <= at) shift()
  }

  return {
    get size() {
      return done.size
    },
    async claim(key: string, leaseMs: number): Promise<ClaimResult> {
      const at = now()
      sweepExpired(at)
      const expiresAt = done.get(key)
      if (expiresAt !== undefined) {
        if (expiresAt > at) return { status: 'done' }
        done.delete(key) // expired out of FIFO order (a shorter TTL): its slot goes stale
      }
      const held = claims.get(key)
      if (held && held.expiresAt > at) return { status: 'in-flight' }
      const token = String(++nextToken)
      claims.set(key, { token, expiresAt: at + leaseMs })
      return { status: 'claimed', token }
    },
    async complete(key: string, token: string, ttlMs: number): Promise<boolean> {
      if (claims.get(key)?.token !== token) return false
      claims.delete(key)
      const expiresAt = now() + ttlMs
      done.set(key, expiresAt)
      fifoKeys.push(key)
      fifoExpiries.push(expiresAt)
      while (done.size > maxEntries) shift()
      return true
    },
    async release(key: string, token: string): Promise<boolean> {
      if (claims.get(key)?.token !== token) return false
      claims.delete(key)
      return true
    },
  }
}
