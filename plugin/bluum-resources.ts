/**
 * Bluum's resources as its public documentation shows them, declared once.
 *
 * Each schema lists every field of the resource in Bluum's casing, with its source page
 * (`x-source`). They are exact: every field is required (a field Bluum shows as absent is `null`)
 * and nothing else is allowed, so the sandbox's answers can be checked against them. The plugin
 * does not validate deliveries with them: `catalog.ts` derives the lenient event schemas from them
 * (Bluum may add fields or statuses at any time), and the sandbox's contract (`mock-server/contract`)
 * uses them as its response shapes. This module is pure: it imports TypeBox only, so both sides can
 * import it without the plugin ever loading sandbox code.
 *
 * A field Bluum does not document but the sandbox adds is marked `'x-sandbox-only': true`.
 */
import { Type, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox'

/** Where Bluum documents something: a page of https://docs.bluumfinance.com and when it was read. */
export const docs = (path: string): string => `https://docs.bluumfinance.com${path}`

/** A decimal string, as Bluum carries amounts, prices and quantities ("178.50", "-3.20"). */
export const Decimal = (description?: string) =>
  Type.String({ pattern: '^-?\\d+(\\.\\d+)?$', ...(description ? { description } : {}) })
/** An ISO-8601 date-time string. */
export const DateTime = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) })
/** `schema` or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
/** One of `values`, in Bluum's casing. */
export const Literals = <const T extends readonly string[]>(
  values: T,
  options: { description?: string } = {},
): TUnion<TLiteral<T[number]>[]> =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as TUnion<TLiteral<T[number]>[]>
/** A free-form key/value map (`metadata`). */
export const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Partner-set key/value map',
})
/** Marks a schema as something Bluum does not document: the sandbox's own addition. */
export const sandboxOnly = <T extends TSchema>(schema: T, why: string): T =>
  Object.assign(schema, { 'x-sandbox-only': true, description: why })

/** The envelope keys every current-generation resource starts with ("How the API works"). */
const envelope = <const O extends string>(object: O, idDescription: string) => ({
  id: Type.String({ description: idDescription }),
  object: Type.Literal(object),
  created: Type.Integer({ description: 'Unix seconds' }),
  livemode: Type.Boolean(),
  metadata: Metadata,
})

// --- Investors ------------------------------------------------------------------------------

export const investorStatuses = [
  'onboarding',
  'under_review',
  'awaiting_documents',
  'active',
  'suspended',
  'closed',
  'declined',
  'setup_failed',
] as const
export const accountTypes = ['individual', 'joint', 'corporate'] as const
export const managementTypes = ['self_directed', 'advised'] as const
export const taxIdTypes = [
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
] as const
export const fundingSourceKinds = [
  'employment_income',
  'investments',
  'inheritance',
  'business_income',
  'savings',
  'family',
  'other',
] as const
export const employmentStatuses = ['employed', 'unemployed', 'student', 'retired'] as const
export const agreementTypes = [
  'investor_agreement',
  'margin_disclosure_acknowledged',
  'w8ben_certification',
] as const

export const AddressSchema = Type.Object(
  {
    street: Type.Array(Type.String()),
    unit: Nullable(Type.String()),
    city: Type.String(),
    state: Nullable(Type.String()),
    postal_code: Nullable(Type.String()),
    country: Type.String({ description: 'ISO 3166-1 alpha-2' }),
  },
  { additionalProperties: false },
)

export const TrustedContactFields = {
  first_name: Type.String(),
  last_name: Type.String(),
  email: Type.String(),
  phone: Type.String({ description: 'E.164' }),
}

/**
 * The investor, as "Retrieve a specific investor" shows it. The tax id itself is never shown
 * (only `tax_id_type`); balances are the custodian's figures ("0" before an account exists).
 */
