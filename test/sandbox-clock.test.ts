/** The virtual clock: durations, ordered timers, and awaiting the work they start. */
import t from 'tap'
import { createClock, parseDuration, sandboxErrors } from '../mock-server/index.js'

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

/** A retry ladder in miniature: each run waits (async work) then re-arms the next wait. */
function ladder(clock: ReturnType<typeof createClock>, waitsMs: number[]) {
  const ran: number[] = []
  const attempt = async (n: number): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, 2))
    ran.push(clock.now())
    const wait = waitsMs[n]
    if (wait !== undefined) clock.setTimer(wait, () => attempt(n + 1))
  }
  return { ran, start: () => clock.track(attempt(0)) }
}

const bluumWaits = [60_000, 300_000, 1_800_000, 7_200_000, 28_800_000]

for (const kind of ['virtual', 'real'] as const) {
  t.test(
    `${kind} clock: one 11h advance runs a whole retry ladder, each attempt at its own time`,
    async (t) => {
      const clock = createClock({ kind, startMs: 1_000_000_000_000 })
      t.teardown(() => clock.stop())
      const { ran, start } = ladder(clock, bluumWaits)
      start()
      await clock.settle()
      const from = ran[0]!
      await clock.advance('11h')
      t.equal(ran.length, 6, 'six attempts in one advance')
      const offsets = ran.map((at) => at - from)
      // A real clock keeps running while the work runs: each attempt at its due time, or a moment later.
      const due = [0, 1, 6, 36, 156, 636].map((m) => m * 60_000)
      offsets.forEach((offset, i) => {
        t.ok(offset >= due[i]! && offset - due[i]! < 60_000, `attempt ${i + 1} at +${offset} ms`)
      })
      t.ok(clock.now() >= from + 11 * 3_600_000, 'the clock ends at the advanced time')
      t.equal(clock.pendingTimers(), 0)
    },
  )
}

t.test('runNext and runAll run timers in order and stop at the last one', async (t) => {
  const clock = createClock({ startMs: 0 })
  const seen: string[] = []
  clock.setTimer(5000, () => seen.push('b'))
  clock.setTimer(1000, () => {
    seen.push('a')
    clock.setTimer(10_000, () => seen.push('c'))
  })
  clock.setTimer(3_600_000, () => seen.push('late'))
  t.equal(await clock.runNext(500), false, 'nothing due before 500 ms')
  t.equal(clock.now(), 0)
  t.equal(await clock.runNext(60_000), true)
  t.same(seen, ['a'])
  t.equal(clock.now(), 1000)
  t.equal(await clock.runAll({ within: '1m' }), 2)
  t.same(seen, ['a', 'b', 'c'])
  t.equal(clock.now(), 11_000, 'time stops at the last timer run, not at the limit')
  t.equal(clock.pendingTimers(), 1)
})

t.test('an advance above the bound is a 400 BLUM code, and the clock is unchanged', async (t) => {
  const clock = createClock({ startMs: 0 })
  let ran = false
  clock.setTimer(1000, () => (ran = true))
  const invalid = new sandboxErrors.ValidationError('x').code
  t.match(invalid, /^BLUM-400-\d{3}$/)
  for (const duration of ['31d', 30 * 86_400_000 + 1, '100000000d']) {
    await t.rejects(
      clock.advance(duration),
      { code: invalid, statusCode: 400, param: 'duration', message: /at most 2592000000 ms/ },
      String(duration),
    )
  }
  t.equal(clock.now(), 0)
  t.notOk(ran, 'no timer ran')
  t.equal(await clock.advance('30d'), 30 * 86_400_000, 'the bound itself is allowed')
  t.ok(ran)
  t.equal(new Date(clock.now()).toISOString(), '1970-01-31T00:00:00.000Z')
})

