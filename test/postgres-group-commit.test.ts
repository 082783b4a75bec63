/**
 * Group commit (plugin/postgres/group-commit.ts), pure: a lone item is flushed at once, items
 * that arrive while a flush is on its way go together in the next one, a batch never exceeds its
 * bound, and a failed flush fails its own items only.
 */
import t from 'tap'
import { createGroupCommit } from '../plugin/postgres/group-commit.js'

/** A flush the test settles by hand, recording each batch. */
function manualFlush() {
  const batches: number[][] = []
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = []
  const flush = (items: readonly number[]) => {
    batches.push([...items])
    return new Promise<number[]>((resolve, reject) =>
      pending.push({ resolve: () => resolve(items.map((i) => i * 10)), reject }),
    )
  }
  return { batches, pending, flush }
}

t.test('a lone item is flushed at once, alone', async (t) => {
  const { batches, pending, flush } = manualFlush()
  const group = createGroupCommit(flush, { maxBatch: 10, maxInFlight: 1 })
  const answer = group.add(1)
  t.same(batches, [[1]], 'sent before anything else happens')
  pending.shift()!.resolve()
  t.equal(await answer, 10)
})

t.test('items arriving during a flush go together in the next, up to maxBatch', async (t) => {
  const { batches, pending, flush } = manualFlush()
  const group = createGroupCommit(flush, { maxBatch: 3, maxInFlight: 1 })
  const answers = [1, 2, 3, 4, 5, 6].map((i) => group.add(i))
  t.same(batches, [[1]], 'one flush in flight: the others wait')
  pending.shift()!.resolve()
  await new Promise((resolve) => setImmediate(resolve))
  t.same(batches, [[1], [2, 3, 4]], 'the next batch holds what came meanwhile, at most 3')
  pending.shift()!.resolve()
  await new Promise((resolve) => setImmediate(resolve))
  t.same(batches, [[1], [2, 3, 4], [5, 6]])
  pending.shift()!.resolve()
  t.same(await Promise.all(answers), [10, 20, 30, 40, 50, 60], 'each its own output')
})

t.test('a failed flush rejects its own items; the next batch still runs', async (t) => {
  const { batches, pending, flush } = manualFlush()
  const group = createGroupCommit(flush, { maxBatch: 10, maxInFlight: 1 })
  const first = group.add(1)
  const later = [group.add(2), group.add(3)]
  pending.shift()!.reject(new Error('connection lost'))
  await t.rejects(first, { message: 'connection lost' })
  await new Promise((resolve) => setImmediate(resolve))
  t.same(batches, [[1], [2, 3]])
  pending.shift()!.resolve()
  t.same(await Promise.all(later), [20, 30])
})

t.test('maxInFlight flushes run at once', async (t) => {
  const { batches, pending, flush } = manualFlush()
  const group = createGroupCommit(flush, { maxBatch: 10, maxInFlight: 2 })
  const answers = [group.add(1), group.add(2), group.add(3)]
  t.same(batches, [[1], [2]], 'two flushes, one item each, started at once')
  pending.shift()!.resolve()
  pending.shift()!.resolve()
  await new Promise((resolve) => setImmediate(resolve))
  t.same(batches, [[1], [2], [3]])
  pending.shift()!.resolve()
  t.same(await Promise.all(answers), [10, 20, 30])
})
