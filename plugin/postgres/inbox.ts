/**
 * The Postgres inbox: exactly-once effects for whatever a handler writes through `context.tx`.
 *
 * - `transactional` (inline.ts): every matching handler runs in Bluum's request, in one
 *   transaction with the event row. Commit, then 200.
 * - `queue` (queue-accept.ts, worker.ts): the event and one task per matching handler are stored
 *   (concurrent deliveries in one statement) and the workers notified; then 200, whatever the
 *   handlers cost. Workers run each task in its own transaction.
 *
 * A failure of the database is never a handler's: 503 `BLUUM_STORE_UNAVAILABLE` with
 * `Retry-After` on a delivery, the task given back in queue mode, logged at warn and passed to
 * `onStoreError`, never to `onError`.
 */
import {
  ackTimedOut,
  duplicate,
  handlersFailed,
  inboxDatabaseFailed,
  inFlight,
  logHandlersFailed,
  processed,
  queued,
} from '../answers.js'
import { createDeadlines } from '../deadlines.js'
import { InboxHandlerIdError } from '../errors.js'
import type { BluumInbox, InboxDelivery } from '../inbox.js'
import type { DeliveryAnswer, DeliveryLogger, EventDispatcher } from '../types.js'
import { runInline } from './inline.js'
import { migrate as runMigration } from './migrate.js'
import { createOperations, type InboxOperations } from './operations.js'
import {
  resolveInboxOptions,
  type InboxStoreErrorInfo,
  type PostgresInboxMode,
  type PostgresInboxOptions,
} from './options.js'
import { createQueueAccept } from './queue-accept.js'
import { inboxStatements } from './statements.js'
import { createWorkerPool, type WorkerPool } from './worker.js'

/** A {@link BluumInbox} on PostgreSQL (or PGlite), with its operations API. */
export interface PostgresInbox extends BluumInbox, InboxOperations {
  readonly mode: PostgresInboxMode
  readonly schema: string
  /** Creates or upgrades the schema; idempotent. Resolves with the version found before. */
  migrate(): Promise<number>
}

const TIMED_OUT = Symbol('timed out')
const silent: DeliveryLogger = { debug() {}, info() {}, warn() {}, error() {} }

/**
 * Creates a Postgres inbox for the plugin's `inbox` option.
 * @example await app.register(bluumWebhooks, { secret, inbox: createPostgresInbox({ pool }) })
 */
