/**
 * The sandbox's notion of time.
 *
 * Every engine reads `now()` and schedules work with `setTimer()` on this clock, never on
 * `Date`/`setTimeout` directly, so one switch makes the whole sandbox deterministic: a virtual
 * clock only moves when a test calls `advance()`; a real clock follows wall time, optionally sped
 * up by `timeScale`, so a 1 minute retry takes 1 s at `timeScale: 60`.
 *
 * Both kinds advance the same way: `advance()` steps through every instant at which timers fall
 * due before the new time, in time order. At each instant it sets the clock to that time, starts
 * every timer due then (in scheduling order, each one's synchronous part before the next is taken,
 * so a timer cancelled by an earlier one does not run), and awaits the work they started (a
 * delivery's answer decides whether and when it retries) before looking for the next instant. Work
 * of one instant runs concurrently: 500 retries due at the same minute wait for the slowest, not
 * for the sum (the delivery engine bounds how many attempts are on the wire). So one `11h` advance
 * runs Bluum's whole retry ladder on any face — msw, the standalone server, the CLI — not one retry
 * per call, and every attempt is stamped with its own due time whatever the receivers' speed. Each
 * wait is bounded by the work itself (a delivery attempt times out after `deliveryTimeoutMs`).
 *
 * Sandbox time only stamps resources, events and schedules: deliveries are signed with wall time
 * (see the delivery engine), so a receiver's real tolerance check holds however far it was moved.
 */
import { parseDuration, type Duration } from './duration.js'
import { createTimerHeap } from './timer-heap.js'
import {
  ValidationError,
  SandboxClockRunawayError,
  SandboxInvalidOptionError,
  withParam,
} from './errors.js'

/** A scheduled callback; pass it to {@link Clock.clearTimer} to cancel it. */
export interface TimerHandle {
  readonly id: number
  /** Sandbox time (ms since the epoch) at which the callback runs. */
  readonly at: number
}

export interface Clock {
  /** `'virtual'` moves only on `advance()`; `'real'` follows wall time times `timeScale`. */
  readonly kind: 'virtual' | 'real'
  /** The largest single `advance()`, ms. */
  readonly maxAdvanceMs: number
  /** Sandbox time in milliseconds since the Unix epoch. */
  now(): number
  /** Runs `callback` after `delayMs` of sandbox time; a returned promise is tracked. */
  setTimer(delayMs: number, callback: () => unknown): TimerHandle
  /** Cancels a timer; a no-op when it already ran. */
  clearTimer(handle: TimerHandle | undefined): void
  /**
   * Moves time forward by `duration`, running every timer due up to the new time in order (each at
   * its own time, awaiting the work it starts, so retries it schedules inside the window run too).
   * Rejects with 400 `BLUM-400-*` (param `duration`) above `maxAdvanceMs`, leaving the clock as it was.
   */
  advance(duration: Duration): Promise<number>
  /**
   * Runs the next timer due at or before `limitMs` (sandbox ms), moving time to it and awaiting its
   * work; resolves false, without moving, when there is none.
   */
  runNext(limitMs: number): Promise<boolean>
  /**
   * Runs timers, instant by instant as `advance()` does, until none is due within `within`
   * (default 48 h) of the time of the call: a whole retry ladder, ACH settlements... Time stops at
   * the last timer run, not at the limit. Resolves the number of timers run.
   */
  runAll(options?: { within?: Duration }): Promise<number>
  /** Registers asynchronous work that `advance()` and `settle()` must wait for. */
  track(work: Promise<unknown>): void
  /** Resolves once all tracked work finished; rejects with the first error it raised. */
  settle(): Promise<void>
  /** How many timers are scheduled. */
  pendingTimers(): number
  /** The sandbox time of the next timer, or `undefined`. */
  nextTimerAt(): number | undefined
  /** Drops every timer. */
  clearAll(): void
  /**
   * Drops every timer and brings time back where it started: wall time now for a real clock and
   * for a virtual clock created without `startMs`; `startMs` for a virtual clock created with it
   * (a test pinned to a fixed date stays on it). An `advance()` in progress stops.
   */
  reset(): void
  /** Stops running timers for good (they stay listed, e.g. to be saved); used by `close()`. */
  stop(): void
}

export interface ClockOptions {
  /** `'virtual'` (tests) or `'real'` (CLI). Default `'virtual'`. */
  kind?: 'virtual' | 'real'
  /** Sandbox time at creation, ms since the epoch. Default `Date.now()`. */
  startMs?: number
  /** Real clock only: sandbox milliseconds per wall millisecond. Default 1. */
  timeScale?: number
  /** The largest single advance, ms. Default 2592000000 (30 days). */
  maxAdvanceMs?: number
}

