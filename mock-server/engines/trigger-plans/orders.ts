/** Order events: an investor, the buying power or shares the order needs, the order. */
import { Type } from '@sinclair/typebox'
import type { BluumEventName } from '../../../plugin/catalog.js'
import { decimalPattern, formatPrice, formatQuantity, toNumber } from '../../core/decimal.js'
import { orderStatusOfEvent } from '../../core/order-events.js'
import type { Order, OrderStatus } from '../../core/state.js'
import type { Misfire, TriggerPlan, TriggerRun, TriggerStep } from './plan.js'
import {
  copied,
  Decimal,
  fundingSteps,
  investorOf,
  investorStep,
  Literals,
  Metadata,
  OptionalNullable,
  text,
} from './shared.js'

/** A fill price: above 0. */
const FillPrice = Type.String({
  pattern: `^(?=.*[1-9])${decimalPattern.slice(1)}`,
  'x-expected': 'a price above 0 such as "178.50"',
})

const orderFields = {
  symbol: Type.String({ minLength: 1, maxLength: 12 }),
  side: Literals(['buy', 'sell']),
  type: Literals(['market', 'limit', 'stop', 'stop_limit', 'trailing_stop']),
  time_in_force: Literals(['day', 'gtc', 'opg', 'cls', 'ioc', 'fok']),
  quantity: OptionalNullable(Decimal),
  notional: OptionalNullable(Decimal),
  limit_price: OptionalNullable(Decimal),
  stop_price: OptionalNullable(Decimal),
  /**
   * The fill price of a triggered fill (the simulated price is put back afterwards); an order
   * nothing filled shows "0.00", as Bluum's do.
   */
  average_price: OptionalNullable(Type.Union([Type.Literal('0.00'), FillPrice])),
  client_order_id: OptionalNullable(Type.String({ maxLength: 128 })),
  metadata: Metadata,
}

/** What `POST /v1/investors/{investor_id}/orders` takes, as it sits in an order's data. */
const OrderInput = Type.Object(orderFields)

/** A triggered fill (whole or partial): its `average_price` is the price it fills at. */
const FilledOrderInput = Type.Object({ ...orderFields, average_price: OptionalNullable(FillPrice) })

/** A triggered `order.rejected` is a buy: Bluum refuses a sell of shares not held up front. */
const RejectedOrderInput = Type.Object({
  ...orderFields,
  side: Literals(
    ['buy'],
    'a buy beyond buying power (a sell of shares not held is refused at request time with BLUM-422-004 and emits no event)',
  ),
})

const orderOf = (run: TriggerRun) => run.made.order as Order | undefined

/** The order's symbol as the engine will store it. */
const symbolOf = (run: TriggerRun) => String(run.data.symbol).trim().toUpperCase()

/** The fill price the data asks for, when it overrides the sample's. */
function fillPriceOf(run: TriggerRun): number | undefined {
  const asked = text(run.data.average_price)
  return asked !== undefined && run.overrides.average_price !== undefined
    ? toNumber(asked)
    : undefined
}

const needsLimit = (type: unknown) => type === 'limit' || type === 'stop_limit'
const needsStop = (type: unknown) => type === 'stop' || type === 'stop_limit'
const restingStatus = (status: OrderStatus | undefined) =>
  status === 'open' || status === 'partial' || status === 'cancelled'

/**
 * The order the event's data describes, as the order route takes it. An order that must rest
 * (accepted, partially filled, cancelled) and names no limit or stop gets one 10 % on the side of
 * the price that keeps it resting.
 */
function orderBody(run: TriggerRun): Record<string, unknown> {
  const data = run.data
  const symbol = symbolOf(run)
  const buy = data.side === 'buy'
  // An unlisted symbol gets a placeholder: the order route refuses the symbol itself.
  const away = (below: boolean) =>
    formatPrice(Math.max(0.01, (run.read.price(symbol) ?? 1) * (below ? 0.9 : 1.1)))
  const limit =
    run.overrides.limit_price !== undefined
      ? text(run.overrides.limit_price)
      : needsLimit(data.type)
        ? (text(data.limit_price) ?? away(buy))
        : undefined
  const stop =
    run.overrides.stop_price !== undefined
      ? text(run.overrides.stop_price)
      : needsStop(data.type)
        ? away(!buy)
        : undefined
  const body: Record<string, unknown> = {
    symbol,
    side: data.side,
    type: data.type,
    time_in_force: data.time_in_force,
  }
  // Assigned, not spread in: this runs several times per triggered order.
  if (typeof data.quantity === 'string') body.quantity = data.quantity
  if (typeof data.notional === 'string') body.notional = data.notional
  if (limit !== undefined) body.limit_price = limit
  if (stop !== undefined) body.stop_price = stop
  if (typeof data.client_order_id === 'string') body.client_order_id = data.client_order_id
  if (data.metadata) body.metadata = copied(data.metadata as Record<string, unknown>)
  return body
}

/** Shares the order is for (a notional buy: at the simulated price). */
function quantityOf(run: TriggerRun): number {
  const quantity = text(run.data.quantity)
  if (quantity !== undefined) return toNumber(quantity)
  const notional = text(run.data.notional)
  const price = run.read.price(symbolOf(run))
  return notional === undefined || price === undefined ? 0 : toNumber(notional) / price
}

/**
 * What a buy of `quantity` costs at most, cents: at the highest of its limit, stop and price; 0 for
 * an unlisted symbol (nothing to fund: the order is refused).
 */
