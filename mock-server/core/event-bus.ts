/**
 * Where every emitted event goes: the delivery engine and test subscribers listen here.
 *
 * Each event gets its stable `evt_` id once, at emission, so every attempt, duplicate and replay
 * of it carries the same identity (the receiver's dedupe key).
 */
import { bluumEventCatalog, type BluumEvent, type BluumEventName } from '../../plugin/catalog.js'
import type { Clock } from './clock.js'
import { flatString } from './flat-string.js'
import { createId } from './ids.js'

/** An emitted event: the envelope that is delivered. */
export interface SandboxEvent {
  id: string
  event: string
  /** ISO-8601 UTC, second precision. */
  timestamp: string
  data: Record<string, unknown>
}

export type EventListener = (event: SandboxEvent) => void

export interface EventBus {
  /**
   * Emits an event with a snapshot of `data` (a JSON copy: what a receiver gets); returns the
   * envelope. While {@link muted} with no
   * `heard` listener, nothing is emitted nor built: the envelope returned has an empty id.
   */
  emit<N extends BluumEventName>(name: N, data: BluumEvent<N>['data']): BluumEvent<N> & SandboxEvent
  /** Emits an event whose name may not be in the catalog (Bluum may add events at any time). */
  emitAny(name: string, data: Record<string, unknown>): SandboxEvent
  /** Calls `listener` for every event emitted from now on; returns an unsubscribe function. */
  subscribe(listener: EventListener): () => void
  /**
   * Runs `fn` with emission switched off and returns its result: what the engines emit meanwhile
   * is neither logged nor delivered, only passed to `heard` when given. The trigger builds an
   * event's prerequisites (an investor, a funding deposit) this way, so one trigger emits one event.
   */
  muted<T>(fn: () => T, heard?: EventListener): T
  /**
   * True while {@link muted} with no `heard` listener: an emission now is dropped unbuilt, so an
   * emitter whose data costs a copy (a resource view) can skip building it.
   */
  dropsEmissions(): boolean
  /** Every event emitted since creation or the last `clear()`, oldest first. */
  list(): readonly SandboxEvent[]
  clear(): void
  /** Replaces the log with saved events (a restart from a state file); notifies no one. */
  restore(events: readonly SandboxEvent[]): void
}

/** The last two seconds formatted, newest first: a deposit stamps now and its expiry in turn. */
const cachedSeconds = [Number.NaN, Number.NaN]
const cachedIso = ['', '']

/**
 * ISO-8601 UTC without milliseconds, as Bluum formats timestamps. Every event and resource of the
 * same second carries the same stamp, formatted once, and flat (see flat-string.ts).
 */
export function isoSeconds(ms: number): string {
  const second = Math.floor(ms / 1000)
  if (second === cachedSeconds[0]) return cachedIso[0]!
  if (second === cachedSeconds[1]) return cachedIso[1]!
  const iso = new Date(second * 1000).toISOString() // 2026-07-01T15:10:00.000Z
  const text = flatString(iso.slice(0, -5) + 'Z')
  cachedSeconds[1] = cachedSeconds[0]!
  cachedIso[1] = cachedIso[0]!
  cachedSeconds[0] = second
  cachedIso[0] = text
  return text
}

const dataJson = new WeakMap<SandboxEvent, string>()

/**
 * The bytes a delivery of `event` posts: its envelope as JSON, exactly what
 * `JSON.stringify({ id, event, timestamp, data })` gives, with the data serialised once per event.
 */
export function eventPayload(event: SandboxEvent): string {
  const data = dataJson.get(event) ?? JSON.stringify(event.data)
  return `{"id":${JSON.stringify(event.id)},"event":${JSON.stringify(event.event)},"timestamp":${JSON.stringify(event.timestamp)},"data":${data}}`
}

/** Creates an event bus stamping events with `clock`. */
export function createEventBus(clock: Clock, maxLogged = 10_000): EventBus {
  const listeners = new Set<EventListener>()
  let log: SandboxEvent[] = []
  let mutedDepth = 0
  let hearing: EventListener | undefined

  function emitAny(name: string, data: Record<string, unknown>): SandboxEvent {
    // Muted and unheard: no id, no stamp, no snapshot (a trigger's prerequisites emit several).
    if (mutedDepth > 0 && hearing === undefined) return { id: '', event: name, timestamp: '', data }
    // The snapshot is a JSON round trip, kept as text too: what a receiver gets is JSON, and the
    // delivery engine sends these bytes without serialising the data again (structuredClone cost
    // more than the rest of an emission).
    const json = JSON.stringify(data)
    const event: SandboxEvent = {
      id: createId('evt'),
      event: name,
      timestamp: isoSeconds(clock.now()),
      data: JSON.parse(json) as Record<string, unknown>,
    }
    dataJson.set(event, json)
    if (mutedDepth > 0) {
      hearing?.(event)
      return event
    }
    log.push(event)
    // Bounded so a long-running CLI sandbox does not grow without limit; cut in one slice per
    // `maxLogged` events, not one per event (a 10 000-entry copy each time cost more than the rest
    // of an emission).
    if (log.length >= 2 * maxLogged) log = log.slice(-maxLogged)
    for (const listener of [...listeners]) listener(event)
    // The deliveries took their bytes; the logged event keeps its data alone, not a second copy of
    // it as text (delivering a logged event again, `deliverTo`, serialises it to the same bytes).
    dataJson.delete(event)
    return event
  }

  function list(): readonly SandboxEvent[] {
    if (log.length > maxLogged) log = log.slice(-maxLogged)
    return log
  }

  return {
    emit: (name, data) => emitAny(name, data as unknown as Record<string, unknown>) as never,
    emitAny,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    dropsEmissions: () => mutedDepth > 0 && hearing === undefined,
    muted(fn, heard) {
      const outer = hearing
      mutedDepth++
      hearing = heard ?? outer
      try {
        return fn()
      } finally {
        mutedDepth--
        hearing = outer
      }
    },
    list,
    clear() {
      log = []
    },
    restore(events) {
      log = events.slice(-maxLogged)
    },
  }
}

/** Tells whether a subscription (`order.filled`, `order.*`, `transfer.*`, `*`) covers `name`. */
export function matchesSubscription(subscription: string, name: string): boolean {
  if (subscription === '*' || subscription === name) return true
  if (!subscription.endsWith('.*')) return false
  // `transfer.*` covers the three-segment `transfer.deposit.completed` too.
  return name.startsWith(subscription.slice(0, -1))
}

/** Catalog names with their descriptions, for `GET /v1/webhooks/event-types`. */
export function eventTypes(): { name: string; description: string }[] {
  return Object.entries(bluumEventCatalog).map(([name, entry]) => ({
    name,
    description: entry.description,
  }))
}
