/**
 * The one table between an order's status and the event that announces it. The order engine
 * emits from it, and the sample data of a triggered `order.*` event takes its status from it,
 * so the two can never disagree.
 */
import type { OrderStatus } from './state.js'

/** The event each status change emits; `pending` emits nothing (Bluum has no such event). */
export const orderEventByStatus = Object.freeze({
  open: 'order.accepted',
  partial: 'order.partially_filled',
  filled: 'order.filled',
  cancelled: 'order.canceled',
  failed: 'order.rejected',
} as const satisfies Record<Exclude<OrderStatus, 'pending'>, string>)

export type OrderEventName = (typeof orderEventByStatus)[keyof typeof orderEventByStatus]

/** The status an `order.*` event's order has, or undefined for a name outside the table. */
export function orderStatusOfEvent(name: string): OrderStatus | undefined {
  for (const [status, event] of Object.entries(orderEventByStatus)) {
    if (event === name) return status as OrderStatus
  }
  return undefined
}
