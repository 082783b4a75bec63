/**
 * `fastify-bluum-webhooks/postgres`: a durable inbox on PostgreSQL (node-postgres) or PGlite, so
 * the writes a handler makes through `context.tx` commit with the "processed" mark: exactly once.
 *
 * @example
 * import { createPostgresInbox } from 'fastify-bluum-webhooks/postgres'
 * await app.register(bluumWebhooks, { secret, inbox: createPostgresInbox({ pool, mode: 'queue' }) })
 * app.bluum.on('transfer.deposit.completed', async (event, { tx }) => {
 *   await tx.query('update investors set trading_enabled = true where id = $1', [event.data.investor_id])
 * }, { id: 'enable-trading' })
 */
import type { InboxTransaction } from './driver.js'

declare module '../types.js' {
  interface BluumHandlerContextExtensions {
    /**
     * The transaction of this delivery (transactional mode) or task (queue mode): what a handler
     * writes through it commits together with the "processed" mark, or not at all.
     */
    readonly tx: InboxTransaction
    /**
     * This run's number, from 1. Queue mode: the task's attempt. Transactional mode: the runs of
     * this delivery that reached the handlers, this one included (Bluum's retries after a 503
     * from the database do not count; a replay may go past `maxAttempts`).
     */
    readonly attempt: number
    /**
     * The last attempt's number. Queue mode: the inbox's `maxAttempts`, after which the task is
     * dead. Transactional mode: Bluum's 6 attempts, after which it parks the event.
     * @example if (attempt === maxAttempts) await alert(`last attempt for ${deliveryId}`)
     */
    readonly maxAttempts: number
    /**
     * Queue mode with `ordering`: true when an event newer than this one was already handled for
     * the same resource by this handler (apply it only if it still makes sense). Else false.
     */
    readonly stale: boolean
  }
}

export { startInboxWorker, type InboxWorker, type InboxWorkerOptions } from './start-worker.js'
export { createPostgresInbox, type PostgresInbox } from './inbox.js'
export {
  postgresInboxDefaults,
  type InboxStoreErrorInfo,
  type PostgresInboxMode,
  type PostgresInboxOptions,
  type PostgresInboxSettings,
} from './options.js'
export type {
  InboxListFilter,
  InboxOperations,
  InboxStats,
  InboxTask,
  InboxTaskState,
} from './operations.js'
export { resourceKey, type InboxOrdering } from './ordering.js'
export type { StaleEventPolicy } from './worker.js'
export type {
  InboxQueryResult,
  InboxTransaction,
  PgClientLike,
  PgPoolLike,
  PGliteLike,
  PGliteTransactionLike,
} from './driver.js'
export {
  INBOX_SCHEMA_VERSION,
  migrationSql,
  MIGRATIONS,
  type InboxMigration,
} from './migrations.js'
