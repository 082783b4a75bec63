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
import { decimalPattern, maxIntegerDigits } from '../core/decimal.js'
import { deliveryPhases, deliveryStatusFilterValues } from '../delivery/phase.js'
import { pageSize } from './route.js'

const Decimal = (description: string) => Type.String({ pattern: decimalPattern, description })
/**
 * Bluum's amount pattern: a positive decimal string with at most 2 decimals (BLUM-400-005), and at
 * most as many integer digits as the sandbox's decimals hold exactly (so 400 digits is a bad amount,
 * not a number out of range).
 */
export const amountPattern = `^\\d{1,${maxIntegerDigits}}(\\.\\d{1,2})?$`
const Amount = (description: string) =>
  Type.String({ pattern: amountPattern, description, 'x-bluum-error': 'amount' })
/** Shares: a positive decimal string (BLUM-400-006). */
const Quantity = (description: string) =>
  Type.String({ pattern: decimalPattern, description, 'x-bluum-error': 'quantity' })
const IsoDate = (description: string) => Type.String({ format: 'date', description })
const Country = (description: string) =>
  Type.String({ pattern: '^[A-Z]{2}$', description: `${description} (ISO 3166-1 alpha-2)` })
const Phone = Type.String({
  pattern: '^\\+[1-9]\\d{1,14}$',
  description: 'an E.164 phone number such as "+14155551234"',
})
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
    Type.Integer({
      minimum: 1,
      maximum: pageSize.max,
      default: pageSize.default,
      description: `Page size, 1-${pageSize.max}`,
    }),
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

/** The `status` filter of both delivery lists: a phase, or `succeeded` (an alias of delivered). */
const DeliveryStatusFilter = Literals(
  deliveryStatusFilterValues,
  'pending, failing, delivered, parked or cancelled (succeeded: an alias of delivered)',
)

export const DeliveryListQuery = Type.Object({
  ...listQueryFields,
  status: Type.Optional(DeliveryStatusFilter),
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

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const DeliveryAttemptSchema = Type.Object({
  attempt: Type.Integer(),
  attempted_at: Type.String(),
  webhook_timestamp: Type.Integer(),
  status_code: Nullable(Type.Integer()),
  duration_ms: Type.Number(),
  error: Nullable(
    Type.String({
      description:
        '"HTTP <status>" for a non-2xx answer, "<code>: <message>" for a connection error',
    }),
  ),
  succeeded: Type.Boolean(),
  fault: Nullable(Type.Literal('duplicate')),
  request: Nullable(
    Type.Object(
      {
        method: Type.Literal('POST'),
        url: Type.String(),
        headers: Type.Record(Type.String(), Type.String()),
        body: Type.String({ description: 'The exact bytes sent, signed as they are' }),
      },
      {
        description:
          'What was sent (never the secret; the signature header is there); null on attempts saved before records were kept',
      },
    ),
  ),
  response: Nullable(
    Type.Object(
      {
        status: Type.Integer(),
        headers: Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())])),
        body: Type.String({ description: 'The first 64 KiB of the answer body' }),
        body_truncated: Type.Boolean(),
        body_bytes: Type.Integer({ description: 'Bytes of the whole answer body' }),
      },
      { description: 'What the receiver answered; null when nothing came back' },
    ),
  ),
  connection_error: Nullable(
    Type.Object(
      { code: Type.String(), message: Type.String() },
      { description: 'Why no answer came: ECONNREFUSED, BLUUM_SANDBOX_DELIVERY_TIMEOUT, ...' },
    ),
  ),
})

export const DeliverySchema = Type.Object({
  id: Type.String({ description: 'dlv_...' }),
  object: Type.Literal('webhook_delivery'),
  webhook_id: Type.String(),
  event_id: Type.String({ description: 'evt_...; sent as webhook-id on every attempt' }),
  event: Type.String(),
  status: Literals(
    deliveryPhases,
    'pending: not answered yet; failing: failed, a retry is scheduled; delivered: a 2xx came; parked: waiting for a replay; cancelled: its webhook was deleted',
  ),
  phase: Literals(deliveryPhases, 'The same as status (its name in earlier versions)'),
  failure_reason: Nullable(Type.String()),
  next_attempt_at: Nullable(
    Type.String({ description: 'When the next retry runs (sandbox time)' }),
  ),
  attempts: Type.Array(DeliveryAttemptSchema),
  created: Type.Integer(),
})

/** `GET /v1/sandbox/stream`'s query. */
export const StreamQuery = Type.Object({
  webhook_id: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: 'Only the attempts of this webhook' }),
  ),
})

