/**
 * Queue mode's acknowledgement: the event and one task per matching handler, written durably
 * before the 200. Concurrent deliveries share one statement and one commit (group-commit.ts).
 */
import type { AnyBluumEvent } from '../catalog.js'
import type { SqlDriver } from './driver.js'
import { createGroupCommit } from './group-commit.js'
import { eventTime } from './ordering.js'
import type { InboxStatements } from './statements.js'
import { isStoreFailure } from './store-failure.js'

/** One delivery to store. */
export interface QueuedDelivery {
  readonly deliveryId: string
  readonly event: AnyBluumEvent
  readonly handlerIds: readonly string[]
}

/** Stored now (`true`), or already stored (`false`: a duplicate); or the statement's error. */
export type QueueOutcome = boolean | { readonly error: unknown }

/** Most deliveries in one statement. */
const MAX_BATCH = 200

export function createQueueAccept(
  driver: SqlDriver,
  sql: InboxStatements,
  options: {
    readonly schema: string
    readonly channel: string
    readonly orderingKey: ((event: AnyBluumEvent) => string | undefined) | undefined
  },
) {
  const { orderingKey } = options

  async function insert(items: readonly QueuedDelivery[]): Promise<Set<string>> {
    const events: Array<{ d: string; e: string; p: AnyBluumEvent }> = []
    const tasks: Array<{ d: string; h: string; k: string | null; at: string | null }> = []
    const seen = new Set<string>()
    for (const { deliveryId, event, handlerIds } of items) {
      // A repeat inside one batch: the first copy alone goes in (the statement would skip it).
      if (seen.has(deliveryId)) continue
      seen.add(deliveryId)
      events.push({ d: deliveryId, e: event.event, p: event })
      if (handlerIds.length === 0) continue
      const k = orderingKey?.(event) ?? null
      const at = eventTime(event)
      for (const h of handlerIds) tasks.push({ d: deliveryId, h, k, at })
    }
    const { rows } = await driver.query<{ inserted: string[] }>(
      sql.acceptBatch,
      [JSON.stringify(events), JSON.stringify(tasks), options.channel],
      { name: `bluum_accept_${options.schema}` },
    )
    return new Set(rows[0]?.inserted ?? [])
  }

  /** Each item's outcome; only the first copy of a delivery id in a batch can be the new one. */
  function outcomes(items: readonly QueuedDelivery[], inserted: Set<string>): QueueOutcome[] {
    const first = new Set<string>()
    return items.map(({ deliveryId }) => {
      if (first.has(deliveryId)) return false
      first.add(deliveryId)
      return inserted.has(deliveryId)
    })
  }

  async function flush(items: readonly QueuedDelivery[]): Promise<QueueOutcome[]> {
    try {
      return outcomes(items, await insert(items))
    } catch (error) {
      // The database is away: every delivery of the batch gets the same 503. Anything else is
      // one delivery's data the database refused: each one again alone, so only it fails.
      if (items.length === 1 || isStoreFailure(error)) return items.map(() => ({ error }))
      return Promise.all(
        items.map(async (item) => {
          try {
            return (await insert([item])).has(item.deliveryId)
          } catch (err) {
            return { error: err }
          }
        }),
      )
    }
  }

  const group = createGroupCommit(flush, { maxBatch: MAX_BATCH, maxInFlight: 1 })
  return { accept: (delivery: QueuedDelivery) => group.add(delivery) }
}
