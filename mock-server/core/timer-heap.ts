/**
 * The clock's pending timers: a binary min-heap on (due time, scheduling order), so taking the
 * next due timer is O(log n) however many retries and settlements wait, and cancelling is O(1)
 * (the entry is forgotten by id and skipped when it reaches the top).
 */

/** One scheduled callback. */
export interface HeapTimer {
  readonly id: number
  /** Sandbox ms at which it is due. */
  readonly at: number
  /** Scheduling order: among timers due at the same ms, the earlier scheduled runs first. */
  readonly seq: number
}

export interface TimerHeap<T extends HeapTimer> {
  /** Live (not taken, not cancelled) timers. */
  readonly size: number
  push(timer: T): void
  /** The earliest live timer, left in place. */
  peek(): T | undefined
  /** Removes and returns the earliest live timer. */
  pop(): T | undefined
  /** Forgets a timer; false when it was not pending (already taken or cancelled). */
  cancel(id: number): boolean
  clear(): void
}

const before = (a: HeapTimer, b: HeapTimer) => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/** Creates an empty heap. */
export function createTimerHeap<T extends HeapTimer>(): TimerHeap<T> {
  let items: T[] = []
  const live = new Map<number, T>()

  function up(index: number): void {
    const item = items[index]!
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (!before(item, items[parent]!)) break
      items[index] = items[parent]!
      index = parent
    }
    items[index] = item
  }

  function down(index: number): void {
    const item = items[index]!
    const length = items.length
    for (;;) {
      const left = 2 * index + 1
      if (left >= length) break
      const right = left + 1
      const child = right < length && before(items[right]!, items[left]!) ? right : left
      if (!before(items[child]!, item)) break
      items[index] = items[child]!
      index = child
    }
    items[index] = item
  }

  function removeTop(): T {
    const top = items[0]!
    const last = items.pop()!
    if (items.length > 0) {
      items[0] = last
      down(0)
    }
    return top
  }

  /** Drops cancelled entries from the top, so the top is live (or the heap empty). */
  function prune(): void {
    while (items.length > 0 && live.get(items[0]!.id) !== items[0]) removeTop()
  }

  return {
    get size() {
      return live.size
    },
    push(timer) {
      live.set(timer.id, timer)
      items.push(timer)
      up(items.length - 1)
    },
    peek() {
      prune()
      return items[0]
    },
    pop() {
      prune()
      if (items.length === 0) return undefined
      const top = removeTop()
      live.delete(top.id)
      return top
    },
    cancel(id) {
      const removed = live.delete(id)
      // Cancelled entries are skipped lazily; rebuild once they outnumber the live ones, so a
      // sandbox that cancels most of what it schedules does not keep them all.
      if (removed && items.length > 64 && items.length > 2 * live.size) {
        items = [...live.values()]
        for (let i = (items.length >> 1) - 1; i >= 0; i--) down(i)
      }
      return removed
    },
    clear() {
      items = []
      live.clear()
    },
  }
}
