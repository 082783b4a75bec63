/**
 * The sandbox's in-memory state: plain maps of API-shaped resources, shared by both faces.
 *
 * Resources are stored in the shape the API returns, so an event's `data` is a snapshot (a JSON
 * copy) of the stored object. Balances live beside them in integer cents.
 */
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

export interface Investor extends Resource {
  object: 'investor'
  first_name: string
  last_name: string
  email: string
  /** `onboarding` until KYC approves (at once unless the sandbox runs in `document` KYC mode). */
  status: 'onboarding' | 'active'
  kyc_status: KycStatus
  [extra: string]: unknown
}

export type KycStatus = 'pending' | 'approved' | 'rejected'

/** A bank account an investor withdraws to (and may deposit from). */
export interface FundingSource extends Resource {
  object: 'funding_source'
  investor_id: string
  type: 'manual'
  status: 'active' | 'inactive'
  bank_name: string
  account_holder_name: string
  /** Last four digits of the account number. */
  mask: string
  account_type: 'checking' | 'savings'
}

export type OrderStatus = 'pending' | 'open' | 'partial' | 'filled' | 'cancelled' | 'failed'

export interface Order extends Resource {
  object: 'order'
  investor_id: string
  symbol: string
  side: 'buy' | 'sell'
  type: 'market' | 'limit' | 'stop' | 'stop_limit' | 'trailing_stop'
  time_in_force: string
  quantity: string | null
  notional: string | null
  limit_price: string | null
  stop_price: string | null
  trail_percent: string | null
  trail_price: string | null
  extended_hours: boolean
  status: OrderStatus
  filled_quantity: string
  remaining_quantity: string | null
  average_price: string | null
  submitted_at: string
  filled_at: string | null
  cancelled_at: string | null
  failure_reason: string | null
  client_order_id: string | null
}

export type TransferStatus = 'pending' | 'processing' | 'completed' | 'cancelled' | 'failed'
export type TransferMethod = 'ach' | 'manual_bank_transfer' | 'wire' | 'international_wire'

export interface Transfer extends Resource {
  object: 'deposit' | 'withdrawal'
  investor_id: string
  amount: string
  currency: string
  method: TransferMethod
  status: TransferStatus
  wallet_id: string
  funding_source_id: string | null
  description: string | null
  /** Method-specific details: bank instructions and a reference code for manual transfers. */
  method_details: Record<string, unknown> | null
  destination_details: Record<string, unknown> | null
  initiated_at: string
  completed_at: string | null
  cancelled_at: string | null
  failure_reason: string | null
}

export interface DocumentFile {
  filename: string
  size: number
  content_type: string
}

export interface BluumDocument extends Resource {
  object: 'document'
  /** Bluum's document resource names its id `document_id`; `id` carries the same value. */
  document_id: string
  investor_id: string
  owner_id: string
  document_type: string
  /** One of Bluum's purpose tags (`KYC`, `TAX`, ...), when the upload named one. */
  purpose?: string
  status: 'pending' | 'approved' | 'rejected'
  rejection_reason: string | null
  file: DocumentFile
  file_name: string
  mime_type: string
  file_size: number
  uploaded_at: string
  expires_at: string | null
  reviewed_at: string | null
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
  name: string
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
}
