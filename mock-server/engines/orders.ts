/**
 * The sandbox's order engine: simulated prices, fills, buying power and positions.
 *
 * Market orders fill at once at the symbol's simulated price (`order.accepted` then
 * `order.filled`); limit and stop orders rest open until `setPrice()` moves the price across them,
 * which is how cancellation is tested. A buy that the cash (minus what resting buys hold) cannot
 * pay for, or a sell of more than the position, fails with `order.rejected`. In partial-fill mode
 * a fill happens in two halves, `partialFillDelayMs` apart, with `order.partially_filled` between.
 */
import type { Clock, TimerHandle } from '../core/clock.js'
import { formatPrice, formatQuantity, toCents } from '../core/decimal.js'
import {
  AssetNotTradableError,
  InvalidParamError,
  InvalidStateError,
  MissingParamError,
  withParam,
} from '../core/errors.js'
import { isoSeconds, type EventBus } from '../core/event-bus.js'
import { findOrThrow, newResource } from '../core/resource.js'
import type { SavedTimer } from '../core/state-file.js'
import type { Order, OrderStatus, SandboxState } from '../core/state.js'
import { orderEventByStatus } from '../core/order-events.js'

export interface PlaceOrderInput {
  symbol: string
  side: Order['side']
  type: Order['type']
  time_in_force: string
  quantity?: string
  notional?: string
  limit_price?: string
  stop_price?: string
  trail_percent?: string
  trail_price?: string
  extended_hours?: boolean
  client_order_id?: string
  metadata?: Record<string, unknown>
}

export interface OrderFilter {
  status?: OrderStatus
  symbol?: string
  side?: Order['side']
}

export interface OrderEngine {
  /** Places an order; a failed order is answered (status `failed`), not thrown. */
  place(investorId: string, input: PlaceOrderInput): Order
  get(investorId: string, orderId: string): Order
  /** Orders of one investor, newest first. */
  list(investorId: string, filter?: OrderFilter): Order[]
  cancel(investorId: string, orderId: string): Order
  /** The simulated price of `symbol`. */
  price(symbol: string): number
  /** Moves the simulated price and fills the resting orders it crosses. */
  setPrice(symbol: string, price: number): void
  /** Makes `symbol` answer 422 `BLUM-422-003` (or tradable again). */
  setTradable(symbol: string, tradable: boolean): void
  /** Cash held by resting buy orders, in cents. */
  reservedCents(investorId: string): number
  /** The due times of second halves of partial fills, to save them. */
  savedTimers(): SavedTimer[]
  /** Re-arms saved second halves (at once when their time has passed). */
  resume(timers: readonly SavedTimer[]): void
}

/** Starting prices; any other well-formed symbol gets a stable made-up price. */
export const defaultPrices: Readonly<Record<string, number>> = Object.freeze({
  AAPL: 178.5,
  MSFT: 415.2,
  GOOGL: 165.3,
  AMZN: 185.1,
  TSLA: 245.6,
  NVDA: 120.4,
  META: 505.75,
  SPY: 545.0,
  QQQ: 470.25,
  VOO: 500.1,
})

const open: ReadonlySet<OrderStatus> = new Set(['pending', 'open', 'partial'])

export interface OrderEngineDeps {
  state: SandboxState
  clock: Clock
  bus: EventBus
  /** Wait between the two halves of a fill in partial-fill mode, ms. */
  partialFillDelayMs: number
}

