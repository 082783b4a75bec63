/**
 * Runs the example app: `npm run example:basic`, beside
 * `npm run sandbox -- --forward-to http://127.0.0.1:3000/webhooks/bluum --write-env` (in a
 * project that installed the package: `npx bluum-sandbox --forward-to ... --write-env`), which
 * keeps the webhook's secret in `.env` (see examples/local-dev). BLUUM_WEBHOOK_SECRET in the
 * environment wins over the file. State goes to PGlite in `example-pgdata/` (PGLITE_DATA_DIR), or
 * to a PostgreSQL server with DATABASE_URL.
 */
import { existsSync } from 'node:fs'
import { buildApp } from './app.js'

// An exported variable wins over the file (loadEnvFile never overwrites one).
if (existsSync('.env')) process.loadEnvFile('.env')
const webhookSecret = process.env.BLUUM_WEBHOOK_SECRET
if (!webhookSecret) {
  process.stderr.write(
    'Set BLUUM_WEBHOOK_SECRET to the whsec_ secret of your Bluum webhook, or start the sandbox with --forward-to <url> --write-env first, which keeps it in .env.\n',
  )
  process.exit(1)
}
const databaseUrl = process.env.DATABASE_URL
const app = await buildApp({
  webhookSecret,
  bluumBaseUrl: process.env.BLUUM_BASE_URL ?? 'http://127.0.0.1:4010/v1',
  apiKey: process.env.BLUUM_API_KEY ?? 'bluum_sandbox_key',
  apiSecret: process.env.BLUUM_API_SECRET ?? 'bluum_sandbox_secret',
  ...(databaseUrl
    ? { databaseUrl }
    : { pgliteDataDir: process.env.PGLITE_DATA_DIR ?? 'example-pgdata' }),
  logger: true,
})
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3000) })
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // Stops taking webhook tasks, waits for the running ones, then closes the database.
  process.once(signal, () => void app.close())
}
