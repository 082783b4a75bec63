/**
 * Queue-mode workers. Each loop runs a task in two transactions:
 * 1. the take: one statement picks a due task with `FOR UPDATE SKIP LOCKED`, counts the attempt
 *    and pushes `run_after` to the end of the task's lease (twice `taskTimeoutMs`), and commits. The
 *    attempt is counted before the handler runs, so a handler that kills its process every time
 *    still reaches `maxAttempts`: a take that finds the attempts spent marks the task dead
 *    (`BLUUM_INBOX_TASK_ABANDONED`) instead of running it again.
 * 2. the run: the task row is locked again (the lock is what keeps other workers off a running
 *    task; the lease only says when a task whose worker died is due again), the handler runs with
 *    that transaction as `tx`, and the task is marked done there. A failing handler is rolled back
 *    to a savepoint and its task rescheduled alone, with exponential backoff and jitter, until
 *    `maxAttempts`, then kept as dead. A handler still running after `taskTimeoutMs` is abandoned:
 *    its transaction is rolled back (the session ended), and the attempt recorded as failed.
 *
 * Idle loops sleep until a NOTIFY (or a local wake) or the poll interval, whichever comes first.
 */
import type { AnyBluumEvent } from '../catalog.js'
import type {
  BluumHandlerContext,
  DeliveryLogger,
  EventDispatcher,
  RegisteredHandler,
} from '../types.js'
import { InboxTaskAbandonedError, InboxTaskTimeoutError } from '../errors.js'
import type { SqlDriver } from './driver.js'

export interface WorkerSettings {
  readonly schema: string
  readonly channel: string
  readonly concurrency: number
  readonly pollIntervalMs: number
  readonly maxAttempts: number
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  readonly taskTimeoutMs: number
}

export interface WorkerPool {
  /** Starts the loops and the LISTEN connection. */
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
}

