/**
 * The dedupe store contract.
 *
 * A delivery is claimed before any handler runs, completed only after every handler succeeded,
 * and released when one failed, so an event is never marked processed before it was. Claims
 * carry an owner token: a claim whose lease expired and was taken over by a retry can neither
 * renew, complete nor release the new owner's claim (fencing).
 *
 * A lapsed claim that nobody took over still counts as the caller's: `renew` takes it back and
 * `complete` marks the event done. That is safe (no other delivery holds or finished the event)
 * and it spares a second run of handlers that already succeeded, e.g. after the store restarted
 * and lost or expired the claim while the completion was being retried.
 */

/** The outcome of {@link DedupeStore.claim}. */
export type ClaimResult =
  /** Nobody holds the key (or the previous lease expired): the caller owns it now. */
  | { readonly status: 'claimed'; readonly token: string }
  /** Another delivery of the same event holds a live lease. */
  | { readonly status: 'in-flight' }
  /** The event was processed already, within the dedupe TTL. */
  | { readonly status: 'done' }

/**
 * What a store method gives: a value, or a promise of it. A store in this process (the memory
 * store) answers synchronously, so a delivery whose handlers are synchronous too runs without a
 * promise or a microtask; a store across the network answers with a promise.
 */
export type MaybePromise<T> = T | Promise<T>

/**
 * Where deliveries are claimed and recorded. Every method may reject (or throw) when the store
 * is down.
 */
export interface DedupeStore {
  /** Atomically claims `key` for `leaseMs` milliseconds unless it is held or done. */
  claim(key: string, leaseMs: number): MaybePromise<ClaimResult>
  /**
   * Marks `key` done for `ttlMs` if `token` owns it or nobody does; resolves false, changing
   * nothing, when another delivery holds a live claim on it or it is done already.
   */
  complete(key: string, token: string, ttlMs: number): MaybePromise<boolean>
  /**
   * Extends the claim to `leaseMs` from now if `token` owns it or nobody does; resolves false,
   * changing nothing, when another delivery holds a live claim on it or it is done.
   * Optional for a store of your own: without it a handler that runs longer than the lease loses
   * its claim, and a retry after the lease runs the handlers a second time.
   */
  renew?(key: string, token: string, leaseMs: number): MaybePromise<boolean>
  /** Drops the claim on `key` if `token` still owns it, so a retry runs again. */
  release(key: string, token: string): MaybePromise<boolean>
  /** Frees what the store itself created; called by the plugin's `onClose`. */
  close?(): Promise<void>
}
