/**
 * Keeps the claims of running deliveries alive, for many deliveries on one timer (timer-queue.ts).
 *
 * A claim is renewed every third of its lease while its handlers run, so a handler that outlives
 * `leaseMs` keeps it and a retry meets 409 instead of running the handlers a second time; a
 * failed renewal is tried again a third of a lease later, still before the lease ends. Every
 * claim has the same lease, so renewals fall due in the order the claims were taken (or last
 * renewed), which is the timer queue's order. (Claims that resolve out of order are off by a
 * store round trip at most: such a renewal comes that much late, well inside the lease.)
 * A delivery that finishes before its first renewal is due (the common case) costs one queue
 * slot, dropped as soon as the deliveries before it are done, and no timer or store call of its
 * own.
 */
import type { DedupeStore } from './store.js'
import { createTimerQueue, monotonicNow } from './timer-queue.js'
import type { HandlerLogger } from './types.js'

/** A claim being kept alive. Read `expiresAt`; hand it back to {@link LeaseRenewals.stop}. */
export interface HeldLease {
  readonly key: string
  readonly token: string
  /** When the claim lapses unless renewed, on the monotonic clock; taken before the store call. */
  readonly expiresAt: number
}

interface LeaseRenewals {
  /** Starts renewing a claim just taken; `claimedAt` is when the claim was sent (monotonic ms). */
  hold(key: string, token: string, log: HandlerLogger, claimedAt: number): HeldLease
  /**
   * The lease of a claim whose handlers have already returned: nothing to renew, so it is never
   * queued, and `stop` on it does nothing. The completion still reads its `expiresAt`.
   */
  finished(key: string, token: string, claimedAt: number): HeldLease
  /** Stops renewing; call before completing or releasing, so no renewal can follow them. */
  stop(lease: HeldLease): void
}

interface Entry {
  key: string
  token: string
  /** Dropped on stop: a stopped entry may wait in the queue, and must not keep a request's logger. */
  log: HandlerLogger | undefined
  expiresAt: number
  /** When the next renewal is due (monotonic ms). */
  due: number
  /** In the timer queue, waiting for its next renewal. */
  pending: boolean
  stopped: boolean
}

/** Creates the renewal queue of one plugin instance. `now` is a monotonic clock in ms. */
export function createLeaseRenewals(
  store: DedupeStore,
  leaseMs: number,
  now: () => number = monotonicNow,
): LeaseRenewals {
  const intervalMs = leaseMs / 3
  const queue = createTimerQueue<Entry>(renew, now)

  function renew(entry: Entry, sentAt: number): void {
    const { key, token } = entry
    const log = entry.log!
    if (store.renew === undefined) {
      // A store of the user's own without renew(): say once what that costs, then let it lapse.
      log.warn(
        { deliveryId: key, leaseMs },
        'bluum handlers still running and the store has no renew(): the claim lapses after leaseMs, and a retry then runs the handlers again',
      )
      return
    }
    let renewal: Promise<boolean>
    try {
      // Rare (a third of a lease into a running handler): a promise whatever the store answers.
      renewal = Promise.resolve(store.renew(key, token, leaseMs))
    } catch (error) {
      renewal = Promise.reject(error)
    }
    renewal.then(
      (owned) => {
        if (entry.stopped) return
        if (owned) {
          entry.expiresAt = sentAt + leaseMs
          entry.due = now() + intervalMs
          queue.add(entry)
          return
        }
        // The handlers keep running (they cannot be stopped from here); the completion that
        // follows is fenced and will be refused.
        log.warn(
          { deliveryId: key },
          'bluum claim lost while its handlers run: another delivery took it over or completed it, so the handlers may have run twice',
        )
      },
      (err: unknown) => {
        if (entry.stopped) return
        log.warn({ err, deliveryId: key }, 'bluum claim not renewed; trying again')
        entry.due = now() + intervalMs
        queue.add(entry)
      },
    )
  }

  return {
    hold(key, token, log, claimedAt) {
      const entry: Entry = {
        key,
        token,
        log,
        expiresAt: claimedAt + leaseMs,
        due: claimedAt + intervalMs,
        pending: false,
        stopped: false,
      }
      queue.add(entry)
      return entry
    },
    finished(key, token, claimedAt) {
      return { key, token, expiresAt: claimedAt + leaseMs }
    },
    stop(lease) {
      const entry = lease as Entry
      if (entry.stopped !== false) return // already stopped, or a finished() lease
      entry.stopped = true
      entry.log = undefined
      queue.cancel(entry)
    },
  }
}
