/**
 * The sandbox's order engine: simulated prices, fills, buying power and positions.
 *
 * Market orders fill at once at the symbol's simulated price (`order.accepted` then
 * `order.filled`); limit and stop orders rest open until `setPrice()` moves the price across them,
 * which is how cancellation is tested. A symbol outside the price table is Bluum's 404
 * `BLUM-404-003` ("Invalid symbol: use non-existent symbol → verify error", Testing and sandbox);
 * a sell of more than the position is 422 `BLUM-422-004`; a buy that the cash (minus what resting
 * buys hold) cannot pay for is accepted and fails with `order.rejected`. In partial-fill mode a
 * fill happens in two halves, `partialFillDelayMs` apart, with `order.partially_filled` between.
 * With the `market_hours` setting on, only `gtc` orders are taken while the market is closed
 * (they rest until a price move during market hours); others answer 422 `BLUM-422-002`.
 */
import type { Clock, TimerHandle } from '../core/clock.js'
import { formatCents, formatPrice, formatQuantity, toCents } from '../core/decimal.js'
import {
  AssetNotFoundError,
  AssetNotTradableError,
  InsufficientPositionError,
  InvalidAmountError,
  InvalidQuantityError,
  MarketClosedError,
  MissingFieldError,
  StateConflictError,
  ValidationError,
  withParam,
} from '../core/errors.js'
import { isoSeconds, type EventBus } from '../core/event-bus.js'
import { findOrThrow, newResource } from '../core/resource.js'
import type { SavedTimer } from '../core/state-file.js'
import { createId } from '../core/ids.js'
import {
  noteOrderSettled,
  noteRestingOrder,
  restingOrdersOf,
  restingStatuses,
} from '../core/state-indexes.js'
import type { Order, OrderStatus, Position, SandboxState } from '../core/state.js'
import { orderEventByStatus } from '../core/order-events.js'

export interface PlaceOrderInput {
  symbol: string
  side: Order['side']
  type: Order['type']
  time_in_force: Order['time_in_force']
  quantity?: string
  notional?: string
  limit_price?: string
  stop_price?: string
  trail_percent?: string
  trail_price?: string
  extended_hours?: boolean
  client_order_id?: string
  metadata?: Record<string, unknown>
  /** Asset class hint (`class` on the wire); the order shows it, default `equity`. */
  assetClass?: string
  /** The wallet that pays; the sandbox holds cash in USD only. Default USD. */
  wallet_currency?: string
  /** Echoed by the older route (the sandbox charges no commission). */
  commission?: string
  commission_type?: Order['commission_type']
}

export interface OrderFilter {
  /** A status, or `open`: every order not final yet (pending, open, partial). */
  status?: OrderStatus
  symbol?: string
  side?: Order['side']
  class?: string
}

/** An estimate, as "Estimate order cost before placing" answers it. */
export interface OrderEstimateInput {
  symbol: string
  side: Order['side']
  type: 'market' | 'limit'
  quantity?: string
  notional?: string
  limit_price?: string
}

export interface OrderEngine {
  /**
   * Places an order; an order the buying power cannot pay for is answered (status `failed`,
   * `order.rejected`), not thrown. `quantityParam` names the quantity in errors (`qty` on the
   * legacy route).
   */
  place(investorId: string, input: PlaceOrderInput, quantityParam?: string): Order
  get(investorId: string, orderId: string): Order
  /** Orders of one investor, newest first. */
  list(investorId: string, filter?: OrderFilter): Order[]
  cancel(investorId: string, orderId: string): Order
  /** The simulated price of `symbol`; 404 `BLUM-404-003` for a symbol the sandbox does not list. */
  price(symbol: string): number
  /** Whether the simulated market is open now (always, unless the `market_hours` setting is on). */
  marketOpen(): boolean
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
  /** Shares held by resting sell orders of `symbol`. */
  reservedShares(investorId: string, symbol: string): number
  /** Fills `quantity` of a resting order at `price` (how the trigger makes a partially filled order). */
  fillPart(orderId: string, quantity: number, price: number): Order
  /** Positions at the simulated price, cents (an investor's holdings). */
  holdingsCents(investorId: string): number
  /** The investor's holdings, as "List positions for an investor" shows them, by symbol. */
  positions(investorId: string): Record<string, unknown>[]
  /** What an order would cost at the simulated price; places nothing. */
  estimate(investorId: string, input: OrderEstimateInput): Record<string, unknown>
}

