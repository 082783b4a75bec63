/**
 * Options of `createPostgresInbox`: one frozen defaults object, one resolver that checks every
 * option once, at creation, and fails with `BLUUM_INBOX_INVALID_OPTION`.
 */
import { InboxInvalidOptionError } from '../errors.js'
import { createOptionChecker } from '../option-checks.js'
import {
  createPgDriver,
  createPgliteDriver,
  type PGliteLike,
  type PgPoolLike,
  type SqlDriver,
} from './driver.js'
import { orderingKeyOf, type InboxOrdering } from './ordering.js'
import type { StaleEventPolicy } from './worker.js'

/** How handlers run: in Bluum's request (`transactional`) or after the answer (`queue`). */
export type PostgresInboxMode = 'queue' | 'transactional'

/** What a store failure report carries beside the error. */
export interface InboxStoreErrorInfo {
  /** Where it happened: a delivery's acknowledgement, a task's run, a worker, an idle connection. */
  readonly during: 'delivery' | 'task' | 'worker' | 'idle-connection'
  readonly deliveryId?: string
  readonly event?: string
  readonly taskId?: string
  readonly handlerId?: string
}

/** Options of `createPostgresInbox`: exactly one of `pool` and `pglite`. */
export interface PostgresInboxOptions {
  /**
   * A node-postgres `Pool`; the inbox never ends it. While the inbox runs, it listens to the
   * pool's `'error'` event, so an idle connection dropped by a database restart cannot end the
   * process. No default.
   */
  pool?: PgPoolLike
  /** An embedded PGlite instance (tests, examples); the inbox never closes it. No default. */
  pglite?: PGliteLike
  /** `queue` (answer at once, workers run handlers) or `transactional` (inline). Default `'queue'`. */
  mode?: PostgresInboxMode
  /** Postgres schema of the inbox tables, a lower-case identifier. Default `'bluum_inbox'`. */
  schema?: string
  /** Run `migrate()` at `register`. Default true. */
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
   * attempt counts as failed. Default 60 000 (1 min).
   */
  taskTimeoutMs?: number
  /**
   * Queue mode: how long after a take a task whose worker vanished (a crash, a lost connection)
   * is due again, in ms; longer than `taskTimeoutMs`. Default twice `taskTimeoutMs`.
   */
  leaseMs?: number
  /** Queue mode: how often idle workers look for due tasks without a NOTIFY, in ms. Default 1000. */
  pollIntervalMs?: number
  /**
   * Queue mode: `'resource'` runs the tasks of one handler for one resource (the order, transfer,
   * investor or document id in `data`) one at a time, in the order of the events' timestamps; a
   * function returns the key of an event (undefined: unordered). Default `'none'`.
   */
  ordering?: InboxOrdering
  /**
   * Queue mode, with `ordering`: an event older than one already handled for its resource runs
   * with `context.stale` true (`'deliver'`), or is marked done without running (`'skip'`).
   * Default `'deliver'`.
   */
  staleEvents?: StaleEventPolicy
  /** Transactional mode: answer 503 when handlers run longer, in ms. Default 10 000 (Bluum waits 30 s). */
  ackTimeoutMs?: number
  /** The `Retry-After` of a 503 while the database is unreachable, in seconds; 0 for none. Default 60. */
  retryAfterSeconds?: number
  /** Default of `purge()`: how long processed events are kept, in ms. Default 7 days (> Bluum's 10.6 h ladder). */
  retentionMs?: number
  /**
   * Called on every failure of the database (a lost connection, a restart, a serialization
   * failure, a statement timeout), which is logged at warn and never reported to `onError`.
   * Default none.
   */
  onStoreError?: (error: Error, info: InboxStoreErrorInfo) => void
}

/**
 * The options without the database: what a handlers module exports as `inboxOptions`, so the app
 * (`createPostgresInbox({ pool, ...inboxOptions })`) and `bluum-worker` share one set of settings.
 */
export type PostgresInboxSettings = Omit<PostgresInboxOptions, 'pool' | 'pglite'>

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
  ordering: 'none' as InboxOrdering,
  staleEvents: 'deliver' as StaleEventPolicy,
  ackTimeoutMs: 10_000,
  retryAfterSeconds: 60,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
})

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/
const KNOWN_OPTIONS = [
  'pool',
  'pglite',
  'mode',
  'schema',
  'migrate',
  'concurrency',
  'maxAttempts',
  'backoffBaseMs',
  'backoffMaxMs',
  'taskTimeoutMs',
  'leaseMs',
  'pollIntervalMs',
  'ordering',
  'staleEvents',
  'ackTimeoutMs',
  'retryAfterSeconds',
  'retentionMs',
  'onStoreError',
] as const