/** Exponential backoff with full jitter: a random delay in [base·2^(n-1) / 2, base·2^(n-1)]. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2))
}

export function createWorkerPool(
  driver: SqlDriver,
  router: EventDispatcher,
  log: DeliveryLogger,
  settings: WorkerSettings,
): WorkerPool {
  const { schema, channel, concurrency, pollIntervalMs, maxAttempts } = settings
  const byId = new Map<string, RegisteredHandler>()
  for (const registration of router.registrations()) {
    if (registration.id !== undefined) byId.set(registration.id, registration)
  }
  const handlerIds = [...byId.keys()]

  // Only tasks this process has a handler for: a worker running another set of handlers (an
  // older deploy, a separate worker process) leaves the others to whoever can run them.
  // A task whose attempts are spent when it is due again was left by workers that died: dead.
  const takeTask = `
    with due as (
      select id, attempts from ${schema}.tasks
      where state = 'pending' and run_after <= now() and handler_id = any($1::text[])
      order by run_after, id
      limit 1
      for update skip locked
    )
    update ${schema}.tasks t set
      attempts = case when due.attempts >= $2 then t.attempts else t.attempts + 1 end,
      state = case when due.attempts >= $2 then 'dead' else 'pending' end,
      last_error = case when due.attempts >= $2
        then replace(replace($4, '{task}', t.id::text), '{handler}', t.handler_id)
        else t.last_error end,
      run_after = now() + make_interval(secs => $3::double precision / 1000),
      updated_at = now()
    from due where t.id = due.id
    returning t.id::text as id, t.delivery_id, t.handler_id, t.attempts, t.state`
  // The error text of an abandoned task; its ids are filled in by the take statement.
  const abandonedText = errorText(new InboxTaskAbandonedError('{task}', '{handler}', maxAttempts))
  // Waits for the row lock rather than skipping it: another worker's take can hold it for an
  // instant (its scan locks the row, then finds it leased and lets go), and skipping would leave
  // this worker's own task untouched until its lease runs out. A real owner is told apart by the
  // attempt number, re-read once the lock is granted.
  const lockTask = `
    select e.payload from ${schema}.tasks t join ${schema}.events e on e.delivery_id = t.delivery_id
    where t.id = $1::bigint and t.attempts = $2 and t.state = 'pending'
    for update of t`
  const taskDone = `
    update ${schema}.tasks set state = 'done', last_error = null, updated_at = now()
    where id = $1::bigint`
  // Guarded by the attempt it records, so a late record never overwrites a newer take.
  const taskFailed = `
    update ${schema}.tasks set state = $3, last_error = $4,
      run_after = now() + make_interval(secs => $5::double precision / 1000), updated_at = now()
    where id = (select id from ${schema}.tasks where id = $1::bigint and attempts = $2
                and state = 'pending' for update)`

  let stopping = false
  const loops: Promise<void>[] = []
  const sleepers = new Set<() => void>()
  let unlisten: (() => Promise<void>) | undefined
  let relisten: NodeJS.Timeout | undefined

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
    const { rows } = await driver.query<TakenTask>(takeTask, [
      handlerIds,
      maxAttempts,
      // Twice the timeout: a live worker's abandoned attempt is recorded before the lease ends.
      2 * settings.taskTimeoutMs,
      abandonedText,
    ])
    const task = rows[0]
    if (task === undefined) return false
    const taskLog = { taskId: task.id, deliveryId: task.delivery_id, handlerId: task.handler_id }
    if (task.state === 'dead') {
      log.error(
        { ...taskLog, attempts: task.attempts },
        'bluum inbox task dead: its worker died during every attempt',
      )
      return true
    }
    const registration = byId.get(task.handler_id) as RegisteredHandler
    let event: AnyBluumEvent | undefined
    let context: BluumHandlerContext | undefined
    try {
      await driver.transaction(
        async (tx) => {
          const locked = await tx.query<{ payload: AnyBluumEvent | string }>(lockTask, [
            task.id,
            task.attempts,
          ])
          const payload = locked.rows[0]?.payload
          // Retried or taken again meanwhile (a lease that ran out): not this worker's any more.
          if (payload === undefined) return
          event = typeof payload === 'string' ? JSON.parse(payload) : payload
          context = { log, deliveryId: task.delivery_id, tx } as BluumHandlerContext
          await tx.query('savepoint bluum_handler')
          try {
            // Attempts are counted when the task is taken, so this run's number is already in it.
            await router.runHandler(registration, event as AnyBluumEvent, context, {
              id: task.id,
              attempt: task.attempts,
            })
            // Refused when a statement of the handler failed and it went on: count it as a failure.
            await tx.query('release savepoint bluum_handler')
          } catch (err) {
            await tx.query('rollback to savepoint bluum_handler')
            await recordFailure(task, event as AnyBluumEvent, context, err, tx)
            return
          }
          await tx.query(taskDone, [task.id])
          log.debug({ ...taskLog, event: (event as AnyBluumEvent).event }, 'bluum inbox task done')
        },
        {
          timeoutMs: settings.taskTimeoutMs,
          error: () => new InboxTaskTimeoutError(task.id, task.handler_id, settings.taskTimeoutMs),
        },
      )
    } catch (err) {
      // Rolled back: abandoned at its deadline (the failure is recorded here, its lock is gone),
      // or the connection died (the task is due again when its lease ends, its attempt counted).
      if (!(err instanceof InboxTaskTimeoutError) || event === undefined) throw err
      await recordFailure(task, event, context as BluumHandlerContext, err, driver)
    }
    return true
  }

  /** Reschedules a failed attempt with backoff, or marks the task dead after its last one. */
  async function recordFailure(
    task: TakenTask,
    event: AnyBluumEvent,
    context: BluumHandlerContext,
    err: unknown,
    db: Pick<SqlDriver, 'query'>,
  ): Promise<void> {
    const dead = task.attempts >= maxAttempts
    const delay = dead
      ? 0
      : retryDelayMs(task.attempts, settings.backoffBaseMs, settings.backoffMaxMs)
    await db.query(taskFailed, [
      task.id,
      task.attempts,
      dead ? 'dead' : 'pending',
      errorText(err),
      delay,
    ])
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

  async function loop(): Promise<void> {
    while (!stopping) {
      let ran = false
      try {
        ran = await runOne()
      } catch (err) {
        // The database is away or the connection died: the task (if any) is pending again.
        log.error({ err }, 'bluum inbox worker could not take or finish a task')
      }
      if (!ran && !stopping) await idle(pollIntervalMs)
    }
  }

  async function listen(): Promise<void> {
    if (stopping) return
    try {
      unlisten = await driver.listen(channel, wake, (err) => {
        unlisten = undefined
        log.warn({ err }, 'bluum inbox lost its LISTEN connection; polling until it is back')
        scheduleRelisten()
      })
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
    async start() {
      if (concurrency === 0 || handlerIds.length === 0) return
      await listen()
      for (let i = 0; i < concurrency; i++) loops.push(loop())
    },
    wake,
    async close() {
      stopping = true
      clearTimeout(relisten)
      wake()
      await Promise.all(loops)
      await unlisten?.()
    },
  }
}

function errorText(err: unknown): string {
  const code = (err as { code?: unknown })?.code
  const text =
    err instanceof Error
      ? `${typeof code === 'string' ? code : err.name}: ${err.message}`
      : String(err)
  return text.length > 2000 ? text.slice(0, 2000) : text
}
