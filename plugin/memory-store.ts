/**
 * The default dedupe store: one process, O(1) per operation, bounded.
 *
 * Two insertion-ordered maps keep it O(1): `claims` holds live leases, `done` holds completed
 * keys in completion order, so the oldest completed key is always the first one (evicted when
 * the bound is reached, or swept when its TTL has passed). Live claims are never evicted: that
 * would let a duplicate run while the first delivery is still working.
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

/** Default bound of the memory store: about 15 MB of heap. */
export const DEFAULT_MAX_ENTRIES = 100_000

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
  let nextToken = 0

  function sweepExpired(at: number): void {
    // Completed keys share one TTL, so the front of `done` expires first; stop at the first live.
    for (const [key, expiresAt] of done) {
      if (expiresAt > at) break
      done.delete(key)
    }
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
        done.delete(key)
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
      done.delete(key) // keep completion order
      done.set(key, now() + ttlMs)
      if (done.size > maxEntries) done.delete(done.keys().next().value as string)
      return true
    },
    async release(key: string, token: string): Promise<boolean> {
      if (claims.get(key)?.token !== token) return false
      claims.delete(key)
      return true
    },
  }
}
