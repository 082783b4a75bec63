/**
 * The Postgres inbox: exactly-once effects for whatever a handler writes through `context.tx`.
 *
 * - `transactional`: the delivery is claimed with an advisory try-lock (a concurrent duplicate
 *   answers 409 at once, never waiting on a lock), every matching handler runs on one connection
 *   in one transaction, and the event row is inserted in that same transaction. Commit, then 200.
 * - `queue`: one statement inserts the event and one task per matching handler (or nothing, for a
 *   duplicate) and notifies the workers; then 200, whatever the handlers cost. Workers run each
 *   task in its own transaction (see worker.ts).
 */
import {
  ackTimedOut,
  duplicate,
  handlersFailed,
  inFlight,
  logHandlersFailed,
  processed,
  queued,
  storeUnavailable as unavailable,
} from '../answers.js'
import { createDeadlines } from '../deadlines.js'
import {
  InboxHandlerIdError,
  InboxInvalidOptionError,
  InboxTransactionAbortedError,
} from '../errors.js'
import type { BluumInbox, InboxDelivery } from '../inbox.js'
import type {
  BluumHandlerContext,
  DeliveryAnswer,
  DeliveryLogger,
  EventDispatcher,
} from '../types.js'
import {
  createPgDriver,
  createPgliteDriver,
  type PGliteLike,
  type PgPoolLike,
  type SqlDriver,
} from './driver.js'
import { migrate as runMigration } from './migrate.js'
import { createWorkerPool, type WorkerPool } from './worker.js'

/** How handlers run: in Bluum's request (`transactional`) or after the answer (`queue`). */
export type PostgresInboxMode = 'queue' | 'transactional'

/** Options of {@link createPostgresInbox}: exactly one of `pool` and `pglite`. */
export interface PostgresInboxOptions {
  /** A node-postgres `Pool`; the inbox never ends it. No default. */
  pool?: PgPoolLike
  /** An embedded PGlite instance (tests, examples); the inbox never closes it. No default. */
  pglite?: PGliteLike
  /** `queue` (answer at once, workers run handlers) or `transactional` (inline). Default `'queue'`. */
  mode?: PostgresInboxMode
  /** Postgres schema of the inbox tables, a lower-case identifier. Default `'bluum_inbox'`. */
  schema?: string
  /** Run {@link PostgresInbox.migrate} at `register`. Default true. */
  migrate?: boolean
  /** Queue mode: worker loops started with the app; 0 to run workers elsewhere only. Default 4. */
  concurrency?: number
  /** Queue mode: attempts of a task before it is dead. Default 10. */
  maxAttempts?: number
  /** Queue mode: delay before the first retry of a task, doubled per attempt, in ms. Default 1000. */
  backoffBaseMs?: number
  /** Queue mode: longest delay between two attempts, in ms. Default 3 600 000 (1 h). */
  backoffMaxMs?: number
  /**
   * Queue mode: longest run of one task, in ms; then its transaction is rolled back and the
   * attempt counts as failed. A task whose worker died is taken again after twice this time.
   * Default 60 000 (1 min).
   */
  taskTimeoutMs?: number
  /** Queue mode: how often idle workers look for due tasks without a NOTIFY, in ms. Default 1000. */
  pollIntervalMs?: number
  /** Transactional mode: answer 503 when handlers run longer, in ms. Default 10 000 (Bluum waits 30 s). */
  ackTimeoutMs?: number
  /** Default of `purge()`: how long processed events are kept, in ms. Default 7 days (> Bluum's 10.6 h ladder). */
  retentionMs?: number
}

/** The defaults, frozen. */
export const postgresInboxDefaults = Object.freeze({
  mode: 'queue' as PostgresInboxMode,
  schema: 'bluum_inbox',
  migrate: true,
  concurrency: 4,
  maxAttempts: 10,
  backoffBaseMs: 1000,
  backoffMaxMs: 60 * 60 * 1000,
  pollIntervalMs: 1000,
  taskTimeoutMs: 60_000,
  ackTimeoutMs: 10_000,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
})

/**
 * The state of a queued task. A running task is `pending`, row-locked by its worker, its
 * `runAfter` the end of its lease.
 */
export type InboxTaskState = 'pending' | 'done' | 'dead'

