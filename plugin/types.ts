/**
 * The plugin's shared vocabulary: the types that the pipeline, the router, the inbox, the lease
 * renewals and telemetry all speak. They live here, in a module that imports nothing but the
 * catalog's and the patterns' types, so that no module has to import another one's internals
 * to name them (which is how import cycles start). Types only: nothing here runs.
 */
import type { AnyBluumEvent, BluumEvent } from './catalog.js'
import type { BluumEventPattern, MatchingEvents } from './event-pattern.js'

/** Request headers as Node gives them. */
export type HeaderBag = Record<string, string | string[] | undefined>

/** An error with a stable code and, for the answers of a delivery, its HTTP status. */
export type CodedError = Error & { code: string; statusCode?: number }

/** The logger a handler gets: the request's child logger in the plugin. */
export interface HandlerLogger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** A logger with the levels the pipeline uses (a Fastify request logger fits). */
export interface DeliveryLogger extends HandlerLogger {
  debug(obj: object, msg?: string): void
}

/**
 * What the route answers a delivery. A success says what happened to the event, which sets the
 * body (`duplicate: true` or not) and the telemetry outcome; a failure carries a coded error
 * whose `statusCode` is the answer's status.
 */
export type DeliveryAnswer =
  | { readonly ok: true; readonly outcome: 'processed' | 'queued' | 'duplicate' }
  | {
      readonly ok: false
      readonly error: CodedError
      /** How long the sender should wait before its retry, in seconds: the `Retry-After`. */
      readonly retryAfterSeconds?: number
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

/** The router: its public API, and the internal side the delivery pipeline and inboxes use. */
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
