/**
 * Group commit: items that arrive while a flush is on its way are written together by the next
 * one, in one statement and one commit. An item arriving when nothing is in flight is flushed at
 * once, so a lone delivery waits for nobody; under load a batch holds whatever came during one
 * round trip, which is what bounds the acknowledgements per second (one commit each before). Pure.
 */

interface Waiting<I, O> {
  readonly item: I
  readonly resolve: (output: O) => void
  readonly reject: (error: unknown) => void
}

export interface GroupCommit<I, O> {
  /** Resolves with this item's output once the flush that carried it is done. */
  add(item: I): Promise<O>
}

/**
 * `flush(items)` resolves with one output per item, in order, or rejects for all of them.
 * At most `maxInFlight` flushes run at once, each with at most `maxBatch` items.
 */
export function createGroupCommit<I, O>(
  flush: (items: readonly I[]) => Promise<readonly O[]>,
  { maxBatch, maxInFlight }: { maxBatch: number; maxInFlight: number },
): GroupCommit<I, O> {
  let queue: Waiting<I, O>[] = []
  let inFlight = 0

  async function send(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const outputs = await flush(batch.map((w) => w.item))
      batch.forEach((w, i) => w.resolve(outputs[i] as O))
    } catch (error) {
      for (const w of batch) w.reject(error)
    }
  }

  async function drain(): Promise<void> {
    inFlight++
    try {
      while (queue.length > 0) {
        const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch)
        queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch)
        await send(batch)
      }
    } finally {
      inFlight--
    }
  }

  return {
    add(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (inFlight < maxInFlight) void drain()
      })
    },
  }
}
