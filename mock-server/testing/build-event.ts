/**
 * Typed sample events for plain `inject` tests: the sandbox's sample data for the event, with
 * your overrides on top. Arguments are never mutated and the result shares nothing with them.
 */
import type { BluumEvent, BluumEventData, BluumEventName } from '../../plugin/catalog.js'
import { isoSeconds } from '../core/event-bus.js'
import { createId } from '../core/ids.js'
import { sampleEventData } from '../core/sample-events.js'

/** Envelope fields a test may pin. */
export interface BuildEventOptions {
  /** Envelope id. Default a fresh `evt_...`. */
  id?: string
  /** Envelope timestamp, ISO-8601 UTC. Default now. */
  timestamp?: string
}

/**
 * A complete, valid envelope of catalog event `name`.
 * @example const event = buildEvent('order.filled', { symbol: 'MSFT', filled_quantity: '3' })
 */
export function buildEvent<N extends BluumEventName>(
  name: N,
  overrides: Partial<BluumEventData<N>> = {},
  options: BuildEventOptions = {},
): BluumEvent<N> {
  const now = Date.now()
  const data = sampleEventData(name, now, structuredClone(overrides) as Record<string, unknown>)
  return {
    id: options.id ?? createId('evt'),
    event: name,
    timestamp: options.timestamp ?? isoSeconds(now),
    data,
  } as unknown as BluumEvent<N>
}
