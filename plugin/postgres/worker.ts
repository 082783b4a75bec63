/**
 * Queue-mode workers. Each loop runs a task in two steps:
 * 1. the take: one statement picks a due task with `FOR UPDATE SKIP LOCKED`, counts the attempt,
 *    names this worker as its runner and sets its lease (`run_after` = now + `leaseMs`), and
 *    commits. The attempt is counted before the handler runs, so a handler that kills its
 *    process every time still reaches `maxAttempts`: a take that finds the attempts spent marks
 *    the task dead (`BLUUM_INBOX_TASK_ABANDONED`) instead of running it again. The lease keeps
 *    every other worker off the task; it runs out only if this worker vanished.
 * 2. the run: the handler gets a transaction that opens at its first `tx.query`, so a handler
 *    that calls another service before it writes holds no connection while it waits; the task is
 *    marked done in that transaction (or alone, if the handler wrote nothing), guarded by the
 *    attempt number. A failing handler's transaction is rolled back and its task rescheduled
 *    alone, with exponential backoff and jitter, until `maxAttempts`, then kept as dead. A handler
 *    still running after `taskTimeoutMs` is abandoned: its session is ended, and the attempt is
 *    recorded as failed. A database failure under the run is not the handler's: the task is given
 *    back without counting the attempt, and reported as a store error, not to `onError`.
 *
 * Ordered tasks (a key per resource) run one at a time per handler and key, oldest event first:
 * their transaction opens at once and holds an advisory lock on the key while the handler runs.
 *
 * Idle loops sleep until a NOTIFY (or a local wake) or the poll interval, whichever comes first.
 */
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { AnyBluumEvent } from '../catalog.js'
import type {
  BluumDeliveryContext,
  BluumHandlerContext,
  DeliveryLogger,
  EventDispatcher,
  RegisteredHandler,
} from '../types.js'
import { InboxTaskAbandonedError, InboxTaskTimeoutError } from '../errors.js'
import type { SqlDriver, Transaction } from './driver.js'
import type { InboxStatements } from './statements.js'
import { errorText, isStoreFailure } from './store-failure.js'

/** What to do with a task whose event is older than one already handled for its resource. */
export type StaleEventPolicy = 'deliver' | 'skip'

export interface WorkerSettings {
  readonly schema: string
  readonly channel: string
  readonly concurrency: number
  readonly pollIntervalMs: number
  readonly maxAttempts: number
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  readonly taskTimeoutMs: number
  readonly leaseMs: number
  readonly staleEvents: StaleEventPolicy
}

/**
 * Where the database's own failures go: the inbox calls `onStoreError` and logs them at warn, or
 * at debug when `repeat` says the failure is one more of an outage already logged.
 */
export type StoreFailureReport = (
  error: unknown,
  fields: Record<string, unknown>,
  repeat?: boolean,
) => void

export interface WorkerPool {
  /** This pool's id, as tasks and the `workers` table show it: host, pid and a random part. */
  readonly id: string
  /** Starts the loops, the heartbeat and the LISTEN connection. */
  start(): Promise<void>
  /** Wakes every idle loop (a task was queued in this process). */
  wake(): void
  /** Stops taking tasks and waits for the running ones. */
  close(): Promise<void>
}

interface TakenTask {
  id: string
  delivery_id: string
  handler_id: string
  /** Attempts counted so far, this one included. */
  attempts: number
  state: 'pending' | 'dead'
  ordering_key: string | null
  event_at: string | Date | null
  payload: AnyBluumEvent | string
}

/** How often a pool renews its row in the `workers` table, in ms. */
export const HEARTBEAT_MS = 1000

/** Exponential backoff with full jitter: a random delay in [base·2^(n-1) / 2, base·2^(n-1)]. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2))
}

/** How an attempt ended, short of a timeout. */
type Outcome =
  | { readonly kind: 'done' | 'returned' | 'skipped' }
  | { readonly kind: 'failed'; readonly error: unknown; readonly context: BluumDeliveryContext }
  | { readonly kind: 'store'; readonly error: unknown }

