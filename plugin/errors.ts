/**
 * Every error the plugin produces, each with a stable code and an HTTP status.
 *
 * Messages say what was expected, what came, and the likely cause: a webhook sender only sees
 * the answer, and an operator only sees the log, so both must be able to act on it.
 */
// The named import, not the default one: with the default import the emitted .d.ts names the
// constructor type `createError.FastifyErrorConstructor`, a namespace that consumers on
// `moduleResolution: bundler` cannot see (test/package-consumer.test.ts).
import { createError } from '@fastify/error'

// Options, checked once at `register`.
export const InvalidOptionError = createError<[string, string]>(
  'BLUUM_INVALID_OPTION',
  'Invalid option "%s": %s',
  500,
  TypeError,
)
export const InvalidSecretError = createError<[string]>(
  'BLUUM_INVALID_SECRET',
  'Invalid webhook secret: %s. Expected "whsec_" followed by the base64 of 24 to 64 random bytes, as returned when the webhook was created.',
  500,
  TypeError,
)
export const InvalidPatternError = createError<[string, string]>(
  'BLUUM_INVALID_EVENT_PATTERN',
  'Invalid event pattern "%s": %s',
  500,
  TypeError,
)

// One delivery, answered before any handler runs.
export const MissingSignatureHeadersError = createError<[string]>(
  'BLUUM_MISSING_SIGNATURE_HEADERS',
  'Missing signature header(s): %s. Bluum deliveries carry webhook-id, webhook-timestamp and webhook-signature; a proxy may have stripped them.',
  400,
)
export const InvalidSignatureHeaderError = createError<[string]>(
  'BLUUM_INVALID_SIGNATURE_HEADER',
  'Malformed signature header: %s',
  400,
)
export const SignatureMismatchError = createError(
  'BLUUM_SIGNATURE_MISMATCH',
  'No signature matches the payload. Likely causes: a proxy or a JSON parser changed the raw body before verification, whitespace or a missing "whsec_" prefix in the configured secret, or the secret of another webhook or environment.',
  401,
)
export const TimestampStaleError = createError<[number, number]>(
  'BLUUM_TIMESTAMP_STALE',
  'The webhook-timestamp is %d seconds old, beyond the tolerance of %d seconds. A replayed delivery, or a server clock that is behind.',
  401,
)
export const TimestampFutureError = createError<[number, number]>(
  'BLUUM_TIMESTAMP_FUTURE',
  'The webhook-timestamp is %d seconds in the future, beyond the tolerance of %d seconds. Check this server clock (NTP).',
  401,
)
export const UnsupportedMediaTypeError = createError<[string]>(
  'BLUUM_UNSUPPORTED_MEDIA_TYPE',
  'Expected content-type application/json, received %s. Bluum labels its deliveries application/json: a proxy or a client that is not Bluum set this one; the body was not read.',
  415,
)
export const UnsupportedContentEncodingError = createError<[string]>(
  'BLUUM_UNSUPPORTED_CONTENT_ENCODING',
  'Expected no content-encoding (or identity), received %s. Bluum does not compress its deliveries, and a compressed body cannot be verified as it was signed: a proxy between Bluum and this server may have compressed it. The body was not read.',
  415,
)
export const BodyTooLargeError = createError<[number]>(
  'BLUUM_BODY_TOO_LARGE',
  'The payload exceeds the limit of %d bytes (option bodyLimit).',
  413,
)
export const InvalidJsonError = createError<[string]>(
  'BLUUM_INVALID_JSON',
  'The payload is not valid JSON: %s',
  400,
)
export const InvalidEnvelopeError = createError<[string]>(
  'BLUUM_INVALID_ENVELOPE',
  'The payload is not a Bluum event envelope { event, timestamp, data }: %s',
  400,
)