const check = createOptionChecker(InboxInvalidOptionError, 'createPostgresInbox')

/** An integer option of at least `min` (0 or 1), or the fallback when absent. */
export function integerOption(name: string, value: unknown, fallback: number, min: 0 | 1): number {
  if (min === 1) return check.positiveInteger(name, value, fallback)
  if (value === undefined) return fallback
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value
  return check.fail(name, 'an integer >= 0', value)
}

/** The checked settings of one inbox. */
export type ResolvedInboxOptions = ReturnType<typeof resolveInboxOptions>

/** Checks every option once; every defect is a `BLUUM_INBOX_INVALID_OPTION`. */
export function resolveInboxOptions(options: PostgresInboxOptions) {
  if (options === undefined) {
    throw new InboxInvalidOptionError('options', 'expected an object with `pool` or `pglite`')
  }
  const given = check.knownKeys('options', options, KNOWN_OPTIONS)
  const { pool, pglite } = given as Pick<PostgresInboxOptions, 'pool' | 'pglite'>
  if ((pool === undefined) === (pglite === undefined)) {
    throw new InboxInvalidOptionError(
      pool === undefined ? 'pool' : 'pglite',
      'pass exactly one of `pool` (a node-postgres Pool) and `pglite` (an embedded PGlite)',
    )
  }
  if (pool !== undefined) check.methods('pool', pool, ['connect'])
  if (pglite !== undefined) check.methods('pglite', pglite, ['query', 'transaction', 'listen'])
  const d = postgresInboxDefaults
  const mode = check.oneOf('mode', given.mode, ['queue', 'transactional'], d.mode)
  const schema = check.string('schema', given.schema, d.schema, {
    test: SCHEMA_NAME,
    expected: 'a lower-case SQL identifier (letters, digits, _; at most 48)',
  })
  const ordering =
    typeof given.ordering === 'function'
      ? (given.ordering as InboxOrdering)
      : check.oneOf('ordering', given.ordering, ['none', 'resource'], 'none')
  if (ordering !== 'none' && mode !== 'queue') {
    throw new InboxInvalidOptionError(
      'ordering',
      'only queue mode orders tasks (transactional mode runs each delivery when Bluum sends it)',
    )
  }
  const onStoreError = check.fn('onStoreError', given.onStoreError, undefined as never) as
    PostgresInboxOptions['onStoreError'] | undefined
  const migrate = check.boolean('migrate', given.migrate, d.migrate)
  const taskTimeoutMs = integerOption('taskTimeoutMs', given.taskTimeoutMs, d.taskTimeoutMs, 1)
  const leaseMs = integerOption('leaseMs', given.leaseMs, 2 * taskTimeoutMs, 1)
  if (leaseMs <= taskTimeoutMs) {
    // A lease that ends first would let a second worker take a task its first still runs.
    throw new InboxInvalidOptionError(
      'leaseMs',
      `must be longer than taskTimeoutMs (${taskTimeoutMs}), received ${leaseMs}`,
    )
  }
  const driver: SqlDriver =
    pool !== undefined ? createPgDriver(pool) : createPgliteDriver(pglite as PGliteLike)
  return {
    driver,
    mode,
    schema,
    migrate,
    concurrency: integerOption('concurrency', given.concurrency, d.concurrency, 0),
    maxAttempts: integerOption('maxAttempts', given.maxAttempts, d.maxAttempts, 1),
    backoffBaseMs: integerOption('backoffBaseMs', given.backoffBaseMs, d.backoffBaseMs, 1),
    backoffMaxMs: integerOption('backoffMaxMs', given.backoffMaxMs, d.backoffMaxMs, 1),
    pollIntervalMs: integerOption('pollIntervalMs', given.pollIntervalMs, d.pollIntervalMs, 1),
    taskTimeoutMs,
    leaseMs,
    ordering,
    orderingKey: orderingKeyOf(ordering),
    staleEvents: check.oneOf('staleEvents', given.staleEvents, ['deliver', 'skip'], d.staleEvents),
    ackTimeoutMs: integerOption('ackTimeoutMs', given.ackTimeoutMs, d.ackTimeoutMs, 1),
    retryAfterSeconds: integerOption(
      'retryAfterSeconds',
      given.retryAfterSeconds,
      d.retryAfterSeconds,
      0,
    ),
    retentionMs: integerOption('retentionMs', given.retentionMs, d.retentionMs, 1),
    onStoreError,
  }
}
