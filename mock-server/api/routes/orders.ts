/**
 * Trading routes: current-generation orders (`quantity`), estimates and positions, and the older
 * generation's order routes (`qty`), which answer in their own shape.
 */
import { implement, json, list, type ApiResponse, type RouteDefinition } from '../route.js'
import {
  legacyOrderOperations as legacyOps,
  orderOperations as ops,
} from '../../contract/orders.js'
import type { OrderFilter, PlaceOrderInput } from '../../engines/orders.js'
import type { Sandbox } from '../../sandbox.js'
import type { Order } from '../../core/state.js'
import { NotFoundError, withParam } from '../../core/errors.js'
import { pageSize } from '../../contract/fields.js'

/** The older route's status words ("Place a new investment order", older generation). */
const legacyStatus: Record<Order['status'], string> = {
  pending: 'accepted',
  open: 'accepted',
  partial: 'partially_filled',
  filled: 'filled',
  cancelled: 'canceled',
  failed: 'rejected',
}
const statusOfLegacy = Object.fromEntries(
  Object.entries(legacyStatus).map(([status, word]) => [word, status]),
) as Record<string, Order['status']>

/**
 * An order as the older generation shows it: `account_id`, `qty`, `filled_qty`, `remaining_qty`,
 * `canceled_at`, `reject_reason` and its status words; fields its examples omit when empty are
 * left out, and it has no resource envelope.
 */
export function legacyOrder(order: Order): Record<string, unknown> {
  return {
    id: order.id,
    account_id: order.investor_id,
    symbol: order.symbol,
    currency: order.currency ?? 'USD',
    qty: order.quantity,
    ...(order.notional === null ? {} : { notional: order.notional }),
    side: order.side,
    type: order.type,
    time_in_force: order.time_in_force,
    ...(order.limit_price === null ? {} : { limit_price: order.limit_price }),
    ...(order.stop_price === null ? {} : { stop_price: order.stop_price }),
    extended_hours: order.extended_hours,
    ...(order.client_order_id === null ? {} : { client_order_id: order.client_order_id }),
    status: legacyStatus[order.status],
    filled_qty: order.filled_quantity,
    remaining_qty: order.remaining_quantity,
    average_price: order.average_price ?? '0.00',
    commission: order.commission ?? '0.00',
    commission_type: order.commission_type ?? 'notional',
    submitted_at: order.submitted_at,
    filled_at: order.filled_at,
    canceled_at: order.cancelled_at,
    reject_reason: order.failure_reason,
  }
}

export function orderRoutes({ orders }: Sandbox): RouteDefinition[] {
  const filter = (q: { status?: string; symbol?: string; side?: Order['side']; class?: string }) =>
    ({
      ...(q.status ? { status: q.status as Order['status'] } : {}),
      ...(q.symbol ? { symbol: q.symbol } : {}),
      ...(q.side ? { side: q.side } : {}),
      ...(q.class ? { class: q.class } : {}),
    }) as OrderFilter
  return [
    implement(ops.placeOrder, (req) => {
      const { class: assetClass, market: _m, isin: _i, figi: _f, country: _c, ...rest } = req.body
      const input: PlaceOrderInput = assetClass === undefined ? rest : { ...rest, assetClass }
      return json(201, orders.place(req.params.investor_id, input))
    }),
    implement(ops.listOrders, (req) =>
      list(req.url, orders.list(req.params.investor_id, filter(req.query)), req.query),
    ),
    implement(ops.getOrder, (req) =>
      json(200, orders.get(req.params.investor_id, req.params.order_id)),
    ),
    implement(ops.cancelOrder, (req) =>
      json(200, orders.cancel(req.params.investor_id, req.params.order_id)),
    ),
    implement(ops.estimateOrder, (req) => {
      const { market: _m, isin: _i, figi: _f, ...input } = req.body
      return json(200, orders.estimate(req.params.investor_id, input))
    }),
    implement(ops.listPositions, (req) => {
      const symbol = req.query.symbol?.toUpperCase()
      const found = orders
        .positions(req.params.investor_id)
        .filter((p) => symbol === undefined || p.symbol === symbol)
      return list(req.url, found, req.query)
    }),
    implement(ops.getPosition, (req) => {
      const found = orders
        .positions(req.params.investor_id)
        .find((p) => p.id === req.params.position_id)
      if (!found)
        throw withParam(new NotFoundError('position', req.params.position_id), 'position_id')
      return json(200, found)
    }),
    implement(legacyOps.placeOrderLegacy, (req) => {
      const { qty, ...rest } = req.body
      const input: PlaceOrderInput = { ...rest, quantity: qty }
      return json(201, legacyOrder(orders.place(req.params.account_id, input, 'qty')))
    }),
    implement(legacyOps.listOrdersLegacy, (req): ApiResponse => {
      const { status, limit = pageSize.default, offset = 0, ...rest } = req.query
      const found = orders.list(req.params.account_id, {
        ...filter(rest),
        ...(status ? { status: statusOfLegacy[status] } : {}),
      })
      // The older route answers a bare array (its reference shows no envelope).
      return json(200, found.slice(offset, offset + limit).map(legacyOrder))
    }),
    implement(legacyOps.getOrderLegacy, (req) =>
      json(200, legacyOrder(orders.get(req.params.account_id, req.params.order_id))),
    ),
    implement(legacyOps.cancelOrderLegacy, (req) =>
      json(200, legacyOrder(orders.cancel(req.params.account_id, req.params.order_id))),
    ),
  ]
}
