/**
 * A Fastify app that trades through Bluum and reacts to its webhooks, with the routing of
 * Bluum's webhook guide. Its own API places orders through Bluum's REST API with `fetch`.
 *
 * Webhooks go through a Postgres inbox in queue mode: Bluum gets its 200 as soon as the event is
 * stored, and each handler then runs in its own transaction (`tx`), retried alone if it fails.
 * What a handler writes through `tx` commits with its "done" mark: exactly once.
 */
import { PGlite } from '@electric-sql/pglite'
import Fastify, { type FastifyInstance } from 'fastify'
import bluumWebhooks, { investorIdOf } from 'fastify-bluum-webhooks'
import { createPostgresInbox, type PostgresInbox } from 'fastify-bluum-webhooks/postgres'
import pg from 'pg'
import {
  continueOnboarding,
  createQueries,
  enableTrading,
  migrateExample,
  recordAlert,
  recordNotification,
  type ExampleQueries,
  type Sql,
} from './db.js'

export interface BasicAppOptions {
  /** The webhook's `whsec_` secret. */
  webhookSecret: string
  /** Bluum's REST base URL. Default: the sandbox. */
  bluumBaseUrl?: string
  /** Bluum API key and secret (HTTP Basic). */
  apiKey: string
  apiSecret: string
  /** A PostgreSQL server (`postgres://…`). Default: PGlite, in-process. */
  databaseUrl?: string
  /** PGlite's data folder when no `databaseUrl`. Default: in memory. */
  pgliteDataDir?: string
  /** Sends a message to an investor (push, e-mail). Default: none, the database row is the notification. */
  notifier?: Notifier
  logger?: boolean
}

/**
 * The outside service that tells an investor something. It cannot join the transaction, so it
 * takes an idempotency key: a retry after a crash between `send` and the commit sends the same
 * key, and the service delivers the message once.
 */
export interface Notifier {
  send(investorId: string, message: string, idempotencyKey: string): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Reads of the example's tables. */
    db: ExampleQueries
    /** The webhook inbox (stats, dead tasks, retries). */
    inbox: PostgresInbox
  }
}

/** A pool on DATABASE_URL, or an in-process PGlite; closed with the app. */
async function openDatabase(options: BasicAppOptions) {
  if (options.databaseUrl) {
    // No 'error' listener needed: the inbox listens on its pool, so an idle connection that a
    // database restart drops is logged (at warn) instead of ending the process.
    const pool = new pg.Pool({ connectionString: options.databaseUrl })
    return { sql: pool as Sql, inbox: { pool }, close: () => pool.end() }
  }
  const pglite = await PGlite.create(options.pgliteDataDir)
  return { sql: pglite as Sql, inbox: { pglite }, close: () => pglite.close() }
}

export async function buildApp(options: BasicAppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false })
  const db = await openDatabase(options)
  await migrateExample(db.sql)
  const inbox = createPostgresInbox({ ...db.inbox, mode: 'queue' })
  app.decorate('db', createQueries(db.sql))
  app.decorate('inbox', inbox)

  await app.register(bluumWebhooks, { secret: options.webhookSecret, inbox })
  app.addHook('onClose', async () => {
    // The workers stop (running tasks finish) before their database closes.
    await inbox.close()
    await db.close()
  })

  // Every handler has a stable id: a queued task finds its handler by it after a deploy.
  app.bluum.on(
    'order.filled',
    async (event, { tx, deliveryId }) => {
      const { data } = event
      const investorId = investorIdOf(data) ?? 'unknown'
      const message = `Your ${data.side} order for ${data.filled_quantity ?? data.quantity} ${data.symbol} was filled at ${data.average_price}.`
      // Outside the database: at-least-once, made once by the service thanks to the key. If it
      // throws, nothing is recorded and this task alone is retried with backoff.
      await options.notifier?.send(investorId, message, `${deliveryId}:notify-investor`)
      await recordNotification(tx, { investor_id: investorId, order_id: data.id, message })
    },
    { id: 'notify-investor' },
  )
  app.bluum.on(
    'transfer.deposit.completed',
    async (event, { tx }) => enableTrading(tx, investorIdOf(event.data) ?? 'unknown'),
    { id: 'enable-trading' },
  )
  app.bluum.on(
    'transfer.deposit.failed',
    async (event, { tx }) =>
      recordAlert(
        tx,
        investorIdOf(event.data) ?? 'unknown',
        event.data.failure_reason ?? 'deposit failed',
      ),
    { id: 'alert-failed-deposit' },
  )
  app.bluum.on(
    'document.approved',
    async (event, { tx }) =>
      continueOnboarding(tx, investorIdOf(event.data) ?? 'unknown', 'funding'),
    { id: 'continue-onboarding' },
  )
  app.bluum.onError(async (error, event, context) => {
    context.log.error({ err: error, event: event.event }, 'webhook handler failed; retried')
  })

  const baseUrl = options.bluumBaseUrl ?? 'https://sandbox.api.bluumfinance.com/v1'
  const authorization =
    'Basic ' + Buffer.from(`${options.apiKey}:${options.apiSecret}`).toString('base64')

  /** The app's own API: buy or sell through Bluum. */
  app.post<{
    Params: { investorId: string }
    Body: { symbol: string; side: 'buy' | 'sell'; quantity: string }
  }>('/investors/:investorId/orders', async (request, reply) => {
    const response = await fetch(`${baseUrl}/investors/${request.params.investorId}/orders`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ ...request.body, type: 'market', time_in_force: 'day' }),
    })
    return reply.code(response.status).send(await response.json())
  })
  app.get<{ Params: { investorId: string } }>(
    '/investors/:investorId/notifications',
    async (request) => app.db.notifications(request.params.investorId),
  )
  return app
}
