/**
 * The Bluum event catalog, declared once.
 *
 * Every event name, the schema of its `data` and the envelope come from this file: the static
 * types of handlers, the runtime validation of deliveries and the sandbox's generated events all
 * derive from it. Each `data` schema is derived from the resource Bluum documents
 * (`bluum-resources.ts`, the one source the sandbox's contract uses too): every documented field
 * is typed, only the fields a handler cannot do without are required, and the check is lenient
 * (no patterns, enums read as strings, unknown fields allowed), because Bluum may add fields and
 * statuses at any time and a delivery refused here is retried for hours.
 */
import {
  Kind,
  Type,
  type Static,
  type TObject,
  type TSchema,
  type TUnsafe,
} from '@sinclair/typebox'
import {
  ComplianceSchema as ComplianceResource,
  DepositSchema as DepositResource,
  DocumentSchema as DocumentResource,
  InvestorSchema as InvestorResource,
  OrderSchema as OrderResource,
  WithdrawalSchema as WithdrawalResource,
  docs,
} from './bluum-resources.js'

/** A field as a lenient check reads it: enums and formats become plain strings, objects open. */
type Loose<T> = T extends string
  ? string
  : T extends readonly (infer U)[]
    ? Loose<U>[]
    : T extends object
      ? { [K in keyof T]?: Loose<T[K]> }
      : T

/** An event's `data` type: `R` required, `E` keep their exact (enum) types, the rest optional. */
export type LenientData<T, R extends keyof T, E extends keyof T = never> = {
  [K in R]: K extends E ? T[K] : Loose<T[K]>
} & { [K in Exclude<keyof T, R>]?: K extends E ? T[K] : Loose<T[K]> }

/**
 * The owner as events may name it: older Bluum pages call it `account_id`, the current API
 * `investor_id` (a document shows `owner_id` instead): accept both on every event.
 */
interface LegacyOwner {
  /** The owning investor (`inv_...`). */
  investor_id?: string
  /** Legacy name of `investor_id` (older Bluum pages). */
  account_id?: string
}

/** A schema as a lenient check reads it, built with TypeBox so the plugin can compile it. */
function loosen(schema: TSchema, keepEnum: boolean): TSchema {
  switch (schema[Kind]) {
    case 'Union': {
      const options = schema.anyOf as TSchema[]
      if (!keepEnum && options.every((o) => typeof o.const === 'string')) return Type.String()
      return Type.Union(options.map((o) => loosen(o, keepEnum)))
    }
    case 'Literal':
      if (keepEnum) return Type.Literal(schema.const as string)
      return typeof schema.const === 'string' ? Type.String() : Type.Unknown()
    case 'Array':
      return Type.Array(loosen(schema.items as TSchema, keepEnum))
    case 'Object':
      return Type.Object(
        Object.fromEntries(
          Object.entries(schema.properties as Record<string, TSchema>).map(([k, v]) => [
            k,
            Type.Optional(loosen(v, keepEnum)),
          ]),
        ),
        { additionalProperties: true },
      )
    case 'Record':
      // Checked as a plain object: a Type.Record would build Object.entries() and test a key
      // pattern on every property of every delivery.
      return Type.Object({}, { additionalProperties: true })
    case 'String':
      return Type.String()
    case 'Integer':
    case 'Number':
      return Type.Number()
    case 'Boolean':
      return Type.Boolean()
    case 'Null':
      return Type.Null()
    default:
      return Type.Unknown()
  }
}

/**
 * The lenient `data` schema of a documented resource: `required` fields must be present, `exact`
 * fields keep their enum, everything else is optional and read loosely.
 */
function eventData<
  T extends TObject,
  const R extends keyof Static<T>,
  const E extends keyof Static<T> = never,
>(
  resource: T,
  required: readonly R[],
  exact: readonly E[] = [],
): TUnsafe<LenientData<Static<T>, R, E> & LegacyOwner> {
  const properties: Record<string, TSchema> = {}
  for (const [key, value] of Object.entries(resource.properties)) {
    const loose = loosen(value, (exact as readonly string[]).includes(key))
    properties[key] = (required as readonly string[]).includes(key) ? loose : Type.Optional(loose)
  }
  properties.investor_id ??= Type.Optional(Type.String({ description: 'The owning investor' }))
  properties.account_id = Type.Optional(Type.String({ description: 'Legacy name of investor_id' }))
  return Type.Unsafe<LenientData<Static<T>, R, E> & LegacyOwner>(
    Type.Object(properties, {
      additionalProperties: true,
      'x-source': (resource as { 'x-source'?: string })['x-source'],
    }),
  )
}