export function createWorkerPool(
  driver: SqlDriver,
  sql: InboxStatements,
  router: EventDispatcher,
  log: DeliveryLogger,
  settings: WorkerSettings,
  reportStoreFailure: StoreFailureReport,
): WorkerPool {
  const { schema, channel, concurrency, pollIntervalMs, maxAttempts } = settings
  const byId = new Map<string, RegisteredHandler>()
  for (const registration of router.registrations()) {
    if (registration.id !== undefined) byId.set(registration.id, registration)
  }
  // Only tasks this process has a handler for: a worker running another set of handlers (an
  // older deploy, a separate worker process) leaves the others to whoever can run them.
  const handlerIds = [...byId.keys()]
  const id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  const identity = [id, hostname(), process.pid, handlerIds, concurrency]
  // The error text of an abandoned task; its ids are filled in by the take statement.
  const abandonedText = errorText(new InboxTaskAbandonedError('{task}', '{handler}', maxAttempts))

  let stopping = false
  const loops: Promise<void>[] = []
  const sleepers = new Set<() => void>()
  let unlisten: (() => Promise<void>) | undefined
  let relisten: NodeJS.Timeout | undefined
  /** The LISTEN on its way, if any: close() waits for it, so it cannot outlive the workers. */
  let listening: Promise<void> | undefined
  let heartbeat: NodeJS.Timeout | undefined
  /**
   * The outage the idle loops are in: while the database is away every loop's take fails on
   * every poll (2 loops polling each second: 2 failures a second). The first failure is logged at
   * warn, the repeats at debug (`onStoreError` hears of each), and the first take that works
   * again logs once, at info, how long it lasted.
   */
  let outage: { since: number; failedPolls: number } | undefined

  function wake(): void {
    for (const resolve of sleepers) resolve()
    sleepers.clear()
  }

  function idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        sleepers.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      sleepers.add(done)
    })
  }

  /** Takes one due task and runs it; false when none was due. */
  async function runOne(): Promise<boolean> {
    const { rows } = await driver.query<TakenTask>(
      sql.take,
      [handlerIds, maxAttempts, settings.leaseMs, abandonedText, id],
      { name: `bluum_take_${schema}` },
    )
    const task = rows[0]
    if (task === undefined) return false
    if (task.state === 'dead') {
      log.error(
        { taskId: task.id, deliveryId: task.delivery_id, handlerId: task.handler_id },
        'bluum inbox task dead: its worker died during every attempt',
      )
      return true
    }
    if (stopping) {
      // A take already on its way when close() began: the task goes back untouched (its attempt
      // not counted, due at once) instead of starting, so no task starts once the pool stops.
      // Should the database not answer, the task is due again when its lease ends.
      await driver.query(sql.taskReturned, [task.id, task.attempts, null, 0]).catch(() => {})
      return true
    }
    await runTask(task)
    return true
  }

  async function runTask(task: TakenTask): Promise<void> {
    const event: AnyBluumEvent =
      typeof task.payload === 'string' ? JSON.parse(task.payload) : task.payload
    const fields = {
      taskId: task.id,
      deliveryId: task.delivery_id,
      handlerId: task.handler_id,
      event: event.event,
      attempt: task.attempts,
    }
    let transaction: Transaction
    try {
      // An ordered task takes its key's lock first: its connection is taken now.
      transaction = await driver.begin({ eager: task.ordering_key !== null })
    } catch (err) {
      return giveBack(task, fields, err)
    }
    const timeout = new InboxTaskTimeoutError(task.id, task.handler_id, settings.taskTimeoutMs)
    let context: BluumHandlerContext | undefined
    const running = attempt(task, event, transaction, (c) => (context = c))
    const outcome: Outcome | typeof TIMED_OUT = await withDeadline(
      running,
      settings.taskTimeoutMs,
      () => transaction.abandon(timeout),
    ).catch(async (error: unknown) => {
      // One of the inbox's own statements failed: the database's failure gives the task back;
      // anything else counts as a failed attempt, so it cannot come back forever.
      await transaction.rollback()
      return transaction.storeFailure !== undefined || isStoreFailure(error)
        ? { kind: 'store' as const, error }
        : { kind: 'failed' as const, error, context: { log, deliveryId: task.delivery_id } }
    })
    if (outcome === TIMED_OUT) {
      return recordFailure(task, event, context ?? { log, deliveryId: task.delivery_id }, timeout)
    }
    if (outcome.kind === 'failed') return recordFailure(task, event, outcome.context, outcome.error)
    if (outcome.kind === 'store') return giveBack(task, fields, outcome.error)
    if (outcome.kind === 'skipped') {
      log.info(fields, 'bluum inbox task skipped: a newer event of its resource was handled')
    } else if (outcome.kind === 'done') {
      log.debug(fields, 'bluum inbox task done')
    }
  }

  /** One attempt of a task in `transaction`; never leaves it open. */
  async function attempt(
    task: TakenTask,
    event: AnyBluumEvent,
    transaction: Transaction,
    started: (context: BluumHandlerContext) => void,
  ): Promise<Outcome> {
    const guard = [task.id, task.attempts]
    let stale = false
    if (task.ordering_key !== null) {
      const eventAt = task.event_at instanceof Date ? task.event_at.toISOString() : task.event_at
      const lockKey = `${schema}:${task.handler_id}:${task.ordering_key}`
      const [lock] = (await transaction.tx.query<{ locked: boolean }>(sql.orderLock, [lockKey]))
        .rows
      const [order] = lock?.locked
        ? (
            await transaction.tx.query<{ blocked: boolean; stale: boolean }>(sql.orderCheck, [
              task.handler_id,
              task.ordering_key,
              task.id,
              eventAt,
            ])
          ).rows
        : [{ blocked: true, stale: false }]
      if (order?.blocked) {
        // Another task of this resource runs now, or an older one arrived: it goes first.
        await transaction.commit(sql.taskReturned, [...guard, null, 0])
        return { kind: 'returned' }
      }
      stale = order?.stale === true
      if (stale && settings.staleEvents === 'skip') {
        await transaction.commit(sql.taskDone, guard)
        return { kind: 'skipped' }
      }
    }
    const context = {
      log,
      deliveryId: task.delivery_id,
      tx: transaction.tx,
      attempt: task.attempts,
      maxAttempts,
      stale,
    } as BluumHandlerContext
    started(context)
    let failure: { error: unknown } | undefined
    try {
      // Attempts are counted when the task is taken, so this run's number is already in it.
      await router.runHandler(byId.get(task.handler_id) as RegisteredHandler, event, context, {
        id: task.id,
        attempt: task.attempts,
      })
    } catch (error) {
      failure = { error }
    }
    if (transaction.storeFailure !== undefined) {
      await transaction.rollback()
      return { kind: 'store', error: transaction.storeFailure }
    }
    if (failure !== undefined) {
      await transaction.rollback()
      return { kind: 'failed', error: failure.error, context }
    }
    try {
      const done = await transaction.commit(sql.taskDone, guard, { integers: true })
      if (done?.rowCount === 0) {
        log.warn(
          { taskId: task.id, deliveryId: task.delivery_id, attempt: task.attempts },
          'bluum inbox task was taken again before it finished (its lease ran out); nothing of this attempt committed',
        )
      }
      return { kind: 'done' }
    } catch (error) {
      if (transaction.storeFailure !== undefined || isStoreFailure(error)) {
        return { kind: 'store', error }
      }
      // BLUUM_INBOX_TRANSACTION_ABORTED: a statement failed and the handler went on.
      return { kind: 'failed', error, context }
    }
  }

  /** Reschedules a failed attempt with backoff, or marks the task dead after its last one. */
  async function recordFailure(
    task: TakenTask,
    event: AnyBluumEvent,
    context: BluumDeliveryContext,
    err: unknown,
  ): Promise<void> {
    const dead = task.attempts >= maxAttempts
    const delay = dead
      ? 0
      : retryDelayMs(task.attempts, settings.backoffBaseMs, settings.backoffMaxMs)
    const recorded = await driver.query(sql.taskFailed, [
      task.id,
      task.attempts,
      dead ? 'dead' : 'pending',
      errorText(err),
      delay,
    ])
    // Nothing recorded: the attempt had in fact ended (its commit landed as it timed out).
    if (recorded.rowCount === 0) return
    log.error(
      {
        err,
        taskId: task.id,
        deliveryId: task.delivery_id,
        handlerId: task.handler_id,
        attempts: task.attempts,
        event: event.event,
        retryInMs: dead ? undefined : delay,
      },
      dead ? 'bluum inbox task dead after its last attempt' : 'bluum inbox task failed',
    )
    await router.reportErrors([err], event, context)
  }

  /** A run the database cut short: the task is due again soon, the attempt not counted. */
  async function giveBack(
    task: TakenTask,
    fields: Record<string, unknown>,
    err: unknown,
  ): Promise<void> {
    const delay = retryDelayMs(1, settings.backoffBaseMs, settings.backoffMaxMs)
    try {
      await driver.query(sql.taskReturned, [task.id, task.attempts, errorText(err), delay])
      reportStoreFailure(err, { ...fields, retryInMs: delay })
    } catch {
      // The database is still away: the task is due again when its lease ends.
      reportStoreFailure(err, { ...fields, retryAfterLeaseMs: settings.leaseMs })
    }
  }

  function takeFailed(err: unknown): void {
    if (outage === undefined) {
      outage = { since: Date.now(), failedPolls: 1 }
      reportStoreFailure(err, { workerId: id, pollIntervalMs })
    } else {
      outage.failedPolls++
      reportStoreFailure(err, { workerId: id, failedPolls: outage.failedPolls }, true)
    }
  }

  function tookAgain(): void {
    if (outage === undefined) return
    const { since, failedPolls } = outage
    outage = undefined
    log.info(
      { workerId: id, failedPolls, downMs: Date.now() - since },
      'bluum inbox database answers again; the workers take tasks',
    )
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      let ran = false
      try {
        ran = await runOne()
        tookAgain()
      } catch (err) {
        // The database is away (the take failed): idle, then try again.
        if (isStoreFailure(err)) takeFailed(err)
        else log.error({ err, workerId: id }, 'bluum inbox worker could not take or run a task')
      }
      if (!ran && !stopping) await idle(pollIntervalMs)
    }
  }

  async function beat(): Promise<void> {
    try {
      await driver.query(sql.workerAlive, identity)
    } catch (err) {
      log.debug({ err, workerId: id }, 'bluum inbox worker heartbeat failed')
    }
  }

  function listen(): Promise<void> {
    listening = listenNow().finally(() => (listening = undefined))
    return listening
  }

  async function listenNow(): Promise<void> {
    if (stopping) return
    try {
      const stop = await driver.listen(channel, wake, (err) => {
        unlisten = undefined
        log.warn({ err }, 'bluum inbox lost its LISTEN connection; polling until it is back')
        scheduleRelisten()
      })
      // close() began while the LISTEN was on its way: its connection goes back now, not never.
      if (stopping) await stop()
      else unlisten = stop
    } catch (err) {
      log.warn({ err }, 'bluum inbox could not LISTEN; polling until it can')
      scheduleRelisten()
    }
  }

  function scheduleRelisten(): void {
    if (stopping || relisten) return
    relisten = setTimeout(() => {
      relisten = undefined
      void listen()
    }, pollIntervalMs)
  }

  return {
    id,
    async start() {
      if (concurrency === 0 || handlerIds.length === 0) return
      await driver.query(sql.workerAlive, identity)
      heartbeat = setInterval(() => void beat(), HEARTBEAT_MS)
      heartbeat.unref()
      await listen()
      for (let i = 0; i < concurrency; i++) loops.push(loop())
    },
    wake,
    async close() {
      stopping = true
      clearTimeout(relisten)
      wake()
      await Promise.all(loops)
      clearInterval(heartbeat)
      if (heartbeat !== undefined) {
        await driver.query(sql.workerStopped, [id]).catch(() => {})
      }
      await listening
      await unlisten?.()
    },
  }
}

const TIMED_OUT = Symbol('timed out')

/**
 * Resolves as `running` does, unless `timeoutMs` passes first: then `abandon` runs and the
 * promise resolves TIMED_OUT. A late rejection of `running` is swallowed.
 */
async function withDeadline<T>(
  running: Promise<T>,
  timeoutMs: number,
  abandon: () => Promise<void>,
): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, TIMED_OUT)
  })
  try {
    const outcome = await Promise.race([running, timeout])
    if (outcome !== TIMED_OUT) return outcome
  } finally {
    clearTimeout(timer)
  }
  running.catch(() => {})
  await abandon()
  return TIMED_OUT
}
