/**
 * What the inspector shows, computed from the sandbox's state: the display state of a delivery,
 * the filtered feed of events and deliveries, and the receiver's diagnosis read from an answer.
 * Pure functions over plain data (no Fastify, no HTTP), so every view is testable without a server.
 */
import { matchesSubscription, type SandboxEvent } from '../core/event-bus.js'
import type { Delivery, DeliveryAttempt, Webhook } from '../core/state.js'
import { deliveryPhase, deliveryPhases, phaseNamed, type DeliveryPhase } from '../delivery/phase.js'

/**
 * The states the inspector filters by are the delivery phases the API filters by
 * (`GET /v1/sandbox/deliveries?status=`): one definition, in `delivery/phase.ts`.
 */
export const deliveryStates = deliveryPhases
export type DeliveryState = DeliveryPhase
/** A delivery's state: its phase, as the API's `status` and every filter name it. */
export const deliveryState: (delivery: Delivery) => DeliveryState = deliveryPhase

/** What a webhook is called on screen: its name, or its id (Bluum's `name` is optional). */
export function webhookLabel(webhook: Pick<Webhook, 'id' | 'name'>): string {
  return webhook.name ?? webhook.id
}

/** Can the replay action run on it? Pending deliveries retry by themselves (the API refuses them). */
export function isReplayable(delivery: Pick<Delivery, 'status'>): boolean {
  return delivery.status === 'delivered' || delivery.status === 'parked'
}

/** The feed's filters, from the query string. */
export interface FeedFilters {
  /** An event name or a subscription pattern (`order.*`). */
  event?: string
  webhookId?: string
  state?: DeliveryState
}

const first = (value: unknown): string | undefined => {
  const v = Array.isArray(value) ? value[0] : value
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined
}

/**
 * Reads the filters from a query; `status` takes what the API's filter takes (a phase, or the
 * alias `succeeded`), and an unknown word is dropped (the form only offers known ones).
 */
export function parseFilters(query: Record<string, unknown>): FeedFilters {
  const event = first(query.event)
  const webhookId = first(query.webhook_id)
  const status = first(query.status)
  const state = status === undefined ? undefined : phaseNamed(status)
  return {
    ...(event ? { event: event.slice(0, 200) } : {}),
    ...(webhookId ? { webhookId: webhookId.slice(0, 64) } : {}),
    ...(state ? { state } : {}),
  }
}

/** The query string of `filters` (for links that keep them), without the leading `?`. */
export function filtersQuery(filters: FeedFilters): string {
  const params = new URLSearchParams()
  if (filters.event) params.set('event', filters.event)
  if (filters.webhookId) params.set('webhook_id', filters.webhookId)
  if (filters.state) params.set('status', filters.state)
  return params.toString()
}

/** One delivery as a feed row shows it. */
export interface DeliverySummary {
  id: string
  webhookId: string
  webhookName: string
  state: DeliveryState
  attempts: number
  last:
    | (Pick<DeliveryAttempt, 'status_code' | 'error' | 'succeeded'> & {
        /** The receiver's own error code from its answer (`BLUUM_SIGNATURE_MISMATCH`), if any. */
        code: string | undefined
        /** The connection error's code when no answer came (`ECONNREFUSED`). */
        connectionCode: string | undefined
      })
    | undefined
  nextAttemptAt: string | null
  failureReason: string | null
}

/** One row of the feed: an event, and one of its deliveries (none when nobody subscribed). */
export interface FeedRow {
  event: Pick<SandboxEvent, 'id' | 'event' | 'timestamp'>
  delivery: DeliverySummary | undefined
}

export interface Feed {
  /** Every row matching the filters, newest first. */
  rows: FeedRow[]
}

/** What the feed is built from: the sandbox's event log, deliveries and webhooks. */
export interface FeedSource {
  /** Oldest first, as the event bus keeps them. */
  events: readonly SandboxEvent[]
  /** Any order. */
  deliveries: readonly Delivery[]
  webhooks: readonly Pick<Webhook, 'id' | 'name'>[]
}

export function summarizeDelivery(
  delivery: Delivery,
  webhookName: (id: string) => string,
): DeliverySummary {
  const last = delivery.attempts.at(-1)
  return {
    id: delivery.id,
    webhookId: delivery.webhook_id,
    webhookName: webhookName(delivery.webhook_id),
    state: deliveryState(delivery),
    attempts: delivery.attempts.length,
    last: last && {
      status_code: last.status_code,
      error: last.error,
      succeeded: last.succeeded,
      code: receiverDiagnosis(last.response?.body ?? undefined)?.code,
      connectionCode: last.connection_error?.code ?? undefined,
    },
    nextAttemptAt: delivery.next_attempt_at,
    failureReason: delivery.failure_reason,
  }
}

/**
 * Events newest first, each with its deliveries (or alone when no webhook subscribed), filtered:
 * the event filter matches names and patterns; a webhook or state filter keeps only deliveries.
 * Deliveries whose event is not in the log (it fell out of the bounded log, or it was a test send
 * to one webhook) are placed by their creation time among the logged events.
 */