/** An order snapshot, as carried by `order.*` events. */
export const OrderSchema = eventData(OrderResource, ['id', 'symbol', 'side', 'status'], ['side'])
/** A deposit snapshot, as carried by `transfer.deposit.*` events. */
export const DepositSchema = eventData(DepositResource, ['id', 'amount', 'currency', 'status'])
/** A withdrawal snapshot, as carried by `transfer.withdrawal.*` events. */
export const WithdrawalSchema = eventData(WithdrawalResource, [
  'id',
  'amount',
  'currency',
  'status',
])
/** An investor snapshot, as carried by `account.*` events. */
export const InvestorSchema = eventData(InvestorResource, ['id'])
/**
 * A document snapshot, as carried by `document.*` events. Only `status` is required: the flat
 * resource names its id `document_id`, older pages `id`.
 */
export const DocumentSchema = eventData(DocumentResource, ['status'])
/** A compliance workflow snapshot, as carried by `kyc.*` events. */
const ComplianceSchema = eventData(ComplianceResource, ['id', 'status'])

const webhooksPage = docs('/platform/webhooks')

/**
 * Every event Bluum documents, with the schema of its `data` and where it is documented. The one
 * entry no Bluum page names, `kyc.verification.rejected`, is marked `sandboxOnly`.
 */
export const bluumEventCatalog = {
  'account.created': {
    data: InvestorSchema,
    description: 'An investor account was created.',
    source: webhooksPage,
  },
  'account.updated': {
    data: InvestorSchema,
    description: 'An investor account changed.',
    source: webhooksPage,
  },
  'order.accepted': {
    data: OrderSchema,
    description: 'An order was accepted by the market.',
    source: webhooksPage,
  },
  'order.partially_filled': {
    data: OrderSchema,
    description: 'An order was partly filled.',
    source: webhooksPage,
  },
  'order.filled': {
    data: OrderSchema,
    description: 'An order was completely filled.',
    source: webhooksPage,
  },
  'order.canceled': {
    data: OrderSchema,
    description: 'An order was cancelled.',
    source: webhooksPage,
  },
  'order.rejected': {
    data: OrderSchema,
    description: 'An order was rejected.',
    source: webhooksPage,
  },
  'transfer.deposit.initiated': {
    data: DepositSchema,
    description: 'A deposit was initiated.',
    source: webhooksPage,
  },
  'transfer.deposit.completed': {
    data: DepositSchema,
    description: 'A deposit completed.',
    source: webhooksPage,
  },
  'transfer.deposit.failed': {
    data: DepositSchema,
    description: 'A deposit failed.',
    source: webhooksPage,
  },
  'transfer.withdrawal.initiated': {
    data: WithdrawalSchema,
    description: 'A withdrawal was initiated.',
    source: webhooksPage,
  },
  'transfer.withdrawal.completed': {
    data: WithdrawalSchema,
    description: 'A withdrawal completed.',
    source: webhooksPage,
  },
  'transfer.withdrawal.failed': {
    data: WithdrawalSchema,
    description: 'A withdrawal failed.',
    source: webhooksPage,
  },
  'document.approved': {
    data: DocumentSchema,
    description: 'A document was approved.',
    source: webhooksPage,
  },
  'document.rejected': {
    data: DocumentSchema,
    description: 'A document was rejected.',
    source: webhooksPage,
  },
  'kyc.verification.approved': {
    data: ComplianceSchema,
    description: 'An investor passed KYC verification.',
    source: docs('/concepts/webhooks'),
  },
  'kyc.verification.rejected': {
    data: ComplianceSchema,
    description: 'An investor failed KYC verification.',
    sandboxOnly: true,
    source: docs('/concepts/compliance-kyc'),
  },
} as const satisfies Record<
  string,
  { data: TSchema; description: string; source: string; sandboxOnly?: true }
>

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
