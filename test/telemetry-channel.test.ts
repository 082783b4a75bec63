/**
 * Every delivery is published on `node:diagnostics_channel` as a TracingChannel, with its event,
 * id, outcome, code and step timings; each handler run and each queued task on its own channel.
 * Real HTTP on loopback, real signatures, a real subscriber.
 */
import diagnostics from 'node:diagnostics_channel'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import bluumWebhooks, {
  bluumChannels,
  createEventRouter,
  type BluumDeliveryMessage,
  type BluumHandlerMessage,
} from '../plugin/index.js'
import { createPostgresInbox } from '../plugin/postgres/index.js'
import { createTelemetry } from '../plugin/telemetry.js'
import { buildApp, listen, postRaw } from './helpers/app.js'
import { deliverHttp } from './helpers/http.js'
import { createTestPGlite } from './helpers/pglite.js'
import { orderFilled, randomSecret, signedDelivery, TEST_SECRET } from './helpers/sign.js'

interface Recorded<M> {
  /** Snapshots of the message at each event, in order. */
  events: Array<{ type: string; message: M }>
  /** The message as it was at asyncEnd (or end, for a synchronous trace), one per run. */
  finished: M[]
}

/** Subscribes to one tracing channel for the test's duration. */
function record<M extends object>(t: Test, name: string): Recorded<M> {
  const recorded: Recorded<M> = { events: [], finished: [] }
  const snap = (type: string) => (message: unknown) => {
    const copy = { ...(message as M) }
    recorded.events.push({ type, message: copy })
    if (type === 'asyncEnd') recorded.finished.push(copy)
  }
  const subscribers = {
    start: snap('start'),
    end: snap('end'),
    asyncStart: snap('asyncStart'),
    asyncEnd: snap('asyncEnd'),
    error: snap('error'),
  }
  const channel = diagnostics.tracingChannel(name)
  channel.subscribe(subscribers)
  t.teardown(() => channel.unsubscribe(subscribers))
  return recorded
}

/** Waits until `predicate` holds, polling; bounded by the test's own timeout. */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 10))
}

t.test('a processed delivery publishes its event, id, outcome and step timings', async (t) => {
  const deliveries = record<BluumDeliveryMessage>(t, bluumChannels.delivery)
  const handlers = record<BluumHandlerMessage>(t, bluumChannels.handler)
  const app = await buildApp(t)
  const ran: string[] = []
  app.bluum.on('order.filled', async () => void ran.push('notify'), { id: 'notify' })
  app.bluum.onAny(function audit() {
    ran.push('audit')
  })
  const base = await listen(app)
  const delivery = signedDelivery({ body: orderFilled(), id: 'evt_channel_processed' })

  const answer = await deliverHttp(base, delivery)
  t.equal(answer.status, 200)
  t.same(ran.sort(), ['audit', 'notify'])

  t.same(
    deliveries.events.map((e) => e.type),
    ['start', 'end', 'asyncStart', 'asyncEnd'],
    'the TracingChannel sequence of an async run',
  )
  t.equal(deliveries.events[0]?.message.deliveryId, 'evt_channel_processed', 'the id at start')
  t.equal(deliveries.events[0]?.message.outcome, undefined, 'no outcome before the end')
  const [done] = deliveries.finished
  t.match(done, {
    mode: 'store',
    deliveryId: 'evt_channel_processed',
    event: 'order.filled',
    outcome: 'processed',
    statusCode: 200,
    code: undefined,
  })
  for (const step of ['verifyMs', 'claimMs', 'handlersMs'] as const) {
    t.type(done?.[step], 'number', `${step} is measured`)
    t.ok((done?.[step] ?? -1) >= 0, `${step} is not negative`)
  }

  t.same(
    handlers.finished.map((m) => m.handler).sort(),
    ['audit', 'notify'],
    'one handler message per handler: its id, else its function name',
  )
  for (const m of handlers.finished) {
    t.match(m, { event: 'order.filled', deliveryId: 'evt_channel_processed', task: undefined })
    t.type(m.durationMs, 'number')
  }
})