export const InvestorSchema = Type.Object(
  {
    ...envelope('investor', 'inv_...'),
    status: Literals(investorStatuses),
    account_type: Literals(accountTypes),
    management_type: Literals(managementTypes),
    tax_advantaged: Type.Boolean(),
    tax_designation: Nullable(Type.String()),
    account_number: Nullable(Type.String()),
    currency: Type.String(),
    balance: Decimal(),
    buying_power: Decimal(),
    cash_withdrawable: Decimal(),
    last_equity: Decimal(),
    crypto_status: Nullable(Type.String()),
    trading_type: Nullable(Literals(['cash', 'margin'] as const)),
    first_name: Type.String(),
    middle_name: Nullable(Type.String()),
    last_name: Type.String(),
    date_of_birth: Type.String({ format: 'date' }),
    email: Type.String(),
    phone: Type.String(),
    address: Nullable(AddressSchema),
    tax_id_type: Literals(taxIdTypes),
    country_of_tax_residence: Type.String(),
    country_of_citizenship: Type.String(),
    country_of_birth: Type.String(),
    funding_source: Type.Array(Literals(fundingSourceKinds)),
    is_control_person: Type.Boolean(),
    is_affiliated_exchange_or_finra: Type.Boolean(),
    is_affiliated_exchange_or_iiroc: Nullable(Type.Boolean()),
    is_politically_exposed: Type.Boolean(),
    immediate_family_exposed: Type.Boolean(),
    employment_status: Literals(employmentStatuses),
    employer_name: Nullable(Type.String()),
    employer_address: Nullable(Type.String()),
    employment_position: Nullable(Type.String()),
    signed_agreements: Type.Array(
      Type.Object(
        { type: Literals(agreementTypes), signed_at: Type.String(), ip_address: Type.String() },
        { additionalProperties: false },
      ),
    ),
    trusted_contact: Nullable(Type.Object(TrustedContactFields, { additionalProperties: false })),
    portfolios: Type.Array(Type.Unknown()),
  },
  {
    additionalProperties: false,
    'x-source': docs('/api-reference/investors/retrieve-a-specific-investor'),
  },
)

// --- Orders ---------------------------------------------------------------------------------

export const orderSides = ['buy', 'sell'] as const
export const orderTypes = ['market', 'limit', 'stop', 'stop_limit', 'trailing_stop'] as const
export const timesInForce = ['day', 'gtc', 'opg', 'cls', 'ioc', 'fok'] as const
export const orderStatuses = [
  'pending',
  'open',
  'partial',
  'filled',
  'cancelled',
  'failed',
] as const

/**
 * The current-generation order ("Get an order by id", "Place a new investment order"): `quantity`
 * not `qty`, `failure_reason` not `reject_reason`, `investor_id` not `account_id`.
 */
export const OrderSchema = Type.Object(
  {
    ...envelope('order', 'ord_...'),
    investor_id: Type.String(),
    symbol: Type.String(),
    class: Type.String({ description: 'Asset class (equity, etf, bond)' }),
    currency: Type.String(),
    side: Literals(orderSides),
    type: Literals(orderTypes),
    time_in_force: Literals(timesInForce),
    quantity: Nullable(Decimal()),
    notional: Nullable(Decimal()),
    limit_price: Nullable(Decimal()),
    stop_price: Nullable(Decimal()),
    trail_percent: Nullable(Decimal()),
    trail_price: Nullable(Decimal()),
    extended_hours: Type.Boolean(),
    client_order_id: Nullable(Type.String()),
    status: Literals(orderStatuses),
    filled_quantity: Decimal(),
    remaining_quantity: Decimal(),
    average_price: Decimal('"0.00" until a fill'),
    commission: Decimal(),
    commission_type: Literals(['notional', 'per_share', 'bps'] as const),
    submitted_at: Nullable(DateTime()),
    filled_at: Nullable(DateTime()),
    cancelled_at: Nullable(DateTime()),
    failure_reason: Nullable(Type.String()),
    settlement_date: Nullable(Type.String({ description: 'Bond orders only' })),
    bond: Nullable(Type.Record(Type.String(), Type.Unknown())),
  },
  {
    additionalProperties: false,
    'x-source': docs('/api-reference/trading/get-an-order-by-id'),
  },
)

// --- Transfers ------------------------------------------------------------------------------

/** The collapsed external status of deposits and withdrawals ("Funding" concepts page). */
export const transferStatuses = [
  'pending',
  'processing',
  'completed',
  'cancelled',
  'failed',
] as const
export const depositMethods = ['ach', 'manual_bank_transfer', 'wire', 'card'] as const
export const withdrawalMethods = [
  'ach',
  'wire',
  'international_wire',
  'manual_bank_transfer',
] as const

const transferFields = {
  investor_id: Type.String(),
  wallet_id: Type.String({ description: 'wlt_...' }),
  funding_source_id: Nullable(Type.String()),
  amount: Decimal(),
  currency: Type.String(),
  description: Nullable(Type.String()),
  status: Literals(transferStatuses),
  method_details: Nullable(Type.Record(Type.String(), Type.Unknown())),
  initiated_at: DateTime(),
  completed_at: Nullable(DateTime()),
  failure_reason: Nullable(Type.String()),
}

