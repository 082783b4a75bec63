/**
 * Typed routing of verified events to handlers. Pure: no Fastify, no I/O.
 *
 * Every handler that matches a delivery runs (concurrently), and every failure is collected:
 * one failing handler never hides another, and the delivery fails as a whole so the retry
 * runs them again.
 */
import { isBluumEventName, type AnyBluumEvent, type BluumEventName } from './catalog.js'
import { expandPattern } from './event-pattern.js'
import { channelHandlerTelemetry, type HandlerTelemetry } from './telemetry.js'
import { isThenable } from './thenable.js'
import type {
  BluumErrorHandler,
  BluumEventHandler,
  BluumEventRouter,
  BluumHandlerContext,
  EventDispatcher,
  RegisteredHandler,
} from './types.js'

type AnyHandler = BluumEventHandler<AnyBluumEvent>

/** What `dispatch` gives when no handler failed; frozen, since every delivery shares it. */
const NO_ERRORS: unknown[] = Object.freeze([]) as unknown as unknown[]

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
      let thrown = 0
      const traced = telemetry.active()
      for (const { handler, id } of handlersFor(event)) {
        try {
          const outcome = traced
            ? telemetry.run(handler, id, event, context)
            : handler(event, context as BluumHandlerContext)
          if (isThenable(outcome)) waiting = true
          outcomes.push(outcome)
        } catch (err) {
          thrown++
          outcomes.push(new HandlerFailure(err))
        }
      }
      if (!waiting) {
        // The common case, every handler returned: one shared empty list, nothing allocated.
        if (thrown === 0) return NO_ERRORS
        return outcomes.flatMap((o) => (o instanceof HandlerFailure ? [o.error] : []))
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