export function buildFeed(source: FeedSource, filters: FeedFilters): Feed {
  const names = new Map(source.webhooks.map((w) => [w.id, webhookLabel(w)]))
  const webhookName = (id: string) => names.get(id) ?? `${id} (deleted)`
  const byEvent = new Map<string, Delivery[]>()
  for (const delivery of source.deliveries) {
    const list = byEvent.get(delivery.event_id) ?? []
    list.push(delivery)
    byEvent.set(delivery.event_id, list)
  }
  const nameMatches = (name: string) =>
    filters.event === undefined || matchesSubscription(filters.event, name)
  const onlyDeliveries = filters.webhookId !== undefined || filters.state !== undefined
  const rows: FeedRow[] = []
  const rowsOf = (event: FeedRow['event'], deliveries: readonly Delivery[]) => {
    if (!nameMatches(event.event)) return
    const kept = deliveries
      .filter(
        (d) =>
          (filters.webhookId === undefined || d.webhook_id === filters.webhookId) &&
          (filters.state === undefined || deliveryState(d) === filters.state),
      )
      .map((d) => summarizeDelivery(d, webhookName))
      .sort((a, b) => (a.webhookName < b.webhookName ? -1 : a.webhookName > b.webhookName ? 1 : 0))
    if (kept.length === 0 && !onlyDeliveries) rows.push({ event, delivery: undefined })
    for (const delivery of kept) rows.push({ event, delivery })
  }
  const logged = new Set(source.events.map((e) => e.id))
  // Unlogged events, newest first, each as the envelope its deliveries carry.
  const orphans = [...byEvent.entries()]
    .filter(([id]) => !logged.has(id))
    .map(([id, deliveries]) => ({ id, deliveries, at: deliveries[0]!.createdMs }))
    .sort((a, b) => b.at - a.at)
  let next = 0
  const flushOrphansNewerThan = (ms: number) => {
    for (; next < orphans.length && orphans[next]!.at > ms; next++) {
      const { id, deliveries, at } = orphans[next]!
      const d = deliveries[0]!
      rowsOf({ id, event: d.event, timestamp: new Date(at).toISOString() }, deliveries)
    }
  }
  for (let i = source.events.length - 1; i >= 0; i--) {
    const event = source.events[i]!
    const deliveries = byEvent.get(event.id) ?? []
    flushOrphansNewerThan(deliveries[0]?.createdMs ?? Date.parse(event.timestamp))
    rowsOf(event, deliveries)
  }
  flushOrphansNewerThan(-Infinity)
  return { rows }
}

/** The key of a feed row, for paging cursors: `evt_...~dlv_...`. */
export function rowKey(row: FeedRow): string {
  return `${row.event.id}~${row.delivery?.id ?? ''}`
}

/** Where a page of the feed starts: after a row (older) or before one (newer). */
export interface FeedCursor {
  after?: string
  before?: string
}

export interface FeedPage {
  rows: FeedRow[]
  /** Rows matching the filters, on every page. */
  total: number
  /** Index of the first row shown, 0-based. */
  start: number
  /** Cursor of the next (older) page, when there is one. */
  older: string | undefined
  /** Cursor of the previous (newer) page, when there is one. */
  newer: string | undefined
}

/** Rows shown per page of the feed. */
const feedPageSize = 50

/**
 * One page of the feed. Cursors are row keys, so a page stays put while new events arrive on
 * top; a cursor whose row is gone (a reset) falls back to the newest page.
 */
export function pageFeed(feed: Feed, cursor: FeedCursor, size = feedPageSize): FeedPage {
  const total = feed.rows.length
  let start = 0
  if (cursor.after !== undefined) {
    const at = feed.rows.findIndex((r) => rowKey(r) === cursor.after)
    if (at >= 0) start = at + 1
  } else if (cursor.before !== undefined) {
    const at = feed.rows.findIndex((r) => rowKey(r) === cursor.before)
    if (at >= 0) start = Math.max(0, at - size)
  }
  const rows = feed.rows.slice(start, start + size)
  return {
    rows,
    total,
    start,
    older: start + size < total ? rowKey(rows.at(-1)!) : undefined,
    newer: start > 0 && rows.length > 0 ? rowKey(rows[0]!) : undefined,
  }
}

/** The paging cursor from a query (`after` / `before`), bounded like any id. */
export function parseCursor(query: Record<string, unknown>): FeedCursor {
  const after = first(query.after)
  const before = first(query.before)
  if (after) return { after: after.slice(0, 200) }
  if (before) return { before: before.slice(0, 200) }
  return {}
}

/** An HTTP header map as an attempt record may hold it. */
export type HeaderMap = Record<string, string | readonly string[] | number | undefined>

/**
 * One attempt as the inspector reads it: the fields every attempt record has, plus the request
 * sent and the answer received when the delivery engine recorded them.
 */
export interface AttemptView {
  attempt: number
  attempted_at: string
  status_code: number | null
  duration_ms: number
  error: string | null
  succeeded: boolean
  fault: string | null
  request?: { method?: string; url?: string; headers?: HeaderMap; body?: string } | null
  response?: {
    status?: number
    headers?: HeaderMap
    body?: string
    body_truncated?: boolean
    body_bytes?: number
  } | null
  /** Set when no answer came: the connection error or the timeout. */
  connection_error?: { code: string; message: string } | null
}

/** An attempt record as the inspector shows it. */
export function toAttemptView(attempt: DeliveryAttempt): AttemptView {
  return attempt
}

/** The receiver's own words, when its answer is a JSON error with a `code` (the plugin's are). */
export interface Diagnosis {
  code: string
  message: string | undefined
}

/** Reads `{ code, message }` (or `{ error: { code, message } }`) from an answer's body. */
export function receiverDiagnosis(body: string | undefined): Diagnosis | undefined {
  if (!body) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const record = parsed as Record<string, unknown>
  const inner =
    typeof record.error === 'object' && record.error !== null
      ? (record.error as Record<string, unknown>)
      : record
  if (typeof inner.code !== 'string') return undefined
  return {
    code: inner.code,
    message: typeof inner.message === 'string' ? inner.message : undefined,
  }
}

/** JSON text pretty-printed when it parses, else as it came. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}
