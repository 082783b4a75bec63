/**
 * Where a delivery stands, in the words people filter by (the inspector, `bluum-sandbox
 * deliveries`): the engine's `status` says whether it is still running; the phase also says
 * whether a running delivery has failed already.
 */
import type { Delivery } from '../core/state.js'

/** The phases, in the order a delivery can go through them. */
export const deliveryPhases = ['pending', 'failing', 'delivered', 'parked', 'cancelled'] as const

/**
 * `pending`: not answered yet (no attempt, or only the first on the wire); `failing`: an attempt
 * failed and a retry is scheduled; `delivered`: a 2xx came; `parked`: the ladder was exhausted,
 * the endpoint answered 410 or was inactive, waiting for a replay; `cancelled`: its webhook was
 * deleted.
 */
export type DeliveryPhase = (typeof deliveryPhases)[number]

/** The phase of `delivery`. */
export function deliveryPhase(delivery: Delivery): DeliveryPhase {
  switch (delivery.status) {
    case 'succeeded':
      return 'delivered'
    case 'parked':
      return 'parked'
    case 'cancelled':
      return 'cancelled'
    case 'pending': {
      // Only the attempts of the current run count: a replayed delivery starts pending again.
      const last = delivery.attempts.at(-1)
      return last && !last.succeeded && delivery.next_attempt_at !== null ? 'failing' : 'pending'
    }
  }
}
