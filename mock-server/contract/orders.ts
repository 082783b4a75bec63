/**
 * Trading: orders on the current generation (`quantity`), their estimates and the positions fills
 * make, and the older generation's order routes (`qty`) that Bluum's webhook guide still uses.
 */
import { Type } from '@sinclair/typebox'
import {
  OrderSchema,
  orderSides,
  orderStatuses,
  orderTypes,
  timesInForce,
} from '../../plugin/bluum-resources.js'
import {
  Amount,
  Decimal,
  ListOf,
  Literals,
  Metadata,
  Nullable,
  Quantity,
  docs,
  pagingFields,
} from './fields.js'
import { defineOperations } from './operation.js'

const tag = 'Trading'

/** The wallets an order may settle from (the trading concepts page). */
export const walletCurrencies = ['USD', 'NGN', 'GBP', 'EUR', 'KES'] as const

const orderFields = {
  symbol: Type.String({ minLength: 1, maxLength: 12, description: 'Ticker symbol, e.g. AAPL' }),
  side: Literals(orderSides),
  type: Literals(orderTypes),
  time_in_force: Literals(timesInForce),
  notional: Type.Optional(Amount('Dollar amount; market buys only, never with a quantity')),
  limit_price: Type.Optional(Decimal('Required for limit and stop_limit')),
  stop_price: Type.Optional(Decimal('Required for stop and stop_limit')),
  trail_percent: Type.Optional(Decimal('Trailing stops: trail_percent or trail_price')),
  trail_price: Type.Optional(Decimal('Trailing stops: trail_percent or trail_price')),
  extended_hours: Type.Optional(Type.Boolean()),
  client_order_id: Type.Optional(
    Type.String({
      maxLength: 128,
      description:
        'Your own id. Sandbox magic value: "sandbox_partial_fill" fills the order in two halves (order.partially_filled, then order.filled)',
    }),
  ),
}