export const SandboxDeliveryListQuery = Type.Object({
  ...listQueryFields,
  status: Type.Optional(DeliveryStatusFilter),
  event: Type.Optional(
    Type.String({
      pattern: '^(\\*|[a-z0-9_]+(\\.[a-z0-9_]+)*(\\.\\*)?)$',
      maxLength: 100,
      description: 'An event name, or a wildcard like order.* or transfer.*',
    }),
  ),
  webhook_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
})

// --- Investors ------------------------------------------------------------------------------

const AgreementType = Literals([
  'investor_agreement',
  'margin_disclosure_acknowledged',
  'w8ben_certification',
] as const)

const Address = Type.Object(
  {
    street: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    city: Type.String({ minLength: 1 }),
    state: Type.Optional(Type.String({ minLength: 1 })),
    postal_code: Type.Optional(Type.String({ minLength: 1 })),
    country: Country('Country'),
  },
  { additionalProperties: true },
)

const Range = Type.Object({ min: Decimal('Lower bound'), max: Decimal('Upper bound') })

/** Fields an investor may change after creation (`PATCH /investors/{id}`). */
const investorProfileFields = {
  phone: Type.Optional(Phone),
  management_type: Type.Optional(Literals(['self_directed', 'advised'] as const)),
  middle_name: Type.Optional(Type.String()),
  address: Type.Optional(Address),
  tax_id_country: Type.Optional(Country('Country that issued the tax id')),
  annual_income: Type.Optional(Range),
  liquid_net_worth: Type.Optional(Range),
  employment_status: Type.Optional(
    Literals(['employed', 'unemployed', 'student', 'retired'] as const),
  ),
  employer_name: Type.Optional(Type.String()),
  is_control_person: Type.Optional(Type.Boolean()),
  is_affiliated_exchange_or_finra: Type.Optional(Type.Boolean()),
  is_politically_exposed: Type.Optional(Type.Boolean()),
  immediate_family_exposed: Type.Optional(Type.Boolean()),
  trusted_contact: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  metadata: Type.Optional(Metadata),
}

/**
 * `POST /investors`, after Bluum's reference ("Create a new investor"): a flat body whose
 * regulatory fields sit at the top level; `signed_agreements` must hold at least
 * `investor_agreement` and `margin_disclosure_acknowledged`. The required list follows the
 * reference page, which lists required fields first.
 */
export const CreateInvestorBody = Type.Object(
  {
    account_type: Literals(['individual', 'joint', 'corporate'] as const),
    first_name: Type.String({ minLength: 1 }),
    last_name: Type.String({ minLength: 1 }),
    date_of_birth: IsoDate('Date of birth, YYYY-MM-DD'),
    email: Type.String({
      pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
      description: 'an email address, unique per tenant',
    }),
    tax_id: Type.String({ minLength: 1 }),
    tax_id_type: Literals([
      'SSN',
      'ITIN',
      'EIN',
      'SIN',
      'NINO',
      'TFN',
      'VAT',
      'TIN',
      'UTR',
      'PAN',
      'NIN',
      'KRA_PIN',
      'OTHER',
    ] as const),
    country_of_citizenship: Country('Citizenship'),
    country_of_birth: Country('Country of birth'),
    country_of_tax_residence: Country('Tax residence'),
    funding_source: Type.Array(
      Literals([
        'employment_income',
        'investments',
        'inheritance',
        'business_income',
        'savings',
        'family',
        'other',
      ] as const),
      { minItems: 1 },
    ),
    signed_agreements: Type.Array(
      Type.Object({
        type: AgreementType,
        signed_at: Type.String({ format: 'date-time', description: 'an ISO-8601 date-time' }),
        ip_address: Type.String({ minLength: 1 }),
      }),
      { minItems: 2 },
    ),
    tax_advantaged: Type.Optional(Type.Boolean()),
    visa_type: Type.Optional(Type.String()),
    ...investorProfileFields,
    phone: Phone,
  },
  { additionalProperties: false },
)

/** `PATCH /investors/{id}`: contact and profile fields; identity and tax fields are fixed. */
export const UpdateInvestorBody = Type.Object(
  {
    email: Type.Optional(CreateInvestorBody.properties.email),
    first_name: Type.Optional(Type.String({ minLength: 1 })),
    last_name: Type.Optional(Type.String({ minLength: 1 })),
    ...investorProfileFields,
  },
  { additionalProperties: false },
)