t.test('a duplicate is published as such, and no handler run is', async (t) => {
  const app = await buildApp(t)
  let runs = 0
  app.bluum.on('order.filled', () => void runs++)
  const base = await listen(app)
  const delivery = signedDelivery({ body: orderFilled() })
  t.equal((await deliverHttp(base, delivery)).status, 200)

  const deliveries = record<BluumDeliveryMessage>(t, bluumChannels.delivery)
  const handlers = record<BluumHandlerMessage>(t, bluumChannels.handler)
  const answer = await deliverHttp(base, delivery)
  t.same(answer.body, { received: true, duplicate: true })
  t.equal(runs, 1)
  t.match(deliveries.finished, [
    { outcome: 'duplicate', statusCode: 200, event: 'order.filled', handlersMs: undefined },
  ])
  t.type(deliveries.finished[0]?.claimMs, 'number')
  t.same(handlers.events, [], 'no handler message')
})

// Every refusal is published, with its code, including the ones answered before the pipeline.
const refusals: Array<{
  when: string
  send: (base: string) => Promise<{ status: number }>
  status: number
  code: string
  verified: boolean
}> = [
  {
    when: 'the signature was made with another secret',
    send: (base) =>
      deliverHttp(base, signedDelivery({ body: orderFilled(), secret: randomSecret() })),
    status: 401,
    code: 'BLUUM_SIGNATURE_MISMATCH',
    verified: true,
  },
  {
    when: 'the signed body is not an envelope',
    send: (base) => deliverHttp(base, signedDelivery({ body: { hello: 'world' } })),
    status: 400,
    code: 'BLUUM_INVALID_ENVELOPE',
    verified: true,
  },
  {
    when: 'the content-type is not JSON (answered in onRequest)',
    send: (base) => {
      const d = signedDelivery({ body: orderFilled() })
      return postRaw(
        `${base}/webhooks/bluum`,
        Object.entries({ ...d.headers, 'content-type': 'text/plain' }),
        d.payload,
      )
    },
    status: 415,
    code: 'BLUUM_UNSUPPORTED_MEDIA_TYPE',
    verified: false,
  },
  {
    when: 'the body is over the limit (answered while reading)',
    send: (base) => {
      const d = signedDelivery({ body: orderFilled({ note: 'x'.repeat(2048) }) })
      return postRaw(`${base}/webhooks/bluum`, Object.entries(d.headers), d.payload)
    },
    status: 413,
    code: 'BLUUM_BODY_TOO_LARGE',
    verified: false,
  },
]

for (const row of refusals) {
  t.test(`a refusal is published with its code when ${row.when}`, async (t) => {
    const deliveries = record<BluumDeliveryMessage>(t, bluumChannels.delivery)
    const handlers = record<BluumHandlerMessage>(t, bluumChannels.handler)
    const app = await buildApp(t, { bodyLimit: 1024 })
    let runs = 0
    app.bluum.onAny(() => void runs++)
    const base = await listen(app)
    const answer = await row.send(base)
    t.equal(answer.status, row.status)
    await until(() => deliveries.finished.length === 1)
    t.match(deliveries.finished[0], {
      outcome: 'rejected',
      statusCode: row.status,
      code: row.code,
      event: undefined,
      claimMs: undefined,
      handlersMs: undefined,
    })
    t.equal(
      typeof deliveries.finished[0]?.verifyMs,
      row.verified ? 'number' : 'undefined',
      'verifyMs is measured only when verification ran',
    )
    t.equal(runs, 0, 'no handler ran')
    t.same(handlers.events, [], 'no handler message')
  })
}

t.test('a failed handler: outcome failed, and the handler channel carries the error', async (t) => {
  const deliveries = record<BluumDeliveryMessage>(t, bluumChannels.delivery)
  const handlers = record<BluumHandlerMessage>(t, bluumChannels.handler)
  const app = await buildApp(t)
  const boom = new Error('ledger offline')
  app.bluum.on('order.filled', () => {
    throw boom
  })
  const base = await listen(app)
  const answer = await deliverHttp(base, signedDelivery({ body: orderFilled() }))
  t.equal(answer.status, 500)
  t.match(deliveries.finished, [
    { outcome: 'failed', statusCode: 500, code: 'BLUUM_HANDLER_FAILED', event: 'order.filled' },
  ])
  const errors = handlers.events.filter((e) => e.type === 'error')
  t.equal(errors.length, 1, 'one error event')
  t.equal(errors[0]?.message.error, boom, 'the error the handler threw, synchronously')
})

