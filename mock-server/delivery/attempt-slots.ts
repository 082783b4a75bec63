/**
 * How many delivery attempts may be on the wire at once. Attempts beyond the bound wait in the
 * order they were asked for (first in, first out), so attempts to one endpoint start in the order
 * they fell due, and a clock advance that makes 500 retries due at once sends them 64 at a time
 * instead of one by one (or all 500 at a receiver that cannot take them).
 */

export interface AttemptSlots {
  /** Runs `task` once a slot is free, in call order; the slot is freed when it settles. */
  run<T>(task: () => Promise<T>): Promise<T>
  /** Tasks running now. */
  readonly active: number
  /** Tasks waiting for a slot. */
  readonly waiting: number
}

/** Creates `max` slots (an integer >= 1). */
export function createAttemptSlots(max: number): AttemptSlots {
  let active = 0
  // A queue with a moving head: `shift()` on a long array is O(n) per call.
  let queue: (() => void)[] = []
  let head = 0

  function release(): void {
    if (head < queue.length) {
      const next = queue[head]!
      queue[head++] = undefined as never
      if (head >= 1024 && head * 2 >= queue.length) {
        queue = queue.slice(head)
        head = 0
      }
      // The slot passes straight to the next task: `active` stays as it is.
      next()
      return
    }
    queue = []
    head = 0
    active -= 1
  }

  /** Runs `task` in the slot just taken; the slot is released when it settles. */
  function start<T>(task: () => Promise<T>): Promise<T> {
    let running: Promise<T>
    try {
      running = task()
    } catch (error) {
      release()
      return Promise.reject(error)
    }
    return running.then(
      (value) => {
        release()
        return value
      },
      (error: unknown) => {
        release()
        throw error
      },
    )
  }

  return {
    run(task) {
      if (active < max) {
        active += 1
        return start(task)
      }
      return new Promise<void>((resolve) => queue.push(resolve)).then(() => start(task))
    },
    get active() {
      return active
    },
    get waiting() {
      return queue.length - head
    },
  }
}
