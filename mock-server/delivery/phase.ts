/**
 * Where a delivery stands, in the one vocabulary every face uses: the API's `status` field and its
 * `?status=` filters, `bluum-sandbox deliveries`, the inspector and the attempt lines. The engine's
 * own `status` says whether it is still running, in the same words; the phase also says whether a
 * running delivery has failed already.
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

/**
 * Filter words accepted besides the phases: `succeeded` is what the API's `status` said of a
 * delivered delivery before it spoke in phases, so filters and scripts written then keep working.
 */
export const deliveryPhaseAliases = Object.freeze({
  succeeded: 'delivered',
} as const satisfies Record<string, DeliveryPhase>)

/** Every word a `status` filter accepts: the phases, then the aliases. */
export const deliveryStatusFilterValues = Object.freeze([
  ...deliveryPhases,
  ...(Object.keys(deliveryPhaseAliases) as Array<keyof typeof deliveryPhaseAliases>),
])

/** The phase a filter word names (a phase or an alias), or undefined for any other word. */
export function phaseNamed(word: string): DeliveryPhase | undefined {
  if ((deliveryPhases as readonly string[]).includes(word)) return word as DeliveryPhase
  return Object.hasOwn(deliveryPhaseAliases, word)
    ? deliveryPhaseAliases[word as keyof typeof deliveryPhaseAliases]
    : undefined
}

/** The phase of `delivery`. */
export function deliveryPhase(delivery: Delivery): DeliveryPhase {
  switch (delivery.status) {
    case 'delivered':
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
