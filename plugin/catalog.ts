/**
 * The Bluum event catalog, declared once.
 *
 * Every event name, the schema of its `data` and the envelope come from this file: the static
 * types of handlers, the runtime validation of deliveries and the sandbox's generated events all
 * derive from it. Resource schemas allow additional properties because Bluum may add fields at
 * any time; only the fields a handler cannot do without are required.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'

/** Decimals travel as strings in Bluum's API ("178.50"), never as JSON numbers. */
const Decimal = (description: string) => Type.String({ description })
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/** Older Bluum pages call the owner `account_id`; the current API says `investor_id`: accept both. */
const ownerFields = {
  investor_id: Type.Optional(Type.String({ description: 'Owner investor id (inv_...)' })),
  account_id: Type.Optional(Type.String({ description: 'Legacy name of investor_id' })),
}

const resourceFields = {
  object: Type.Optional(Type.String()),
  created: Type.Optional(Type.Number({ description: 'Unix seconds' })),
  livemode: Type.Optional(Type.Boolean()),
  // Checked as a plain object: a Type.Record would build Object.entries() and test a key
  // pattern on every property of every delivery. Typed as a record all the same.
  metadata: Type.Optional(
    Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true })),
  ),
}

const OrderSide = Type.Union([Type.Literal('buy'), Type.Literal('sell')])
const OrderType = Type.Union([
  Type.Literal('market'),
  Type.Literal('limit'),
  Type.Literal('stop'),
  Type.Literal('stop_limit'),
  Type.Literal('trailing_stop'),
])
const TimeInForce = Type.Union([
  Type.Literal('day'),
  Type.Literal('gtc'),
  Type.Literal('opg'),
  Type.Literal('cls'),
  Type.Literal('ioc'),
  Type.Literal('fok'),
])

/** An order snapshot, as carried by `order.*` events. */
export const OrderSchema = Type.Object(
  {
    id: Type.String({ description: 'ord_...' }),
    ...ownerFields,
    ...resourceFields,
    symbol: Type.String(),
    side: OrderSide,
    type: Type.Optional(Type.String()),
    time_in_force: Type.Optional(Type.String()),
    status: Type.String({ description: 'pending, open, partial, filled, cancelled, failed' }),
    quantity: Type.Optional(Nullable(Decimal('Ordered quantity'))),
    notional: Type.Optional(Nullable(Decimal('Ordered notional amount'))),
    limit_price: Type.Optional(Nullable(Decimal('Limit price'))),
    stop_price: Type.Optional(Nullable(Decimal('Stop price'))),
    filled_quantity: Type.Optional(Nullable(Decimal('Filled quantity'))),
    remaining_quantity: Type.Optional(Nullable(Decimal('Remaining quantity'))),
    average_price: Type.Optional(Nullable(Decimal('Average fill price'))),
    submitted_at: Type.Optional(Nullable(Type.String())),
    filled_at: Type.Optional(Nullable(Type.String())),
    cancelled_at: Type.Optional(Nullable(Type.String())),
    failure_reason: Type.Optional(Nullable(Type.String())),
    client_order_id: Type.Optional(Nullable(Type.String())),
  },
  { additionalProperties: true },
)

const transferFields = {
  ...ownerFields,
  ...resourceFields,
  amount: Decimal('Amount'),
  currency: Type.String(),
  status: Type.String({ description: 'pending, processing, completed, cancelled, failed' }),
  method: Type.Optional(Type.String({ description: 'ach, manual_bank_transfer, wire' })),
  funding_source_id: Type.Optional(Nullable(Type.String())),
  failure_reason: Type.Optional(Nullable(Type.String())),
  completed_at: Type.Optional(Nullable(Type.String())),
}

/** A deposit snapshot, as carried by `transfer.deposit.*` events. */
export const DepositSchema = Type.Object(
  { id: Type.String({ description: 'dep_...' }), ...transferFields },
  { additionalProperties: true },
)

/** A withdrawal snapshot, as carried by `transfer.withdrawal.*` events. */
export const WithdrawalSchema = Type.Object(
  { id: Type.String({ description: 'wd_...' }), ...transferFields },
  { additionalProperties: true },
)

