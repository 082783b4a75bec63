/** Builds a fresh Fastify app with the plugin for one test, closed at the test's end. */
import Fastify, { type FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import bluumWebhooks, { type BluumWebhooksOptions } from '../../plugin/index.js'
import { TEST_SECRET } from './sign.js'

export async function buildApp(
  t: Test,
  options: BluumWebhooksOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(bluumWebhooks, { secret: TEST_SECRET, ...options })
  return app
}

/** Posts a signed delivery through `inject`. */
export function deliver(
  app: FastifyInstance,
  delivery: { headers: Record<string, string>; payload: string },
  url = '/webhooks/bluum',
) {
  return app.inject({ method: 'POST', url, headers: delivery.headers, payload: delivery.payload })
}