function buyCostCents(run: TriggerRun, quantity: number): number {
  const price = run.read.price(symbolOf(run))
  if (price === undefined) return 0
  const body = orderBody(run)
  const at = Math.max(
    fillPriceOf(run) ?? 0,
    Number(body.limit_price ?? 0),
    Number(body.stop_price ?? 0),
    price,
  )
  return Math.ceil(quantity * at * 100) + 1
}

/** Shares a sell needs beyond what the investor holds free. */
function sharesShort(run: TriggerRun): number {
  if (run.data.side !== 'sell') return 0
  const free = run.read.freeShares(investorOf(run).id, symbolOf(run))
  return Math.max(0, quantityOf(run) - Math.max(0, free))
}

/** Cents a buy (or the market buy that covers a sell) needs beyond the investor's buying power. */
function orderShortfallCents(run: TriggerRun): number {
  const price = run.read.price(symbolOf(run))
  const cost =
    run.data.side === 'buy'
      ? buyCostCents(run, quantityOf(run))
      : sharesShort(run) > 0 && price !== undefined
        ? Math.ceil(sharesShort(run) * price * 100) + 1
        : 0
  return cost === 0 ? 0 : cost - run.read.buyingPowerCents(investorOf(run).id)
}

const orderSteps = (event: BluumEventName): TriggerStep[] => {
  const status = orderStatusOfEvent(event)!
  const rejected = status === 'failed'
  return [
    investorStep(),
    ...(rejected
      ? []
      : [
          ...fundingSteps(
            orderShortfallCents,
            'buying power for the buy (or for the shares a sell needs), when it falls short',
            'quantity',
          ),
          {
            name: 'shares',
            request: 'POST /v1/investors/{investor_id}/orders',
            why: 'a market buy of the shares a sell needs, when the investor holds too few',
            when: (run) => sharesShort(run) > 0,
            params: (run) => ({ investor_id: investorOf(run).id }),
            body: (run) => ({
              symbol: symbolOf(run),
              side: 'buy',
              type: 'market',
              time_in_force: 'day',
              quantity: formatQuantity(sharesShort(run)),
            }),
          } satisfies TriggerStep,
        ]),
    {
      name: 'order',
      request: 'POST /v1/investors/{investor_id}/orders',
      why: rejected
        ? 'the order, beyond the buying power: accepted, then rejected'
        : 'the order the event is about',
      params: (run) => ({ investor_id: investorOf(run).id }),
      body: orderBody,
      options: (run) => {
        const price = status === 'filled' ? fillPriceOf(run) : undefined
        return price === undefined ? {} : { price }
      },
    },
    ...(status === 'partial'
      ? [
          {
            name: 'fill',
            request: 'sandbox: fill half of the resting order',
            why: 'half the order fills, at data.average_price or its limit',
            when: (run) => orderOf(run)?.status === 'open',
            params: (run) => ({ order_id: orderOf(run)!.id }),
            body: (run) => {
              const limit = orderOf(run)!.limit_price
              return {
                quantity: quantityOf(run) / 2,
                price:
                  fillPriceOf(run) ??
                  (limit === null ? run.read.price(symbolOf(run))! : Number(limit)),
              }
            },
          } satisfies TriggerStep,
        ]
      : []),
    ...(status === 'cancelled'
      ? [
          {
            name: 'cancel',
            request: 'POST /v1/investors/{investor_id}/orders/{order_id}/cancel',
            why: 'the resting order is cancelled',
            when: (run) => orderOf(run)?.status === 'open',
            params: (run) => ({ investor_id: investorOf(run).id, order_id: orderOf(run)!.id }),
          } satisfies TriggerStep,
        ]
      : []),
  ]
}

/** Why an order ended in `got` rather than the status its event stands for. */
function orderMisfire(event: BluumEventName) {
  const wanted = orderStatusOfEvent(event)!
  return (run: TriggerRun, got: string): Misfire => {
    const type = run.data.type
    const price = formatPrice(run.read.price(symbolOf(run)) ?? 0)
    if (wanted === 'failed')
      return {
        field: 'quantity',
        why: 'a triggered order.rejected buy must cost more than the buying power of its investor',
      }
    if (restingStatus(wanted) && got === 'cancelled')
      return {
        field: 'time_in_force',
        why: `a triggered ${event} order must rest: use day or gtc, not ${String(run.data.time_in_force)}`,
      }
    if (restingStatus(wanted))
      return {
        field: type === 'market' ? 'type' : needsLimit(type) ? 'limit_price' : 'stop_price',
        why: `a triggered ${event} order must rest open, but it would fill at once at the simulated price ${price}; use a limit or stop price that does not cross it`,
      }
    return {
      field: type === 'market' ? 'quantity' : needsLimit(type) ? 'limit_price' : 'type',
      why: `a triggered order.filled must fill at once, but it ended ${got} at the simulated price ${price}; use a market order (set its price with data.average_price) or a limit that crosses the price`,
    }
  }
}

export const orderPlan = (event: BluumEventName): TriggerPlan => ({
  input:
    orderStatusOfEvent(event) === 'failed'
      ? RejectedOrderInput
      : orderStatusOfEvent(event) === 'filled' || orderStatusOfEvent(event) === 'partial'
        ? FilledOrderInput
        : OrderInput,
  steps: orderSteps(event),
  emits: { made: 'order', status: orderStatusOfEvent(event)!, misfire: orderMisfire(event) },
})
