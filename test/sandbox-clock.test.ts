/** The virtual clock: durations, ordered timers, and awaiting the work they start. */
import t from 'tap'
import { createClock, parseDuration } from '../mock-server/index.js'

t.test('parses durations as numbers and unit strings', async (t) => {
  const table: [string | number, number][] = [
    [0, 0],
    [1500, 1500],
    ['250', 250],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
  ]
  for (const [input, ms] of table) t.equal(parseDuration(input), ms, String(input))
  for (const bad of ['', '2x', 'h', '1h 30m', -1, Number.NaN]) {
    t.throws(() => parseDuration(bad), { code: 'BLUUM_SANDBOX_INVALID_DURATION' }, String(bad))
  }
})

t.test('advance fires due timers in time order, at their own time', async (t) => {
  const clock = createClock({ startMs: 0 })
  const seen: [string, number][] = []
  clock.setTimer(3000, () => seen.push(['c', clock.now()]))
  clock.setTimer(1000, () => seen.push(['a', clock.now()]))
  clock.setTimer(1000, () => seen.push(['b', clock.now()]))
  clock.setTimer(9000, () => seen.push(['late', clock.now()]))
  t.equal(await clock.advance('5s'), 5000)
  t.same(seen, [
    ['a', 1000],
    ['b', 1000],
    ['c', 3000],
  ])
  t.equal(clock.pendingTimers(), 1)
})

t.test(
  'advance awaits async work and fires timers that work schedules within the window',
  async (t) => {
    const clock = createClock({ startMs: 0 })
    const seen: number[] = []
    clock.setTimer(1000, async () => {
      await new Promise((r) => setTimeout(r, 5))
      seen.push(clock.now())
      clock.setTimer(1000, () => seen.push(clock.now()))
    })
    await clock.advance(2500)
    t.same(seen, [1000, 2000])
  },
)

t.test('settle rethrows the first error of tracked work', async (t) => {
  const clock = createClock({ startMs: 0 })
  clock.track(Promise.reject(new Error('boom')))
  await t.rejects(clock.settle(), { message: 'boom' })
  await clock.settle()
})

t.test('a real clock runs faster with timeScale and can be advanced', async (t) => {
  const clock = createClock({ kind: 'real', timeScale: 1000 })
  const fired = new Promise<number>((resolve) => clock.setTimer(60_000, () => resolve(Date.now())))
  const start = Date.now()
  await fired
  t.ok(Date.now() - start < 1000, 'one sandbox minute took well under a second')
  let ran = false
  clock.setTimer(3_600_000, () => (ran = true))
  await clock.advance('1h')
  t.ok(ran)
})
