/**
 * Acknowledgement deadlines for many deliveries with one timer.
 *
 * Every delivery gets the same deadline length, so deadlines expire in the order they were set:
 * a FIFO with a single timer replaces a `setTimeout`/`clearTimeout` pair per request (each of
 * which allocates a timer and reprograms the event loop's timer list).
 *
 * The timer is never cleared when a delivery finishes in time, which is almost always: it
 * expires lazily, and when it fires it only re-arms for the oldest delivery still running, if
 * any. So a busy route sets one timer per `timeoutMs`, not one per request. While no delivery is
 * pending the timer is unref'd (a flag on the handle, no reprogramming), so an idle app exits at
 * once; while one is pending it holds the process like any timer.
 */

/** A watched piece of work: settles with its value, or with `timedOut` at the deadline. */
export interface AckDeadlines {
  /** Resolves with `work`'s value, or with `timedOut` if `work` is still running at the deadline. */
  race<T, U>(work: Promise<T>, timedOut: U): Promise<T | U>
}

interface Waiter {
  readonly deadline: number
  settled: boolean
  /** Settles the race with its timeout value. */
  readonly expire: () => void
}

/** Creates a deadline queue for `timeoutMs` on the clock `now` (monotonic ms). */
export function createAckDeadlines(
  timeoutMs: number,
  now: () => number = () => performance.now(),
): AckDeadlines {
  // Waiters in deadline order; settled ones are skipped (and dropped) when they reach `head`.
  let queue: Waiter[] = []
  let head = 0
  let pending = 0
  let timer: NodeJS.Timeout | undefined
  /** Whether `timer` currently holds the process. */
  let held = false

  function dropSettledHead(): void {
    while (head < queue.length && queue[head]!.settled) head++
    if (head === queue.length) {
      queue = []
      head = 0
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head)
      head = 0
    }
  }

  function settle(waiter: Waiter): void {
    waiter.settled = true
    pending--
    if (queue[head] === waiter) dropSettledHead()
    if (pending === 0 && held) {
      timer!.unref()
      held = false
    }
  }

  function fire(): void {
    timer = undefined
    held = false
    const at = now()
    dropSettledHead()
    while (head < queue.length && queue[head]!.deadline <= at) {
      const waiter = queue[head]!
      settle(waiter) // advances head past it
      waiter.expire()
    }
    dropSettledHead()
    if (head < queue.length) arm(queue[head]!.deadline - at)
  }

  function arm(delayMs: number): void {
    timer = setTimeout(fire, Math.max(0, delayMs))
    held = true
  }

  return {
    race(work, timedOut) {
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          deadline: now() + timeoutMs,
          settled: false,
          expire: () => resolve(timedOut),
        }
        queue.push(waiter)
        pending++
        // An armed timer fires no later than this deadline (every earlier waiter's is earlier),
        // and re-arms for whatever is still pending then.
        if (timer === undefined) arm(timeoutMs)
        else if (!held) {
          timer.ref()
          held = true
        }
        work.then(
          (value) => {
            if (!waiter.settled) settle(waiter)
            resolve(value)
          },
          (error: unknown) => {
            if (!waiter.settled) settle(waiter)
            reject(error)
          },
        )
      })
    },
  }
}
