/**
 * A Fastify app that trades through Bluum and reacts to its webhooks, with the routing of
 * Bluum's webhook guide. Its own API places orders through Bluum's REST API with `fetch`.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import bluumWebhooks, { investorIdOf, type DedupeStore } from 'fastify-bluum-webhooks'
import { openDatabase, type ExampleDatabase } from './db.js'

export interface BasicAppOptions {
  /** The webhook's `whsec_` secret. */
  webhookSecret: string
  /** Bluum's REST base URL. Default: the sandbox. */
  bluumBaseUrl?: string
  /** Bluum API key and secret (HTTP Basic). */
  apiKey: string
  apiSecret: string
  /** SQLite file. Default `:memory:`. */
  databaseFile?: string
  /** Dedupe store shared by instances (e.g. Redis). Default: in memory. */
  store?: DedupeStore
  /** Sends a message to an investor (push, e-mail). Default: none, the database row is the notification. */
  notifier?: Notifier
  logger?: boolean
}

/** The outside service that tells an investor something; it can fail, and Bluum then retries. */
export interface Notifier {
  send(investorId: string, message: string): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    db: ExampleDatabase
  }
}

export async function buildApp(options: BasicAppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false })
  const db = openDatabase(options.databaseFile ?? ':memory:')
  app.decorate('db', db)
  app.addHook('onClose', async () => db.close())

  await app.register(bluumWebhooks, {
    secret: options.webhookSecret,
    ...(options.store ? { store: options.store } : {}),
  })

  app.bluum.on('order.filled', async (event) => {
    const { data } = event
    const investorId = investorIdOf(data) ?? 'unknown'
    const message = `Your ${data.side} order for ${data.filled_quantity ?? data.quantity} ${data.symbol} was filled at ${data.average_price}.`
    // If the notifier throws, nothing is recorded, the delivery answers 500 and Bluum retries.
    await options.notifier?.send(investorId, message)
    db.notify({ investor_id: investorId, order_id: data.id, message })
  })
  app.bluum.on('transfer.deposit.completed', async (event) => {
    db.enableTrading(investorIdOf(event.data) ?? 'unknown')
  })
  app.bluum.on('transfer.deposit.failed', async (event) => {
    const investorId = investorIdOf(event.data) ?? 'unknown'
    db.alert(investorId, event.data.failure_reason ?? 'deposit failed')
  })
  app.bluum.on('document.approved', async (event) => {
    db.continueOnboarding(investorIdOf(event.data) ?? 'unknown', 'funding')
  })
  app.bluum.onError(async (error, event, context) => {
    context.log.error({ err: error, event: event.event }, 'webhook handler failed; Bluum retries')
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
    async (request) => db.notifications(request.params.investorId),
  )
  return app
}
