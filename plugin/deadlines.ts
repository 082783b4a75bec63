/**
 * Deadlines of one length for many pieces of work, on one timer (timer-queue.ts): the plugin's
 * one way to race work against a timer. The pipeline races a delivery's handlers against the
 * acknowledgement deadline (503 when they run longer), the Redis store a command against its
 * `commandTimeoutMs`, and an inbox may race its own work the same way.
 *
 * Work that ends in time, which is almost always, costs a queue slot and no timer of its own.
 */
import { createTimerQueue, monotonicNow } from './timer-queue.js'

/** Races work against the deadline. */
interface Deadlines {
  /** Resolves with `work`'s value, or with `timedOut` if `work` is still running at the deadline. */
  race<T, U>(work: Promise<T>, timedOut: U): Promise<T | U>
}

interface Waiter {
  due: number
  pending: boolean
  /** Settles the race with its timeout value. */
  readonly expire: () => void
}

/**
 * Creates the deadlines of `timeoutMs` on the clock `now` (monotonic ms).
 * @example
 * const deadlines = createDeadlines(10_000)
 * const outcome = await deadlines.race(runHandlers(), TIMED_OUT)
 */
export function createDeadlines(timeoutMs: number, now: () => number = monotonicNow): Deadlines {
  const queue = createTimerQueue<Waiter>((waiter) => waiter.expire(), now)
  return {
    race(work, timedOut) {
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          due: now() + timeoutMs,
          pending: false,
          expire: () => resolve(timedOut),
        }
        queue.add(waiter)
        work.then(
          (value) => {
            queue.cancel(waiter)
            resolve(value)
          },
          (error: unknown) => {
            queue.cancel(waiter)
            reject(error)
          },
        )
      })
    },
  }
}