t.test('reset drops timers and brings the clock back where it started', async (t) => {
  const pinned = createClock({ startMs: 1_000 })
  await pinned.advance('5h')
  pinned.setTimer(10, () => t.fail('a reset timer must not run'))
  pinned.reset()
  t.equal(pinned.now(), 1_000, 'a virtual clock with startMs goes back to it')
  t.equal(pinned.pendingTimers(), 0)
  await pinned.advance('1m')

  for (const kind of ['virtual', 'real'] as const) {
    const clock = createClock({ kind, timeScale: 1 })
    t.teardown(() => clock.stop())
    await clock.advance('20d')
    clock.reset()
    t.ok(Math.abs(clock.now() - Date.now()) < 1000, `${kind}: back to wall time now`)
  }
})

t.test('a reset during an advance stops it where the reset put the clock', async (t) => {
  const clock = createClock({ startMs: 0 })
  let release!: () => void
  clock.setTimer(1000, () => new Promise<void>((resolve) => (release = resolve)))
  clock.setTimer(2000, () => t.fail('the timer after the reset must not run'))
  const advancing = clock.advance('1h')
  while (!release) await new Promise((resolve) => setImmediate(resolve))
  clock.reset()
  release()
  await advancing
  t.equal(clock.now(), 0)
})

t.test('a stopped clock runs no more timers but still lists them', async (t) => {
  const clock = createClock({ kind: 'real', timeScale: 1000 })
  let ran = false
  clock.setTimer(1000, () => (ran = true))
  clock.stop()
  await new Promise((resolve) => setTimeout(resolve, 20))
  await clock.advance('1m')
  t.notOk(ran)
  t.equal(clock.pendingTimers(), 1)
})

t.test(
  'timers due at the same instant run side by side; the next instant waits for them',
  async (t) => {
    const clock = createClock({ startMs: 0 })
    const started: string[] = []
    const finished: string[] = []
    const releases: (() => void)[] = []
    const held = (name: string) => () => {
      started.push(name)
      return new Promise<void>((resolve) =>
        releases.push(() => {
          finished.push(name)
          resolve()
        }),
      )
    }
    clock.setTimer(1000, held('a'))
    clock.setTimer(1000, held('b'))
    clock.setTimer(1000, held('c'))
    clock.setTimer(2000, () => started.push(`later at ${clock.now()}`))
    const advancing = clock.advance('5s')
    while (releases.length < 3) await new Promise((resolve) => setImmediate(resolve))
    t.same(started, ['a', 'b', 'c'], 'all three started, in scheduling order, before any finished')
    t.equal(clock.now(), 1000)
    releases.splice(0).forEach((release) => release())
    await advancing
    t.same(finished, ['a', 'b', 'c'])
    t.same(started.at(-1), 'later at 2000', 'the next instant ran after them, at its own time')
  },
)

t.test('a timer cancelled by an earlier timer of the same instant does not run', async (t) => {
  const clock = createClock({ startMs: 0 })
  const ran: string[] = []
  const second = { handle: undefined as ReturnType<typeof clock.setTimer> | undefined }
  clock.setTimer(1000, () => {
    ran.push('first')
    clock.clearTimer(second.handle)
    clock.setTimer(0, () => ran.push('scheduled at the same instant'))
  })
  second.handle = clock.setTimer(1000, () => ran.push('cancelled'))
  await clock.advance('1s')
  t.same(ran, ['first', 'scheduled at the same instant'])
  t.equal(clock.pendingTimers(), 0)
})

t.test(
  'thousands of timers come out in (time, scheduling) order, cancelled ones skipped',
  async (t) => {
    const clock = createClock({ startMs: 0 })
    const ran: number[] = []
    const handles = Array.from({ length: 3000 }, (_, i) =>
      clock.setTimer((i * 7919) % 1000, () => ran.push(i)),
    )
    handles.forEach((handle, i) => i % 3 === 0 && clock.clearTimer(handle))
    t.equal(clock.pendingTimers(), 2000)
    const expected = Array.from({ length: 3000 }, (_, i) => i)
      .filter((i) => i % 3 !== 0)
      .sort((a, b) => ((a * 7919) % 1000) - ((b * 7919) % 1000) || a - b)
    t.equal(clock.nextTimerAt(), (expected[0]! * 7919) % 1000)
    await clock.advance('1s')
    t.same(ran, expected)
    t.equal(clock.pendingTimers(), 0)
  },
)
