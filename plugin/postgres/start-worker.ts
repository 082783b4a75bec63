/** Queue-mode workers in a process of their own, without an HTTP server. */
import { createEventRouter } from '../router.js'
import type { BluumEventRouter, DeliveryLogger } from '../types.js'
import type { PostgresInbox } from './inbox.js'

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
