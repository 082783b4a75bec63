/**
 * The sandbox's own operations: Bluum documents none of them, so each is marked sandbox-only and
 * lives under `/v1/sandbox/`. Controls (trigger events, settle transfers, move prices and time,
 * inject delivery faults, reset), delivery records and replays, secret rotation, the live stream
 * and the API request log.
 */
import { Type } from '@sinclair/typebox'
import { deliveryPhases, deliveryStatusFilterValues } from '../delivery/phase.js'
import { Decimal, ListOf, Literals, Metadata, Nullable, pagingFields } from './fields.js'
import { defineOperations } from './operation.js'
import { AddressInput, TrustedContactInput } from './investors.js'
import { WebhookSchema } from './webhooks.js'
import { employmentStatuses, managementTypes } from '../../plugin/bluum-resources.js'
import { Country, Email, Phone } from './fields.js'

const listQueryFields = pagingFields()

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
const DeliveryStatusFilter = Literals(deliveryStatusFilterValues, {
  description:
    'pending, failing, delivered, parked or cancelled (succeeded: an alias of delivered)',
})

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
  status: Literals(deliveryPhases, {
    description:
      'pending: not answered yet; failing: failed, a retry is scheduled; delivered: a 2xx came; parked: waiting for a replay; cancelled: its webhook was deleted',
  }),
  phase: Literals(deliveryPhases, {
    description: 'The same as status (its name in earlier versions)',
  }),
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
      Literals(['instant', 'document'] as const, {
        description:
          'instant: KYC approves at creation; document: an identity document must be approved first',
      }),
    ),
    strict: Type.Optional(
      Type.Boolean({
        description:
          'true: a field Bluum does not document is refused (400 BLUM-400-001) instead of ignored with a Bluum-Sandbox-Warning header',
      }),
    ),
  },
  { additionalProperties: false },
)

