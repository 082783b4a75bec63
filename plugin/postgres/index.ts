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
import { createEventRouter } from '../router.js'
import type { BluumEventRouter, DeliveryLogger } from '../types.js'
import type { InboxTransaction } from './driver.js'
import type { PostgresInbox } from './inbox.js'

declare module '../types.js' {
  interface BluumHandlerContextExtensions {
    /**
     * The transaction of this delivery (transactional mode) or task (queue mode): what a handler
     * writes through it commits together with the "processed" mark, or not at all.
     */
    readonly tx: InboxTransaction
  }
}

/** Options of {@link startInboxWorker}. */
export interface InboxWorkerOptions {
  /** A queue-mode inbox from `createPostgresInbox`, with `concurrency` above 0. Required. */
  inbox: PostgresInbox
  /** Registers the handlers this worker runs, with the same ids as the app's. Required. */
  handlers: (bluum: BluumEventRouter) => void
  /** Where the worker logs (a pino or Fastify logger). Default: silent. */
  log?: DeliveryLogger
}

/** A worker running in its own process; `close()` stops taking tasks and waits for the running ones. */
export interface InboxWorker {
  close(): Promise<void>
}

const silent: DeliveryLogger = { debug() {}, info() {}, warn() {}, error() {} }

/**
 * Runs queue-mode workers without an HTTP server, against the same database as the app(s).
 * @example
 * const worker = await startInboxWorker({ inbox: createPostgresInbox({ pool }), handlers: registerHandlers })
 * process.once('SIGTERM', () => worker.close())
 */
export async function startInboxWorker(options: InboxWorkerOptions): Promise<InboxWorker> {
  const router = createEventRouter()
  options.handlers(router.api)
  await options.inbox.attach(router, options.log ?? silent)
  await options.inbox.start()
  return { close: () => options.inbox.close() }
}

export {
  createPostgresInbox,
  postgresInboxDefaults,
  type InboxStats,
  type InboxTask,
  type InboxTaskState,
  type PostgresInbox,
  type PostgresInboxMode,
  type PostgresInboxOptions,
} from './inbox.js'
export type {
  InboxQueryResult,
  InboxTransaction,
  PgClientLike,
  PgPoolLike,
  PGliteLike,
  PGliteTransactionLike,
} from './driver.js'
export { INBOX_SCHEMA_VERSION, migrationSql } from './migrate.js'
