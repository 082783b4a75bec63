/**
 * Delivery-engine benchmark: signed deliveries per second from the sandbox to a plugin-backed
 * Fastify receiver, in-process (`inject`) and over loopback HTTP, plus the wall time of a full
 * failed retry ladder (6 attempts, ~10.6 h of sandbox time) under the virtual clock.
 *
 * Two sources of events, measured apart:
 *   delivery  a custom event name (`trigger(name, {}, { custom: true })`): no resource is built,
 *             so the figure is the delivery engine's (sign, send, the receiver verifies and runs)
 *   trigger   `trigger('order.filled')`, which has the engines build what the event stands for
 *             (an investor, a deposit that funds it, a market order placed and filled) before the
 *             one event goes out: what a test that triggers events pays per event
 *
 * Run: node --import=tsx bench/sandbox-delivery.ts [events=2000]
 * Bounded: a fixed number of events, 127.0.0.1 only.
 */
import Fastify from 'fastify'
import bluumWebhooks from '../plugin/index.js'
import {
  createHttpTransport,
  createInjectTransport,
  createSandbox,
  type DeliveryTransport,
} from '../mock-server/index.js'

const events = Math.min(20_000, Math.max(100, Number(process.argv[2] ?? 2000)))
const batch = 200

type Source = 'delivery' | 'trigger'

/** A custom name outside the catalog: the receiver's `onAny` handler runs it. */
const CUSTOM_EVENT = 'bench.delivery'

async function receiver(secret: string) {
  const app = Fastify()
  let handled = 0
  await app.register(bluumWebhooks, { secret })
  app.bluum.onAny(() => {
    handled += 1
  })
  await app.ready()
  return { app, handled: () => handled }
}

async function deliveriesPerSecond(
  kind: 'inject' | 'http',
  source: Source,
): Promise<{ perSecond: number; ms: number; ok: number }> {
  // The secret is only known once the webhook exists, and the receiver needs it: create the
  // sandbox first, then the receiver, then point the transport at it.
  const sandbox = createSandbox({
    transport: { send: async () => ({ status: 200, headers: {}, body: '' }) },
  })
  const webhook = sandbox.webhooks.create({
    name: 'bench',
    url: 'http://127.0.0.1/webhooks/bluum',
    eventTypeNames: ['*'],
  })
  const emit =
    source === 'delivery'
      ? () => sandbox.trigger(CUSTOM_EVENT, {}, { custom: true })
      : () => sandbox.trigger('order.filled')
  const { app, handled } = await receiver(webhook.secret)
  let transport: DeliveryTransport
  if (kind === 'inject') transport = createInjectTransport(app)
  else {
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    sandbox.webhooks.update(webhook.id, { url: `${address}/webhooks/bluum` })
    transport = createHttpTransport()
  }
  sandbox.deliveries.setTransport(transport)
  // Warm-up, not measured.
  for (let i = 0; i < 50; i++) emit()
  await sandbox.idle()
  const before = handled()
  const start = performance.now()
  for (let sent = 0; sent < events; sent += batch) {
    for (let i = 0; i < Math.min(batch, events - sent); i++) emit()
    await sandbox.idle()
  }
  const ms = performance.now() - start
  const ok = handled() - before
  await app.close()
  await transport.close?.()
  await sandbox.close()
  return { perSecond: Math.round((ok / ms) * 1000), ms: Math.round(ms), ok }
}

async function failedLadder(
  count: number,
): Promise<{ ms: number; attempts: number; parked: number; sandboxHours: number }> {
  const sandbox = createSandbox({
    transport: { send: async () => ({ status: 500, headers: {}, body: '' }) },
  })
  sandbox.webhooks.create({ name: 'down', url: 'http://127.0.0.1:9/down', eventTypeNames: ['*'] })
  const start = performance.now()
  const t0 = sandbox.clock.now()
  for (let i = 0; i < count; i++) sandbox.trigger('order.filled')
  await sandbox.clock.advance('11h')
  const ms = performance.now() - start
  const deliveries = sandbox.deliveries.list()
  const attempts = deliveries.reduce((n, d) => n + d.attempts.length, 0)
  const parked = deliveries.filter((d) => d.status === 'parked').length
  const last = Math.max(
    ...deliveries.flatMap((d) => d.attempts.map((a) => Date.parse(a.attempted_at))),
  )
  await sandbox.close()
  return {
    ms: Math.round(ms * 100) / 100,
    attempts,
    parked,
    sandboxHours: Math.round(((last - t0) / 3_600_000) * 100) / 100,
  }
}

const rates: Record<string, { perSecond: number; ms: number; ok: number }> = {}
for (const source of ['delivery', 'trigger'] as const) {
  for (const kind of ['inject', 'http'] as const) {
    const rate = await deliveriesPerSecond(kind, source)
    rates[`${source}-${kind}`] = rate
    const what = source === 'delivery' ? 'signed deliveries/s' : 'triggered order.filled/s'
    const via = kind === 'inject' ? 'inject' : 'http (loopback)'
    console.log(
      `${source} ${via}: ${rate.perSecond} ${what} (${rate.ok} verified by the plugin in ${rate.ms} ms)`,
    )
  }
}
const ladder1 = await failedLadder(1)
console.log(
  `failed ladder, 1 event: ${ladder1.attempts} attempts over ${ladder1.sandboxHours} h sandbox time in ${ladder1.ms} ms wall`,
)
const ladder100 = await failedLadder(100)
console.log(
  `failed ladder, 100 events: ${ladder100.attempts} attempts, ${ladder100.parked} parked in ${ladder100.ms} ms wall`,
)
console.log(JSON.stringify({ bench: 'sandbox-delivery', events, ...rates, ladder1, ladder100 }))
