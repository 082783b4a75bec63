/**
 * Queue-mode workers: each loop takes one due task with `FOR UPDATE SKIP LOCKED`, runs its
 * handler in that same transaction (so the row lock is the task's lease: if the process dies,
 * the connection drops, the transaction rolls back and the task is due again), and marks it done
 * there. A failing handler is rolled back to a savepoint and its task rescheduled alone, with
 * exponential backoff and jitter, until `maxAttempts`, then kept as dead.
 *
 * Idle loops sleep until a NOTIFY (or a local wake) or the poll interval, whichever comes first.
 */
import type { AnyBluumEvent } from '../catalog.js'
import type { DeliveryLogger } from '../delivery.js'
import type { BluumHandlerContext, EventDispatcher, RegisteredHandler } from '../router.js'
import type { SqlDriver } from './driver.js'

export interface WorkerSettings {
  readonly schema: string
  readonly channel: string
  readonly concurrency: number
  readonly pollIntervalMs: number
  readonly maxAttempts: number
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
}

export interface WorkerPool {
  /** Starts the loops and the LISTEN connection. */
  start(): Promise<void>
  /** Wakes every idle loop (a task was queued in this process). */
  wake(): void
  /** Stops taking tasks and waits for the running ones. */
  close(): Promise<void>
}

interface TaskRow {
  id: string
  delivery_id: string
  handler_id: string
  attempts: number
  payload: AnyBluumEvent | string
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
  const takeTask = `
    select t.id::text as id, t.delivery_id, t.handler_id, t.attempts, e.payload
    from ${schema}.tasks t join ${schema}.events e on e.delivery_id = t.delivery_id
    where t.state = 'pending' and t.run_after <= now() and t.handler_id = any($1::text[])
    order by t.run_after, t.id
    limit 1
    for update of t skip locked`
  const taskDone = `
    update ${schema}.tasks set state = 'done', attempts = attempts + 1, last_error = null,
      updated_at = now() where id = $1`
  const taskFailed = `
    update ${schema}.tasks set state = $2, attempts = attempts + 1, last_error = $3,
      run_after = now() + make_interval(secs => $4::double precision / 1000), updated_at = now()
    where id = $1`

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

  async function runOne(): Promise<boolean> {
    return driver.transaction(async (tx) => {
      const { rows } = await tx.query<TaskRow>(takeTask, [handlerIds])
      const task = rows[0]
      if (task === undefined) return false
      const registration = byId.get(task.handler_id) as RegisteredHandler
      const event: AnyBluumEvent =
        typeof task.payload === 'string' ? JSON.parse(task.payload) : task.payload
      const context = { log, deliveryId: task.delivery_id, tx } as BluumHandlerContext
      const taskLog = { taskId: task.id, deliveryId: task.delivery_id, handlerId: task.handler_id }
      await tx.query('savepoint bluum_handler')
      try {
        await router.runHandler(registration, event, context, {
          id: task.id,
          attempt: task.attempts + 1,
        })
        // Refused when a statement of the handler failed and it went on: count it as a failure.
        await tx.query('release savepoint bluum_handler')
      } catch (err) {
        await tx.query('rollback to savepoint bluum_handler')
        const attempts = task.attempts + 1
        const dead = attempts >= maxAttempts
        const delay = dead
          ? 0
          : retryDelayMs(attempts, settings.backoffBaseMs, settings.backoffMaxMs)
        await tx.query(taskFailed, [task.id, dead ? 'dead' : 'pending', errorText(err), delay])
        log.error(
          { err, ...taskLog, attempts, event: event.event, retryInMs: dead ? undefined : delay },
          dead ? 'bluum inbox task dead after its last attempt' : 'bluum inbox task failed',
        )
        await router.reportErrors([err], event, context)
        return true
      }
      await tx.query(taskDone, [task.id])
      log.debug({ ...taskLog, event: event.event }, 'bluum inbox task done')
      return true
    })
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
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  return text.length > 2000 ? text.slice(0, 2000) : text
}
