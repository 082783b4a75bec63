/**
 * OpenTelemetry for the `telemetry: { openTelemetry }` option: a CONSUMER span per delivery with
 * one span per handler under it, a counter of deliveries by event and outcome, and a histogram
 * of handler durations.
 *
 * `@opentelemetry/api` is an optional peer, imported only here and only when the option is on,
 * so an app without it never loads it; asked for and missing, `register` fails with
 * `BLUUM_MISSING_PEER_DEPENDENCY` and the install command.
 *
 * Names. Conventions of OpenTelemetry's messaging semantic conventions (Development status,
 * pinned by test/telemetry-otel.test.ts against `@opentelemetry/semantic-conventions`):
 * `messaging.system`, `messaging.operation.type`, `messaging.operation.name`,
 * `messaging.message.id`, `messaging.destination.name`, `error.type`, the span name
 * `{operation} {destination}`, the CONSUMER span kind, and the `messaging.process.duration`
 * histogram (seconds). Ours, under `bluum.`: `bluum.webhook.deliveries` (the conventions' nearest
 * counter, `messaging.client.consumed.messages`, counts messages handed to the application, not
 * the ones refused), `bluum.delivery.outcome`, `bluum.delivery.mode`, `bluum.handler.name`,
 * `bluum.task.id`, `bluum.task.attempt` and the `*_ms` step timings.
 *
 * Handler spans nest under the delivery span through the active context: that needs the context
 * manager an SDK registers (`NodeSDK`, `NodeTracerProvider.register()`).
 *
 * Metric attributes are bounded sets: the event name only once the signature held (a forged
 * request cannot mint series), the outcome, the answer's code, the handler's id or name. The
 * unverified `webhook-id` goes on spans only.
 */
import type * as Api from '@opentelemetry/api'
import { importOptionalPeer } from './optional-peer.js'
import type {
  BluumDeliveryMessage,
  BluumDeliveryOutcome,
  OpenTelemetryProviders,
  TelemetrySink,
} from './telemetry.js'

const SCOPE = 'fastify-bluum-webhooks'
/** `messaging.system`: not in the conventions' list of well-known values, which allows others. */
const SYSTEM = 'bluum'
/** Consuming a webhook and running its handlers is the conventions' `process` operation. */
const OPERATION = 'process'

/** Outcomes that are errors of the span; a duplicate or an in-progress 409 is normal at-least-once traffic. */
const ERROR_OUTCOMES: ReadonlySet<BluumDeliveryOutcome> = new Set([
  'rejected',
  'failed',
  'timeout',
  'unavailable',
])

/** `error.type` of a handler failure: its code when it has one, else its class name. */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && code.length > 0) return code
  const name = (error as { constructor?: { name?: unknown } } | null)?.constructor?.name
  return typeof name === 'string' && name.length > 0 ? name : '_OTHER'
}

/** Loads `@opentelemetry/api` and builds the sink; run once, at `register`. */
export async function createOpenTelemetrySink(
  providers: OpenTelemetryProviders,
): Promise<TelemetrySink> {
  const api = await importOptionalPeer(() => import('@opentelemetry/api'), {
    name: '@opentelemetry/api',
    feature: 'The telemetry.openTelemetry option of fastify-bluum-webhooks',
    install: 'npm install @opentelemetry/api',
  })
  const tracer = (
    (providers.tracerProvider as Api.TracerProvider | undefined) ?? api.trace
  ).getTracer(SCOPE)
  // The global meter provider has no proxy (unlike the tracer's): an SDK registered after the
  // plugin would not be seen, hence "register an SDK before the plugin" in the option's doc.
  const meter = (
    (providers.meterProvider as Api.MeterProvider | undefined) ?? api.metrics
  ).getMeter(SCOPE)
  const deliveries = meter.createCounter('bluum.webhook.deliveries', {
    description: 'Bluum webhook deliveries received, by event and outcome',
    unit: '{delivery}',
  })
  const processDuration = meter.createHistogram('messaging.process.duration', {
    description: 'Duration of one Bluum webhook handler run',
    unit: 's',
    advice: {
      explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    },
  })
  const { SpanKind, SpanStatusCode } = api

  return {
    delivery(message, run) {
      // Before verification the event is unknown: the span is renamed once the envelope parsed.
      return tracer.startActiveSpan(
        OPERATION,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': SYSTEM,
            'messaging.operation.type': OPERATION,
            'messaging.operation.name': OPERATION,
            'bluum.delivery.mode': message.mode,
          },
        },
        async (span) => {
          try {
            return await run()
          } finally {
            endDelivery(span, message)
          }
        },
      )
    },
    handler(message, run) {
      // The duration metric's attributes: per handler, never per delivery (no ids).
      const attributes: Api.Attributes = {
        'messaging.system': SYSTEM,
        'messaging.operation.name': OPERATION,
        'messaging.destination.name': message.event,
        'bluum.handler.name': message.handler,
      }
      // The span's: those and the ids. Copied and added to rather than `{ ...attributes, id }`:
      // on Node 20 a property written after an object spread takes a slow path.
      const spanAttributes: Api.Attributes = Object.assign({}, attributes)
      spanAttributes['messaging.operation.type'] = OPERATION
      spanAttributes['messaging.message.id'] = message.deliveryId
      if (message.task) {
        spanAttributes['bluum.task.id'] = message.task.id
        spanAttributes['bluum.task.attempt'] = message.task.attempt
      }
      return tracer.startActiveSpan(
        `${OPERATION} ${message.event}`,
        {
          // A queued task has no delivery span around it: it is the consumer span of its trace.
          kind: message.task === undefined ? SpanKind.INTERNAL : SpanKind.CONSUMER,
          attributes: spanAttributes,
        },
        async (span) => {
          try {
            return await run()
          } catch (error) {
            const type = errorType(error)
            attributes['error.type'] = type
            span.setAttribute('error.type', type)
            span.recordException(error as Error)
            span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message })
            throw error
          } finally {
            span.end()
            if (message.durationMs !== undefined) {
              processDuration.record(message.durationMs / 1000, attributes)
            }
          }
        },
      )
    },
  }

  function endDelivery(span: Api.Span, message: BluumDeliveryMessage): void {
    const outcome = message.outcome
    const attributes: Api.Attributes = {
      'messaging.system': SYSTEM,
      'bluum.delivery.outcome': outcome ?? 'failed',
    }
    if (message.event !== undefined) {
      attributes['messaging.destination.name'] = message.event
      span.updateName(`${OPERATION} ${message.event}`)
    }
    if (message.code !== undefined) attributes['error.type'] = message.code
    span.setAttributes(attributes)
    if (message.deliveryId !== undefined) {
      span.setAttribute('messaging.message.id', message.deliveryId)
    }
    for (const key of ['verifyMs', 'claimMs', 'handlersMs'] as const) {
      const value = message[key]
      if (value !== undefined) span.setAttribute(`bluum.delivery.${snake(key)}`, value)
    }
    if (outcome === undefined || ERROR_OUTCOMES.has(outcome)) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: message.code })
    }
    span.end()
    deliveries.add(1, attributes)
  }
}

/** `verifyMs` → `verify_ms`. */
function snake(key: 'verifyMs' | 'claimMs' | 'handlersMs'): string {
  return key.replace('Ms', '_ms')
}
