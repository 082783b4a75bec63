/**
 * Starts the observability example on 127.0.0.1:3000 (PORT to change it):
 * `BLUUM_WEBHOOK_SECRET=whsec_... npm run example:observability`, then
 * `curl http://127.0.0.1:3000/metrics`.
 */
import { buildApp } from './app.js'

const app = await buildApp()
await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close())
