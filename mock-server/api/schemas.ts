/**
 * TypeBox schemas of the emulated API's requests and answers. The same objects validate requests
 * in the dispatcher and become the OpenAPI document, so the two cannot drift apart.
 */
import { Type, type TSchema } from '@sinclair/typebox'
import {
  DepositSchema,
  DocumentSchema,
  InvestorSchema,
  OrderSchema,
  WithdrawalSchema,
} from '../../plugin/catalog.js'
import { decimalPattern } from '../core/decimal.js'

const Decimal = (description: string) => Type.String({ pattern: decimalPattern, description })
const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Free-form key/value pairs',
})
const Literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description ? { description } : {},
  )

/** `limit` and `offset` of every list. */
export const listQueryFields = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'Page size, 1-100' }),
  ),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'Items to skip' })),
}
export const ListQuery = Type.Object(listQueryFields)

export const ErrorEnvelope = Type.Object({
  error: Type.Object({
    type: Type.String(),
    code: Type.String({ description: 'BLUM-{status}-{seq}' }),
    message: Type.String(),
    param: Type.Optional(Type.String()),
  }),
})

/** A list answer. */
export const ListOf = (item: TSchema) =>
  Type.Object({
    object: Type.Literal('list'),
    url: Type.String(),
    has_more: Type.Boolean(),
    data: Type.Array(item),
  })

// --- Webhooks -------------------------------------------------------------------------------

const subscriptionNames = Type.Array(Type.String({ minLength: 1 }), {
  minItems: 1,
  description: 'Event names or domain wildcards such as "order.*"; "*" subscribes to everything',
})

export const CreateWebhookBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    url: Type.String({ minLength: 1, description: 'Absolute http(s) URL' }),
    eventTypeNames: subscriptionNames,
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
)

export const UpdateWebhookBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    url: Type.Optional(Type.String({ minLength: 1 })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
    eventTypeNames: Type.Optional(subscriptionNames),
    status: Type.Optional(Literals(['active', 'inactive'] as const)),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
)

export const RotateSecretBody = Type.Object(
  {
    overlap_seconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 604_800,
        description: 'How long the old secret keeps signing; default 24 h',
      }),
    ),
  },
  { additionalProperties: false },
)

export const DeliveryListQuery = Type.Object({
  ...listQueryFields,
  status: Type.Optional(Literals(['pending', 'succeeded', 'parked', 'cancelled'] as const)),
})

export const ReplayFailedBody = Type.Object(
  {
    since: Type.Optional(
      Type.Union([Type.String({ format: 'date-time' }), Type.Integer({ minimum: 0 })], {
        description:
          'ISO-8601 time or unix seconds; parked deliveries created at or after it are replayed',
      }),
    ),
  },
  { additionalProperties: false },
)

export const WebhookSchema = Type.Object({
  id: Type.String({ description: 'wh_...' }),
  object: Type.Literal('webhook'),
  name: Type.String(),
  url: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  event_type_names: Type.Array(Type.String()),
  status: Literals(['active', 'inactive'] as const),
  secret: Type.Optional(
    Type.String({ description: 'whsec_...; only on create and rotate-secret' }),
  ),
  previous_secret_expires_at: Type.Union([Type.String(), Type.Null()]),
  disabled_reason: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  created: Type.Integer(),
  livemode: Type.Boolean(),
  metadata: Metadata,
})

export const DeliverySchema = Type.Object({
  id: Type.String({ description: 'dlv_...' }),
  object: Type.Literal('webhook_delivery'),
  webhook_id: Type.String(),
  event_id: Type.String({ description: 'evt_...; sent as webhook-id on every attempt' }),
  event: Type.String(),
  status: Literals(['pending', 'succeeded', 'parked', 'cancelled'] as const),
  failure_reason: Type.Union([Type.String(), Type.Null()]),
  next_attempt_at: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Array(
    Type.Object({
      attempt: Type.Integer(),
      attempted_at: Type.String(),
      webhook_timestamp: Type.Integer(),
      status_code: Type.Union([Type.Integer(), Type.Null()]),
      duration_ms: Type.Number(),
      error: Type.Union([Type.String(), Type.Null()]),
      succeeded: Type.Boolean(),
      fault: Type.Union([Type.Literal('duplicate'), Type.Null()]),
    }),
  ),
  created: Type.Integer(),
})

// --- Investors ------------------------------------------------------------------------------

export const CreateInvestorBody = Type.Object(
  {
    first_name: Type.String({ minLength: 1 }),
    last_name: Type.String({ minLength: 1 }),
    email: Type.String({
      pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
      description: 'Unique per tenant',
    }),
    metadata: Type.Optional(Metadata),
  },
  // Bluum's investor profile has many optional fields (phone, address, ...): keep them.
  { additionalProperties: true },
)

