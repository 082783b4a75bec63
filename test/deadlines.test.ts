import t from 'tap'
import { createDeadlines } from '../plugin/deadlines.js'

const TIMED_OUT = Symbol('timed out')
const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(r, ms, value))
/**
 * Work that ends before any timer can fire, whatever the machine's load: it settles in a
 * microtask, and Node runs none of its timers until those are done. A 1 ms timer raced against a
 * 20 ms deadline lost once on a busy CI runner.
 */
const endsFirst = <T>(value: T) => Promise.resolve().then(() => value)

t.test('work that ends in time wins the race with its value', async (t) => {
  const deadlines = createDeadlines(1000)
  t.equal(await deadlines.race(Promise.resolve(7), TIMED_OUT), 7)
  t.equal(await deadlines.race(later(5, 'x'), TIMED_OUT), 'x')
})

t.test('work still running at the deadline gets the timeout value, in order', async (t) => {
  const deadlines = createDeadlines(20)
  const never = new Promise<string>(() => {})
  const results = await Promise.all([
    deadlines.race(never, 'first'),
    deadlines.race(endsFirst('quick'), 'late'),
    deadlines.race(never, 'second'),
  ])
  t.same(results, ['first', 'quick', 'second'])
})

t.test('deadlines added after a quiet period still fire (the timer re-arms)', async (t) => {
  const deadlines = createDeadlines(10)
  t.equal(await deadlines.race(new Promise<never>(() => {}), TIMED_OUT), TIMED_OUT)
  await later(15, null)
  t.equal(await deadlines.race(new Promise<never>(() => {}), TIMED_OUT), TIMED_OUT)
  t.equal(await deadlines.race(Promise.resolve('ok'), TIMED_OUT), 'ok')
})

t.test('a rejection passes through', async (t) => {
  const deadlines = createDeadlines(1000)
  await t.rejects(deadlines.race(Promise.reject(new Error('boom')), TIMED_OUT), { message: 'boom' })
})

t.test(
  'thousands of settled waiters are compacted, and the next deadline still fires',
  async (t) => {
    const deadlines = createDeadlines(30)
    await Promise.all(
      Array.from({ length: 5000 }, (_, i) => deadlines.race(Promise.resolve(i), -1)),
    )
    t.equal(await deadlines.race(new Promise<never>(() => {}), TIMED_OUT), TIMED_OUT)
  },
)

t.test('an armed deadline does not keep the process alive', async (t) => {
  const { spawnSync } = await import('node:child_process')
  const script = `
    import { createDeadlines } from ${JSON.stringify(new URL('../plugin/deadlines.ts', import.meta.url).href)}
    const deadlines = createDeadlines(60_000)
    await deadlines.race(Promise.resolve(1), 0)
    const started = Date.now()
    process.on('exit', () => process.stdout.write(String(Date.now() - started < 30_000)))
  `
  const result = spawnSync(
    process.execPath,
    ['--import=tsx', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  )
  t.equal(result.stdout, 'true', 'the process exits without waiting for the 60 s deadline')
})

t.test('deliveries that finish in time arm no timer of their own', async (t) => {
  // Counts the timers this module asks Node for; restored before anything else runs.
  const original = globalThis.setTimeout
  let armed = 0
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    armed++
    return original(...args)
  }) as typeof setTimeout
  t.teardown(() => {
    globalThis.setTimeout = original
  })
  const deadlines = createDeadlines(60_000)
  let sum = 0
  for (let i = 0; i < 1000; i++) sum += await deadlines.race(Promise.resolve(i), -1)
  globalThis.setTimeout = original
  t.equal(sum, 499_500, 'every delivery won its race')
  t.equal(armed, 1, 'one timer for a thousand deliveries, left to expire on its own')
})

t.test('after a burst of quick deliveries, a stuck one still times out', async (t) => {
  const deadlines = createDeadlines(20)
  for (let i = 0; i < 100; i++) await deadlines.race(Promise.resolve(i), -1)
  const never = new Promise<string>(() => {})
  t.same(
    await Promise.all([deadlines.race(never, 'late'), deadlines.race(endsFirst('quick'), 'x')]),
    ['late', 'quick'],
  )
})

t.test('a timer left armed by finished deliveries does not keep the process alive', async (t) => {
  const { spawnSync } = await import('node:child_process')
  const script = `
    import { createDeadlines } from ${JSON.stringify(new URL('../plugin/deadlines.ts', import.meta.url).href)}
    const deadlines = createDeadlines(60_000)
    const later = (ms, v) => new Promise((r) => setTimeout(r, ms, v))
    await Promise.all([deadlines.race(later(5, 1), 0), deadlines.race(later(10, 2), 0)])
    await deadlines.race(Promise.resolve(3), 0)
    const started = Date.now()
    process.on('exit', () => process.stdout.write(String(Date.now() - started < 30_000)))
  `
  const result = spawnSync(
    process.execPath,
    ['--import=tsx', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  )
  t.equal(result.stdout, 'true', 'the process exits without waiting for the 60 s deadline')
})
