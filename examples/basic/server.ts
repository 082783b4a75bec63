/**
 * Runs the example app: `BLUUM_WEBHOOK_SECRET=whsec_... node --import=tsx examples/basic/server.ts`
 * Start `npx bluum-sandbox --forward-to http://127.0.0.1:3000/webhooks/bluum` beside it and
 * use the secret it prints (see examples/local-dev).
 */
import { buildApp } from './app.js'

const webhookSecret = process.env.BLUUM_WEBHOOK_SECRET
if (!webhookSecret) {
  process.stderr.write('Set BLUUM_WEBHOOK_SECRET to the whsec_ secret of your Bluum webhook.\n')
  process.exit(1)
}
const app = await buildApp({
  webhookSecret,
  bluumBaseUrl: process.env.BLUUM_BASE_URL ?? 'http://127.0.0.1:4010/v1',
  apiKey: process.env.BLUUM_API_KEY ?? 'bluum_sandbox_key',
  apiSecret: process.env.BLUUM_API_SECRET ?? 'bluum_sandbox_secret',
  databaseFile: process.env.DATABASE_FILE ?? 'example.sqlite',
  logger: true,
})
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3000) })
// Exit as soon as the app has closed (its onClose closes the database): on Node 24 and later,
// better-sqlite3 12's prepared statements crash the process if V8 collects them during its
// teardown, after the addon's environment is gone.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)))
}