// --- Orders ---------------------------------------------------------------------------------

const orderFields = {
  symbol: Type.String({ minLength: 1, maxLength: 12 }),
  side: Literals(['buy', 'sell'] as const),
  type: Literals(['market', 'limit', 'stop', 'stop_limit', 'trailing_stop'] as const),
  time_in_force: Literals(['day', 'gtc', 'opg', 'cls', 'ioc', 'fok'] as const),
  notional: Type.Optional(Decimal('Amount to buy; market buys only, never with quantity')),
  limit_price: Type.Optional(Decimal('Required for limit and stop_limit')),
  stop_price: Type.Optional(Decimal('Required for stop and stop_limit')),
  trail_percent: Type.Optional(Decimal('Trailing stops')),
  trail_price: Type.Optional(Decimal('Trailing stops')),
  extended_hours: Type.Optional(Type.Boolean()),
  client_order_id: Type.Optional(Type.String({ maxLength: 128 })),
  metadata: Type.Optional(Metadata),
}

export const PlaceOrderBody = Type.Object(
  { ...orderFields, quantity: Type.Optional(Decimal('Shares; never with notional')) },
  { additionalProperties: false },
)

/** The legacy G2 route says `qty` where G3 says `quantity`. */
export const LegacyPlaceOrderBody = Type.Object(
  { ...orderFields, qty: Type.Optional(Decimal('Shares; never with notional')) },
  { additionalProperties: false },
)

export const OrderListQuery = Type.Object({
  ...listQueryFields,
  status: Type.Optional(
    Literals(['pending', 'open', 'partial', 'filled', 'cancelled', 'failed'] as const),
  ),
  symbol: Type.Optional(Type.String({ minLength: 1 })),
  side: Type.Optional(Literals(['buy', 'sell'] as const)),
})

// --- Transfers ------------------------------------------------------------------------------

export const TransferBody = Type.Object(
  {
    amount: Decimal('Amount in the currency, e.g. "1000.00"'),
    currency: Type.Optional(Type.String({ pattern: '^[A-Za-z]{3}$', default: 'USD' })),
    method: Literals(['ach', 'manual_bank_transfer', 'wire'] as const),
    funding_source_id: Type.Optional(Type.String({ description: 'fs_...' })),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
)

// --- Documents ------------------------------------------------------------------------------

export const DocumentUpload = Type.Object(
  {
    document: Type.Object(
      { filename: Type.String(), size: Type.Integer(), content_type: Type.String() },
      { description: 'The file (multipart part)' },
    ),
    document_type: Type.String({
      minLength: 1,
      description: 'passport, drivers_license, utility_bill, ...',
    }),
    purpose: Type.String({
      minLength: 1,
      description: 'identity_verification, address_verification, ...',
    }),
    investor_id: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
)

// --- Sandbox controls -----------------------------------------------------------------------

export const TriggerBody = Type.Object(
  {
    event: Type.String({
      pattern: '^[a-z0-9_]+(\\.[a-z0-9_]+)+$',
      description: 'Any event name, catalog or not',
    }),
    data: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'Merged over the sample data' }),
    ),
  },
  { additionalProperties: false },
)

export const FailTransferBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
)

export const SetPriceBody = Type.Object(
  {
    price: Decimal('The new simulated price'),
    tradable: Type.Optional(
      Type.Boolean({ description: 'false makes orders answer 422 BLUM-422-003' }),
    ),
  },
  { additionalProperties: false },
)

const DurationValue = Type.Union([Type.String({ minLength: 1 }), Type.Number({ minimum: 0 })], {
  description: 'Milliseconds, or "500ms", "30s", "5m", "2h", "1d", "1h30m"',
})

export const AdvanceClockBody = Type.Object(
  { duration: DurationValue },
  { additionalProperties: false },
)

export const FaultsBody = Type.Object(
  {
    duplicates: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 10, description: 'Extra copies per attempt' }),
    ),
    reorder: Type.Optional(Type.Boolean({ description: 'Release held events newest first' })),
    delay: Type.Optional(DurationValue),
  },
  { additionalProperties: false },
)

export const RejectDocumentBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
)

export const ResetBody = Type.Object(
  {
    keep_webhooks: Type.Optional(
      Type.Boolean({
        description:
          'Keep webhook registrations (default true, as Bluum keeps them across its resets); false drops them, except the CLI --forward-to webhook',
      }),
    ),
  },
  { additionalProperties: false },
)

export const SettingsBody = Type.Object(
  { partial_fills: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
)

export { DepositSchema, DocumentSchema, InvestorSchema, OrderSchema, WithdrawalSchema }