/** Creates the order engine. */
export function createOrderEngine({
  state,
  clock,
  bus,
  partialFillDelayMs,
}: OrderEngineDeps): OrderEngine {
  const fillTimers = new Map<string, TimerHandle>()

  function price(symbol: string): number {
    const known = state.prices.get(symbol) ?? defaultPrices[symbol]
    if (known !== undefined) return known
    // Stable per symbol, so a test sees the same price on every run.
    let hash = 0
    for (const char of symbol) hash = (hash * 31 + char.charCodeAt(0)) >>> 0
    return 10 + (hash % 49_000) / 100
  }

  const remaining = (order: Order) => Number(order.remaining_quantity ?? order.quantity ?? 0)

  function reservedCents(investorId: string): number {
    let cents = 0
    for (const order of state.orders.values()) {
      if (order.investor_id !== investorId || order.side !== 'buy' || !open.has(order.status))
        continue
      cents += toCents(
        remaining(order) * Number(order.limit_price ?? order.stop_price ?? price(order.symbol)),
      )
    }
    return cents
  }

  function reservedShares(investorId: string, symbol: string): number {
    let shares = 0
    for (const order of state.orders.values()) {
      if (
        order.investor_id === investorId &&
        order.symbol === symbol &&
        order.side === 'sell' &&
        open.has(order.status)
      ) {
        shares += remaining(order)
      }
    }
    return shares
  }

  function checkShape(input: PlaceOrderInput): void {
    const bad = (param: string, why: string) => withParam(new InvalidParamError(param, why), param)
    if (input.quantity !== undefined && input.notional !== undefined) {
      throw bad('notional', 'send either quantity or notional, never both')
    }
    if (input.quantity === undefined && input.notional === undefined) {
      throw withParam(new MissingParamError('quantity'), 'quantity')
    }
    if (input.quantity !== undefined && !(Number(input.quantity) > 0))
      throw bad('quantity', 'expected a quantity above 0')
    if (input.notional !== undefined) {
      if (input.type !== 'market' || input.side !== 'buy')
        throw bad('notional', 'notional is only accepted on market buys')
      if (!(Number(input.notional) > 0)) throw bad('notional', 'expected an amount above 0')
    }
    const needsLimit = input.type === 'limit' || input.type === 'stop_limit'
    const needsStop = input.type === 'stop' || input.type === 'stop_limit'
    if (needsLimit && input.limit_price === undefined)
      throw withParam(new MissingParamError('limit_price'), 'limit_price')
    if (needsStop && input.stop_price === undefined)
      throw withParam(new MissingParamError('stop_price'), 'stop_price')
    if (
      input.type === 'trailing_stop' &&
      input.trail_percent === undefined &&
      input.trail_price === undefined
    ) {
      throw withParam(new MissingParamError('trail_percent'), 'trail_percent')
    }
  }

  function emit(order: Order): void {
    const name = order.status === 'pending' ? undefined : orderEventByStatus[order.status]
    if (name) bus.emit(name, order)
  }

  function reject(order: Order, reason: string): Order {
    order.status = 'failed'
    order.failure_reason = reason
    order.remaining_quantity = '0'
    emit(order)
    return order
  }

  function fill(order: Order, quantity: number, at: number): void {
    const positions = state.positions.get(order.investor_id) ?? new Map()
    state.positions.set(order.investor_id, positions)
    const position = positions.get(order.symbol) ?? { quantity: 0, costCents: 0 }
    const cents = toCents(quantity * at)
    const cash = state.cashCents.get(order.investor_id) ?? 0
    if (order.side === 'buy') {
      state.cashCents.set(order.investor_id, cash - cents)
      position.quantity += quantity
      position.costCents += cents
    } else {
      state.cashCents.set(order.investor_id, cash + cents)
      // Cost basis shrinks in proportion, so average cost stays what it was.
      position.costCents =
        position.quantity > 0
          ? Math.round(position.costCents * (1 - quantity / position.quantity))
          : 0
      position.quantity -= quantity
    }
    positions.set(order.symbol, position)

    const before = Number(order.filled_quantity)
    const filled = before + quantity
    const average =
      before === 0 ? at : (Number(order.average_price) * before + at * quantity) / filled
    const total = Number(order.quantity)
    order.filled_quantity = formatQuantity(filled)
    order.remaining_quantity = formatQuantity(Math.max(0, total - filled))
    order.average_price = formatPrice(average)
    order.status = filled + 1e-9 >= total ? 'filled' : 'partial'
    if (order.status === 'filled') order.filled_at = isoSeconds(clock.now())
    emit(order)
  }

  /** Fills what is left, in two halves in partial-fill mode. */
  function execute(order: Order, at: number): void {
    const left = remaining(order)
    if (state.partialFills && order.status === 'open' && left > 0) {
      fill(order, left / 2, at)
      armSecondHalf(order, partialFillDelayMs)
      return
    }
    fill(order, left, at)
  }

  /** Partial-fill mode: the second half fills after a delay, at the price of that moment. */
  function armSecondHalf(order: Order, delayMs: number): void {
    fillTimers.set(
      order.id,
      clock.setTimer(delayMs, () => {
        fillTimers.delete(order.id)
        if (order.status === 'partial') fill(order, remaining(order), price(order.symbol))
      }),
    )
  }

  /** Fills the order if the current price allows it. */
  function evaluate(order: Order): void {
    if (order.status !== 'open' && order.status !== 'partial') return
    if (fillTimers.has(order.id)) return
    const now = price(order.symbol)
    const buy = order.side === 'buy'
    const limit = order.limit_price === null ? undefined : Number(order.limit_price)
    const stop = order.stop_price === null ? undefined : Number(order.stop_price)
    const limitOk = limit === undefined || (buy ? now <= limit : now >= limit)
    const stopHit = stop === undefined || (buy ? now >= stop : now <= stop)
    switch (order.type) {
      case 'market':
        return execute(order, now)
      case 'limit':
      case 'stop':
      case 'stop_limit':
        if (limitOk && stopHit) execute(order, now)
        return
      case 'trailing_stop':
        // Trailing stops rest open: the simulator does not track a high-water mark.
        return
    }
  }

  function cancel(order: Order): Order {
    if (!open.has(order.status)) {
      throw withParam(
        new InvalidStateError(
          `Order '${order.id}' is ${order.status}; only pending, open or partially filled orders can be cancelled.`,
        ),
        'order_id',
      )
    }
    clock.clearTimer(fillTimers.get(order.id))
    fillTimers.delete(order.id)
    order.status = 'cancelled'
    order.cancelled_at = isoSeconds(clock.now())
    emit(order)
    return order
  }

  function find(investorId: string, orderId: string): Order {
    const order = findOrThrow(state.orders, orderId, 'order', 'order_id')
    if (order.investor_id !== investorId)
      return findOrThrow(new Map<string, Order>(), orderId, 'order', 'order_id')
    return order
  }

  return {
    place(investorId, input) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      const symbol = input.symbol.trim().toUpperCase()
      if (!/^[A-Z][A-Z0-9.]{0,11}$/.test(symbol) || state.untradable.has(symbol)) {
        throw withParam(new AssetNotTradableError(symbol), 'symbol')
      }
      checkShape(input)
      const current = price(symbol)
      const quantity =
        input.quantity !== undefined ? Number(input.quantity) : Number(input.notional) / current
      const order: Order = {
        ...newResource('ord', 'order', clock, input.metadata),
        investor_id: investorId,
        symbol,
        side: input.side,
        type: input.type,
        time_in_force: input.time_in_force,
        quantity: formatQuantity(quantity),
        notional: input.notional ?? null,
        limit_price: input.limit_price ?? null,
        stop_price: input.stop_price ?? null,
        trail_percent: input.trail_percent ?? null,
        trail_price: input.trail_price ?? null,
        extended_hours: input.extended_hours ?? false,
        status: 'pending',
        filled_quantity: '0',
        remaining_quantity: formatQuantity(quantity),
        average_price: null,
        submitted_at: isoSeconds(clock.now()),
        filled_at: null,
        cancelled_at: null,
        failure_reason: null,
        client_order_id: input.client_order_id ?? null,
      }
      state.orders.set(order.id, order)

      if (order.side === 'buy') {
        const estimate = toCents(
          quantity * Number(order.limit_price ?? order.stop_price ?? current),
        )
        // reservedCents() already counts this pending order, so add its own estimate back.
        const available =
          (state.cashCents.get(investorId) ?? 0) - reservedCents(investorId) + estimate
        if (estimate > available) return reject(order, 'insufficient_buying_power')
      } else {
        const held = state.positions.get(investorId)?.get(symbol)?.quantity ?? 0
        if (quantity > held - (reservedShares(investorId, symbol) - quantity) + 1e-9)
          return reject(order, 'insufficient_position')
      }

      order.status = 'open'
      emit(order)
      evaluate(order)
      // Immediate-or-cancel and fill-or-kill orders never rest.
      if (
        (order.time_in_force === 'ioc' || order.time_in_force === 'fok') &&
        order.status === 'open'
      )
        cancel(order)
      return order
    },
    get: find,
    list(investorId, filter = {}) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      const symbol = filter.symbol?.toUpperCase()
      return [...state.orders.values()]
        .filter(
          (o) =>
            o.investor_id === investorId &&
            (filter.status === undefined || o.status === filter.status) &&
            (symbol === undefined || o.symbol === symbol) &&
            (filter.side === undefined || o.side === filter.side),
        )
        .reverse()
    },
    cancel: (investorId, orderId) => cancel(find(investorId, orderId)),
    price,
    setPrice(symbol, next) {
      const upper = symbol.toUpperCase()
      state.prices.set(upper, next)
      for (const order of [...state.orders.values()]) if (order.symbol === upper) evaluate(order)
    },
    setTradable(symbol, tradable) {
      if (tradable) state.untradable.delete(symbol.toUpperCase())
      else state.untradable.add(symbol.toUpperCase())
    },
    reservedCents,
    savedTimers() {
      return [...fillTimers.entries()].map(([id, handle]) => ({
        kind: 'order.fill' as const,
        id,
        at_ms: handle.at,
      }))
    },
    resume(saved) {
      for (const timer of saved) {
        const order = timer.kind === 'order.fill' ? state.orders.get(timer.id) : undefined
        if (order?.status === 'partial' && !fillTimers.has(order.id))
          armSecondHalf(order, Math.max(0, timer.at_ms - clock.now()))
      }
    },
  }
}