/** One task, as `list()` returns it. */
export interface InboxTask {
  readonly id: string
  readonly deliveryId: string
  readonly event: string
  readonly handlerId: string
  readonly state: InboxTaskState
  readonly attempts: number
  readonly runAfter: Date
  readonly lastError: string | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** What `stats()` returns. */
export interface InboxStats {
  /** Events stored (processed in transactional mode, accepted in queue mode). */
  readonly events: number
  readonly tasks: { readonly pending: number; readonly done: number; readonly dead: number }
  /** Age of the oldest pending task in ms, 0 when none. */
  readonly oldestPendingMs: number
}

/** A {@link BluumInbox} on PostgreSQL (or PGlite), with its operations API. */
export interface PostgresInbox extends BluumInbox {
  readonly mode: PostgresInboxMode
  readonly schema: string
  /** Creates or upgrades the schema; idempotent. Resolves with the version found before. */
  migrate(): Promise<number>
  /** Counts by state and the age of the oldest pending task. */
  stats(): Promise<InboxStats>
  /** Tasks, newest first. Defaults: every state and event, limit 100. */
  list(filter?: { state?: InboxTaskState; event?: string; limit?: number }): Promise<InboxTask[]>
  /** Makes a dead task due again with fresh attempts; false when no dead task has this id. */
  retry(taskId: string): Promise<boolean>
  /** Makes every dead task due again (those that died at or after `since`); resolves their count. */
  retryDead(filter?: { since?: Date }): Promise<number>
  /** Deletes events older than `olderThanMs` whose tasks are all done; resolves their count. */
  purge(filter?: { olderThanMs?: number }): Promise<number>
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/
const TIMED_OUT = Symbol('timed out')

function count(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InboxInvalidOptionError(
      name,
      `expected an integer >= ${min}, received ${String(value)}`,
    )
  }
  return value
}

function resolveInboxOptions(options: PostgresInboxOptions) {
  if (options === null || typeof options !== 'object') {
    throw new InboxInvalidOptionError('options', 'expected an object with `pool` or `pglite`')
  }
  const { pool, pglite } = options
  if ((pool === undefined) === (pglite === undefined)) {
    throw new InboxInvalidOptionError(
      pool === undefined ? 'pool' : 'pglite',
      'pass exactly one of `pool` (a node-postgres Pool) and `pglite` (an embedded PGlite)',
    )
  }
  if (pool !== undefined && typeof pool.connect !== 'function') {
    throw new InboxInvalidOptionError('pool', 'expected a node-postgres Pool (with connect())')
  }
  if (pglite !== undefined && typeof pglite.transaction !== 'function') {
    throw new InboxInvalidOptionError('pglite', 'expected a PGlite instance')
  }
  const mode = options.mode ?? postgresInboxDefaults.mode
  if (mode !== 'queue' && mode !== 'transactional') {
    throw new InboxInvalidOptionError(
      'mode',
      `expected 'queue' or 'transactional', received ${String(mode)}`,
    )
  }
  const schema = options.schema ?? postgresInboxDefaults.schema
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new InboxInvalidOptionError(
      'schema',
      `expected a lower-case SQL identifier (letters, digits, _), received ${String(schema)}`,
    )
  }
  const d = postgresInboxDefaults
  return {
    driver: pool !== undefined ? createPgDriver(pool) : createPgliteDriver(pglite as PGliteLike),
    mode,
    schema,
    migrate: options.migrate ?? d.migrate,
    concurrency: count('concurrency', options.concurrency, d.concurrency, 0),
    maxAttempts: count('maxAttempts', options.maxAttempts, d.maxAttempts, 1),
    backoffBaseMs: count('backoffBaseMs', options.backoffBaseMs, d.backoffBaseMs, 1),
    backoffMaxMs: count('backoffMaxMs', options.backoffMaxMs, d.backoffMaxMs, 1),
    pollIntervalMs: count('pollIntervalMs', options.pollIntervalMs, d.pollIntervalMs, 1),
    taskTimeoutMs: count('taskTimeoutMs', options.taskTimeoutMs, d.taskTimeoutMs, 1),
    ackTimeoutMs: count('ackTimeoutMs', options.ackTimeoutMs, d.ackTimeoutMs, 1),
    retentionMs: count('retentionMs', options.retentionMs, d.retentionMs, 1),
  }
}

/** The failure of one handler in transactional mode, carried out of the transaction to roll it back. */
class HandlersFailed {
  constructor(readonly errors: unknown[]) {}
}

/**
 * Creates a Postgres inbox for the plugin's `inbox` option.
 * @example await app.register(bluumWebhooks, { secret, inbox: createPostgresInbox({ pool }) })
 */
