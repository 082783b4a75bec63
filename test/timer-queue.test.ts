/**
 * The timer queue alone: entries fire in order, cancelled ones never, one Node timer serves many
 * entries, and that timer holds the process only while an entry is pending.
 */
import t from 'tap'
import { createTimerQueue, type TimerEntry } from '../plugin/timer-queue.js'

interface Named extends TimerEntry {
  name: string
}

const entry = (name: string, delayMs: number): Named => ({
  name,
  due: performance.now() + delayMs,
  pending: false,
})

const timers: NodeJS.Timeout[] = []

/** Records in `timers` the timers asked of Node while `run` runs; restores setTimeout after. */
async function countTimers<T>(run: () => Promise<T>) {
  const original = globalThis.setTimeout
  timers.length = 0
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    const timer = original(...args)
    timers.push(timer)
    return timer
  }) as typeof setTimeout
  try {
    return { result: await run(), timers: [...timers] }
  } finally {
    globalThis.setTimeout = original
  }
}

t.test('entries fire in the order they were added, each once, no earlier than due', async (t) => {
  const fired: Array<{ name: string; late: number }> = []
  let allFired!: () => void
  const done = new Promise<void>((resolve) => (allFired = resolve))
  const queue = createTimerQueue<Named>((e, at) => {
    fired.push({ name: e.name, late: at - e.due })
    if (fired.length === 3) allFired()
  })
  const entries = [entry('a', 5), entry('b', 10), entry('c', 15)]
  for (const e of entries) queue.add(e)
  await done
  t.same(
    fired.map((f) => f.name),
    ['a', 'b', 'c'],
  )
  t.ok(
    fired.every((f) => f.late >= 0),
    'none fired before its due time',
  )
  t.ok(
    entries.every((e) => !e.pending),
    'fired entries are no longer pending',
  )
})

t.test('a cancelled entry never fires; the others still do', async (t) => {
  const fired: string[] = []
  let lastFired!: () => void
  const done = new Promise<void>((resolve) => (lastFired = resolve))
  const queue = createTimerQueue<Named>((e) => {
    fired.push(e.name)
    if (e.name === 'last') lastFired()
  })
  const first = entry('first', 5)
  const middle = entry('middle', 6)
  queue.add(first)
  queue.add(middle)
  queue.add(entry('last', 10))
  queue.cancel(first)
  queue.cancel(middle)
  queue.cancel(middle) // twice is harmless
  await done
  t.same(fired, ['last'])
})

t.test('an entry may be added again from onDue, and fires again', async (t) => {
  let runs = 0
  let thirdRun!: () => void
  const done = new Promise<void>((resolve) => (thirdRun = resolve))
  const queue = createTimerQueue<Named>((e) => {
    if (++runs === 3) return thirdRun()
    e.due = performance.now() + 2
    queue.add(e)
  })
  queue.add(entry('again', 2))
  await done
  t.equal(runs, 3)
})

t.test('a thousand entries that end in time share one timer, left to expire', async (t) => {
  const { result: fired, timers } = await countTimers(async () => {
    const queue = createTimerQueue<Named>(() => t.fail('no entry was due'))
    for (let i = 0; i < 1000; i++) {
      const e = entry(`e${i}`, 60_000)
      queue.add(e)
      await Promise.resolve()
      queue.cancel(e)
    }
    return 0
  })
  t.equal(fired, 0)
  t.equal(timers.length, 1, 'one timer for a thousand entries')
  t.notOk(timers[0]!.hasRef(), 'with nothing pending, the timer does not hold the process')
  clearTimeout(timers[0])
})

t.test('the timer holds the process while an entry is pending, and only then', async (t) => {
  const { result, timers: armed } = await countTimers(async () => {
    const queue = createTimerQueue<Named>(() => {})
    const created = timers.length
    const first = entry('held', 60_000)
    queue.add(first)
    const heldWhilePending = timers[0]!.hasRef()
    queue.cancel(first)
    const heldAfterCancel = timers[0]!.hasRef()
    const second = entry('again', 60_000)
    queue.add(second)
    const heldAgain = timers[0]!.hasRef()
    queue.cancel(second)
    return { created, heldWhilePending, heldAfterCancel, heldAgain }
  })
  t.equal(result.created, 0, 'creating a queue arms nothing')
  t.ok(result.heldWhilePending, 'pending: the timer holds the process')
  t.notOk(result.heldAfterCancel, 'cancelled: it no longer does')
  t.ok(result.heldAgain, 'a new pending entry takes the same timer and holds it again')
  t.equal(armed.length, 1, 'one timer throughout')
  clearTimeout(armed[0])
})
