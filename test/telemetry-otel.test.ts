/**
 * OpenTelemetry (`telemetry: { openTelemetry }`): a span per delivery with the handler spans
 * under it, a deliveries counter and a handler-duration histogram, read back from the SDK's
 * in-memory exporter and a pull reader, over real HTTP deliveries with real signatures.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions'
import {
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  METRIC_MESSAGING_PROCESS_DURATION,
} from '@opentelemetry/semantic-conventions/incubating'
import t, { type Test } from 'tap'
import type { BluumWebhooksOptions } from '../plugin/index.js'
import { buildApp, listen } from './helpers/app.js'
import { deliverHttp } from './helpers/http.js'
import { orderFilled, randomSecret, signedDelivery } from './helpers/sign.js'

// What an SDK's registration does (NodeSDK, NodeTracerProvider.register()): handler spans find
// the delivery span as their parent through the active context.
const contextManager = new AsyncLocalStorageContextManager().enable()
context.setGlobalContextManager(contextManager)
t.teardown(() => context.disable())

/** A pull reader: metrics are collected when the test asks, no timer. */
class TestReader extends MetricReader {
  protected async onForceFlush() {}
  protected async onShutdown() {}
}

interface Otel {
  spans(): ReadableSpan[]
  /** The data points of one metric, by name. */
  points(name: string): Promise<DataPoint<number | Histogram>[]>
  unit(name: string): Promise<string | undefined>
  options: BluumWebhooksOptions
}

function otel(t: Test): Otel {
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const reader = new TestReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  t.teardown(async () => {
    await tracerProvider.shutdown()
    await meterProvider.shutdown()
  })
  async function metric(name: string) {
    const { resourceMetrics } = await reader.collect()
    return resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === name)
  }
  return {
    spans: () => exporter.getFinishedSpans(),
    points: async (name) => ((await metric(name))?.dataPoints ?? []) as DataPoint<never>[],
    unit: async (name) => (await metric(name))?.descriptor.unit,
    options: { telemetry: { openTelemetry: { tracerProvider, meterProvider } } },
  }
}

const deliverySpan = (spans: ReadableSpan[]) => spans.find((s) => s.kind === SpanKind.CONSUMER)
const handlerSpans = (spans: ReadableSpan[]) => spans.filter((s) => s.kind === SpanKind.INTERNAL)

t.test('the attribute and metric names used are the semantic conventions', async (t) => {
  // The literal names in plugin/open-telemetry.ts, pinned to the conventions' own package.
  t.equal(ATTR_MESSAGING_SYSTEM, 'messaging.system')
  t.equal(ATTR_MESSAGING_OPERATION_TYPE, 'messaging.operation.type')
  t.equal(ATTR_MESSAGING_OPERATION_NAME, 'messaging.operation.name')
  t.equal(ATTR_MESSAGING_MESSAGE_ID, 'messaging.message.id')
  t.equal(ATTR_MESSAGING_DESTINATION_NAME, 'messaging.destination.name')
  t.equal(MESSAGING_OPERATION_TYPE_VALUE_PROCESS, 'process')
  t.equal(METRIC_MESSAGING_PROCESS_DURATION, 'messaging.process.duration')
  t.equal(ATTR_ERROR_TYPE, 'error.type')
})