t.test('with no subscriber, the pipeline builds no telemetry at all', async (t) => {
  const telemetry = createTelemetry('store', undefined)
  t.notOk(telemetry.deliveryActive(), 'delivery tracing is off: process() runs untraced')
  t.notOk(telemetry.active(), 'handler tracing is off')
  t.notOk(telemetry.active(true), 'task tracing is off')
  t.test('one subscriber turns it on', async (t) => {
    record<BluumDeliveryMessage>(t, bluumChannels.delivery)
    t.ok(telemetry.deliveryActive())
  })
  t.test('and off again once it leaves', async (t) => {
    t.notOk(telemetry.deliveryActive())
  })
})

t.test('a synchronous handler is still run synchronously when nothing listens', async (t) => {
  // The untraced path is the one the pipeline had: dispatch answers with an array, no promise.
  const router = createEventRouter()
  let ran = false
  router.api.on('order.filled', () => void (ran = true))
  const log = { info() {}, warn() {}, error() {} }
  const errors = router.dispatch(orderFilled() as never, { log, deliveryId: 'evt_sync' })
  t.ok(Array.isArray(errors), 'dispatch answered synchronously')
  t.ok(ran)
})

t.test('Postgres inbox (PGlite): transactional and queue modes are published', async (t) => {
  t.setTimeout(300_000) // PGlite compiles its WebAssembly in-process
  const db = await createTestPGlite()
  t.teardown(() => db.close())

  t.test('transactional: the delivery, then its handler inside it', async (t) => {
    const deliveries = record<BluumDeliveryMessage>(t, bluumChannels.delivery)
    const handlers = record<BluumHandlerMessage>(t, bluumChannels.handler)
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(bluumWebhooks, {
      secret: TEST_SECRET,
      inbox: createPostgresInbox({ pglite: db, mode: 'transactional', schema: 'tx_channel' }),
    })
    app.bluum.on('order.filled', async () => {}, { id: 'book' })
    const base = await listen(app)
    const answer = await deliverHttp(base, signedDelivery({ body: orderFilled() }))
    t.equal(answer.status, 200)
    t.match(deliveries.finished, [
      { mode: 'transactional', outcome: 'processed', event: 'order.filled' },
    ])
    t.match(handlers.finished, [{ handler: 'book', event: 'order.filled', task: undefined }])
  })

  t.test('queue: the delivery is queued, then the task run is published', async (t) => {
    const deliveries = record<BluumDeliveryMessage>(t, bluumChannels.delivery)
    const tasks = record<BluumHandlerMessage>(t, bluumChannels.task)
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(bluumWebhooks, {
      secret: TEST_SECRET,
      inbox: createPostgresInbox({
        pglite: db,
        mode: 'queue',
        schema: 'queue_channel',
        concurrency: 1,
        pollIntervalMs: 20,
      }),
    })
    app.bluum.on('order.filled', async () => {}, { id: 'book' })
    const base = await listen(app)
    const delivery = signedDelivery({ body: orderFilled(), id: 'evt_channel_queued' })
    const answer = await deliverHttp(base, delivery)
    t.equal(answer.status, 200)
    t.match(deliveries.finished, [
      { mode: 'queue', outcome: 'queued', event: 'order.filled', statusCode: 200 },
    ])
    await until(() => tasks.finished.length === 1)
    t.match(tasks.finished[0], {
      handler: 'book',
      deliveryId: 'evt_channel_queued',
      event: 'order.filled',
      task: { attempt: 1 },
    })
    t.type(tasks.finished[0]?.task?.id, 'string')

    const again = await deliverHttp(base, delivery)
    t.same(again.body, { received: true, duplicate: true })
    t.match(deliveries.finished[1], { outcome: 'duplicate' })
  })
})
