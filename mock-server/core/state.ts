/**
 * The sandbox's in-memory state: plain maps of API-shaped resources, shared by both faces.
 *
 * Resources are stored in the shape the API returns, so an event's `data` is a snapshot (a JSON
 * copy) of the stored object. Balances live beside them in integer cents.
 */
import type { investorStatuses } from '../../plugin/bluum-resources.js'
import type { Duration } from './duration.js'
import { JournaledMap } from './journaled-map.js'

/** Fields every Bluum resource carries. */
export interface Resource {
  id: string
  object: string
  /** Unix seconds. */
  created: number
  livemode: false
  metadata: Record<string, unknown>
}

/**
 * An investor as the sandbox keeps it: the fields of the create body (the tax id included, which
 * no answer ever shows) and the sandbox's KYC bookkeeping. Answers and events show
 * `investorResource()` of it (engines/investors.ts), never the record itself.
 */
export interface Investor extends Resource {
  object: 'investor'
  status: (typeof investorStatuses)[number]
  account_type: string
  management_type: string
  tax_advantaged: boolean
  account_number: string | null
  first_name: string
  middle_name: string | null
  last_name: string
  date_of_birth: string
  email: string
  phone: string
  address: Record<string, unknown> | null
  /** Kept to mirror Bluum's record; never shown by any answer or event. */
  tax_id: string
  tax_id_type: string
  tax_id_country: string | null
  country_of_tax_residence: string
  country_of_citizenship: string
  country_of_birth: string
  funding_source: string[]
  annual_income: { min: string; max: string } | null
  liquid_net_worth: { min: string; max: string } | null
  is_control_person: boolean
  is_affiliated_exchange_or_finra: boolean
  is_politically_exposed: boolean
  immediate_family_exposed: boolean
  employment_status: string
  employer_name: string | null
  employer_address: string | null
  employment_position: string | null
  visa_type: string | null
  signed_agreements: { type: string; signed_at: string; ip_address: string }[]
  trusted_contact: { first_name: string; last_name: string; email: string; phone: string } | null
  /** The sandbox's KYC decision: `pending` until approved (or rejected). */
  kyc_status: KycStatus
  /** The investor's latest compliance workflow (`cw_...`). */
  compliance_workflow_id: string | null
}

export type KycStatus = 'pending' | 'approved' | 'rejected'

/** One check of a compliance workflow. */
export interface ComplianceCheck {
  check_type: string
  status: 'pending' | 'clear' | 'failed' | 'review_required' | 'error'
  provider: string
  external_id: string | null
  started_at: string
  completed_at: string | null
}

/** A compliance (KYC) workflow of an investor. */
export interface ComplianceWorkflow {
  id: string
  investor_id: string
  workflow_type: 'kyc'
  status: 'in_progress' | 'pending_review' | 'approved' | 'rejected' | 'suspended' | 'expired'
  risk_level: 'low' | 'medium' | 'high' | 'prohibited' | null
  checks: ComplianceCheck[]
  created_at: string
  updated_at: string
}

/** An investor-scoped API key created through the API; it authenticates as `public_key:secret_key`. */
export interface ApiKeyRecord {
  id: string
  object: 'api_key'
  created: number
  livemode: false
  account_id: string
  name: string | null
  environment: 'TEST' | 'PRODUCTION'
  status: 'active' | 'revoked' | 'expired'
  public_key: string
  /** Shown once, at creation; kept to authenticate (the state file is written 0600). */
  secret_key: string
  expires_at: string | null
  metadata: Record<string, unknown>
}

/** A linked bank account, in the shape the API shows (`type` and `investor_id` are the sandbox's). */
export interface FundingSource extends Resource {
  object: 'funding_source'
  bank_name: string | null
  mask: string | null
  provider_id: string | null
  account_name: string | null
  account_type: string | null
  account_subtype: string | null
  account_holder_name: string | null
  /** Masked to its last four digits. */
  account_number: string | null
  routing_number: string | null
  swift_code: string | null
  iban: string | null
  wire_routing_kind: string | null
  bank_code: string | null
  beneficiary_address: string | null
  address_line_1: string | null
  payout_country: string | null
  payout_currency: string | null
  payout_city: string | null
  payout_region: string | null
  payout_postal_code: string | null
  wire_payout_complete: boolean
  updated_at: string
  type: 'plaid' | 'manual'
  investor_id: string
}

export type OrderStatus = 'pending' | 'open' | 'partial' | 'filled' | 'cancelled' | 'failed'

/** An order, in the shape the current-generation API shows. */
export interface Order extends Resource {
  object: 'order'
  investor_id: string
  symbol: string
  class: string
  currency: string
  side: 'buy' | 'sell'
  type: 'market' | 'limit' | 'stop' | 'stop_limit' | 'trailing_stop'
  time_in_force: 'day' | 'gtc' | 'opg' | 'cls' | 'ioc' | 'fok'
  quantity: string | null
  notional: string | null
  limit_price: string | null
  stop_price: string | null
  trail_percent: string | null
  trail_price: string | null
  extended_hours: boolean
  client_order_id: string | null
  status: OrderStatus
  filled_quantity: string
  remaining_quantity: string
  average_price: string
  commission: string
  commission_type: 'notional' | 'per_share' | 'bps'
  submitted_at: string | null
  filled_at: string | null
  cancelled_at: string | null
  failure_reason: string | null
  settlement_date: string | null
  bond: Record<string, unknown> | null
}

