/**
 * A sandbox delivering in-process (`createInjectTransport`, no port) to a Fastify app with the
 * plugin (memory store) and one `onAny` handler: what the sandbox benches measure.
 */
import Fastify from 'fastify'
import bluumWebhooks from '../../plugin/index.js'
import { createInjectTransport, createSandbox, type Sandbox } from '../../mock-server/index.js'

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

/** Events emitted before the sandbox is left to deliver them all (`idle()`). */
export const EMIT_BATCH = 200

/** Emits `count` events in batches, letting every delivery finish after each batch. */
export async function emitMany(
  sandbox: Sandbox,
  emit: () => unknown,
  count: number,
): Promise<void> {
  for (let sent = 0; sent < count; sent += EMIT_BATCH) {
    for (let i = 0; i < Math.min(EMIT_BATCH, count - sent); i++) emit()
    await sandbox.idle()
  }
}