/**
 * A withdrawal, as "Initiate a new withdrawal" (current generation) shows it. ACH details carry
 * `{ provider_name, transfer_id, alpaca_status }`.
 */
export const WithdrawalSchema = Type.Object(
  {
    ...envelope('withdrawal', 'wd_...'),
    method: Literals(withdrawalMethods),
    ...transferFields,
    destination_details: Nullable(Type.Record(Type.String(), Type.Unknown())),
  },
  {
    additionalProperties: false,
    'x-source': docs('/api-reference/transfers/initiate-a-new-withdrawal'),
  },
)

/**
 * A deposit. Bluum publishes no current-generation deposit page: this is the withdrawal's
 * current-generation envelope with the deposit fields of "Initiate a new deposit" (older
 * generation): `received_at` and `expires_at` (when a pending manual transfer lapses).
 */
export const DepositSchema = Type.Object(
  {
    ...envelope('deposit', 'dep_...'),
    method: Literals(depositMethods),
    ...transferFields,
    received_at: Nullable(DateTime()),
    expires_at: Nullable(DateTime()),
  },
  {
    additionalProperties: false,
    'x-source': docs('/api-reference/transfers/initiate-a-new-deposit'),
  },
)

// --- Documents ------------------------------------------------------------------------------

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
/** The resource's own (lowercase) statuses; the list filter takes them in upper case. */
export const documentStatuses = [
  'uploaded',
  'processing',
  'accepted',
  'rejected',
  'expired',
] as const

/**
 * A document, as "Retrieve a specific document" (flat resource) shows it: `document_id` is its
 * id, `owner_type`/`owner_id` its owner (the owner's id without its prefix), `purpose` and
 * `status` in lower case. `rejection_reason` is the KYC guide's.
 */
export const DocumentSchema = Type.Object(
  {
    document_id: Type.String({ description: 'doc_...' }),
    object: Type.Literal('document'),
    owner_type: Literals(['tenant', 'investor', 'user'] as const),
    owner_id: Type.String({ description: "The owner's id without its prefix" }),
    purpose: Nullable(
      Literals(
        documentPurposes.map((p) => p.toLowerCase()) as Lowercase<
          (typeof documentPurposes)[number]
        >[],
      ),
    ),
    document_type: Type.String(),
    file_name: Type.String(),
    mime_type: Type.String(),
    file_size: Type.Integer(),
    status: Literals(documentStatuses),
    rejection_reason: Nullable(Type.String({ description: 'Set when the document is rejected' })),
    expires_at: Nullable(DateTime()),
    uploaded_at: DateTime(),
    metadata: Nullable(Metadata),
  },
  {
    additionalProperties: false,
    'x-source': docs('/api-reference/document-management/retrieve-a-specific-document'),
  },
)

// --- Compliance -----------------------------------------------------------------------------

export const workflowStatuses = [
  'IN_PROGRESS',
  'PENDING_REVIEW',
  'APPROVED',
  'REJECTED',
  'SUSPENDED',
  'EXPIRED',
] as const
/** The external status vocabulary of a compliance workflow. */
export const complianceStatuses = [
  'running',
  'awaiting_review',
  'approved',
  'declined',
  'suspended',
  'expired',
] as const
export const riskLevels = ['low', 'medium', 'high', 'prohibited'] as const

/**
 * An investor's latest compliance workflow, as "Get compliance status for an investor" shows it
 * (and as `kyc.*` events carry it). Bluum's example shows no `id`; the sandbox adds the `cw_` id
 * so the workflow can be fetched.
 */
export const ComplianceSchema = Type.Object(
  {
    id: sandboxOnly(
      Type.String(),
      'cw_...: the workflow id (Bluum shows none here; the workflow route takes it)',
    ),
    object: Type.Literal('compliance_workflow'),
    livemode: Type.Boolean(),
    investor_id: Type.String(),
    workflow_status: Literals(workflowStatuses),
    workflow_type: Type.String({ description: 'kyc' }),
    risk_level: Nullable(Literals(riskLevels)),
    status: Literals(complianceStatuses),
    checks: Type.Array(
      Type.Object(
        {
          type: Type.String(),
          status: Type.String(),
          completed_at: Nullable(DateTime()),
        },
        { additionalProperties: false },
      ),
    ),
    created_at: DateTime(),
    updated_at: DateTime(),
  },
  {
    additionalProperties: false,
    'x-source': docs('/api-reference/investors/get-compliance-status-for-an-investor'),
  },
)
