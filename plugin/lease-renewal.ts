/**
 * Keeps the claims of running deliveries alive, for many deliveries with one timer.
 *
 * A claim is renewed every third of its lease while its handlers run, so a handler that outlives
 * `leaseMs` keeps it and a retry meets 409 instead of running the handlers a second time; a
 * failed renewal is tried again a third of a lease later, still before the lease ends. Every claim has the same
 * lease, so renewals fall due in the order the claims were taken (or last renewed): a FIFO with
 * one timer armed for its head, as in ack-deadline.ts. (Claims that resolve out of order are off
 * by a store round trip at most: such a renewal comes that much late, well inside the lease.)
 * A delivery that finishes before its first renewal is due (the common case) costs one queue slot,
 * dropped as soon as the deliveries before it are done, and no timer or store call of its own.
 */
import type { HandlerLogger } from './router.js'
import type { DedupeStore } from './store.js'

/** A claim being kept alive. Read `expiresAt`; hand it back to {@link LeaseRenewals.stop}. */
export interface HeldLease {
  readonly key: string
  readonly token: string
  /** When the claim lapses unless renewed, on the monotonic clock; taken before the store call. */
  readonly expiresAt: number
}

export interface LeaseRenewals {
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
  stopped: boolean
}

/** Creates the renewal queue of one plugin instance. `now` is a monotonic clock in ms. */
export function createLeaseRenewals(
  store: DedupeStore,
  leaseMs: number,
  now: () => number = () => performance.now(),
): LeaseRenewals {
  const intervalMs = leaseMs / 3
  let queue: Entry[] = []
  let head = 0
  let timer: NodeJS.Timeout | undefined
  // Claims held and not stopped. ref()/unref() on the timer follow it: flipping a flag costs far
  // less than the setTimeout/clearTimeout pair it replaces.
  let held = 0

  function enqueue(entry: Entry): void {
    queue.push(entry)
    if (timer === undefined) arm()
  }

  /** Skips stopped entries at the head; the queue only holds what followed the oldest running one. */
  function trim(): void {
    while (head < queue.length && queue[head]!.stopped) head++
    if (head === queue.length) {
      queue.length = 0
      head = 0
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head)
      head = 0
    }
  }

  function arm(): void {
    trim()
    if (head === queue.length) return
    // Never cleared when deliveries finish (that would be a timer pair per delivery): under a
    // stream of quick deliveries it fires about once per third of a lease, finds nothing due and
    // re-arms for the oldest running claim. It only keeps the process alive while a claim is
    // held, so an idle app exits at once.
    timer = setTimeout(fire, Math.max(0, queue[head]!.due - now()))
    if (held === 0) timer.unref()
  }

  function fire(): void {
    timer = undefined
    const at = now()
    while (head < queue.length && (queue[head]!.stopped || queue[head]!.due <= at)) {
      const entry = queue[head++]!
      if (!entry.stopped) renew(entry, at)
    }
    arm()
  }

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
          enqueue(entry)
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
        enqueue(entry)
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
        stopped: false,
      }
      if (held++ === 0) timer?.ref()
      enqueue(entry)
      return entry
    },
    finished(key, token, claimedAt) {
      const entry: Entry = {
        key,
        token,
        log: undefined,
        expiresAt: claimedAt + leaseMs,
        due: Infinity,
        stopped: true,
      }
      return entry
    },
    stop(lease) {
      const entry = lease as Entry
      if (entry.stopped) return
      entry.stopped = true
      entry.log = undefined
      if (--held === 0) timer?.unref()
      // Deliveries mostly end in the order they began: this keeps the queue short.
      if (queue[head] === entry) trim()
    },
  }
}