/** `client_order_id` that fills a market order in two halves (Bluum documents no way to cause a partial fill). */
export const partialFillClientOrderId = 'sandbox_partial_fill'

/** Starting prices: the assets the sandbox lists (more via options or `setPrice`). */
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

const open = restingStatuses

export interface OrderEngineDeps {
  state: SandboxState
  clock: Clock
  bus: EventBus
  /** Wait between the two halves of a fill in partial-fill mode, ms. */
  partialFillDelayMs: number
  /** Answers 403 `BLUM-403-002` when the investor may not trade yet (KYC not approved). */
  assertCanTrade(investorId: string): void
}

const newYork = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

/** NYSE regular hours, 09:30-16:00 New York time, Monday to Friday (holidays not modelled). */
export function isMarketOpen(ms: number): boolean {
  const parts = Object.fromEntries(newYork.formatToParts(ms).map((p) => [p.type, p.value]))
  if (parts.weekday === 'Sat' || parts.weekday === 'Sun') return false
  const minutes = Number(parts.hour) * 60 + Number(parts.minute)
  return minutes >= 9 * 60 + 30 && minutes < 16 * 60
}

/** Creates the order engine. */
export function createOrderEngine({
  state,
  clock,
  bus,
  partialFillDelayMs,
  assertCanTrade,
}: OrderEngineDeps): OrderEngine {
  const fillTimers = new Map<string, TimerHandle>()

  function price(symbol: string): number {
    const known = state.prices.get(symbol) ?? defaultPrices[symbol]
    if (known === undefined) throw withParam(new AssetNotFoundError(symbol), 'symbol')
    return known
  }

  const marketOpen = () => !state.marketHours || isMarketOpen(clock.now())

  const remaining = (order: Order) => Number(order.remaining_quantity ?? order.quantity ?? 0)

  function reservedCents(investorId: string): number {
    let cents = 0
    for (const order of restingOrdersOf(state, investorId)) {
      if (order.side !== 'buy') continue
      cents += toCents(
        remaining(order) * Number(order.limit_price ?? order.stop_price ?? price(order.symbol)),
      )
    }
    return cents
  }

  function reservedShares(investorId: string, symbol: string): number {
    let shares = 0
    for (const order of restingOrdersOf(state, investorId)) {
      if (order.symbol === symbol && order.side === 'sell') shares += remaining(order)
    }
    return shares
  }

  function checkShape(input: PlaceOrderInput, quantityParam: string): void {
    const generic = (param: string, why: string) =>
      withParam(new ValidationError(`Invalid value for '${param}': ${why}.`), param)
    const missing = (param: string) => withParam(new MissingFieldError(param), param)
    if (input.quantity !== undefined && input.notional !== undefined) {
      throw generic('notional', `send either ${quantityParam} or notional, never both`)
    }
    if (input.quantity === undefined && input.notional === undefined) throw missing(quantityParam)
    if (input.quantity !== undefined && !(Number(input.quantity) > 0))
      throw withParam(
        new InvalidQuantityError(quantityParam, `expected above 0; got "${input.quantity}"`),
        quantityParam,
      )
    if (input.notional !== undefined) {
      if (input.type !== 'market' || input.side !== 'buy')
        throw generic('notional', 'notional is only accepted on market buys')
      if (!(Number(input.notional) > 0))
        throw withParam(
          new InvalidAmountError('notional', `expected above 0; got "${input.notional}"`),
          'notional',
        )
    }
    const needsLimit = input.type === 'limit' || input.type === 'stop_limit'
    const needsStop = input.type === 'stop' || input.type === 'stop_limit'
    if (needsLimit && input.limit_price === undefined) throw missing('limit_price')
    if (needsStop && input.stop_price === undefined) throw missing('stop_price')
    if (
      input.type === 'trailing_stop' &&
      input.trail_percent === undefined &&
      input.trail_price === undefined
    ) {
      throw missing('trail_percent')
    }
  }

  /** Announces the order's new status; every status change passes here, so the index follows. */
  function emit(order: Order): void {
    if (!restingStatuses.has(order.status)) noteOrderSettled(state, order)
    const name = order.status === 'pending' ? undefined : orderEventByStatus[order.status]
    if (name) bus.emit(name, order)
  }

  function reject(order: Order, reason: string): Order {
    order.status = 'failed'
    order.failure_reason = reason
    emit(order)
    return order
  }

  function fill(order: Order, quantity: number, at: number): void {
    const positions = state.positions.get(order.investor_id) ?? new Map()
    state.positions.set(order.investor_id, positions)
    const position = positions.get(order.symbol) ?? { quantity: 0, costCents: 0 }
    position.openedAtMs ??= clock.now()
    position.lastTransactionAtMs = clock.now()
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
    const inHalves = state.partialFills || order.client_order_id === partialFillClientOrderId
    if (inHalves && order.status === 'open' && left > 0) {
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
        // An order no longer in the state (a trigger rolled back) must not move cash or shares.
        if (order.status === 'partial' && state.orders.get(order.id) === order)
          fill(order, remaining(order), price(order.symbol))
      }),
    )
  }

  /** Fills the order if the current price allows it. */
  function evaluate(order: Order): void {
    if (order.status !== 'open' && order.status !== 'partial') return
    if (fillTimers.has(order.id) || !marketOpen()) return
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
        new StateConflictError(
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
    place(investorId, input, quantityParam = 'quantity') {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      assertCanTrade(investorId)
      const symbol = input.symbol.trim().toUpperCase()
      checkShape(input, quantityParam)
      // A symbol the sandbox was told is untradable answers 422 even when it has no price.
      if (state.untradable.has(symbol)) throw withParam(new AssetNotTradableError(symbol), 'symbol')
      const current = price(symbol)
      if (!marketOpen() && input.time_in_force !== 'gtc')
        throw withParam(new MarketClosedError(input.time_in_force), 'time_in_force')
      if (input.side === 'sell' && input.quantity !== undefined) {
        const quantity = Number(input.quantity)
        const held = state.positions.get(investorId)?.get(symbol)?.quantity ?? 0
        const available = held - reservedShares(investorId, symbol)
        if (quantity > available + 1e-9)
          throw withParam(
            new InsufficientPositionError(
              formatQuantity(quantity),
              symbol,
              formatQuantity(Math.max(0, available)),
            ),
            quantityParam,
          )
      }
      const quantity =
        input.quantity !== undefined ? Number(input.quantity) : Number(input.notional) / current
      const base = newResource('ord', 'order', clock, input.metadata)
      // Fields written out, not spread: a literal that starts with a spread and adds twenty more
      // fields is built one field at a time by V8 (a third of place()'s time went there).
      const order: Order = {
        id: base.id,
        object: base.object,
        created: base.created,
        livemode: base.livemode,
        metadata: base.metadata,
        investor_id: investorId,
        symbol,
        class: input.assetClass ?? 'equity',
        currency: 'USD',
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
        client_order_id: input.client_order_id ?? null,
        status: 'pending',
        filled_quantity: '0',
        remaining_quantity: formatQuantity(quantity),
        average_price: '0.00',
        commission: input.commission ?? '0.00',
        commission_type: input.commission_type ?? 'notional',
        submitted_at: isoSeconds(clock.now()),
        filled_at: null,
        cancelled_at: null,
        failure_reason: null,
        settlement_date: null,
        bond: null,
      }
      state.orders.set(order.id, order)
      noteRestingOrder(state, order)

      if (order.side === 'buy') {
        const estimate = toCents(
          quantity * Number(order.limit_price ?? order.stop_price ?? current),
        )
        // reservedCents() already counts this pending order, so add its own estimate back. The
        // sandbox keeps cash in USD only: another wallet has nothing to pay with.
        const usd = (input.wallet_currency ?? 'USD') === 'USD'
        const available = usd
          ? (state.cashCents.get(investorId) ?? 0) - reservedCents(investorId) + estimate
          : 0
        if (estimate > available) return reject(order, 'insufficient_buying_power')
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
      const status = (o: Order) =>
        filter.status === undefined ||
        (filter.status === 'open' ? open.has(o.status) : o.status === filter.status)
      return [...state.orders.values()]
        .filter(
          (o) =>
            o.investor_id === investorId &&
            status(o) &&
            (symbol === undefined || o.symbol === symbol) &&
            (filter.side === undefined || o.side === filter.side) &&
            (filter.class === undefined || o.class === filter.class),
        )
        .reverse()
    },
    cancel: (investorId, orderId) => cancel(find(investorId, orderId)),
    price,
    marketOpen,
    setPrice(symbol, next) {
      // Prices divide notional amounts: a zero, negative or infinite one would put NaN in the state.
      if (!(next > 0) || !Number.isFinite(next))
        throw withParam(
          new ValidationError(`Invalid value for 'price': expected a price above 0, got ${next}`),
          'price',
        )
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
    reservedShares,
    fillPart(orderId, quantity, at) {
      const order = findOrThrow(state.orders, orderId, 'order', 'order_id')
      if (order.status !== 'open' && order.status !== 'partial')
        throw withParam(
          new StateConflictError(
            `Order '${orderId}' is ${order.status}; only resting orders fill.`,
          ),
          'order_id',
        )
      fill(order, Math.min(quantity, remaining(order)), at)
      return order
    },
    holdingsCents(investorId) {
      let cents = 0
      for (const [symbol, p] of state.positions.get(investorId) ?? new Map<string, Position>())
        if (p.quantity > 0) cents += toCents(p.quantity * price(symbol))
      return cents
    },
    positions(investorId) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      return [...(state.positions.get(investorId) ?? new Map<string, Position>()).entries()]
        .filter(([, p]) => p.quantity > 1e-12)
        .map(([symbol, p]) => positionResource(investorId, symbol, p, price(symbol)))
    },
    estimate(investorId, input) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      const symbol = input.symbol.trim().toUpperCase()
      const current = price(symbol)
      const at = input.type === 'limit' && input.limit_price ? Number(input.limit_price) : current
      if (input.type === 'limit' && input.limit_price === undefined)
        throw withParam(new MissingFieldError('limit_price'), 'limit_price')
      if (input.quantity === undefined && input.notional === undefined)
        throw withParam(new MissingFieldError('quantity'), 'quantity')
      if (input.notional !== undefined && (input.side !== 'buy' || input.type !== 'market'))
        throw withParam(
          new ValidationError(
            "Invalid value for 'notional': notional is only estimated for market buys.",
          ),
          'notional',
        )
      const quantity =
        input.quantity !== undefined ? Number(input.quantity) : Number(input.notional) / at
      const totalCents = toCents(quantity * at)
      const errors: string[] = []
      if (state.untradable.has(symbol)) errors.push(`Asset '${symbol}' is not tradable.`)
      if (input.side === 'buy') {
        const available = (state.cashCents.get(investorId) ?? 0) - reservedCents(investorId)
        if (totalCents > available) errors.push('Insufficient buying power for this order.')
      } else {
        const held = state.positions.get(investorId)?.get(symbol)?.quantity ?? 0
        if (quantity > held - reservedShares(investorId, symbol) + 1e-9)
          errors.push('Position insufficient for this sell.')
      }
      return {
        object: 'order_estimate',
        livemode: false,
        id: createId('oest'),
        created: Math.floor(clock.now() / 1000),
        metadata: {},
        investor_id: investorId,
        symbol,
        currency: 'USD',
        total_estimated_value: formatCents(totalCents),
        estimated_price: formatPrice(at),
        estimated_quantity: formatQuantity(quantity),
        commission: '0.00',
        errors,
      }
    },
  }
}

