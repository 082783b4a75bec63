/** Order routes: G3 `/investors/{id}/orders` (`quantity`) and the legacy G2 alias (`qty`). */
import { defineRoute, json, list, type RouteDefinition } from '../route.js'
import type { PlaceOrderInput } from '../../engines/orders.js'
import type { Sandbox } from '../../sandbox.js'
import {
  LegacyOrderSchema,
  LegacyPlaceOrderBody,
  ListOf,
  OrderListQuery,
  OrderSchema,
  PlaceOrderBody,
} from '../schemas.js'
import type { Order } from '../../core/state.js'

const tag = 'Orders'

/** The legacy route's status words ("Place a new investment order", G2). */
const legacyStatus: Record<Order['status'], string> = {
  pending: 'accepted',
  open: 'accepted',
  partial: 'partially_filled',
  filled: 'filled',
  cancelled: 'canceled',
  failed: 'rejected',
}

/**
 * The legacy route answers in its own shape, as Bluum's G2 reference shows it: `account_id`,
 * `qty`, `filled_qty`, `remaining_qty`, `canceled_at`, `reject_reason` and its status words.
 */
export function legacyOrder(order: Order) {
  return {
    id: order.id,
    object: order.object,
    account_id: order.investor_id,
    symbol: order.symbol,
    currency: 'USD',
    qty: order.quantity,
    notional: order.notional,
    side: order.side,
    type: order.type,
    time_in_force: order.time_in_force,
    limit_price: order.limit_price,
    stop_price: order.stop_price,
    trail_percent: order.trail_percent,
    trail_price: order.trail_price,
    extended_hours: order.extended_hours,
    client_order_id: order.client_order_id,
    status: legacyStatus[order.status],
    filled_qty: order.filled_quantity,
    remaining_qty: order.remaining_quantity,
    average_price: order.average_price ?? '0.00',
    submitted_at: order.submitted_at,
    filled_at: order.filled_at,
    canceled_at: order.cancelled_at,
    reject_reason: order.failure_reason,
    created: order.created,
    livemode: order.livemode,
    metadata: order.metadata,
  }
}
const legacy = legacyOrder

export function orderRoutes({ orders }: Sandbox): RouteDefinition[] {
  const filter = (q: { status?: Order['status']; symbol?: string; side?: Order['side'] }) => ({
    ...(q.status ? { status: q.status } : {}),
    ...(q.symbol ? { symbol: q.symbol } : {}),
    ...(q.side ? { side: q.side } : {}),
  })
  return [
    defineRoute({
      method: 'POST',
      path: '/investors/:investor_id/orders',
      operationId: 'placeOrder',
      summary: 'Place an order',
      tag,
      access: 'investor',
      idempotency: 'optional',
      successStatus: 201,
      schema: { body: PlaceOrderBody, response: OrderSchema },
      handler: (req) => json(201, orders.place(req.params.investor_id, req.body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/investors/:investor_id/orders',
      operationId: 'listOrders',
      summary: 'List orders (filters: status, symbol, side)',
      tag,
      access: 'investor',
      schema: { query: OrderListQuery, response: ListOf(OrderSchema) },
      handler: (req) =>
        list(req.url, orders.list(req.params.investor_id, filter(req.query)), req.query),
    }),
    defineRoute({
      method: 'GET',
      path: '/investors/:investor_id/orders/:order_id',
      operationId: 'getOrder',
      summary: 'Retrieve an order',
      tag,
      access: 'investor',
      schema: { response: OrderSchema },
      handler: (req) => json(200, orders.get(req.params.investor_id, req.params.order_id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/investors/:investor_id/orders/:order_id/cancel',
      operationId: 'cancelOrder',
      summary: 'Cancel an open order',
      tag,
      access: 'investor',
      schema: { response: OrderSchema },
      handler: (req) => json(200, orders.cancel(req.params.investor_id, req.params.order_id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/trading/accounts/:account_id/orders',
      operationId: 'placeOrderLegacy',
      summary: 'Place an order (legacy G2 route, `qty`)',
      tag,
      access: 'investor',
      idempotency: 'optional',
      successStatus: 201,
      schema: { body: LegacyPlaceOrderBody, response: LegacyOrderSchema },
      handler: (req) => {
        const { qty, ...rest } = req.body
        const input: PlaceOrderInput = qty === undefined ? rest : { ...rest, quantity: qty }
        return json(201, legacy(orders.place(req.params.account_id, input, 'qty')))
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/trading/accounts/:account_id/orders',
      operationId: 'listOrdersLegacy',
      summary: 'List orders (legacy G2 route)',
      tag,
      access: 'investor',
      schema: { query: OrderListQuery, response: ListOf(LegacyOrderSchema) },
      handler: (req) =>
        list(req.url, orders.list(req.params.account_id, filter(req.query)).map(legacy), req.query),
    }),
    defineRoute({
      method: 'GET',
      path: '/trading/accounts/:account_id/orders/:order_id',
      operationId: 'getOrderLegacy',
      summary: 'Retrieve an order (legacy G2 route)',
      tag,
      access: 'investor',
      schema: { response: LegacyOrderSchema },
      handler: (req) => json(200, legacy(orders.get(req.params.account_id, req.params.order_id))),
    }),
    defineRoute({
      method: 'POST',
      path: '/trading/accounts/:account_id/orders/:order_id/cancel',
      operationId: 'cancelOrderLegacyPost',
      summary: 'Cancel an open order (legacy G2 route, POST .../cancel)',
      tag,
      access: 'investor',
      schema: { response: LegacyOrderSchema },
      handler: (req) =>
        json(200, legacy(orders.cancel(req.params.account_id, req.params.order_id))),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/trading/accounts/:account_id/orders/:order_id',
      operationId: 'cancelOrderLegacy',
      summary: 'Cancel an open order (legacy G2 route)',
      tag,
      access: 'investor',
      schema: { response: LegacyOrderSchema },
      handler: (req) =>
        json(200, legacy(orders.cancel(req.params.account_id, req.params.order_id))),
    }),
  ]
}
