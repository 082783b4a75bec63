import Fastify from 'fastify'
import bluumWebhooks from 'fastify-bluum-webhooks'

export async function buildApp({ webhookSecret = process.env.BLUUM_WEBHOOK_SECRET } = {}) {
  const app = Fastify({ logger: true })
  await app.register(bluumWebhooks, { secret: webhookSecret }) // POST /webhooks/bluum

  app.bluum.on('order.filled', async (event, { log }) => {
    log.info({ symbol: event.data.symbol, price: event.data.average_price }, 'order filled')
  })
  app.bluum.on('transfer.*', async (event) => {
    // every transfer.deposit.* and transfer.withdrawal.* event; event.data.amount is a string
  })
  app.bluum.onAny(async (event) => {
    // every event, including names Bluum adds after this package was published
  })
  app.bluum.onError(async (error, event) => {
    // error.errors: every handler failure of this delivery; Bluum will retry it
  })
  return app
}
