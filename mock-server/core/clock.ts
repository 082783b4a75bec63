/**
 * The sandbox's notion of time.
 *
 * Every engine reads `now()` and schedules work with `setTimer()` on this clock, never on
 * `Date`/`setTimeout` directly, so one switch makes the whole sandbox deterministic: a virtual
 * clock only moves when a test calls `advance()`, and `advance()` fires due timers in time order
 * and awaits the asynchronous work they start (deliveries) before it resolves. A real clock follows
 * wall time, optionally sped up by `timeScale`, so a 1 minute retry takes 1 s at `timeScale: 60`.
 */
import { parseDuration, type Duration } from './duration.js'
import { SandboxInvalidOptionError } from './errors.js'

/** A scheduled callback; pass it to {@link Clock.clearTimer} to cancel it. */
export interface TimerHandle {
  readonly id: number
  /** Sandbox time (ms since the epoch) at which the callback runs. */
  readonly at: number
}

export interface Clock {
  /** `'virtual'` moves only on `advance()`; `'real'` follows wall time times `timeScale`. */
  readonly kind: 'virtual' | 'real'
  /** Sandbox time in milliseconds since the Unix epoch. */
  now(): number
  /** Runs `callback` after `delayMs` of sandbox time; a returned promise is tracked. */
  setTimer(delayMs: number, callback: () => unknown): TimerHandle
  /** Cancels a timer; a no-op when it already ran. */
  clearTimer(handle: TimerHandle | undefined): void
  /** Moves time forward, firing due timers in order and awaiting the work they start. */
  advance(duration: Duration): Promise<number>
  /** Registers asynchronous work that `advance()` and `settle()` must wait for. */
  track(work: Promise<unknown>): void
  /** Resolves once all tracked work finished; rejects with the first error it raised. */
  settle(): Promise<void>
  /** How many timers are scheduled. */
  pendingTimers(): number
  /** The sandbox time of the next timer, or `undefined`. */
  nextTimerAt(): number | undefined
  /** Drops every timer (used by `reset()` and `close()`). */
  clearAll(): void
}

export interface ClockOptions {
  /** `'virtual'` (tests) or `'real'` (CLI). Default `'virtual'`. */
  kind?: 'virtual' | 'real'
  /** Sandbox time at creation, ms since the epoch. Default `Date.now()`. */
  startMs?: number
  /** Real clock only: sandbox milliseconds per wall millisecond. Default 1. */
  timeScale?: number
}

interface Timer extends TimerHandle {
  readonly seq: number
  readonly callback: () => unknown
}

// setTimeout overflows above 2^31-1 ms and fires at once; longer waits re-arm instead.
const maxWallDelayMs = 2 ** 31 - 1

/** Creates a virtual or real clock. @example const clock = createClock(); await clock.advance('2h') */
export function createClock(options: ClockOptions = {}): Clock {
  const kind = options.kind ?? 'virtual'
  const timeScale = options.timeScale ?? 1
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new SandboxInvalidOptionError('timeScale', `expected a positive number, got ${timeScale}`)
  }
  const startMs = options.startMs ?? Date.now()
  const wallStart = Date.now()
  let offsetMs = 0
  let virtualNow = startMs
  let seq = 0
  let timers: Timer[] = []
  let wallTimer: NodeJS.Timeout | undefined
  const tracked = new Set<Promise<unknown>>()
  let firstError: unknown
  let advancing: Promise<unknown> = Promise.resolve()

  const now = (): number =>
    kind === 'virtual'
      ? virtualNow
      : Math.floor(startMs + (Date.now() - wallStart) * timeScale + offsetMs)

  function track(work: Promise<unknown>): void {
    const guarded = work.then(
      () => undefined,
      (error: unknown) => {
        firstError ??= error
      },
    )
    tracked.add(guarded)
    void guarded.finally(() => tracked.delete(guarded))
  }

  async function settle(): Promise<void> {
    while (tracked.size > 0) await Promise.all(tracked)
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
    let best: Timer | undefined
    for (const timer of timers) {
      if (timer.at > limit) continue
      if (!best || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq))
        best = timer
    }
    if (best) timers = timers.filter((t) => t !== best)
    return best
  }

  function armWallTimer(): void {
    if (kind !== 'real') return
    if (wallTimer) clearTimeout(wallTimer)
    wallTimer = undefined
    const next = nextTimerAt()
    if (next === undefined) return
    const delay = Math.min(maxWallDelayMs, Math.max(0, (next - now()) / timeScale))
    // Not unref'd: pending sandbox work (a retry, an ACH settlement) keeps the process up, like a
    // server would; `sandbox.close()` clears it.
    wallTimer = setTimeout(fireDueRealTimers, delay)
  }

  function fireDueRealTimers(): void {
    wallTimer = undefined
    let timer: Timer | undefined
    while ((timer = takeDue(now())) !== undefined) run(timer)
    armWallTimer()
  }

  function nextTimerAt(): number | undefined {
    let next: number | undefined
    for (const timer of timers) if (next === undefined || timer.at < next) next = timer.at
    return next
  }

  async function advanceNow(ms: number): Promise<number> {
    await settle()
    if (kind === 'real') {
      offsetMs += ms
      let timer: Timer | undefined
      while ((timer = takeDue(now())) !== undefined) {
        run(timer)
        await settle()
      }
      armWallTimer()
      return now()
    }
    const target = virtualNow + ms
    let timer: Timer | undefined
    while ((timer = takeDue(target)) !== undefined) {
      virtualNow = Math.max(virtualNow, timer.at)
      run(timer)
      // Await what this timer started before looking for the next one: a retry it schedules
      // within the window must fire in this same advance, in order.
      await settle()
    }
    virtualNow = target
    return virtualNow
  }

  return {
    kind,
    now,
    setTimer(delayMs, callback) {
      const timer: Timer = { id: ++seq, seq, at: now() + Math.max(0, delayMs), callback }
      timers.push(timer)
      armWallTimer()
      return { id: timer.id, at: timer.at }
    },
    clearTimer(handle) {
      if (!handle) return
      timers = timers.filter((t) => t.id !== handle.id)
      armWallTimer()
    },
    advance(duration) {
      const ms = parseDuration(duration)
      // Serialised, so two overlapping advances cannot interleave their timers.
      const next = advancing.then(() => advanceNow(ms))
      advancing = next.catch(() => undefined)
      return next
    },
    track,
    settle,
    pendingTimers: () => timers.length,
    nextTimerAt,
    clearAll() {
      timers = []
      armWallTimer()
    },
  }
}

/** A clock that only moves when `advance()` is called. */
export function createVirtualClock(startMs?: number): Clock {
  return createClock({ kind: 'virtual', ...(startMs === undefined ? {} : { startMs }) })
}

/** A clock that follows wall time, `timeScale` times faster. */
export function createRealClock(timeScale = 1): Clock {
  return createClock({ kind: 'real', timeScale })
}
