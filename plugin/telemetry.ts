/**
 * Delivery telemetry: every delivery, handler run and queued task published on
 * `node:diagnostics_channel` as a `TracingChannel` (the convention of Node, undici and Fastify),
 * and, when the app opts in, as OpenTelemetry spans and metrics (open-telemetry.ts).
 *
 * Zero cost when nobody listens: the pipeline asks `active()` (a `hasSubscribers` read and a
 * field read) before anything here builds a message object, so the hot path without a subscriber
 * is the one it was. Pure of Fastify.
 */
import diagnostics from 'node:diagnostics_channel'
import type { AnyBluumEvent } from './catalog.js'
import type {
  BluumDeliveryContext,
  BluumEventHandler,
  CodedError,
  DeliveryAnswer,
  HeaderBag,
} from './types.js'

/**
 * The `TracingChannel` names: subscribe with `diagnostics_channel.tracingChannel(name)`, or to
 * its `tracing:${name}:start|end|asyncStart|asyncEnd|error` channels.
 * @example
 * diagnostics_channel.tracingChannel(bluumChannels.delivery).subscribe({
 *   asyncEnd: (m) => console.log(m.event, m.outcome, m.code),
 * })
 */
export const bluumChannels = Object.freeze({
  /** One HTTP delivery, from the received bytes to the answer. Message: {@link BluumDeliveryMessage}. */
  delivery: 'fastify-bluum-webhooks:delivery',
  /** One handler run inside a delivery (memory/Redis store, Postgres transactional mode). Message: {@link BluumHandlerMessage}. */
  handler: 'fastify-bluum-webhooks:handler',
  /** One queue-mode task run by a Postgres inbox worker, after the answer. Message: {@link BluumHandlerMessage} with `task`. */
  task: 'fastify-bluum-webhooks:task',
})

/**
 * How a delivery ended:
 * - `processed`: every handler succeeded (200);
 * - `queued`: written to a queue-mode inbox, handlers run later by the workers (200);
 * - `duplicate`: already processed or queued (200, no handler ran);
 * - `rejected`: refused before any handler (4xx: headers, signature, timestamp, body);
 * - `in-progress`: the same event is being processed right now (409, retried by Bluum);
 * - `failed`: a handler failed (500, retried);
 * - `timeout`: handlers still running at the acknowledgement deadline (503, retried);
 * - `unavailable`: the dedupe store or inbox database is unreachable (503, retried).
 */
export type BluumDeliveryOutcome =
  | 'processed'
  | 'queued'
  | 'duplicate'
  | 'rejected'
  | 'in-progress'
  | 'failed'
  | 'timeout'
  | 'unavailable'

/** The context object of the delivery channel; fields fill in as the pipeline goes. */
export interface BluumDeliveryMessage {
  /** Where deliveries go: the dedupe store, or a Postgres inbox in one of its modes. */
  readonly mode: 'store' | 'transactional' | 'queue'
  /** The `webhook-id` header at `start`; the dedupe key once the envelope is parsed. */
  deliveryId: string | undefined
  /** The event name (`order.filled`), once the envelope is parsed; undefined if rejected before. */
  event: string | undefined
  /** Set before `asyncEnd`. */
  outcome: BluumDeliveryOutcome | undefined
  /** The answer's status code, set before `asyncEnd`. */
  statusCode: number | undefined
  /** The error code of every answer but a 200 (`BLUUM_SIGNATURE_MISMATCH`). */
  code: string | undefined
  /** Time spent verifying the signature, in ms; undefined when rejected before (415, 413). */
  verifyMs: number | undefined
  /** Time spent claiming the event in the dedupe store, in ms (store mode only). */
  claimMs: number | undefined
  /** Time from the first handler's start to the last one's end, in ms (store mode only; undefined on a timeout). */
  handlersMs: number | undefined
}

/** The context object of the handler and task channels. */
export interface BluumHandlerMessage {
  readonly event: string
  readonly deliveryId: string
  /** The handler's `id` option, else its function name, else `anonymous`. */
  readonly handler: string
  /** Queue mode only: the stored task and its attempt number (1 for the first run). */
  readonly task: { readonly id: string; readonly attempt: number } | undefined
  /** The run's duration in ms, set before `asyncEnd`. */
  durationMs: number | undefined
  /** Set by the channel when the handler threw or rejected. */
  error?: unknown
}

/** `telemetry` option of the plugin. */
export interface BluumTelemetryOptions {
  /**
   * Spans and metrics through `@opentelemetry/api` (an optional peer dependency: install it, and
   * register an SDK before the plugin). `true` uses the global tracer and meter providers; pass
   * providers to use others. Default false.
   */
  openTelemetry?: boolean | OpenTelemetryProviders
}

/** Providers given to the `openTelemetry` option; each defaults to the global one. */
export interface OpenTelemetryProviders {
  /** A `TracerProvider` of `@opentelemetry/api` (an SDK's `BasicTracerProvider`, `NodeTracerProvider`). */
  tracerProvider?: { getTracer(name: string, version?: string): unknown }
  /** A `MeterProvider` of `@opentelemetry/api` (`MeterProvider` of `@opentelemetry/sdk-metrics`). */
  meterProvider?: { getMeter(name: string, version?: string): unknown }
}

/** What an OpenTelemetry binding provides: it wraps the runs the channels trace. */
export interface TelemetrySink {
  delivery(
    message: BluumDeliveryMessage,
    run: () => Promise<DeliveryAnswer>,
  ): Promise<DeliveryAnswer>
  handler(message: BluumHandlerMessage, run: () => Promise<unknown>): Promise<unknown>
}

