/**
 * Retries that fall due together go out side by side, over real HTTP to a receiver on
 * 127.0.0.1: never more than `maxConcurrentDeliveries` on the wire, each due retry attempted
 * once, started in the order they fell due for each endpoint, each stamped with its own due time.
 * The receiver holds the retries until the test lets them go, so nothing here races a clock.
 */
import { once, EventEmitter } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import t from 'tap'
import {
  createHttpTransport,
  createSandbox,
  sandboxErrors,
  type DeliveryRequest,
  type DeliveryTransport,
} from '../mock-server/index.js'

const minute = 60_000

/** A receiver that fails every first attempt at once and holds every retry until released. */
async function holdingReceiver(t: { teardown(fn: () => unknown): void }) {
  const seen = new Set<string>()
  const held: { id: string; path: string; reply: ServerResponse }[] = []
  const changed = new EventEmitter()
  const server = createServer((request: IncomingMessage, reply: ServerResponse) => {
    request.resume()
    request.on('end', () => {
      const id = String(request.headers['webhook-id'])
      const key = `${request.url} ${id}`
      if (!seen.has(key)) {
        seen.add(key)
        reply.writeHead(500).end('not yet')
        return
      }
      held.push({ id, path: String(request.url), reply })
      changed.emit('held')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const { port } = server.address() as { port: number }
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    held,
    /** Resolves once `count` retries are held. */
    async holding(count: number) {
      while (held.length < count) await once(changed, 'held')
    },
    releaseAll() {
      for (const { reply } of held.splice(0)) reply.writeHead(200).end('{}')
    },
  }
}

/** The HTTP transport, counting what is on the wire and the order attempts start in. */
function counting(inner: DeliveryTransport) {
  const started: { url: string; id: string }[] = []
  let inFlight = 0
  let most = 0
  const transport: DeliveryTransport = {
    async send(request: DeliveryRequest) {
      started.push({ url: request.url, id: request.headers['webhook-id']! })
      inFlight += 1
      most = Math.max(most, inFlight)
      try {
        return await inner.send(request)
      } finally {
        inFlight -= 1
      }
    },
    close: () => inner.close?.() ?? Promise.resolve(),
  }
  return { transport, started, most: () => most, inFlight: () => inFlight }
}

t.test(
  'retries due at the same minute go out side by side: at most the bound, each once, in due order per endpoint',
  async (t) => {
    const bound = 4
    const receiver = await holdingReceiver(t)
    const wire = counting(createHttpTransport())
    const sandbox = createSandbox({ transport: wire.transport, maxConcurrentDeliveries: bound })
    t.teardown(async () => {
      await sandbox.close()
      await wire.transport.close?.()
    })
    const webhooks = ['/a', '/b'].map((path) =>
      sandbox.webhooks.create({ name: path, url: receiver.url(path), eventTypeNames: ['*'] }),
    )
    // The retry of each first attempt is scheduled when its answer is recorded: that is due order.
    const dueOrder: { webhook: string; id: string }[] = []
    sandbox.deliveries.onAttempt((delivery, attempt) => {
      if (attempt.attempt === 1)
        dueOrder.push({ webhook: delivery.webhook_id, id: delivery.event_id })
    })
    const start = sandbox.clock.now()
    for (let i = 0; i < 6; i++) sandbox.trigger('test.retry', { n: i }, { custom: true })
    await sandbox.idle()
    t.equal(dueOrder.length, 12, 'every first attempt failed and scheduled its retry')
    t.ok(wire.most() <= bound, 'first attempts respect the bound too')

    const before = wire.started.length
    const advancing = sandbox.clock.advance('1m')
    for (let released = 0; released < 12;) {
      const wave = Math.min(bound, 12 - released)
      await receiver.holding(wave)
      t.equal(wire.inFlight(), wave, `${wave} retries on the wire while the receiver holds them`)
      released += receiver.held.length
      receiver.releaseAll()
    }
    t.equal(await advancing, start + minute, 'the advance ends once every due retry is answered')
    t.equal(wire.most(), bound, 'the bound was reached and never passed')

    const retries = wire.started.slice(before)
    t.equal(retries.length, 12, 'each due retry attempted once')
    for (const webhook of webhooks) {
      t.same(
        retries.filter((r) => r.url === webhook.url).map((r) => r.id),
        dueOrder.filter((d) => d.webhook === webhook.id).map((d) => d.id),
        `${webhook.name}: retries started in the order they fell due`,
      )
    }
    for (const delivery of sandbox.deliveries.list()) {
      t.match(delivery, { status: 'delivered', next_attempt_at: null })
      t.same(
        delivery.attempts.map((a) => [Date.parse(a.attempted_at) - start, a.status_code]),
        [
          [0, 500],
          [minute, 200],
        ],
        'the retry is stamped with its own due time, whatever the order answers came back in',
      )
    }
  },
)

t.test('maxConcurrentDeliveries must be an integer of at least 1', async (t) => {
  for (const value of [0, -1, 1.5, Number.NaN]) {
    t.throws(
      () => createSandbox({ maxConcurrentDeliveries: value }),
      { code: new sandboxErrors.SandboxInvalidOptionError('x', 'y').code },
      String(value),
    )
  }
})