export const PositionSchema = Type.Object({
  id: Type.String({ description: 'pos_...' }),
  object: Type.Literal('position'),
  investor_id: Type.String(),
  symbol: Type.String(),
  currency: Type.String(),
  quantity: Type.String(),
  average_cost_basis: Type.String(),
  total_cost_basis: Type.String(),
  current_price: Type.String(),
  market_value: Type.String(),
  unrealized_pl: Type.String(),
  unrealized_pl_percent: Type.String({ description: 'unrealized_pl / total_cost_basis' }),
})

export const WalletSchema = Type.Object({
  id: Type.String({ description: 'wlt_...' }),
  object: Type.Literal('wallet'),
  investor_id: Type.String(),
  currency: Type.String(),
  balance: Type.String(),
  available_balance: Type.String(),
  reserved_balance: Type.String(),
  cash_withdrawable: Type.String(),
  buying_power: Type.String(),
  equity: Type.String(),
  status: Type.Literal('active'),
})

// --- Funding sources ------------------------------------------------------------------------

export const CreateFundingSourceBody = Type.Object(
  {
    type: Literals(['manual'] as const, 'Manual bank account (Plaid links are not emulated)'),
    bank_name: Type.String({ minLength: 1 }),
    account_holder_name: Type.String({ minLength: 1 }),
    account_number: Type.String({ pattern: '^\\d{4,17}$', description: '4-17 digits' }),
    routing_number: Type.Optional(
      Type.String({ pattern: '^\\d{9}$', description: 'a 9-digit ABA routing number' }),
    ),
    account_type: Type.Optional(Literals(['checking', 'savings'] as const)),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
)

export const FundingSourceSchema = Type.Object({
  id: Type.String({ description: 'fs_...' }),
  object: Type.Literal('funding_source'),
  investor_id: Type.String(),
  type: Type.String(),
  status: Literals(['active', 'inactive'] as const),
  bank_name: Type.String(),
  account_holder_name: Type.String(),
  mask: Type.String(),
  account_type: Type.String(),
})

export const FundingSourceListQuery = Type.Object({
  ...listQueryFields,
  type: Type.Optional(Literals(['plaid', 'manual', 'all'] as const)),
})

// --- Orders ---------------------------------------------------------------------------------

const orderFields = {
  symbol: Type.String({ minLength: 1, maxLength: 12 }),
  side: Literals(['buy', 'sell'] as const),
  type: Literals(['market', 'limit', 'stop', 'stop_limit', 'trailing_stop'] as const),
  time_in_force: Literals(['day', 'gtc', 'opg', 'cls', 'ioc', 'fok'] as const),
  notional: Type.Optional(Amount('Amount to buy; market buys only, never with quantity')),
  limit_price: Type.Optional(Decimal('Required for limit and stop_limit')),
  stop_price: Type.Optional(Decimal('Required for stop and stop_limit')),
  trail_percent: Type.Optional(Decimal('Trailing stops')),
  trail_price: Type.Optional(Decimal('Trailing stops')),
  extended_hours: Type.Optional(Type.Boolean()),
  client_order_id: Type.Optional(Type.String({ maxLength: 128 })),
  metadata: Type.Optional(Metadata),
}

export const PlaceOrderBody = Type.Object(
  { ...orderFields, quantity: Type.Optional(Quantity('Shares; never with notional')) },
  { additionalProperties: false },
)

/** The legacy G2 route says `qty` where G3 says `quantity`. */
export const LegacyPlaceOrderBody = Type.Object(
  { ...orderFields, qty: Type.Optional(Quantity('Shares; never with notional')) },
  { additionalProperties: false },
)

/** The order as the legacy G2 route shows it. */
export const LegacyOrderSchema = Type.Object({
  id: Type.String({ description: 'ord_...' }),
  account_id: Type.String(),
  symbol: Type.String(),
  currency: Type.String(),
  qty: Nullable(Type.String()),
  notional: Nullable(Type.String()),
  side: Literals(['buy', 'sell'] as const),
  type: Type.String(),
  time_in_force: Type.String(),
  status: Literals(['accepted', 'partially_filled', 'filled', 'canceled', 'rejected'] as const),
  filled_qty: Type.String(),
  remaining_qty: Nullable(Type.String()),
  average_price: Type.String(),
  submitted_at: Type.String(),
  filled_at: Nullable(Type.String()),
  canceled_at: Nullable(Type.String()),
  reject_reason: Nullable(Type.String()),
})

export const OrderListQuery = Type.Object({
  ...listQueryFields,
  status: Type.Optional(
    Literals(['pending', 'open', 'partial', 'filled', 'cancelled', 'failed'] as const),
  ),
  symbol: Type.Optional(Type.String({ minLength: 1 })),
  side: Type.Optional(Literals(['buy', 'sell'] as const)),
})

// --- Transfers ------------------------------------------------------------------------------

const transferFields = {
  amount: Amount('Amount in the currency, e.g. "1000.00"'),
  currency: Type.Optional(
    Type.String({ pattern: '^[A-Z]{3}$', default: 'USD', description: 'an ISO 4217 code' }),
  ),
  description: Type.Optional(Type.String({ maxLength: 500 })),
  metadata: Type.Optional(Metadata),
}

/** `POST /investors/{id}/deposits` ("Initiate a new deposit"). */
export const DepositBody = Type.Object(
  {
    ...transferFields,
    method: Literals(['ach', 'manual_bank_transfer', 'wire'] as const),
    funding_source_id: Type.Optional(Type.String({ description: 'fs_...' })),
    manual_options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    wire_options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
)

/** `POST /investors/{id}/withdrawals`: `funding_source_id` is required for every method. */
export const WithdrawalBody = Type.Object(
  {
    ...transferFields,
    method: Literals(['ach', 'wire', 'international_wire', 'manual_bank_transfer'] as const),
    funding_source_id: Type.String({ minLength: 1, description: "the investor's fs_..." }),
    wire_options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
)

// --- Documents ------------------------------------------------------------------------------

/** `purpose` values of "Upload a document (flat resource)". */
export const documentPurposes = [
  'KYC',
  'KYB',
  'EDD',
  'TAX',
  'FUNDING_VERIFICATION',
  'AGREEMENT',
  'ACCOUNT_STATEMENT',
  'TRADE_CONFIRMATION',
  'OTHER',
] as const

export const DocumentUpload = Type.Object(
  {
    document: Type.Object(
      { filename: Type.String(), size: Type.Integer(), content_type: Type.String() },
      { description: 'The file (multipart part): PDF, JPG, PNG, DOC or DOCX up to 10 MB' },
    ),
    document_type: Type.String({
      minLength: 1,
      description: 'Free-form classifier, e.g. passport, proof_of_address',
    }),
    purpose: Type.Optional(Literals(documentPurposes)),
    investor_id: Type.String({ minLength: 1 }),
    expires_at: Type.Optional(Type.String({ format: 'date-time' })),
    metadata: Type.Optional(Type.String({ description: 'JSON-encoded object' })),
  },
  { additionalProperties: false },
)

export const DocumentListQuery = Type.Object({
  ...listQueryFields,
  investor_id: Type.Optional(Type.String({ minLength: 1 })),
  purpose: Type.Optional(Literals(documentPurposes)),
  status: Type.Optional(
    Literals(['UPLOADED', 'PROCESSING', 'ACCEPTED', 'REJECTED', 'EXPIRED'] as const),
  ),
  document_type: Type.Optional(Type.String({ minLength: 1 })),
})

// --- Sandbox controls -----------------------------------------------------------------------

export const TestWebhookBody = Type.Object(
  {
    event: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9_]+(\\.[a-z0-9_]+)+$',
        description:
          'A catalog event name; default the first catalog event the webhook subscribes to',
      }),
    ),
  },
  { additionalProperties: false },
)

export const TriggerBody = Type.Object(
  {
    event: Type.String({
      pattern: '^[a-z0-9_]+(\\.[a-z0-9_]+)+$',
      description: 'A catalog event name (or any name, with custom: true)',
    }),
    data: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          "Merged over the sample data, checked against the event's catalog schema; the resources behind the event are built to match",
      }),
    ),
    custom: Type.Optional(
      Type.Boolean({
        description:
          'Emit a name outside the catalog (a receiver catch-all) with the data as given; default false, such a name is a 400',
      }),
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
  {
    partial_fills: Type.Optional(Type.Boolean()),
    market_hours: Type.Optional(
      Type.Boolean({
        description: 'true: the simulated market closes outside 09:30-16:00 New York, Mon-Fri',
      }),
    ),
    kyc_mode: Type.Optional(
      Literals(
        ['instant', 'document'] as const,
        'instant: KYC approves at creation; document: an identity document must be approved first',
      ),
    ),
  },
  { additionalProperties: false },
)

export { DepositSchema, DocumentSchema, InvestorSchema, OrderSchema, WithdrawalSchema }