export function createPostgresInbox(options: PostgresInboxOptions): PostgresInbox {
  const settings = resolveInboxOptions(options)
  const { driver, mode, schema } = settings
  const sql = inboxStatements(schema)
  // Channel names are identifiers: one per schema so two inboxes in one database stay apart.
  const channel = `${schema}_tasks`
  let router: EventDispatcher | undefined
  let log: DeliveryLogger = silent
  let workers: WorkerPool | undefined
  let unguard: (() => void) | undefined
  let running = 0
  let drained: (() => void) | undefined
  let closing: Promise<void> | undefined
  const queue = createQueueAccept(driver, sql, {
    schema,
    channel,
    orderingKey: settings.orderingKey,
  })

  /** Tells `onStoreError` of a failure of the database; never throws. */
  function tellObserver(err: unknown, info: InboxStoreErrorInfo, logger: DeliveryLogger): void {
    try {
      settings.onStoreError?.(err instanceof Error ? err : new Error(String(err)), info)
    } catch (observerError) {
      logger.error({ err: observerError }, 'bluum inbox onStoreError threw')
    }
  }

  /**
   * A failure of the database outside a delivery: `onStoreError`, and the log at warn (at debug
   * for a `repeat` of an outage the workers already logged).
   */
  function storeFailed(err: unknown, info: InboxStoreErrorInfo, extra = {}, repeat = false): void {
    log[repeat ? 'debug' : 'warn'](
      { err, ...info, ...extra },
      'bluum inbox database failure; retried',
    )
    tellObserver(err, info, log)
  }

  /** A delivery the database failed: 503 with `Retry-After` (answers.ts), and `onStoreError`. */
  function databaseFailed(delivery: InboxDelivery, err: unknown): DeliveryAnswer {
    const fields = { deliveryId: delivery.deliveryId, event: delivery.event.event }
    tellObserver(err, { during: 'delivery', ...fields }, delivery.log)
    return inboxDatabaseFailed(delivery.log, fields, err, settings.retryAfterSeconds)
  }

  async function acceptQueue(delivery: InboxDelivery): Promise<DeliveryAnswer> {
    const { deliveryId, event, log } = delivery
    const handlerIds = (router as EventDispatcher).handlersFor(event).map((r) => r.id as string)
    const stored = await queue.accept({ deliveryId, event, handlerIds })
    if (typeof stored !== 'boolean') return databaseFailed(delivery, stored.error)
    const fields = { deliveryId, event: event.event }
    if (!stored) return duplicate(log, fields)
    if (handlerIds.length > 0) workers?.wake()
    return queued(log, fields, handlerIds.length)
  }

  const deadlines = createDeadlines(settings.ackTimeoutMs)

  async function acceptTransactional(delivery: InboxDelivery): Promise<DeliveryAnswer> {
    const { deliveryId, event, log } = delivery
    const fields = { deliveryId, event: event.event }
    running++
    const work = runInline(driver, sql, schema, router as EventDispatcher, delivery).finally(() => {
      if (--running === 0) drained?.()
    })
    const outcome = await deadlines.race(work, TIMED_OUT)
    if (outcome === TIMED_OUT) return ackTimedOut(log, fields, settings.ackTimeoutMs)
    switch (outcome.kind) {
      case 'processed':
        return processed(log, fields)
      case 'duplicate':
        return duplicate(log, fields)
      case 'in-flight':
        return inFlight(log, fields)
      case 'failed':
        logHandlersFailed(log, fields, outcome.errors, 'its transaction was rolled back')
        await (router as EventDispatcher).reportErrors(outcome.errors, event, outcome.context)
        return handlersFailed(deliveryId, outcome.errors.length)
      case 'store':
        return databaseFailed(delivery, outcome.error)
    }
  }

  const operations = createOperations(driver, sql, {
    channel,
    retentionMs: settings.retentionMs,
    wake: () => workers?.wake(),
  })

  async function migrate(): Promise<number> {
    const { found, applied } = await runMigration(driver, schema)
    if (applied.length > 0) log.info({ schema, found, applied }, 'bluum inbox schema migrated')
    return found
  }

  const inbox: PostgresInbox = {
    mode,
    schema,
    migrate,
    ...operations,

    async attach(dispatcher, logger) {
      router = dispatcher
      log = logger
      // An idle pooled connection that the server drops (a restart) must not end the process.
      unguard ??= driver.guard((err) => storeFailed(err, { during: 'idle-connection' }))
      if (settings.migrate) await migrate()
    },

    async start() {
      const dispatcher = router as EventDispatcher
      if (mode !== 'queue') return
      const seen = new Set<string>()
      for (const { id } of dispatcher.registrations()) {
        if (typeof id !== 'string' || id.length === 0) {
          throw new InboxHandlerIdError('a handler was registered without an id')
        }
        if (seen.has(id)) throw new InboxHandlerIdError(`the id "${id}" is used twice`)
        seen.add(id)
      }
      workers = createWorkerPool(
        driver,
        sql,
        dispatcher,
        log,
        {
          schema,
          channel,
          concurrency: settings.concurrency,
          pollIntervalMs: settings.pollIntervalMs,
          maxAttempts: settings.maxAttempts,
          backoffBaseMs: settings.backoffBaseMs,
          backoffMaxMs: settings.backoffMaxMs,
          taskTimeoutMs: settings.taskTimeoutMs,
          leaseMs: settings.leaseMs,
          staleEvents: settings.staleEvents,
        },
        (err, fields, repeat) =>
          storeFailed(
            err,
            {
              during: fields.taskId === undefined ? 'worker' : 'task',
              ...pick(fields, ['deliveryId', 'event', 'taskId', 'handlerId']),
            },
            fields,
            repeat,
          ),
      )
      await workers.start()
    },

    accept(delivery) {
      return mode === 'queue' ? acceptQueue(delivery) : acceptTransactional(delivery)
    },

    close() {
      // Idempotent: an app that closes its database in its own onClose calls this first.
      closing ??= (async () => {
        await workers?.close()
        if (running > 0) await new Promise<void>((resolve) => (drained = resolve))
        unguard?.()
      })()
      return closing
    },
  }
  return inbox
}

function pick(fields: Record<string, unknown>, keys: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {}
  for (const key of keys) if (typeof fields[key] === 'string') picked[key] = fields[key]
  return picked
}