/** `PATCH /sandbox/investors/{id}`: contact and profile fields (identity and tax fields are fixed). */
export const UpdateInvestorBody = Type.Object(
  {
    email: Type.Optional(Email),
    first_name: Type.Optional(Type.String({ minLength: 1 })),
    middle_name: Type.Optional(Type.String()),
    last_name: Type.Optional(Type.String({ minLength: 1 })),
    phone: Type.Optional(Phone),
    address: Type.Optional(AddressInput),
    management_type: Type.Optional(Literals(managementTypes)),
    tax_id_country: Type.Optional(Country('Country that issued the tax id')),
    employment_status: Type.Optional(Literals(employmentStatuses)),
    employer_name: Type.Optional(Type.String()),
    employer_address: Type.Optional(Type.String()),
    employment_position: Type.Optional(Type.String()),
    is_control_person: Type.Optional(Type.Boolean()),
    is_affiliated_exchange_or_finra: Type.Optional(Type.Boolean()),
    is_politically_exposed: Type.Optional(Type.Boolean()),
    immediate_family_exposed: Type.Optional(Type.Boolean()),
    trusted_contact: Type.Optional(TrustedContactInput),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
)

/** One request the API answered, as `GET /sandbox/requests` lists it (newest first). */
export const ApiRequestRecordSchema = Type.Object(
  {
    object: Type.Literal('api_request'),
    at: Type.String({ description: 'Sandbox time' }),
    method: Type.String(),
    path: Type.String({ description: 'With the API prefix, without the query' }),
    operation_id: Nullable(Type.String()),
    status: Type.Integer(),
    code: Nullable(Type.String({ description: 'The BLUM-... code of an error answer' })),
    warnings: Type.Array(Type.String(), {
      description: 'What the Bluum-Sandbox-Warning header said: undocumented fields ignored',
    }),
  },
  { additionalProperties: false },
)

const tag = 'Sandbox controls'
const deliveriesTag = 'Sandbox deliveries'
const sandbox = { sandboxOnly: true, generation: 'sandbox', sources: [], access: 'tenant' } as const
const webhookId = { webhook_id: 'wh' }
const Faults = Type.Object(
  {
    object: Type.Literal('webhook_faults'),
    webhook_id: Type.String(),
    duplicates: Type.Integer(),
    reorder: Type.Boolean(),
    delay_ms: Type.Number(),
  },
  { additionalProperties: false },
)
const Clock = Type.Object(
  {
    object: Type.Literal('sandbox_clock'),
    kind: Type.String(),
    now: Type.String(),
    now_ms: Type.Number(),
    pending_timers: Type.Integer(),
  },
  { additionalProperties: false },
)

export const sandboxOperations = defineOperations({
  triggerEvent: {
    ...sandbox,
    method: 'POST',
    path: '/sandbox/trigger',
    summary:
      'Emit one catalog event, its resources built by the engines, with data overrides (like `stripe trigger`)',
    tag,
    successStatus: 201,
    body: TriggerBody,
  },
  listSandboxEvents: {
    ...sandbox,
    method: 'GET',
    path: '/sandbox/events',
    summary: 'Every event emitted so far, newest first',
    tag,
    successStatus: 200,
  },
  listSandboxRequests: {
    ...sandbox,
    method: 'GET',
    path: '/sandbox/requests',
    summary:
      'The API requests answered so far, newest first, with the undocumented fields each one ignored (warnings)',
    tag,
    successStatus: 200,
    query: Type.Object({
      ...listQueryFields,
      warned: Type.Optional(Type.Boolean({ description: 'Only requests with a warning' })),
    }),
    response: ListOf(ApiRequestRecordSchema),
  },
  listSandboxDeliveries: {
    ...sandbox,
    method: 'GET',
    path: '/sandbox/deliveries',
    summary:
      'Deliveries of every webhook, newest first, filtered by phase (status), event name or wildcard, and webhook',
    tag: deliveriesTag,
    successStatus: 200,
    query: SandboxDeliveryListQuery,
    response: ListOf(DeliverySchema),
  },
  getSandboxDelivery: {
    ...sandbox,
    method: 'GET',
    path: '/sandbox/deliveries/:delivery_id',
    summary: 'Retrieve one delivery by its id alone, whatever its webhook',
    tag: deliveriesTag,
    successStatus: 200,
    response: DeliverySchema,
  },
  retrySandboxDelivery: {
    ...sandbox,
    method: 'POST',
    path: '/sandbox/deliveries/:delivery_id/retry',
    summary:
      "Run a failing delivery's next attempt now, without moving the clock (the ladder goes on from there)",
    tag: deliveriesTag,
    successStatus: 202,
    response: DeliverySchema,
  },
  sendTestEvent: {
    ...sandbox,
    method: 'POST',
    path: '/sandbox/webhooks/:webhook_id/test',
    summary:
      'Send a sample event to this webhook only (whatever it subscribes to), signed and retried like any delivery; the event is not logged and builds no resource',
    tag: deliveriesTag,
    successStatus: 202,
    idParams: webhookId,
    body: TestWebhookBody,
    response: DeliverySchema,
  },
  getWebhook: {
    ...sandbox,
    method: 'GET',
    path: '/sandbox/webhooks/:webhook_id',
    summary: 'Retrieve one webhook (Bluum documents no such route)',
    tag: deliveriesTag,
    successStatus: 200,
    idParams: webhookId,
    response: WebhookSchema,
  },
  rotateWebhookSecret: {
    ...sandbox,
    method: 'POST',
    path: '/sandbox/webhooks/:webhook_id/rotate-secret',
    summary: 'Rotate the signing secret; the old one keeps signing during the overlap',
    tag: deliveriesTag,
    successStatus: 200,
    idParams: webhookId,
    body: RotateSecretBody,
    response: WebhookSchema,
  },
  listWebhookDeliveries: {
    ...sandbox,
    method: 'GET',
    path: '/sandbox/webhooks/:webhook_id/deliveries',
    summary: "A webhook's deliveries with every attempt (status, duration, error)",
    tag: deliveriesTag,
    successStatus: 200,
    idParams: webhookId,
    query: DeliveryListQuery,
    response: ListOf(DeliverySchema),
  },
  replayFailedDeliveries: {
    ...sandbox,
    method: 'POST',
    path: '/sandbox/webhooks/:webhook_id/deliveries/replay',
    summary: 'Replay every parked delivery created since a time',
    tag: deliveriesTag,
    successStatus: 202,
    idParams: webhookId,
    body: ReplayFailedBody,
    response: ListOf(DeliverySchema),
  },
  replayDelivery: {
    ...sandbox,
    method: 'POST',
    path: '/sandbox/webhooks/:webhook_id/deliveries/:delivery_id/replay',
    summary: 'Replay one delivery (same event id, fresh retry ladder)',
    tag: deliveriesTag,
    successStatus: 202,
    idParams: webhookId,
    response: DeliverySchema,
  },
  getWebhookDelivery: {
    ...sandbox,
    method: 'GET',
    path: '/sandbox/webhooks/:webhook_id/deliveries/:delivery_id',
    summary:
      'Retrieve one delivery: every attempt with the request sent and the answer received, and the next retry time',
    tag: deliveriesTag,
    successStatus: 200,
    idParams: webhookId,
    response: DeliverySchema,
  },
  updateInvestor: {
    ...sandbox,
    method: 'PATCH',
    path: '/sandbox/investors/:investor_id',
    summary: "Change an investor's contact and profile fields (emits account.updated)",
    tag,
    successStatus: 200,
    idParams: { investor_id: 'inv' },
    body: UpdateInvestorBody,
  },
  completeTransfer: {
    ...sandbox,
    method: 'POST',
    path: '/sandbox/transfers/:transfer_id/complete',
    summary:
      'Complete a pending deposit or withdrawal (a manual bank transfer whose funds arrived)',
    tag,
    successStatus: 200,
  },
  failTransfer: {
    ...sandbox,
    method: 'POST',
    path: '/sandbox/transfers/:transfer_id/fail',
    summary: 'Fail a pending deposit or withdrawal',
    tag,
    successStatus: 200,
    body: FailTransferBody,
  },
  setPrice: {
    ...sandbox,
    method: 'POST',
    path: '/sandbox/prices/:symbol',
    summary: "Set a symbol's simulated price (fills the resting orders it crosses)",
    tag,
    successStatus: 200,
    body: SetPriceBody,
  },
  getClock: {
    ...sandbox,
    method: 'GET',
    path: '/sandbox/clock',
    summary: "The sandbox clock's time",
    tag,
    successStatus: 200,
    response: Clock,
  },
  advanceClock: {
    ...sandbox,
    method: 'POST',
    path: '/sandbox/clock/advance',
    summary:
      'Advance the clock (at most 30 days), running every transfer step and retry due on the way, in order (answers when they ran)',
    tag,
    successStatus: 200,
    body: AdvanceClockBody,
    response: Clock,
  },
  setWebhookFaults: {
    ...sandbox,
    method: 'POST',
    path: '/sandbox/webhooks/:webhook_id/faults',
    summary: "Inject faults into a webhook's deliveries (duplicates, reordering, delay)",
    tag,
    successStatus: 200,
    idParams: webhookId,
    body: FaultsBody,
    response: Faults,
  },
  clearWebhookFaults: {
    ...sandbox,
    method: 'DELETE',
    path: '/sandbox/webhooks/:webhook_id/faults',
    summary: "Stop injecting faults into a webhook's deliveries",
    tag,
    successStatus: 200,
    idParams: webhookId,
    response: Faults,
  },
  rejectNextDocument: {
    ...sandbox,
    method: 'POST',
    path: '/sandbox/documents/reject-next',
    summary: 'Make the next uploaded document be rejected with a reason',
    tag,
    successStatus: 200,
    body: RejectDocumentBody,
  },
  updateSandboxSettings: {
    ...sandbox,
    method: 'PATCH',
    path: '/sandbox/settings',
    summary: 'Sandbox behaviour switches: partial fills, market hours, KYC mode, strict validation',
    tag,
    successStatus: 200,
    body: SettingsBody,
  },
  resetSandbox: {
    ...sandbox,
    method: 'POST',
    path: '/sandbox/reset',
    summary:
      'Forget every investor, order, transfer, document, delivery and event, and bring the clock back to now; webhook registrations stay unless keep_webhooks is false',
    tag,
    successStatus: 200,
    body: ResetBody,
  },
  streamSandboxActivity: {
    ...sandbox,
    method: 'GET',
    path: '/sandbox/stream',
    summary: 'Server-sent events of every new event and delivery attempt (standalone server only)',
    tag,
    successStatus: 200,
    query: StreamQuery,
  },
})
