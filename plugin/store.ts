/**
 * The dedupe store contract.
 *
 * A delivery is claimed before any handler runs, completed only after every handler succeeded,
 * and released when one failed, so an event is never marked processed before it was. Claims
 * carry an owner token: a claim whose lease expired and was taken over by a retry can neither
 * complete nor release the new owner's claim (fencing).
 */

/** The outcome of {@link DedupeStore.claim}. */
export type ClaimResult =
  /** Nobody holds the key (or the previous lease expired): the caller owns it now. */
  | { readonly status: 'claimed'; readonly token: string }
  /** Another delivery of the same event holds a live lease. */
  | { readonly status: 'in-flight' }
  /** The event was processed already, within the dedupe TTL. */
  | { readonly status: 'done' }

/** Where deliveries are claimed and recorded. Every method may reject when the store is down. */
export interface DedupeStore {
  /** Atomically claims `key` for `leaseMs` milliseconds unless it is held or done. */
  claim(key: string, leaseMs: number): Promise<ClaimResult>
  /** Marks `key` done for `ttlMs` if `token` still owns it; resolves false if it lost the key. */
  complete(key: string, token: string, ttlMs: number): Promise<boolean>
  /** Drops the claim on `key` if `token` still owns it, so a retry runs again. */
  release(key: string, token: string): Promise<boolean>
  /** Frees what the store itself created; called by the plugin's `onClose`. */
  close?(): Promise<void>
}
