import Fastify from 'fastify'
import bluumWebhooks from 'fastify-bluum-webhooks'
import { createPostgresInbox } from 'fastify-bluum-webhooks/postgres'
import pg from 'pg'

export async function buildApp({
  webhookSecret = process.env.BLUUM_WEBHOOK_SECRET,
  databaseUrl = process.env.DATABASE_URL,
} = {}) {
  const app = Fastify({ logger: true })
  const pool = new pg.Pool({ connectionString: databaseUrl })
  const inbox = createPostgresInbox({ pool, mode: 'queue' }) // its tables are migrated at register
  await app.register(bluumWebhooks, { secret: webhookSecret, inbox })
  app.addHook('onClose', async () => {
    await inbox.close() // running tasks finish before their pool ends
    await pool.end()
  })

  app.bluum.on(
    'transfer.deposit.completed',
    async (event, { tx }) => {
      // Commits with the inbox's "done" mark, in one transaction: once per event.
      await tx.query('update investors set trading_enabled = true where id = $1', [
        event.data.investor_id,
      ])
    },
    { id: 'enable-trading' }, // a queued task finds its handler by this id after a deploy
  )
  return app
}