/** An investor snapshot, as carried by `account.*` events. */
export const InvestorSchema = Type.Object(
  {
    id: Type.String({ description: 'inv_...' }),
    ...resourceFields,
    first_name: Type.Optional(Type.String()),
    last_name: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    status: Type.Optional(Type.String()),
    kyc_status: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
)

/** A document snapshot, as carried by `document.*` events. */
export const DocumentSchema = Type.Object(
  {
    id: Type.String({ description: 'doc_...' }),
    ...ownerFields,
    ...resourceFields,
    document_type: Type.Optional(Type.String()),
    purpose: Type.Optional(Type.String()),
    status: Type.String({ description: 'pending, approved, rejected' }),
    rejection_reason: Type.Optional(Nullable(Type.String())),
  },
  { additionalProperties: true },
)

/** A compliance workflow snapshot, as carried by `kyc.*` events. */
const ComplianceSchema = Type.Object(
  {
    id: Type.String(),
    ...ownerFields,
    ...resourceFields,
    status: Type.String(),
    workflow: Type.Optional(Type.String()),
    reason: Type.Optional(Nullable(Type.String())),
  },
  { additionalProperties: true },
)

/** Every event Bluum documents, with the schema of its `data`. */
export const bluumEventCatalog = {
  'account.created': { data: InvestorSchema, description: 'An investor account was created.' },
  'account.updated': { data: InvestorSchema, description: 'An investor account changed.' },
  'order.accepted': { data: OrderSchema, description: 'An order was accepted by the market.' },
  'order.partially_filled': { data: OrderSchema, description: 'An order was partly filled.' },
  'order.filled': { data: OrderSchema, description: 'An order was completely filled.' },
  'order.canceled': { data: OrderSchema, description: 'An order was cancelled.' },
  'order.rejected': { data: OrderSchema, description: 'An order was rejected.' },
  'transfer.deposit.initiated': { data: DepositSchema, description: 'A deposit was initiated.' },
  'transfer.deposit.completed': { data: DepositSchema, description: 'A deposit completed.' },
  'transfer.deposit.failed': { data: DepositSchema, description: 'A deposit failed.' },
  'transfer.withdrawal.initiated': {
    data: WithdrawalSchema,
    description: 'A withdrawal was initiated.',
  },
  'transfer.withdrawal.completed': {
    data: WithdrawalSchema,
    description: 'A withdrawal completed.',
  },
  'transfer.withdrawal.failed': { data: WithdrawalSchema, description: 'A withdrawal failed.' },
  'document.approved': { data: DocumentSchema, description: 'A document was approved.' },
  'document.rejected': { data: DocumentSchema, description: 'A document was rejected.' },
  'kyc.verification.approved': {
    data: ComplianceSchema,
    description: 'An investor passed KYC verification.',
  },
  'kyc.verification.rejected': {
    data: ComplianceSchema,
    description: 'An investor failed KYC verification.',
  },
} as const satisfies Record<string, { data: TSchema; description: string }>

type Catalog = typeof bluumEventCatalog

/** The name of every event in the catalog. */
export type BluumEventName = keyof Catalog

/** Every catalog event name, in declaration order. */
export const bluumEventNames = Object.freeze(
  Object.keys(bluumEventCatalog),
) as readonly BluumEventName[]

/** The `data` of event `N`. */
export type BluumEventData<N extends BluumEventName> = Static<Catalog[N]['data']>

/** The envelope Bluum posts: one event per request. Distributes over a union of names. */
export type BluumEvent<N extends BluumEventName = BluumEventName> = N extends BluumEventName
  ? { id?: string; event: N; timestamp: string; data: BluumEventData<N> }
  : never

/** An event whose name is not (yet) in the catalog: Bluum may add events at any time. */
export interface UnknownBluumEvent {
  id?: string
  event: string
  timestamp: string
  data: Record<string, unknown>
}

/** What an `onAny` handler receives: any catalog event, or one the catalog does not know. */
export type AnyBluumEvent = BluumEvent | UnknownBluumEvent

/** The generic envelope: validated for every delivery before its `data` is checked. */
export const EnvelopeSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1 })),
    event: Type.String({ pattern: '^[a-z0-9_]+(\\.[a-z0-9_]+)+$' }),
    timestamp: Type.String({ minLength: 1 }),
    // An object of any shape here (the catalog schema checks known events next). Not a
    // Type.Record: that tests a key pattern against every property, on the hot path.
    data: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: true },
)

/**
 * The investor an event's resource belongs to: `investor_id`, or the `account_id` that older
 * Bluum pages use for the same owner. Undefined for an investor (its own `id` is the owner).
 * @example const investorId = investorIdOf(event.data)
 */
export function investorIdOf(data: {
  investor_id?: string
  account_id?: string
}): string | undefined {
  return data.investor_id ?? data.account_id
}

/** Tells whether a name belongs to the catalog. */
export function isBluumEventName(name: string): name is BluumEventName {
  return Object.hasOwn(bluumEventCatalog, name)
}
