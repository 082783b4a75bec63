/**
 * A sandbox delivering in-process (`createInjectTransport`, no port) to a Fastify app with the
 * plugin (memory store) and one `onAny` handler: what the sandbox benches measure.
 */
import Fastify from 'fastify'
import bluumWebhooks from '../../plugin/index.js'
import { createInjectTransport, createSandbox } from '../../mock-server/index.js'

/** The sandbox, the receiving app, and how many events the handler ran so far. */
export async function sandboxWithPluginReceiver() {
  const sandbox = createSandbox({
    transport: { send: async () => ({ status: 200, headers: {}, body: '' }) },
  })
  const webhook = sandbox.webhooks.create({
    name: 'bench',
    url: 'http://127.0.0.1/webhooks/bluum',
    eventTypeNames: ['*'],
  })
  const app = Fastify()
  let handled = 0
  await app.register(bluumWebhooks, { secret: webhook.secret })
  app.bluum.onAny(() => {
    handled += 1
  })
  await app.ready()
  sandbox.deliveries.setTransport(createInjectTransport(app))
  return { sandbox, app, handled: () => handled }
}