/** A holding as "List positions for an investor" shows it, valued at `price`. */
function positionResource(
  investorId: string,
  symbol: string,
  p: Position,
  price: number,
): Record<string, unknown> {
  const value = toCents(p.quantity * price)
  const stamp = (ms: number | undefined) => (ms === undefined ? null : isoSeconds(ms))
  return {
    id: `pos_${investorId.slice(4)}_${symbol.toLowerCase()}`,
    object: 'position',
    created: Math.floor((p.openedAtMs ?? 0) / 1000),
    livemode: false,
    metadata: {},
    investor_id: investorId,
    symbol,
    asset_id: `asset_${symbol.toLowerCase()}`,
    class: 'equity',
    country: 'us',
    currency: 'USD',
    quantity: formatQuantity(p.quantity),
    average_cost_basis: (p.costCents / 100 / p.quantity).toFixed(2),
    total_cost_basis: formatCents(p.costCents),
    current_price: formatPrice(price),
    market_value: formatCents(value),
    unrealized_pl: formatCents(value - p.costCents),
    // A percentage with two decimals ("2.56"), as the reference's example shows.
    unrealized_pl_percent:
      p.costCents === 0 ? '0.00' : (((value - p.costCents) / p.costCents) * 100).toFixed(2),
    price_timestamp: stamp(p.lastTransactionAtMs),
    last_transaction_at: stamp(p.lastTransactionAtMs),
    updated_at: stamp(p.lastTransactionAtMs) ?? isoSeconds(0),
  }
}
