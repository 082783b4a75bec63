/**
 * Per-resource ordering of queued tasks: which resource an event is about, and when it happened.
 * Pure.
 *
 * Bluum sends `order.accepted`, `order.partially_filled` and `order.filled` for one order close
 * together, retries any of them, and promises no order: with `ordering: 'resource'` the tasks of
 * one handler for one resource run one at a time, in the order of the events' own timestamps.
 */
import type { AnyBluumEvent } from '../catalog.js'

/** Which events must run in order: `'resource'`, or a key function (undefined: unordered). */
export type InboxOrdering = 'none' | 'resource' | ((event: AnyBluumEvent) => string | undefined)

/**
 * The resource an event is about: its kind (the event name without the action: `order`,
 * `transfer.deposit`, `account`, `document`) and the id of the resource in `data`.
 * @example resourceKey({ event: 'order.filled', data: { id: 'ord_1' } }) // 'order:ord_1'
 */
export function resourceKey(event: Pick<AnyBluumEvent, 'event' | 'data'>): string | undefined {
  const id = (event.data as { id?: unknown }).id
  if (typeof id !== 'string' || id.length === 0) return undefined
  return `${event.event.slice(0, event.event.lastIndexOf('.'))}:${id}`
}

/** The ordering key function of an `ordering` option; undefined when nothing is ordered. */
export function orderingKeyOf(
  ordering: InboxOrdering,
): ((event: AnyBluumEvent) => string | undefined) | undefined {
  if (ordering === 'none') return undefined
  return ordering === 'resource' ? resourceKey : ordering
}

/**
 * The event's own time as ISO text for PostgreSQL, or null when `timestamp` is not a date
 * PostgreSQL and JavaScript both read the same way (the task is then ordered by arrival).
 */
export function eventTime(event: Pick<AnyBluumEvent, 'timestamp'>): string | null {
  const ms = Date.parse(event.timestamp)
  if (Number.isNaN(ms)) return null
  const iso = new Date(ms).toISOString()
  // Years past 9999 are written "+010000-…", which PostgreSQL does not parse.
  return /^\d{4}-/.test(iso) ? iso : null
}