/** `POST /investors/{investor_id}/orders` ("Place a new investment order"). */
export const PlaceOrderBody = Type.Object(
  {
    ...orderFields,
    quantity: Type.Optional(Quantity('Shares; required for sells and for every non-market type')),
    market: Type.Optional(Type.String({ description: 'Market identifier, e.g. NASDAQ' })),
    isin: Type.Optional(Type.String({ pattern: '^[A-Z]{2}[A-Z0-9]{9}\\d$', description: 'ISIN' })),
    figi: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{12}$', description: 'FIGI' })),
    class: Type.Optional(Type.String({ description: 'Asset class hint: equity, bond, treasury' })),
    country: Type.Optional(
      Type.String({ pattern: '^[A-Za-z]{2}$', description: 'ISO country code, e.g. us' }),
    ),
    wallet_currency: Type.Optional(
      Literals(walletCurrencies, { description: 'The wallet that pays; default USD' }),
    ),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
)

/** The older generation's body: `qty` where the current one says `quantity`. */
export const LegacyPlaceOrderBody = Type.Object(
  {
    ...orderFields,
    qty: Quantity('Shares'),
    commission: Type.Optional(Decimal('Commission charged on the order')),
    commission_type: Type.Optional(Literals(['notional', 'per_share', 'bps'] as const)),
  },
  { additionalProperties: false },
)

/** The order as the older generation shows it; fields Bluum's examples omit when empty are optional. */
export const LegacyOrderSchema = Type.Object(
  {
    id: Type.String({ description: 'ord_...' }),
    account_id: Type.String(),
    symbol: Type.String(),
    currency: Type.String(),
    qty: Nullable(Type.String()),
    notional: Type.Optional(Nullable(Type.String())),
    side: Literals(orderSides),
    type: Literals(orderTypes),
    time_in_force: Literals(timesInForce),
    limit_price: Type.Optional(Type.String()),
    stop_price: Type.Optional(Type.String()),
    extended_hours: Type.Boolean(),
    client_order_id: Type.Optional(Type.String()),
    status: Literals(['accepted', 'partially_filled', 'filled', 'canceled', 'rejected'] as const),
    filled_qty: Type.String(),
    remaining_qty: Type.String(),
    average_price: Type.String(),
    commission: Type.String(),
    commission_type: Literals(['notional', 'per_share', 'bps'] as const),
    submitted_at: Type.String(),
    filled_at: Nullable(Type.String()),
    canceled_at: Nullable(Type.String()),
    reject_reason: Nullable(Type.String()),
  },
  {
    additionalProperties: false,
    'x-source': docs('/api-reference/trading/retrieve-a-specific-trade-order'),
  },
)

export const OrderEstimateSchema = Type.Object(
  {
    object: Type.Literal('order_estimate'),
    livemode: Type.Boolean(),
    id: Type.String({ description: 'oest_...' }),
    created: Type.Integer(),
    metadata: Metadata,
    investor_id: Type.String(),
    symbol: Type.String(),
    currency: Type.String(),
    total_estimated_value: Type.String(),
    estimated_price: Type.String(),
    estimated_quantity: Type.String(),
    commission: Type.String(),
    errors: Type.Array(Type.String()),
  },
  { additionalProperties: false },
)

/** A holding ("List positions for an investor"), valued at the simulated price. */
export const PositionSchema = Type.Object(
  {
    id: Type.String({ description: 'pos_...' }),
    object: Type.Literal('position'),
    created: Type.Integer(),
    livemode: Type.Boolean(),
    metadata: Metadata,
    investor_id: Type.String(),
    symbol: Type.String(),
    asset_id: Type.String(),
    class: Type.String(),
    country: Type.String(),
    currency: Type.String(),
    quantity: Type.String(),
    average_cost_basis: Type.String(),
    total_cost_basis: Type.String({ description: 'quantity * average_cost_basis' }),
    current_price: Type.String(),
    market_value: Type.String({ description: 'quantity * current_price' }),
    unrealized_pl: Type.String({ description: 'market_value - total_cost_basis' }),
    unrealized_pl_percent: Type.String({ description: 'unrealized_pl / total_cost_basis, in %' }),
    price_source: Type.Optional(Type.String({ description: 'With refresh_prices' })),
    price_confidence: Type.Optional(Type.String({ description: 'With refresh_prices' })),
    price_timestamp: Nullable(Type.String()),
    last_transaction_at: Nullable(Type.String()),
    updated_at: Type.String(),
  },
  {
    additionalProperties: false,
    'x-source': docs('/api-reference/positions/list-positions-for-an-investor'),
  },
)

const investorId = { investor_id: 'inv' }
const exampleOrder = {
  symbol: 'AAPL',
  side: 'buy',
  type: 'limit',
  time_in_force: 'gtc',
  quantity: '1',
  limit_price: '100.00',
  extended_hours: false,
  client_order_id: 'my-order-1',
  market: 'NASDAQ',
  isin: 'US0378331005',
  figi: 'BBG000B9XRY4',
  class: 'equity',
  country: 'us',
  wallet_currency: 'USD',
  metadata: { strategy: 'dca' },
}
const Boolish = (description: string, dflt: boolean) => Type.Boolean({ description, default: dflt })

export const orderOperations = defineOperations({
  placeOrder: {
    method: 'POST',
    path: '/investors/:investor_id/orders',
    summary:
      'Place an order: market orders fill at once at the simulated price, others rest until the price crosses them; beyond buying power it is rejected',
    tag,
    generation: 'G3',
    sources: [
      { url: docs('/api-reference/trading/place-a-new-investment-order') },
      { url: docs('/concepts/trading'), note: 'wallet_currency' },
    ],
    access: 'investor',
    idempotency: 'optional',
    successStatus: 201,
    idParams: investorId,
    body: PlaceOrderBody,
    response: OrderSchema,
    example: { body: exampleOrder },
    disagreements: [
      {
        topic: 'a market order while the market is closed',
        sources: [
          {
            url: docs('/resources/error-codes'),
            note: 'BLUM-422-002: place the order during market hours or use gtc',
          },
          {
            url: docs('/guides/operations/testing-and-sandbox'),
            note: 'orders queue until the next simulated open',
          },
        ],
        chosen:
          'the market is always open by default; with the market_hours setting, non-gtc orders outside hours answer 422 BLUM-422-002',
      },
    ],
    differences: [
      'wallet_currency other than USD settles from an empty wallet: the sandbox keeps cash in USD only, so such a buy is rejected.',
    ],
    bluumExamples: [
      {
        source: docs('/api-reference/trading/place-a-new-investment-order'),
        body: {
          symbol: 'AAPL',
          side: 'buy',
          type: 'market',
          time_in_force: 'day',
          quantity: '10',
          extended_hours: false,
        },
      },
      {
        source: docs('/get-started/journey/place-orders'),
        body: {
          symbol: 'GOOGL',
          side: 'buy',
          type: 'market',
          time_in_force: 'day',
          notional: '1000.00',
        },
      },
    ],
  },
  listOrders: {
    method: 'GET',
    path: '/investors/:investor_id/orders',
    summary: 'List orders, newest first (filters: status (open = not final), symbol, side, class)',
    tag,
    generation: 'G3',
    sources: [{ url: docs('/api-reference/trading/list-orders-for-an-investor') }],
    access: 'investor',
    successStatus: 200,
    idParams: investorId,
    query: Type.Object({
      ...pagingFields(),
      status: Type.Optional(Literals(['open', ...orderStatuses.filter((s) => s !== 'open')])),
      symbol: Type.Optional(Type.String({ minLength: 1 })),
      side: Type.Optional(Literals(orderSides)),
      class: Type.Optional(Type.String({ minLength: 1 })),
    }),
    response: ListOf(OrderSchema),
    example: { query: { status: 'open', symbol: 'AAPL', side: 'buy', class: 'equity' } },
  },
  getOrder: {
    method: 'GET',
    path: '/investors/:investor_id/orders/:order_id',
    summary: 'Retrieve an order',
    tag,
    generation: 'G3',
    sources: [{ url: docs('/api-reference/trading/get-an-order-by-id') }],
    access: 'investor',
    successStatus: 200,
    idParams: { ...investorId, order_id: 'ord' },
    response: OrderSchema,
  },
  cancelOrder: {
    method: 'POST',
    path: '/investors/:investor_id/orders/:order_id/cancel',
    summary: 'Cancel an open order (409 BLUM-409-003 once it is final)',
    tag,
    generation: 'G3',
    sources: [{ url: docs('/api-reference/trading/cancel-an-open-order') }],
    access: 'investor',
    successStatus: 200,
    idParams: { ...investorId, order_id: 'ord' },
    response: OrderSchema,
  },
  estimateOrder: {
    method: 'POST',
    path: '/investors/:investor_id/order-estimates',
    summary: 'Estimate a market or limit order at the simulated price (places nothing)',
    tag,
    generation: 'G3',
    sources: [{ url: docs('/api-reference/trading/estimate-order-cost-before-placing') }],
    access: 'investor',
    successStatus: 200,
    idParams: investorId,
    body: Type.Object(
      {
        symbol: Type.String({ minLength: 1, maxLength: 12 }),
        side: Literals(orderSides),
        type: Literals(['market', 'limit'] as const),
        market: Type.Optional(Type.String()),
        isin: Type.Optional(Type.String({ pattern: '^[A-Z]{2}[A-Z0-9]{9}\\d$' })),
        figi: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{12}$' })),
        quantity: Type.Optional(Quantity('Shares; required for sells and limits')),
        notional: Type.Optional(Amount('Market buys only, when quantity is omitted')),
        limit_price: Type.Optional(Decimal('Required for limit')),
      },
      { additionalProperties: false },
    ),
    response: OrderEstimateSchema,
    example: {
      body: {
        symbol: 'AAPL',
        side: 'buy',
        type: 'limit',
        market: 'NASDAQ',
        isin: 'US0378331005',
        figi: 'BBG000B9XRY4',
        quantity: '10',
        limit_price: '170.00',
      },
    },
    bluumExamples: [
      {
        source: docs('/api-reference/trading/estimate-order-cost-before-placing'),
        body: { symbol: 'AAPL', side: 'buy', type: 'market', quantity: '10' },
      },
    ],
  },
  listPositions: {
    method: 'GET',
    path: '/investors/:investor_id/positions',
    summary: 'List holdings made by fills, valued at the simulated price',
    tag: 'Positions',
    generation: 'G3',
    sources: [
      { url: docs('/api-reference/positions/list-positions-for-an-investor') },
      {
        url: docs('/guides/self-directed/positions-portfolio'),
        note: 'a sold-out holding leaves the list',
      },
    ],
    access: 'investor',
    successStatus: 200,
    idParams: investorId,
    query: Type.Object({
      ...pagingFields(),
      symbol: Type.Optional(Type.String({ minLength: 1 })),
      non_zero_only: Type.Optional(Boolish('Only positions with a quantity', false)),
      refresh_prices: Type.Optional(Boolish('Read the current (simulated) price', true)),
    }),
    response: ListOf(PositionSchema),
    example: { query: { symbol: 'AAPL', non_zero_only: 'true', refresh_prices: 'true' } },
  },
  getPosition: {
    method: 'GET',
    path: '/investors/:investor_id/positions/:position_id',
    summary: 'Retrieve one holding',
    tag: 'Positions',
    generation: 'G3',
    sources: [{ url: docs('/api-reference/positions/retrieve-a-specific-position') }],
    access: 'investor',
    successStatus: 200,
    idParams: { ...investorId, position_id: 'pos' },
    query: Type.Object({
      refresh_prices: Type.Optional(Boolish('Read the current (simulated) price', true)),
    }),
    response: PositionSchema,
    example: { query: { refresh_prices: 'false' } },
  },
})

const legacyTag = 'Trading (older generation)'
const accountId = { account_id: 'inv' }
const legacySource = {
  url: docs('/api-reference/trading/place-a-new-investment-order'),
  note: 'the /trading/accounts/{account_id} variant of the page',
}

export const legacyOrderOperations = defineOperations({
  placeOrderLegacy: {
    method: 'POST',
    path: '/trading/accounts/:account_id/orders',
    summary: 'Place an order on the older route (qty; answers in its own shape, status accepted)',
    tag: legacyTag,
    generation: 'G2',
    sources: [legacySource, { url: docs('/guides/operations/webhook-setup') }],
    access: 'investor',
    idempotency: 'optional',
    successStatus: 201,
    idParams: accountId,
    body: LegacyPlaceOrderBody,
    response: LegacyOrderSchema,
    example: {
      body: {
        symbol: 'AAPL',
        qty: '1',
        side: 'buy',
        type: 'limit',
        time_in_force: 'gtc',
        limit_price: '100.00',
        client_order_id: 'limitorder123',
        commission: '1.00',
        commission_type: 'notional',
        extended_hours: false,
      },
    },
    differences: [
      'commission and commission_type are echoed back; the sandbox charges no commission on cash.',
    ],
    bluumExamples: [
      {
        source: docs('/api-reference/trading/place-a-new-investment-order'),
        body: {
          symbol: 'AAPL',
          qty: '5',
          side: 'buy',
          type: 'limit',
          time_in_force: 'day',
          limit_price: '175.00',
          client_order_id: 'limitorder123',
          commission: '1.00',
          commission_type: 'notional',
        },
      },
      {
        source: docs('/guides/operations/webhook-setup'),
        body: { symbol: 'AAPL', side: 'buy', type: 'market', time_in_force: 'day', qty: '1' },
      },
    ],
  },
  listOrdersLegacy: {
    method: 'GET',
    path: '/trading/accounts/:account_id/orders',
    summary: 'List orders on the older route (a bare array)',
    tag: legacyTag,
    generation: 'G2',
    sources: [{ url: docs('/api-reference/trading/list-orders-for-an-account') }],
    access: 'investor',
    successStatus: 200,
    idParams: accountId,
    query: Type.Object({
      ...pagingFields(100),
      status: Type.Optional(
        Literals(['accepted', 'filled', 'partially_filled', 'canceled', 'rejected'] as const),
      ),
      symbol: Type.Optional(Type.String({ minLength: 1 })),
      side: Type.Optional(Literals(orderSides)),
    }),
    response: Type.Array(LegacyOrderSchema),
    example: {
      query: { status: 'accepted', symbol: 'AAPL', side: 'buy', limit: '10', offset: '0' },
    },
  },
  getOrderLegacy: {
    method: 'GET',
    path: '/trading/accounts/:account_id/orders/:order_id',
    summary: 'Retrieve an order on the older route',
    tag: legacyTag,
    generation: 'G2',
    sources: [{ url: docs('/guides/self-directed/placing-orders') }],
    access: 'investor',
    successStatus: 200,
    idParams: { ...accountId, order_id: 'ord' },
    response: LegacyOrderSchema,
  },
  cancelOrderLegacy: {
    method: 'POST',
    path: '/trading/accounts/:account_id/orders/:order_id/cancel',
    summary: 'Cancel an order on the older route (status canceled, canceled_at)',
    tag: legacyTag,
    generation: 'G2',
    sources: [{ url: docs('/api-reference/trading/cancel-an-order') }],
    access: 'investor',
    successStatus: 200,
    idParams: { ...accountId, order_id: 'ord' },
    response: LegacyOrderSchema,
  },
})