export function createPostgresInbox(options: PostgresInboxOptions): PostgresInbox {
  const settings = resolveInboxOptions(options)
  const { driver, mode, schema } = settings
  // Channel names are identifiers: one per schema so two inboxes in one database stay apart.
  const channel = `${schema}_tasks`
  let router: EventDispatcher | undefined
  let log: DeliveryLogger | undefined
  let workers: WorkerPool | undefined
  let running = 0
  let drained: (() => void) | undefined
  let closing: Promise<void> | undefined

  const acceptQueued = `
    with inserted as (
      insert into ${schema}.events (delivery_id, event, payload) values ($1, $2, $3::jsonb)
      on conflict (delivery_id) do nothing
      returning delivery_id
    ), tasks as (
      insert into ${schema}.tasks (delivery_id, handler_id)
      select inserted.delivery_id, h from inserted, unnest($4::text[]) as h
      returning 1
    ), counted as (
      select (select count(*) from inserted)::int as inserted, (select count(*) from tasks)::int as tasks
    )
    -- pg_notify is delivered at commit, which for this one statement is right after it.
    select inserted, (select pg_notify($5, '') where tasks > 0) is not null as notified from counted`

  const deadlines = createDeadlines(settings.ackTimeoutMs)

  function storeUnavailable(delivery: InboxDelivery, err: unknown): DeliveryAnswer {
    return unavailable(delivery.log, delivery.deliveryId, err, 'inbox database')
  }

  async function acceptQueue(delivery: InboxDelivery): Promise<DeliveryAnswer> {
    const { deliveryId, event, log } = delivery
    const handlerIds = (router as EventDispatcher).handlersFor(event).map((r) => r.id as string)
    let inserted: number
    try {
      const { rows } = await driver.query<{ inserted: number }>(acceptQueued, [
        deliveryId,
        event.event,
        JSON.stringify(event),
        handlerIds,
        channel,
      ])
      inserted = rows[0]?.inserted ?? 0
    } catch (err) {
      return storeUnavailable(delivery, err)
    }
    if (inserted === 0) return duplicate(log, { deliveryId, event: event.event })
    if (handlerIds.length > 0) workers?.wake()
    return queued(log, { deliveryId, event: event.event }, handlerIds.length)
  }

  /** Runs the handlers and records the event in one transaction; never rejects. */
  async function runInline(
    delivery: InboxDelivery,
  ): Promise<'processed' | 'duplicate' | 'in-flight' | HandlersFailed | { error: unknown }> {
    const { deliveryId, event, log } = delivery
    try {
      return await driver.transaction(async (tx) => {
        const lock = await tx.query<{ locked: boolean }>(
          'select pg_try_advisory_xact_lock(hashtextextended($1, 0)) as locked',
          [`${schema}:${deliveryId}`],
        )
        if (!lock.rows[0]?.locked) return 'in-flight' as const
        const seen = await tx.query(`select 1 from ${schema}.events where delivery_id = $1`, [
          deliveryId,
        ])
        if (seen.rows.length > 0) return 'duplicate' as const
        const context = { log, deliveryId, tx } as BluumHandlerContext
        // One connection: handlers run one after the other, and the first failure ends the
        // transaction (after a failed statement every later one would be refused anyway).
        const dispatcher = router as EventDispatcher
        for (const registration of dispatcher.handlersFor(event)) {
          try {
            await dispatcher.runHandler(registration, event, context)
          } catch (err) {
            throw new HandlersFailed([err])
          }
        }
        try {
          await tx.query(
            `insert into ${schema}.events (delivery_id, event, payload) values ($1, $2, $3::jsonb)`,
            [deliveryId, event.event, JSON.stringify(event)],
          )
        } catch (err) {
          // 25P02: a handler's statement failed and the handler went on.
          if ((err as { code?: unknown })?.code === '25P02')
            throw new InboxTransactionAbortedError()
          throw err
        }
        return 'processed' as const
      })
    } catch (err) {
      if (err instanceof HandlersFailed) return err
      // A handler swallowed a failed statement: its fault, not the database's.
      if (err instanceof InboxTransactionAbortedError) return new HandlersFailed([err])
      return { error: err }
    } finally {
      if (--running === 0) drained?.()
    }
  }

  async function acceptTransactional(delivery: InboxDelivery): Promise<DeliveryAnswer> {
    const { deliveryId, event, log } = delivery
    running++
    const fields = { deliveryId, event: event.event }
    const outcome = await deadlines.race(runInline(delivery), TIMED_OUT)
    if (outcome === TIMED_OUT) return ackTimedOut(log, fields, settings.ackTimeoutMs)
    if (outcome === 'processed') return processed(log, fields)
    if (outcome === 'duplicate') return duplicate(log, fields)
    if (outcome === 'in-flight') return inFlight(log, fields)
    if (outcome instanceof HandlersFailed) {
      logHandlersFailed(log, fields, outcome.errors, 'its transaction was rolled back')
      await (router as EventDispatcher).reportErrors(outcome.errors, event, { log, deliveryId })
      return handlersFailed(deliveryId, outcome.errors.length)
    }
    return storeUnavailable(delivery, outcome.error)
  }

  const inbox: PostgresInbox = {
    mode,
    schema,
    migrate: () => runMigration(driver, schema),

    async attach(dispatcher, logger) {
      router = dispatcher
      log = logger
      if (settings.migrate) await runMigration(driver, schema)
    },

    async start() {
      const dispatcher = router as EventDispatcher
      if (mode === 'queue') {
        const seen = new Set<string>()
        for (const { id } of dispatcher.registrations()) {
          if (typeof id !== 'string' || id.length === 0) {
            throw new InboxHandlerIdError('a handler was registered without an id')
          }
          if (seen.has(id)) throw new InboxHandlerIdError(`the id "${id}" is used twice`)
          seen.add(id)
        }
        workers = createWorkerPool(driver, dispatcher, log as DeliveryLogger, {
          schema,
          channel,
          concurrency: settings.concurrency,
          pollIntervalMs: settings.pollIntervalMs,
          maxAttempts: settings.maxAttempts,
          backoffBaseMs: settings.backoffBaseMs,
          backoffMaxMs: settings.backoffMaxMs,
          taskTimeoutMs: settings.taskTimeoutMs,
        })
        await workers.start()
      }
    },

    accept(delivery) {
      return mode === 'queue' ? acceptQueue(delivery) : acceptTransactional(delivery)
    },

    close() {
      // Idempotent: an app that closes its database in its own onClose calls this first.
      closing ??= (async () => {
        await workers?.close()
        if (running > 0) await new Promise<void>((resolve) => (drained = resolve))
      })()
      return closing
    },

    async stats() {
      const { rows } = await driver.query<{
        events: number
        pending: number
        done: number
        dead: number
        oldest_ms: number | null
      }>(
        `select (select count(*) from ${schema}.events)::int as events,
           count(*) filter (where state = 'pending')::int as pending,
           count(*) filter (where state = 'done')::int as done,
           count(*) filter (where state = 'dead')::int as dead,
           (extract(epoch from now() - min(created_at) filter (where state = 'pending')) * 1000)::float8 as oldest_ms
         from ${schema}.tasks`,
      )
      const row = rows[0] as NonNullable<(typeof rows)[0]>
      return {
        events: row.events,
        tasks: { pending: row.pending, done: row.done, dead: row.dead },
        oldestPendingMs: Math.max(0, Math.round(row.oldest_ms ?? 0)),
      }
    },

    async list(filter = {}) {
      const limit = count('limit', filter.limit, 100, 1)
      const { rows } = await driver.query<Record<string, unknown>>(
        `select t.id::text as id, t.delivery_id, e.event, t.handler_id, t.state, t.attempts,
           t.run_after, t.last_error, t.created_at, t.updated_at
         from ${schema}.tasks t join ${schema}.events e on e.delivery_id = t.delivery_id
         where ($1::text is null or t.state = $1) and ($2::text is null or e.event = $2)
         order by t.id desc limit $3`,
        [filter.state ?? null, filter.event ?? null, limit],
      )
      return rows.map((r) => ({
        id: r.id as string,
        deliveryId: r.delivery_id as string,
        event: r.event as string,
        handlerId: r.handler_id as string,
        state: r.state as InboxTaskState,
        attempts: r.attempts as number,
        runAfter: new Date(r.run_after as string | Date),
        lastError: (r.last_error as string | null) ?? null,
        createdAt: new Date(r.created_at as string | Date),
        updatedAt: new Date(r.updated_at as string | Date),
      }))
    },

    async retry(taskId) {
      const { rows } = await driver.query(
        `with retried as (
           update ${schema}.tasks set state = 'pending', attempts = 0, run_after = now(),
             updated_at = now()
           where id = $1::bigint and state = 'dead' returning 1
         ) select pg_notify($2, '') from retried`,
        [taskId, channel],
      )
      workers?.wake()
      return rows.length > 0
    },

    async retryDead(filter = {}) {
      const { rows } = await driver.query<{ retried: number }>(
        `with retried as (
           update ${schema}.tasks set state = 'pending', attempts = 0, run_after = now(),
             updated_at = now()
           where state = 'dead' and ($1::timestamptz is null or updated_at >= $1) returning 1
         ), counted as (select count(*)::int as n from retried)
         select n as retried, (select pg_notify($2, '') where n > 0) is not null as notified
         from counted`,
        [filter.since?.toISOString() ?? null, channel],
      )
      workers?.wake()
      return rows[0]?.retried ?? 0
    },

    async purge(filter = {}) {
      const olderThanMs = count('olderThanMs', filter.olderThanMs, settings.retentionMs, 0)
      const { rows } = await driver.query<{ purged: number }>(
        `with purged as (
           delete from ${schema}.events e
           where e.received_at < now() - make_interval(secs => $1::double precision / 1000)
             and not exists (select 1 from ${schema}.tasks t
                             where t.delivery_id = e.delivery_id and t.state <> 'done')
           returning 1
         ) select count(*)::int as purged from purged`,
        [olderThanMs],
      )
      return rows[0]?.purged ?? 0
    },
  }
  return inbox
}