t.test('a processed delivery: a consumer span, its handler spans under it, metrics', async (t) => {
  const o = otel(t)
  const app = await buildApp(t, o.options)
  app.bluum.on('order.filled', async () => {}, { id: 'notify' })
  app.bluum.onAny(function audit() {})
  const base = await listen(app)
  const answer = await deliverHttp(
    base,
    signedDelivery({ body: orderFilled(), id: 'evt_otel_processed' }),
  )
  t.equal(answer.status, 200)

  const spans = o.spans()
  const delivery = deliverySpan(spans)
  t.equal(delivery?.name, 'process order.filled', 'named {operation} {destination}')
  t.match(delivery?.attributes, {
    [ATTR_MESSAGING_SYSTEM]: 'bluum',
    [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
    [ATTR_MESSAGING_OPERATION_NAME]: 'process',
    [ATTR_MESSAGING_MESSAGE_ID]: 'evt_otel_processed',
    [ATTR_MESSAGING_DESTINATION_NAME]: 'order.filled',
    'bluum.delivery.outcome': 'processed',
    'bluum.delivery.mode': 'store',
  })
  for (const step of ['verify_ms', 'claim_ms', 'handlers_ms']) {
    t.type(delivery?.attributes[`bluum.delivery.${step}`], 'number', step)
  }
  t.equal(delivery?.status.code, SpanStatusCode.UNSET)

  const handlers = handlerSpans(spans)
  t.same(handlers.map((s) => s.attributes['bluum.handler.name']).sort(), ['audit', 'notify'])
  for (const span of handlers) {
    t.equal(span.name, 'process order.filled')
    t.equal(span.parentSpanContext?.spanId, delivery?.spanContext().spanId, 'under the delivery')
    t.equal(span.spanContext().traceId, delivery?.spanContext().traceId)
  }

  t.match(await o.points('bluum.webhook.deliveries'), [
    {
      value: 1,
      attributes: {
        [ATTR_MESSAGING_DESTINATION_NAME]: 'order.filled',
        'bluum.delivery.outcome': 'processed',
      },
    },
  ])
  const durations = await o.points(METRIC_MESSAGING_PROCESS_DURATION)
  t.equal(
    await o.unit(METRIC_MESSAGING_PROCESS_DURATION),
    's',
    'in seconds, as the convention says',
  )
  t.equal(durations.length, 2, 'one series per handler')
  for (const point of durations) {
    t.equal((point.value as Histogram).count, 1)
    t.notOk(point.attributes[ATTR_ERROR_TYPE], 'no error.type on success')
    t.notOk(
      point.attributes[ATTR_MESSAGING_MESSAGE_ID],
      'no message id: a series per handler, not one per delivery',
    )
  }
})

t.test('a duplicate: counted as such, no handler span', async (t) => {
  const o = otel(t)
  const app = await buildApp(t, o.options)
  app.bluum.on('order.filled', () => {})
  const base = await listen(app)
  const delivery = signedDelivery({ body: orderFilled() })
  await deliverHttp(base, delivery)
  t.same((await deliverHttp(base, delivery)).body, { received: true, duplicate: true })
  const consumers = o.spans().filter((s) => s.kind === SpanKind.CONSUMER)
  t.equal(consumers.length, 2)
  t.equal(consumers[1]?.attributes['bluum.delivery.outcome'], 'duplicate')
  t.equal(consumers[1]?.status.code, SpanStatusCode.UNSET, 'a duplicate is not an error')
  t.equal(handlerSpans(o.spans()).length, 1, 'only the first delivery ran its handler')
  const counted = await o.points('bluum.webhook.deliveries')
  t.same(counted.map((p) => [p.attributes['bluum.delivery.outcome'], p.value]).sort(), [
    ['duplicate', 1],
    ['processed', 1],
  ])
})

t.test('a bad signature: an error span and a count with the code as error.type', async (t) => {
  const o = otel(t)
  const app = await buildApp(t, o.options)
  let runs = 0
  app.bluum.onAny(() => void runs++)
  const base = await listen(app)
  const answer = await deliverHttp(
    base,
    signedDelivery({ body: orderFilled(), secret: randomSecret(), id: 'evt_otel_forged' }),
  )
  t.equal(answer.status, 401)
  t.equal(runs, 0)
  const [span] = o.spans()
  t.equal(span?.name, 'process', 'no destination: the event was never trusted')
  t.equal(span?.status.code, SpanStatusCode.ERROR)
  t.equal(span?.status.message, 'BLUUM_SIGNATURE_MISMATCH')
  t.match(span?.attributes, {
    [ATTR_ERROR_TYPE]: 'BLUUM_SIGNATURE_MISMATCH',
    [ATTR_MESSAGING_MESSAGE_ID]: 'evt_otel_forged',
    'bluum.delivery.outcome': 'rejected',
  })
  t.notOk(span?.attributes[ATTR_MESSAGING_DESTINATION_NAME])
  t.equal(handlerSpans(o.spans()).length, 0)
  t.match(await o.points('bluum.webhook.deliveries'), [
    {
      value: 1,
      attributes: {
        'bluum.delivery.outcome': 'rejected',
        [ATTR_ERROR_TYPE]: 'BLUUM_SIGNATURE_MISMATCH',
      },
    },
  ])
})

t.test('a handler failure: its span is an error with the exception recorded', async (t) => {
  const o = otel(t)
  const app = await buildApp(t, o.options)
  class LedgerError extends Error {}
  app.bluum.on(
    'order.filled',
    async () => {
      throw new LedgerError('ledger offline')
    },
    { id: 'ledger' },
  )
  app.bluum.on('order.filled', async () => {}, { id: 'notify' })
  const base = await listen(app)
  t.equal((await deliverHttp(base, signedDelivery({ body: orderFilled() }))).status, 500)

  const delivery = deliverySpan(o.spans())
  t.equal(delivery?.status.code, SpanStatusCode.ERROR)
  t.match(delivery?.attributes, {
    'bluum.delivery.outcome': 'failed',
    [ATTR_ERROR_TYPE]: 'BLUUM_HANDLER_FAILED',
  })
  const failed = handlerSpans(o.spans()).find(
    (s) => s.attributes['bluum.handler.name'] === 'ledger',
  )
  const passed = handlerSpans(o.spans()).find(
    (s) => s.attributes['bluum.handler.name'] === 'notify',
  )
  t.equal(failed?.status.code, SpanStatusCode.ERROR)
  t.equal(failed?.status.message, 'ledger offline')
  t.equal(failed?.attributes[ATTR_ERROR_TYPE], 'LedgerError', 'the class name when no code')
  t.match(failed?.events, [
    {
      name: 'exception',
      attributes: { 'exception.message': 'ledger offline', 'exception.type': 'Error' },
    },
  ])
  t.equal(passed?.status.code, SpanStatusCode.UNSET, 'the other handler is not blamed')
  const durations = await o.points(METRIC_MESSAGING_PROCESS_DURATION)
  t.same(
    durations
      .map((p) => [p.attributes['bluum.handler.name'], p.attributes[ATTR_ERROR_TYPE]])
      .sort(),
    [
      ['ledger', 'LedgerError'],
      ['notify', undefined],
    ],
  )
})

t.test(
  'openTelemetry: true uses the global providers (no-ops when no SDK is registered)',
  async (t) => {
    const app = await buildApp(t, { telemetry: { openTelemetry: true } })
    let runs = 0
    app.bluum.on('order.filled', () => void runs++)
    const base = await listen(app)
    t.equal((await deliverHttp(base, signedDelivery({ body: orderFilled() }))).status, 200)
    t.equal(runs, 1)
  },
)

const invalid: Array<[string, unknown, RegExp]> = [
  ['telemetry', 'yes', /expected an object/],
  ['telemetry.openTelemetry', { openTelemetry: 'on' }, /expected true, false/],
  [
    'telemetry.openTelemetry.tracerProvider',
    { openTelemetry: { tracerProvider: {} } },
    /getTracer/,
  ],
  ['telemetry.openTelemetry.meterProvider', { openTelemetry: { meterProvider: 1 } }, /getMeter/],
]
for (const [name, value, message] of invalid) {
  t.test(`an invalid ${name} fails register with BLUUM_INVALID_OPTION`, async (t) => {
    await t.rejects(buildApp(t, { telemetry: value } as BluumWebhooksOptions), {
      code: 'BLUUM_INVALID_OPTION',
      message: new RegExp(`"${name.replace(/\./g, '\\.')}".*${message.source}`),
    })
  })
}

t.test('without @opentelemetry/api installed', async (t) => {
  // A child process whose resolver cannot find the package, as in an app that never installed it.
  const child = fileURLToPath(new URL('./fixtures/without-opentelemetry.ts', import.meta.url))
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import=tsx', '--conditions=bluum-source', child],
    { cwd: fileURLToPath(new URL('..', import.meta.url)) },
  )
  const result = JSON.parse(stdout) as Record<string, unknown>
  t.equal(result.apiHidden, true, 'the package is really out of reach')
  t.equal(result.withoutOption, 200, 'the plugin works without the option')
  t.equal(result.withOptionCode, 'BLUUM_MISSING_PEER_DEPENDENCY', 'asking for it is a coded error')
  t.match(result.withOptionMessage, /npm install @opentelemetry\/api/)
})