export type TransferStatus = 'pending' | 'processing' | 'completed' | 'cancelled' | 'failed'
export type TransferMethod = 'ach' | 'manual_bank_transfer' | 'wire' | 'international_wire' | 'card'

/**
 * A deposit or withdrawal, in the shape the API shows: deposits carry `received_at` and
 * `expires_at`, withdrawals `destination_details`.
 */
export interface Transfer extends Resource {
  object: 'deposit' | 'withdrawal'
  method: TransferMethod
  investor_id: string
  wallet_id: string
  funding_source_id: string | null
  amount: string
  currency: string
  description: string | null
  status: TransferStatus
  /** Method-specific details: bank instructions for a manual transfer, provider fields for ACH. */
  method_details: Record<string, unknown> | null
  destination_details?: Record<string, unknown> | null
  initiated_at: string
  received_at?: string | null
  completed_at: string | null
  expires_at?: string | null
  failure_reason: string | null
}

/**
 * A document as the sandbox keeps it: the API's flat resource plus its internal key (`id`, the
 * same as `document_id`), its owner's prefixed id and its creation time, which answers never show.
 */
export interface BluumDocument {
  id: string
  document_id: string
  object: 'document'
  owner_type: 'tenant' | 'investor' | 'user'
  owner_id: string
  purpose: string | null
  document_type: string
  file_name: string
  mime_type: string
  file_size: number
  status: 'uploaded' | 'processing' | 'accepted' | 'rejected' | 'expired'
  rejection_reason: string | null
  expires_at: string | null
  uploaded_at: string
  metadata: Record<string, unknown> | null
  /** The owning investor (inv_...), when an investor owns it. */
  investor_id: string | null
  /** The owning user, when a user owns it. */
  user_id: string | null
  /** Unix seconds, for ordering. */
  created: number
}

/** Faults injected into one webhook's deliveries (sandbox control). */
export interface WebhookFaults {
  /** Extra identical copies sent after every attempt. */
  duplicates: number
  /** Hold first attempts and release them newest first. */
  reorder: boolean
  /** Delay before the first attempt of each event, ms of sandbox time. */
  delayMs: number
}

export interface Webhook {
  id: string
  object: 'webhook'
  name: string | null
  url: string
  description: string | null
  event_type_names: string[]
  status: 'active' | 'inactive'
  created_at: string
  created: number
  livemode: false
  metadata: Record<string, unknown>
  /** The signing secret; only shown by create and rotate-secret. */
  secret: string
  /** Secrets still signing after a rotation, until `expiresAtMs` (sandbox time). */
  previousSecrets: { secret: string; expiresAtMs: number }[]
  faults: WebhookFaults
  /** Why the sandbox disabled it, e.g. after a 410 answer. */
  disabled_reason: string | null
  /**
   * Kept even by a reset that drops webhooks: the CLI's `--forward-to` webhook, which its banner
   * promises for the life of the process. Never shown by the API.
   */
  pinned?: boolean
}

/** The request one attempt sent. Never a secret: the signature header is derived, the secret is not sent. */
export interface AttemptRequest {
  method: 'POST'
  url: string
  /**
   * The headers the engine sent (names in lower case), signature included. The HTTP transport
   * adds `content-length` and msw's bypass marker (`accept: msw/passthrough`) on the wire.
   */
  headers: Record<string, string>
  /** The exact bytes sent, as UTF-8 text (the same on every attempt of a delivery). */
  body: string
}

/** What the receiver answered to one attempt. */
export interface AttemptResponse {
  status: number
  /** Response headers, names in lower case. */
  headers: Record<string, string | string[]>
  /** The first {@link maxRecordedBodyBytes} bytes of the answer body, cut on a character boundary. */
  body: string
  /** True when the answer body was longer than what `body` keeps. */
  body_truncated: boolean
  /** Bytes of the whole answer body as received. */
  body_bytes: number
}

/** Why an attempt got no answer: a connection error or the 30 s timeout. */
export interface AttemptConnectionError {
  /** `ECONNREFUSED`, `ECONNRESET`, `BLUUM_SANDBOX_DELIVERY_TIMEOUT`, ... (the error's name when it has no code). */
  code: string
  message: string
}

/** Bytes of a receiver's answer body kept in an attempt record: 64 KiB. */
export const maxRecordedBodyBytes = 65_536

export interface DeliveryAttempt {
  /** 1-based number within the delivery, counting every run and duplicate. */
  attempt: number
  /** ISO time the attempt started (sandbox clock). */
  attempted_at: string
  /** Unix seconds sent as `webhook-timestamp`. */
  webhook_timestamp: number
  status_code: number | null
  duration_ms: number
  /** `HTTP <status>` for a non-2xx answer, `<code>: <message>` for a connection error, else null. */
  error: string | null
  succeeded: boolean
  /** Set on fault-injected copies. */
  fault: 'duplicate' | null
  /** What was sent; null only on attempts loaded from a state file written before it was recorded. */
  request: AttemptRequest | null
  /** What came back; null when nothing did (see `connection_error`). */
  response: AttemptResponse | null
  /** Set when no answer came. */
  connection_error: AttemptConnectionError | null
}

