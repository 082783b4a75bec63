/**
 * Child process of `bench/plugin-route.ts`: one Fastify app on 127.0.0.1, logger off.
 *
 *   bare         POST /webhooks/bluum with Fastify's default JSON parser, answers 200 {received:true}
 *   plugin       the plugin with the test secret and one no-op `order.filled` handler
 *   redis <url>  the same plugin with the Redis store on <url> (bench/redis-store.ts)
 *
 * Both count the requests that reached their handler, so the parent can prove every plugin
 * delivery ran its handler (no duplicates, no silent rejects).
 */
import Fastify from 'fastify'
import bluumWebhooks from '../../plugin/index.js'
import { createRedisStore } from '../../plugin/redis-store.js'
import { TEST_SECRET } from '../../test/helpers/sign.js'
import { reportStartupError, serve } from './server-process.js'

export const ROUTE_PATH = '/webhooks/bluum'

async function main(mode: string | undefined, redisUrl: string | undefined): Promise<void> {
  const app = Fastify({ logger: false })
  let handled = 0
  if (mode === 'bare') {
    app.post(ROUTE_PATH, async () => {
      handled++
      return { received: true }
    })
  } else if (mode === 'plugin' || (mode === 'redis' && redisUrl)) {
    const store = mode === 'redis' ? createRedisStore({ url: redisUrl! }) : undefined
    await app.register(bluumWebhooks, { secret: TEST_SECRET, ...(store ? { store } : {}) })
    app.bluum.on('order.filled', () => {
      handled++
    })
  } else {
    throw new Error(`usage: route-server.ts bare|plugin|redis <url> (got ${String(mode)})`)
  }
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  serve(
    address.port,
    () => handled,
    () => app.close(),
  )
}

main(process.argv[2], process.argv[3]).catch(reportStartupError)
