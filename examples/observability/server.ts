/**
 * Starts the observability example on 127.0.0.1:3000 (PORT to change it):
 * `npm run example:observability`, then `curl http://127.0.0.1:3000/metrics`. The webhook secret
 * comes from BLUUM_WEBHOOK_SECRET, or from `.env`, where `bluum-sandbox --write-env` keeps it.
 */
import { existsSync } from 'node:fs'
import { buildApp } from './app.js'

// An exported variable wins over the file (loadEnvFile never overwrites one).
if (existsSync('.env')) process.loadEnvFile('.env')

const app = await buildApp()
await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close())
