/**
 * Typed routing of verified events to handlers. Pure: no Fastify, no I/O.
 *
 * Every handler that matches a delivery runs (concurrently), and every failure is collected:
 * one failing handler never hides another, and the delivery fails as a whole so the retry
 * runs them again.
 */
import type { AnyBluumEvent, BluumEvent, BluumEventName } from './catalog.js'
import { isBluumEventName } from './catalog.js'
import { expandPattern, type BluumEventPattern, type MatchingEvents } from './event-pattern.js'
import { channelHandlerTelemetry, type HandlerTelemetry } from './telemetry.js'
import { isThenable } from './thenable.js'

/** The logger a handler gets: the request's child logger in the plugin. */
export interface HandlerLogger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/**
 * Fields an inbox adds to every handler's context (`tx` with the Postgres inbox). Empty here;
 * `fastify-bluum-webhooks/postgres` augments it, so `context.tx` is typed once that entry is imported.
 */
export interface BluumHandlerContextExtensions {}

/** What every delivery has, whatever runs it: the context `onError` observers get. */
export interface BluumDeliveryContext {
  /** The delivery's logger (request-scoped in the plugin). */
  readonly log: HandlerLogger
  /** The dedupe key of this delivery: `webhook-id`, else envelope `id`, else a body hash. */
  readonly deliveryId: string
}

/** What every handler receives beside the event. */
export interface BluumHandlerContext extends BluumDeliveryContext, BluumHandlerContextExtensions {}

export type BluumEventHandler<E> = (event: E, context: BluumHandlerContext) => unknown

/** Options of one handler registration. */
export interface BluumHandlerOptions {
  /**
   * A stable name for the handler, unique in the app. Required by an inbox in queue mode, where a
   * task stored before a deploy must find its handler after it. No default.
   */
  id?: string
}

/** One registration, as an inbox sees it. */
export interface RegisteredHandler {
  readonly id: string | undefined
  readonly handler: BluumEventHandler<AnyBluumEvent>
}

/** Called once per failed delivery with every handler error of it. */
export type BluumErrorHandler = (
  error: AggregateError,
  event: AnyBluumEvent,
  context: BluumDeliveryContext,
) => unknown

/** The public routing API, `fastify.bluum` in the plugin. */
export interface BluumEventRouter {
  /**
   * Runs `handler` for an event name, a list of names, or a prefix wildcard.
   * @example router.on('order.filled', async (event) => event.data.symbol)
   */
  on<P extends BluumEventPattern>(
    pattern: P | readonly P[],
    handler: BluumEventHandler<BluumEvent<MatchingEvents<P>>>,
    options?: BluumHandlerOptions,
  ): this
  /** Runs `handler` for every event, including names the catalog does not know yet. */
  onAny(handler: BluumEventHandler<AnyBluumEvent>, options?: BluumHandlerOptions): this
  /** Observes failed deliveries (logging, alerting); it cannot turn a failure into a success. */
  onError(handler: BluumErrorHandler): this
}

/** The router: its public API, and the internal side the delivery pipeline uses. */
export interface EventDispatcher {
  /** What users register handlers on (`fastify.bluum`); it cannot dispatch. */
  readonly api: BluumEventRouter
  /**
   * Runs every matching handler; gives all their errors (empty on success). Synchronous when
   * every handler was (no promise to wait for), a promise otherwise. The caller adds whatever an
   * inbox's extensions require (`tx`); the store path has none.
   */
  dispatch(event: AnyBluumEvent, context: BluumDeliveryContext): unknown[] | Promise<unknown[]>
  /** Runs the `onError` observers; their own failures are logged, never thrown. */
  reportErrors(
    errors: unknown[],
    event: AnyBluumEvent,
    context: BluumDeliveryContext,
  ): Promise<void>
  /** The registrations that match an event, in the order `dispatch` would start them. */
  handlersFor(event: AnyBluumEvent): readonly RegisteredHandler[]
  /** Every registration, once each. */
  registrations(): readonly RegisteredHandler[]
  /**
   * Runs one handler as `dispatch` would, traced when telemetry listens (for inboxes that run
   * handlers themselves); `task` marks a queued task's run.
   */
  runHandler(
    registration: RegisteredHandler,
    event: AnyBluumEvent,
    context: BluumDeliveryContext,
    task?: { id: string; attempt: number },
  ): unknown
}