// Dedupe and handlers.
export const DeliveryInFlightError = createError<[string]>(
  'BLUUM_DELIVERY_IN_FLIGHT',
  'Event %s is being processed by another delivery right now; retry later.',
  409,
)
export const StoreUnavailableError = createError<[string]>(
  'BLUUM_STORE_UNAVAILABLE',
  'The dedupe store is unreachable (%s); no handler ran, retry later.',
  503,
)
export const InboxDatabaseFailedError = createError<[string]>(
  'BLUUM_STORE_UNAVAILABLE',
  "The inbox's database failed (%s): nothing of this delivery committed; retry later.",
  503,
)
export const HandlerFailedError = createError<[string, number]>(
  'BLUUM_HANDLER_FAILED',
  'Event %s: %d handler(s) failed; the claim was released so a retry runs them again.',
  500,
)
export const AckTimeoutError = createError<[string, number]>(
  'BLUUM_ACK_TIMEOUT',
  'Event %s: handlers still running after %d ms; the work goes on and is recorded when it ends.',
  503,
)

// Packaging: an optional peer dependency (msw, ioredis) that a feature needs is not installed.
export const MissingPeerDependencyError = createError<
  [feature: string, name: string, install: string, cause?: { cause: unknown }]
>(
  'BLUUM_MISSING_PEER_DEPENDENCY',
  '%s needs the optional peer dependency "%s", which is not installed. Install it in your app: %s',
  500,
)

// Postgres inbox (`fastify-bluum-webhooks/postgres`), at creation and start-up.
export const InboxInvalidOptionError = createError<[string, string]>(
  'BLUUM_INBOX_INVALID_OPTION',
  'Invalid Postgres inbox option "%s": %s',
  500,
  TypeError,
)
export const InboxSchemaTooNewError = createError<[string, number, number, number]>(
  'BLUUM_INBOX_SCHEMA_TOO_NEW',
  'The inbox schema "%s" is at version %d, and its version %d is a breaking change for this release of fastify-bluum-webhooks, which knows versions up to %d. A newer release migrated this database: deploy that release here too, or point this app at another schema. (A newer schema whose versions are all non-breaking is accepted.)',
  500,
)
export const InboxHandlerIdError = createError<[string]>(
  'BLUUM_INBOX_HANDLER_ID',
  'Queue mode needs a stable, unique id on every handler: %s. Pass it as the third argument, e.g. app.bluum.on("order.filled", handler, { id: "notify-investor" }); a stored task finds its handler by this id after a deploy.',
  500,
)
export const InboxTransactionAbortedError = createError(
  'BLUUM_INBOX_TRANSACTION_ABORTED',
  'The handler transaction was aborted by a failed statement whose error a handler caught and ignored; nothing was committed. Let query errors propagate, or use a SAVEPOINT around a statement that may fail.',
  500,
)
export const InboxTransactionClosedError = createError(
  'BLUUM_INBOX_TRANSACTION_CLOSED',
  'context.tx was used after its handler run ended (committed, rolled back or timed out): a query that was not awaited, or a handler that kept tx for later. Await every tx.query inside the handler.',
  500,
)
export const InboxTaskTimeoutError = createError<[string, string, number]>(
  'BLUUM_INBOX_TASK_TIMEOUT',
  'Task %s (handler "%s") still running after %d ms (taskTimeoutMs): its transaction was rolled back and its row lock released, and the attempt counts as failed. The handler is likely waiting on something that never answers (a call without a timeout, a lock): give its calls their own timeouts, or raise taskTimeoutMs.',
  500,
)
export const InboxTaskAbandonedError = createError<[string, string, number]>(
  'BLUUM_INBOX_TASK_ABANDONED',
  'Task %s (handler "%s") was taken %d times and its worker never finished it: the process died or lost its database connection mid-task every time (a handler that crashes the process, runs out of memory, or is killed). It is dead, so it cannot crash workers forever; fix the cause, then retry it.',
  500,
)
export const WorkerHandlersModuleError = createError<[string, string]>(
  'BLUUM_WORKER_HANDLERS_MODULE',
  'bluum-worker could not use the handlers module %s: %s. Expected an ES module whose default export (or `registerHandlers` export) is a function (bluum) => void that registers every queue handler with its id, the same function the app calls with app.bluum.',
  500,
)