/** Whether a delivery is still running (`pending`) or how it ended; `phase` adds `failing` (delivery/phase.ts). */
export type DeliveryStatus = 'pending' | 'delivered' | 'parked' | 'cancelled'

export interface Delivery {
  id: string
  object: 'webhook_delivery'
  webhook_id: string
  event_id: string
  event: string
  status: DeliveryStatus
  /** Why a delivery was parked or cancelled: exhausted, gone, webhook_inactive, webhook_deleted. */
  failure_reason: string | null
  attempts: DeliveryAttempt[]
  next_attempt_at: string | null
  created: number
  /** Sandbox ms of creation, for `replay since`. */
  createdMs: number
  /** The exact bytes sent on every attempt. */
  payload: string
}

export interface Position {
  quantity: number
  costCents: number
  /** Sandbox ms of the first fill and of the last one (absent in older state files). */
  openedAtMs?: number
  lastTransactionAtMs?: number
}

export interface IdempotencyRecord {
  fingerprint: string
  expiresAtMs: number
  response: { status: number; headers: Record<string, string>; body: unknown }
}

/**
 * Lookups the engines make on every request, kept beside the resources so they cost the same in a
 * state of any size. The engines that write the resources keep them current (`state-indexes.ts`);
 * a state-file load rebuilds them, a reset empties them. Never saved.
 */
export interface StateIndexes {
  /** Which investor holds each e-mail (lower case); a sandbox is one tenant, so e-mails are unique. */
  readonly investorByEmail: Map<string, string>
  /**
   * Each investor's resting orders (pending, open or partially filled), oldest first: what holds
   * its cash and shares. May still list an order that stopped resting; readers skip those.
   */
  readonly restingOrders: Map<string, readonly string[]>
}

export interface SandboxState {
  investors: Map<string, Investor>
  cashCents: Map<string, number>
  positions: Map<string, Map<string, Position>>
  orders: Map<string, Order>
  fundingSources: Map<string, FundingSource>
  deposits: Map<string, Transfer>
  withdrawals: Map<string, Transfer>
  documents: Map<string, BluumDocument>
  complianceWorkflows: Map<string, ComplianceWorkflow>
  apiKeys: Map<string, ApiKeyRecord>
  /** Plaid public tokens already exchanged: each is single-use. */
  usedPublicTokens: Set<string>
  webhooks: Map<string, Webhook>
  deliveries: Map<string, Delivery>
  prices: Map<string, number>
  idempotency: Map<string, IdempotencyRecord>
  rateWindows: Map<string, { windowStartMs: number; count: number }>
  /** Symbols answered with 422 `BLUM-422-003` (sandbox control). */
  untradable: Set<string>
  /** Rejection reasons queued for the next documents (sandbox control). */
  documentRejections: string[]
  /** When true, market orders fill in two halves and emit `order.partially_filled`. */
  partialFills: boolean
  /** When true, the simulated market keeps NYSE hours and `day` orders outside them get 422. */
  marketHours: boolean
  /** `instant`: KYC approves at creation; `document`: an approved identity document approves it. */
  kycMode: 'instant' | 'document'
  /** True: a field Bluum does not document is refused instead of ignored with a warning. */
  strict: boolean
  readonly indexes: StateIndexes
}

export type { Duration }

/**
 * An empty state. Its maps are {@link JournaledMap}s, so a trigger that fails halfway can put them
 * back as they were (`state-snapshot.ts`).
 */
export function createState(): SandboxState {
  return {
    investors: new JournaledMap(),
    cashCents: new JournaledMap(),
    positions: new JournaledMap(),
    orders: new JournaledMap(),
    fundingSources: new JournaledMap(),
    deposits: new JournaledMap(),
    withdrawals: new JournaledMap(),
    documents: new JournaledMap(),
    complianceWorkflows: new JournaledMap(),
    apiKeys: new JournaledMap(),
    usedPublicTokens: new Set(),
    webhooks: new JournaledMap(),
    deliveries: new JournaledMap(),
    prices: new JournaledMap(),
    idempotency: new JournaledMap(),
    rateWindows: new JournaledMap(),
    untradable: new Set(),
    documentRejections: [],
    partialFills: false,
    marketHours: false,
    kycMode: 'instant',
    strict: false,
    indexes: { investorByEmail: new JournaledMap(), restingOrders: new JournaledMap() },
  }
}

/** Empties every map in place, so references held by engines stay valid. */
export function clearState(state: SandboxState): void {
  for (const value of Object.values(state))
    if (value instanceof Map || value instanceof Set) value.clear()
  for (const index of Object.values(state.indexes)) index.clear()
  state.documentRejections.length = 0
  state.partialFills = false
  state.marketHours = false
  state.kycMode = 'instant'
  state.strict = false
}
