/**
 * Where every emitted event goes: the delivery engine and test subscribers listen here.
 *
 * Each event gets its stable `evt_` id once, at emission, so every attempt, duplicate and replay
 * of it carries the same identity (the receiver's dedupe key).
 */
import { bluumEventCatalog, type BluumEvent, type BluumEventName } from '../../plugin/catalog.js'
import type { Clock } from './clock.js'
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
  /** Emits an event with a snapshot of `data`; returns the envelope. */
  emit<N extends BluumEventName>(name: N, data: BluumEvent<N>['data']): BluumEvent<N> & SandboxEvent
  /** Emits an event whose name may not be in the catalog (Bluum may add events at any time). */
  emitAny(name: string, data: Record<string, unknown>): SandboxEvent
  /** Calls `listener` for every event emitted from now on; returns an unsubscribe function. */
  subscribe(listener: EventListener): () => void
  /**
   * Runs `fn` with emission switched off and returns its result: what the engines emit meanwhile
   * is neither logged nor delivered. The trigger builds an event's prerequisites (an investor, a
   * funding deposit) this way, so one trigger emits one event.
   */
  muted<T>(fn: () => T): T
  /** Every event emitted since creation or the last `clear()`, oldest first. */
  list(): readonly SandboxEvent[]
  clear(): void
  /** Replaces the log with saved events (a restart from a state file); notifies no one. */
  restore(events: readonly SandboxEvent[]): void
}

/** ISO-8601 UTC without milliseconds, as Bluum formats timestamps. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** Creates an event bus stamping events with `clock`. */
export function createEventBus(clock: Clock, maxLogged = 10_000): EventBus {
  const listeners = new Set<EventListener>()
  let log: SandboxEvent[] = []
  let mutedDepth = 0

  function emitAny(name: string, data: Record<string, unknown>): SandboxEvent {
    const event: SandboxEvent = {
      id: createId('evt'),
      event: name,
      timestamp: isoSeconds(clock.now()),
      data: structuredClone(data),
    }
    if (mutedDepth > 0) return event
    log.push(event)
    // Bounded so a long-running CLI sandbox does not grow without limit.
    if (log.length > maxLogged) log = log.slice(-maxLogged)
    for (const listener of [...listeners]) listener(event)
    return event
  }

  return {
    emit: (name, data) => emitAny(name, data as unknown as Record<string, unknown>) as never,
    emitAny,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    muted(fn) {
      mutedDepth++
      try {
        return fn()
      } finally {
        mutedDepth--
      }
    },
    list: () => log,
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
