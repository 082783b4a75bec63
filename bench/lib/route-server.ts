/**
 * Child process of `bench/plugin-route.ts`: one Fastify app on 127.0.0.1, logger off.
 *
 *   bare    POST /webhooks/bluum with Fastify's default JSON parser, answers 200 {received:true}
 *   plugin  the plugin with the test secret and one no-op `order.filled` handler
 *
 * Both count the requests that reached their handler, so the parent can prove every plugin
 * delivery ran its handler (no duplicates, no silent rejects).
 */
import Fastify from 'fastify'
import bluumWebhooks from '../../plugin/index.js'
import { TEST_SECRET } from '../../test/helpers/sign.js'
import { reportStartupError, serve } from './server-process.js'

export const ROUTE_PATH = '/webhooks/bluum'

async function main(mode: string | undefined): Promise<void> {
  const app = Fastify({ logger: false })
  let handled = 0
  if (mode === 'bare') {
    app.post(ROUTE_PATH, async () => {
      handled++
      return { received: true }
    })
  } else if (mode === 'plugin') {
    await app.register(bluumWebhooks, { secret: TEST_SECRET })
    app.bluum.on('order.filled', () => {
      handled++
    })
  } else {
    throw new Error(`usage: route-server.ts bare|plugin (got ${String(mode)})`)
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

main(process.argv[2]).catch(reportStartupError)