/** Defaults of {@link ClockOptions}. */
export const clockDefaults = Object.freeze({
  kind: 'virtual' as const,
  timeScale: 1,
  maxAdvanceMs: 30 * 86_400_000,
  runAllWithin: '48h',
})

interface Timer extends TimerHandle {
  readonly seq: number
  readonly callback: () => unknown
}

// setTimeout overflows above 2^31-1 ms and fires at once; longer waits re-arm instead.
const maxWallDelayMs = 2 ** 31 - 1
// The last instant a JS Date can show: past it every ISO timestamp throws and the sandbox is dead.
const maxDateMs = 8.64e15
// A timer that keeps re-arming itself at no delay would spin an advance forever.
const maxTimersPerAdvance = 100_000

/** Creates a virtual or real clock. @example const clock = createClock(); await clock.advance('2h') */
export function createClock(options: ClockOptions = {}): Clock {
  const kind = options.kind ?? clockDefaults.kind
  const timeScale = options.timeScale ?? clockDefaults.timeScale
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new SandboxInvalidOptionError('timeScale', `expected a positive number, got ${timeScale}`)
  }
  const maxAdvanceMs = options.maxAdvanceMs ?? clockDefaults.maxAdvanceMs
  if (!(maxAdvanceMs >= 0) || !Number.isFinite(maxAdvanceMs)) {
    throw new SandboxInvalidOptionError(
      'maxAdvanceMs',
      `expected a number >= 0, got ${maxAdvanceMs}`,
    )
  }
  let startMs = options.startMs ?? Date.now()
  let wallStart = Date.now()
  let offsetMs = 0
  let virtualNow = startMs
  let seq = 0
  const timers = createTimerHeap<Timer>()
  let wallTimer: NodeJS.Timeout | undefined
  // Tracked work is counted, not kept: settle() waits for the count to reach zero.
  let pendingWork = 0
  let idleWaiters: (() => void)[] = []
  let firstError: unknown
  let advancing: Promise<unknown> = Promise.resolve()
  // Bumped by reset(): an advance in progress must not drag the reset clock forward.
  let epoch = 0
  // While an advance steps through timers, the wall timer must not run them out of order.
  let stepping = false
  let stopped = false

  const now = (): number =>
    kind === 'virtual'
      ? virtualNow
      : Math.floor(startMs + (Date.now() - wallStart) * timeScale + offsetMs)

  /** Moves time forward to `ms` (never back). */
  function moveTo(ms: number): void {
    const current = now()
    if (ms <= current) return
    if (kind === 'virtual') virtualNow = ms
    else offsetMs += ms - current
  }

  function workDone(): void {
    if (--pendingWork > 0) return
    const waiters = idleWaiters
    idleWaiters = []
    for (const wake of waiters) wake()
  }

  function workFailed(error: unknown): void {
    firstError ??= error
    workDone()
  }

  function track(work: Promise<unknown>): void {
    pendingWork += 1
    work.then(workDone, workFailed)
  }

  async function settle(): Promise<void> {
    while (pendingWork > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve))
    if (firstError !== undefined) {
      const error = firstError
      firstError = undefined
      throw error
    }
  }

  function run(timer: Timer): void {
    try {
      const result = timer.callback()
      if (result instanceof Promise) track(result)
    } catch (error) {
      firstError ??= error
    }
  }

  /** Takes the earliest timer due at or before `limit`, in (time, scheduling order). */
  function takeDue(limit: number): Timer | undefined {
    if (stopped) return undefined
    const next = timers.peek()
    return next !== undefined && next.at <= limit ? timers.pop() : undefined
  }

  function armWallTimer(): void {
    if (kind !== 'real') return
    if (wallTimer) clearTimeout(wallTimer)
    wallTimer = undefined
    if (stepping || stopped) return
    const next = nextTimerAt()
    if (next === undefined) return
    const delay = Math.min(maxWallDelayMs, Math.max(0, (next - now()) / timeScale))
    // Not unref'd: pending sandbox work (a retry, an ACH settlement) keeps the process up, like a
    // server would; `sandbox.close()` stops it.
    wallTimer = setTimeout(fireDueRealTimers, delay)
  }

  function fireDueRealTimers(): void {
    wallTimer = undefined
    let timer: Timer | undefined
    while (!stepping && !stopped && (timer = takeDue(now())) !== undefined) run(timer)
    armWallTimer()
  }

  function nextTimerAt(): number | undefined {
    return timers.peek()?.at
  }

  /** Runs one due timer at its own time and awaits what it started. */
  async function step(timer: Timer): Promise<void> {
    moveTo(timer.at)
    run(timer)
    // Await what this timer started before looking for the next one: a retry it schedules
    // within the window must run in this same advance, in order.
    await settle()
  }

  /**
   * Runs every timer due at the earliest instant at or before `limit` (the first of them is
   * `first`), then awaits what they started. Each is taken only once the previous one's
   * synchronous part ran, so what that part cancels or schedules at the same instant counts.
   * Resolves how many ran (0 when the clock was reset or stopped meanwhile).
   */
  async function stepInstant(first: Timer, started: number): Promise<number> {
    moveTo(first.at)
    run(first)
    let ran = 1
    let next: Timer | undefined
    while (started === epoch && (next = takeDue(first.at)) !== undefined) {
      // The runaway guard counts every timer, whatever instant it shares.
      if (++ran > maxTimersPerAdvance) {
        timers.push(next)
        throw new SandboxClockRunawayError(maxTimersPerAdvance)
      }
      run(next)
    }
    // What these timers started runs concurrently; a retry it schedules falls due at a later
    // instant, which the caller's next step picks up, in order.
    await settle()
    return ran
  }

  /** Serialises clock moves, so two overlapping advances cannot interleave their timers. */
  function serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = advancing.then(async () => {
      stepping = true
      try {
        return await work()
      } finally {
        stepping = false
        armWallTimer()
      }
    })
    advancing = next.catch(() => undefined)
    return next
  }

  function checkAdvance(ms: number): void {
    if (ms > maxAdvanceMs || now() + ms >= maxDateMs) {
      throw withParam(
        new ValidationError(
          `Invalid value for 'duration': expected at most ${maxAdvanceMs} ms (${maxAdvanceMs / 86_400_000} days) per advance, got ${ms} ms; advance in several steps, or POST /v1/sandbox/reset to bring the clock back to now`,
        ),
        'duration',
      )
    }
  }

  /** Steps instant by instant through the timers due up to `limit()`; resolves how many ran. */
  async function runInstants(limit: () => number): Promise<number> {
    const started = epoch
    let timer: Timer | undefined
    let ran = 0
    while (started === epoch && (timer = takeDue(limit())) !== undefined) {
      if (ran + 1 > maxTimersPerAdvance) {
        timers.push(timer)
        throw new SandboxClockRunawayError(maxTimersPerAdvance)
      }
      ran += await stepInstant(timer, started)
      if (ran > maxTimersPerAdvance) throw new SandboxClockRunawayError(maxTimersPerAdvance)
    }
    return ran
  }

  async function advanceNow(ms: number): Promise<number> {
    const started = epoch
    await settle()
    const target = now() + ms
    // A real clock keeps moving while deliveries run: what fell due meanwhile runs too.
    await runInstants(() => Math.max(target, now()))
    if (started === epoch) moveTo(target)
    return now()
  }

  async function runNextNow(limitMs: number): Promise<boolean> {
    await settle()
    const timer = takeDue(limitMs)
    if (!timer) return false
    await step(timer)
    return true
  }

  const clock: Clock = {
    kind,
    maxAdvanceMs,
    now,
    setTimer(delayMs, callback) {
      const timer: Timer = { id: ++seq, seq, at: now() + Math.max(0, delayMs), callback }
      const wasNext = nextTimerAt()
      timers.push(timer)
      // Re-arm the wall timer only when this one comes first: a burst of retries scheduled far
      // ahead of the next due timer costs no clearTimeout/setTimeout pair each.
      if (wasNext === undefined || timer.at < wasNext) armWallTimer()
      return { id: timer.id, at: timer.at }
    },
    clearTimer(handle) {
      if (!handle) return
      if (timers.cancel(handle.id)) armWallTimer()
    },
    advance(duration) {
      let ms: number
      try {
        ms = parseDuration(duration)
        checkAdvance(ms)
      } catch (error) {
        return Promise.reject(error)
      }
      return serialised(() => advanceNow(ms))
    },
    runNext(limitMs) {
      return serialised(() => runNextNow(limitMs))
    },
    runAll(runOptions = {}) {
      let limit: number
      try {
        limit = now() + parseDuration(runOptions.within ?? clockDefaults.runAllWithin)
      } catch (error) {
        return Promise.reject(error)
      }
      return serialised(async () => {
        await settle()
        return runInstants(() => limit)
      })
    },
    track,
    settle,
    pendingTimers: () => timers.size,
    nextTimerAt,
    clearAll() {
      timers.clear()
      armWallTimer()
    },
    reset() {
      epoch += 1
      timers.clear()
      offsetMs = 0
      wallStart = Date.now()
      if (kind === 'real' || options.startMs === undefined) startMs = Date.now()
      virtualNow = startMs
      armWallTimer()
    },
    stop() {
      stopped = true
      armWallTimer()
    },
  }
  return clock
}

/** A clock that only moves when `advance()` is called. */
export function createVirtualClock(startMs?: number): Clock {
  return createClock({ kind: 'virtual', ...(startMs === undefined ? {} : { startMs }) })
}

/** A clock that follows wall time, `timeScale` times faster. */
export function createRealClock(timeScale = 1): Clock {
  return createClock({ kind: 'real', timeScale })
}