const deliveryChannel = diagnostics.tracingChannel<unknown, BluumDeliveryMessage>(
  bluumChannels.delivery,
)
const handlerChannel = diagnostics.tracingChannel<unknown, BluumHandlerMessage>(
  bluumChannels.handler,
)
const taskChannel = diagnostics.tracingChannel<unknown, BluumHandlerMessage>(bluumChannels.task)

/** The handler-side hooks the router and the inbox workers call. */
export interface HandlerTelemetry {
  /** True when a handler or task run must be traced: a subscriber, or OpenTelemetry. */
  active(task?: boolean): boolean
  /** Runs one handler traced; always a promise (a synchronous throw becomes a rejection). */
  run(
    handler: BluumEventHandler<AnyBluumEvent>,
    id: string | undefined,
    event: AnyBluumEvent,
    context: BluumDeliveryContext,
    task?: { id: string; attempt: number },
  ): Promise<unknown>
}

/** The hooks of one plugin instance. */
interface Telemetry extends HandlerTelemetry {
  /** True when a delivery must be traced. */
  deliveryActive(): boolean
  /** Runs `process` traced, with the message it fills in (the step timings). */
  traceDelivery(
    headers: HeaderBag,
    process: (trace: BluumDeliveryMessage) => DeliveryAnswer | Promise<DeliveryAnswer>,
  ): Promise<DeliveryAnswer>
  /** Publishes a delivery refused before the pipeline (415 in `onRequest`, 413 while reading). */
  traceRejected(headers: HeaderBag, error: CodedError): void
}

/** The outcome of an answer: a success names its own, a failure is read from its code. */
function outcomeOf(answer: DeliveryAnswer): BluumDeliveryOutcome {
  if (answer.ok) return answer.outcome
  const { code, statusCode = 500 } = answer.error
  if (code === 'BLUUM_DELIVERY_IN_FLIGHT') return 'in-progress'
  if (code === 'BLUUM_HANDLER_FAILED') return 'failed'
  if (code === 'BLUUM_ACK_TIMEOUT') return 'timeout'
  if (code === 'BLUUM_STORE_UNAVAILABLE') return 'unavailable'
  return statusCode < 500 ? 'rejected' : 'failed'
}

function header(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function newDeliveryMessage(
  mode: BluumDeliveryMessage['mode'],
  headers: HeaderBag,
): BluumDeliveryMessage {
  return {
    mode,
    deliveryId: header(headers['webhook-id']),
    event: undefined,
    outcome: undefined,
    statusCode: undefined,
    code: undefined,
    verifyMs: undefined,
    claimMs: undefined,
    handlersMs: undefined,
  }
}

function handlerName(handler: { name: string }, id: string | undefined): string {
  return id ?? (handler.name || 'anonymous')
}

/** Handler tracing on the channels, and through `sink` when OpenTelemetry is on. */
function createHandlerTelemetry(sink?: TelemetrySink): HandlerTelemetry {
  return {
    active: (task) =>
      sink !== undefined || (task ? taskChannel.hasSubscribers : handlerChannel.hasSubscribers),
    run(handler, id, event, context, task) {
      const message: BluumHandlerMessage = {
        event: event.event,
        deliveryId: context.deliveryId,
        handler: handlerName(handler, id),
        task,
        durationMs: undefined,
      }
      const channel = task === undefined ? handlerChannel : taskChannel
      const timed = async () => {
        const started = performance.now()
        try {
          return await handler(event, context as never)
        } finally {
          message.durationMs = performance.now() - started
        }
      }
      const traced = channel.hasSubscribers ? () => channel.tracePromise(timed, message) : timed
      return sink === undefined ? traced() : sink.handler(message, traced)
    },
  }
}

/** The default handler telemetry of `createEventRouter()`: channels, no OpenTelemetry. */
export const channelHandlerTelemetry: HandlerTelemetry = createHandlerTelemetry()

/** Wires one plugin instance's telemetry at `register`. */
export function createTelemetry(
  mode: BluumDeliveryMessage['mode'],
  sink: TelemetrySink | undefined,
): Telemetry {
  const handlers = createHandlerTelemetry(sink)
  const deliveryActive = () => sink !== undefined || deliveryChannel.hasSubscribers

  function settle(message: BluumDeliveryMessage, answer: DeliveryAnswer): DeliveryAnswer {
    message.outcome = outcomeOf(answer)
    message.statusCode = answer.ok ? 200 : (answer.error.statusCode ?? 500)
    if (!answer.ok) message.code = answer.error.code
    return answer
  }

  return {
    ...handlers,
    deliveryActive,
    traceDelivery(headers, process) {
      const message = newDeliveryMessage(mode, headers)
      const run = async () => settle(message, await process(message))
      const traced = deliveryChannel.hasSubscribers
        ? () => deliveryChannel.tracePromise(run, message)
        : run
      return sink === undefined ? traced() : sink.delivery(message, traced)
    },
    traceRejected(headers, error) {
      if (!deliveryActive()) return
      const message = newDeliveryMessage(mode, headers)
      const answer: DeliveryAnswer = { ok: false, error }
      const run = async () => settle(message, answer)
      const traced = deliveryChannel.hasSubscribers
        ? () => deliveryChannel.tracePromise(run, message)
        : run
      // Nothing waits on it: the answer is already decided; the promise never rejects.
      void (sink === undefined ? traced() : sink.delivery(message, traced))
    },
  }
}