type AnyHandler = BluumEventHandler<AnyBluumEvent>

/** A handler's synchronous throw, kept in its place among the other handlers' outcomes. */
class HandlerFailure {
  constructor(readonly error: unknown) {}
}

/**
 * Creates an empty router. `telemetry` is the plugin's (with OpenTelemetry when enabled); by
 * default handler runs are published on the diagnostics channels only.
 */
export function createEventRouter(
  telemetry: HandlerTelemetry = channelHandlerTelemetry,
): EventDispatcher {
  const byName = new Map<BluumEventName, RegisteredHandler[]>()
  const anyHandlers: RegisteredHandler[] = []
  const all: RegisteredHandler[] = []
  const errorHandlers: BluumErrorHandler[] = []

  const api: BluumEventRouter = {
    on(pattern, handler, options) {
      const patterns: readonly string[] = Array.isArray(pattern) ? pattern : [pattern as string]
      // Expand everything first so a bad pattern in a list registers nothing.
      const names = new Set(patterns.flatMap(expandPattern))
      const registration = { id: options?.id, handler: handler as AnyHandler }
      all.push(registration)
      for (const name of names) {
        const list = byName.get(name) ?? []
        list.push(registration)
        byName.set(name, list)
      }
      return api
    },
    onAny(handler, options) {
      const registration = { id: options?.id, handler }
      all.push(registration)
      anyHandlers.push(registration)
      return api
    },
    onError(handler) {
      errorHandlers.push(handler)
      return api
    },
  }

  function handlersFor(event: AnyBluumEvent): readonly RegisteredHandler[] {
    const named = isBluumEventName(event.event) ? (byName.get(event.event) ?? []) : []
    return named.length === 0 ? anyHandlers : [...named, ...anyHandlers]
  }

  return {
    api,
    handlersFor,
    registrations: () => all,
    runHandler({ handler, id }, event, context, task) {
      return telemetry.active(task !== undefined)
        ? telemetry.run(handler, id, event, context, task)
        : handler(event, context as BluumHandlerContext)
    },
    dispatch(event, context) {
      // Every handler starts before any is awaited (they run concurrently), and a synchronous
      // throw fails the delivery like a rejection. When no handler returned a promise (most
      // webhook handlers enqueue or write and return), nothing here is a promise either.
      const outcomes: unknown[] = []
      let waiting = false
      const traced = telemetry.active()
      for (const { handler, id } of handlersFor(event)) {
        try {
          const outcome = traced
            ? telemetry.run(handler, id, event, context)
            : handler(event, context as BluumHandlerContext)
          if (isThenable(outcome)) waiting = true
          outcomes.push(outcome)
        } catch (err) {
          outcomes.push(new HandlerFailure(err))
        }
      }
      if (!waiting) {
        const failures = outcomes.filter((o) => o instanceof HandlerFailure)
        return failures.length === 0 ? failures : failures.map((f) => f.error)
      }
      return Promise.allSettled(
        outcomes.map((o) => (o instanceof HandlerFailure ? Promise.reject(o.error) : o)),
      ).then((settled) =>
        settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : [])),
      )
    },
    async reportErrors(errors, event, context) {
      const aggregate = new AggregateError(errors, `${errors.length} handler(s) failed`)
      for (const handler of errorHandlers) {
        try {
          await handler(aggregate, event, context)
        } catch (err) {
          context.log.error({ err }, 'bluum onError handler threw')
        }
      }
    },
  }
}