t.test(
  'Postgres inbox (PGlite): handler spans under the delivery, task spans of their own',
  async (t) => {
    t.setTimeout(300_000) // PGlite compiles its WebAssembly in-process
    const { createTestPGlite } = await import('./helpers/pglite.js')
    const { createPostgresInbox } = await import('../plugin/postgres/index.js')
    const db = await createTestPGlite()
    t.teardown(() => db.close())

    t.test('transactional', async (t) => {
      const o = otel(t)
      const inbox = createPostgresInbox({ pglite: db, mode: 'transactional', schema: 'otel_tx' })
      const app = await buildApp(t, { ...o.options, inbox })
      app.bluum.on('order.filled', async () => {}, { id: 'book' })
      const base = await listen(app)
      t.equal((await deliverHttp(base, signedDelivery({ body: orderFilled() }))).status, 200)
      const delivery = deliverySpan(o.spans())
      t.match(delivery?.attributes, {
        'bluum.delivery.mode': 'transactional',
        'bluum.delivery.outcome': 'processed',
      })
      const [handler] = handlerSpans(o.spans())
      t.equal(handler?.attributes['bluum.handler.name'], 'book')
      t.equal(handler?.parentSpanContext?.spanId, delivery?.spanContext().spanId)
    })

    t.test('queue', async (t) => {
      const o = otel(t)
      const inbox = createPostgresInbox({
        pglite: db,
        mode: 'queue',
        schema: 'otel_queue',
        concurrency: 1,
        pollIntervalMs: 20,
      })
      const app = await buildApp(t, { ...o.options, inbox })
      let ran!: () => void
      const done = new Promise<void>((resolve) => (ran = resolve))
      app.bluum.on('order.filled', async () => ran(), { id: 'book' })
      const base = await listen(app)
      const d = signedDelivery({ body: orderFilled(), id: 'evt_otel_queued' })
      t.equal((await deliverHttp(base, d)).status, 200)
      await done
      await app.close() // waits for the task's transaction, so its span has ended
      const consumers = o.spans().filter((s) => s.kind === SpanKind.CONSUMER)
      const delivery = consumers.find((s) => s.attributes['bluum.delivery.mode'] === 'queue')
      const task = consumers.find((s) => s.attributes['bluum.task.id'] !== undefined)
      t.equal(delivery?.attributes['bluum.delivery.outcome'], 'queued')
      t.match(task?.attributes, {
        'bluum.handler.name': 'book',
        'bluum.task.attempt': 1,
        [ATTR_MESSAGING_MESSAGE_ID]: 'evt_otel_queued',
        [ATTR_MESSAGING_DESTINATION_NAME]: 'order.filled',
      })
      t.equal(task?.parentSpanContext, undefined, 'a task run is the root of its own trace')
    })
  },
)
