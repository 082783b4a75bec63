/**
 * Acknowledgement deadlines for many deliveries with one timer.
 *
 * Every delivery gets the same deadline length, so deadlines expire in the order they were set:
 * a FIFO with a single timer armed for its head replaces a `setTimeout`/`clearTimeout` pair per
 * request (each of which reprograms the event loop's timer, a syscall on a busy route).
 */

/** A watched piece of work: settles with its value, or with `timedOut` at the deadline. */
export interface AckDeadlines {
  /** Resolves with `work`'s value, or with `timedOut` if `work` is still running at the deadline. */
  race<T, U>(work: Promise<T>, timedOut: U): Promise<T | U>
}

interface Waiter {
  deadline: number
  settled: boolean
  expire: () => void
}

/** Creates a deadline queue for `timeoutMs` on the clock `now` (monotonic ms). */
export function createAckDeadlines(
  timeoutMs: number,
  now: () => number = () => performance.now(),
): AckDeadlines {
  let queue: Waiter[] = []
  let head = 0
  let timer: NodeJS.Timeout | undefined
  let pending = 0

  function arm(): void {
    while (head < queue.length && queue[head]!.settled) head++
    if (head === queue.length) {
      queue = []
      head = 0
      return
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head)
      head = 0
    }
    timer = setTimeout(fire, Math.max(0, queue[head]!.deadline - now()))
  }

  /** One waiter settled; when none is left, the timer goes (it must not hold the process). */
  function settle(waiter: Waiter): void {
    waiter.settled = true
    if (--pending === 0 && timer !== undefined) {
      clearTimeout(timer)
      timer = undefined
      queue = []
      head = 0
    }
  }

  function fire(): void {
    timer = undefined
    const at = now()
    while (head < queue.length && (queue[head]!.settled || queue[head]!.deadline <= at)) {
      const waiter = queue[head++]!
      if (!waiter.settled) {
        settle(waiter)
        waiter.expire()
      }
    }
    arm()
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
        if (timer === undefined) arm()
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
