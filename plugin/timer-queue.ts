/**
 * Many timers of one length on one Node timer: the primitive under the deadlines (deadlines.ts)
 * and the lease renewals (lease-renewal.ts).
 *
 * When every entry waits the same delay, entries fall due in the order they were added: a FIFO
 * with a single timer armed for its head replaces a `setTimeout`/`clearTimeout` pair per entry
 * (each of which allocates a timer and reprograms the event loop's timer list). A cancelled
 * entry stays where it is and is dropped when it reaches the head, so cancelling costs a flag;
 * the timer is never cleared, it expires lazily and re-arms for the oldest pending entry, if any.
 * A busy queue therefore sets about one timer per delay, not one per entry.
 *
 * The timer holds the process only while an entry is pending: with none it is unref'd (a flag on
 * the handle, no reprogramming), so an idle app exits at once.
 */

/** What the queue holds. The caller sets `due`; the queue keeps `pending`. */
export interface TimerEntry {
  /** When the entry falls due, on the queue's clock (ms). */
  due: number
  /** True from `add()` until the entry fires or is cancelled. */
  pending: boolean
}

interface TimerQueue<E extends TimerEntry> {
  /**
   * Queues `entry`, due at `entry.due`. Entries are fired from the head in the order they were
   * added, so `due` should not be earlier than that of an entry already pending: one that is
   * fires late, when the entries before it have fired.
   */
  add(entry: E): void
  /** Drops a pending entry (it never fires); does nothing to one that fired or was cancelled. */
  cancel(entry: E): void
}

/** Monotonic milliseconds: timers are measured locally, whatever happens to wall time. */
export const monotonicNow = (): number => performance.now()

/** Above this many dropped slots at the head (and half the array), the array is compacted. */
const COMPACT_AFTER = 1024

/**
 * Creates a queue whose entries are passed to `onDue` when due (with the clock reading that
 * fired them). `onDue` may add entries, to this queue too; it must not throw.
 */
export function createTimerQueue<E extends TimerEntry>(
  onDue: (entry: E, at: number) => void,
  now: () => number = monotonicNow,
): TimerQueue<E> {
  let queue: E[] = []
  let head = 0
  /** Entries pending (added, neither fired nor cancelled). */
  let pending = 0
  let timer: NodeJS.Timeout | undefined
  /** Whether `timer` currently holds the process. */
  let held = false
  let firing = false

  /** Skips the entries at the head that are no longer pending. */
  function dropSettledHead(): void {
    while (head < queue.length && !queue[head]!.pending) head++
    if (head === queue.length) {
      queue = []
      head = 0
    } else if (head > COMPACT_AFTER && head * 2 > queue.length) {
      queue = queue.slice(head)
      head = 0
    }
  }

  function arm(at: number): void {
    dropSettledHead()
    if (head === queue.length) return
    timer = setTimeout(fire, Math.max(0, queue[head]!.due - at))
    held = pending > 0
    if (!held) timer.unref()
  }

  function fire(): void {
    timer = undefined
    held = false
    const at = now()
    firing = true
    try {
      dropSettledHead()
      while (head < queue.length && queue[head]!.due <= at) {
        const entry = queue[head++]!
        if (!entry.pending) continue
        entry.pending = false
        pending--
        onDue(entry, at)
      }
    } finally {
      firing = false
    }
    arm(at)
  }

  return {
    add(entry) {
      entry.pending = true
      pending++
      queue.push(entry)
      if (firing) return // fire() arms for the head once it is done
      if (timer === undefined) arm(now())
      else if (!held) {
        // An armed timer fires no later than this entry's due time (every earlier entry's is
        // earlier), and re-arms for whatever is still pending then.
        timer.ref()
        held = true
      }
    },
    cancel(entry) {
      if (!entry.pending) return
      entry.pending = false
      pending--
      // Entries mostly end in the order they began: this keeps the queue short.
      if (queue[head] === entry) dropSettledHead()
      if (pending === 0 && held) {
        timer!.unref()
        held = false
      }
    },
  }
}
