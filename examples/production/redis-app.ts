import Fastify from 'fastify'
import bluumWebhooks from 'fastify-bluum-webhooks'
import { createRedisStore } from 'fastify-bluum-webhooks/redis'

export async function buildApp({ webhookSecret = process.env.BLUUM_WEBHOOK_SECRET } = {}) {
  const app = Fastify({ logger: true })
  await app.register(bluumWebhooks, {
    secret: webhookSecret,
    // Every instance on this Redis shares the claims: a retry that lands elsewhere is a duplicate.
    store: createRedisStore({ url: process.env.REDIS_URL }), // or { client: yourIoredisClient }
  })
  app.bluum.on('order.filled', async (event, { log }) => {
    log.info({ order: event.data.id }, 'order filled') // once per event, on whichever instance
  })
  return app
}
