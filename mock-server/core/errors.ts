/**
 * Every error the sandbox raises, each built once with `@fastify/error` and a stable code.
 *
 * Two families live here. `BLUM-{status}-{seq}` errors are the answers of the emulated Bluum API,
 * numbered as Bluum's published catalog numbers them
 * (https://docs.bluumfinance.com/resources/error-codes): the dispatcher turns them into Bluum's
 * envelope `{ error: { type, code, message, param? } }`, and the core services throw the same
 * errors when called directly, so a test driving `sandbox.transfers.complete('dep_nope')` sees
 * what an HTTP client would see. `BLUUM_SANDBOX_*` errors are programming errors of the caller
 * (bad options, bad durations).
 */
// The named import, not the default one: with the default import the emitted .d.ts names the
// constructor type `createError.FastifyErrorConstructor`, a namespace that consumers on
// `moduleResolution: bundler` cannot see (test/package-consumer.test.ts).
import { createError } from '@fastify/error'

// --- The emulated API's answers, in the catalog's order ---------------------------------------

// 400: validation failures and malformed requests.
export const ValidationError = createError<'BLUM-400-001', 400, [string]>('BLUM-400-001', '%s', 400)
export const MalformedBodyError = createError<'BLUM-400-001', 400, [string]>(
  'BLUM-400-001',
  'The request body could not be parsed: %s. Send a JSON object with content-type application/json (multipart/form-data for documents).',
  400,
)
export const UnknownParamError = createError<'BLUM-400-001', 400, [string, string]>(
  'BLUM-400-001',
  "Unknown parameter '%s'.%s",
  400,
)
export const MissingFieldError = createError<'BLUM-400-002', 400, [string]>(
  'BLUM-400-002',
  "Missing required field '%s'.",
  400,
)
export const IdempotencyKeyRequiredError = createError<'BLUM-400-002', 400, [string]>(
  'BLUM-400-002',
  "An 'Idempotency-Key' header is required on %s, so a retried request cannot move money twice.",
  400,
)
export const InvalidFormatError = createError<'BLUM-400-003', 400, [string, string]>(
  'BLUM-400-003',
  "Invalid format for '%s': %s.",
  400,
)
export const InvalidEnumError = createError<'BLUM-400-004', 400, [string, string]>(
  'BLUM-400-004',
  "Invalid value for '%s': %s.",
  400,
)
export const InvalidAmountError = createError<'BLUM-400-005', 400, [string, string]>(
  'BLUM-400-005',
  'Invalid amount for \'%s\': %s. Amounts are positive decimal strings with at most 2 decimals, such as "100.00".',
  400,
)
export const InvalidQuantityError = createError<'BLUM-400-006', 400, [string, string]>(
  'BLUM-400-006',
  'Invalid quantity for \'%s\': %s. Quantities are positive decimal strings, such as "10" or "0.5".',
  400,
)
export const InvalidDateRangeError = createError<'BLUM-400-007', 400, [string, string]>(
  'BLUM-400-007',
  "Invalid date range: date_from '%s' is after date_to '%s'. The start date must be on or before the end date.",
  400,
)
export const BodyTooLargeError = createError<'BLUM-400-008', 400, [number, number]>(
  'BLUM-400-008',
  'The request body is %d bytes; the limit is %d bytes (file uploads: 10 MB). Send a smaller payload.',
  400,
)

// 401: authentication failures.
export const MissingCredentialsError = createError<'BLUM-401-001', 401>(
  'BLUM-401-001',
  "No Authorization header was sent. Use HTTP Basic auth: 'Authorization: Basic base64(API_KEY:API_SECRET)'.",
  401,
)
export const MalformedCredentialsError = createError<'BLUM-401-002', 401, [string]>(
  'BLUM-401-002',
  "The Authorization header is malformed (%s). Expected 'Basic ' followed by base64(API_KEY:API_SECRET).",
  401,
)
export const InvalidCredentialsError = createError<'BLUM-401-003', 401>(
  'BLUM-401-003',
  'The API key or secret is not valid for this sandbox. Check that the key and secret belong together and carry no whitespace.',
  401,
)

// 403: authorization and permission errors.
export const TenantKeyRequiredError = createError<'BLUM-403-001', 403, [string]>(
  'BLUM-403-001',
  '%s requires a tenant-wide API key; investor-scoped keys are not permitted.',
  403,
)
export const OtherInvestorError = createError<'BLUM-403-001', 403, [string]>(
  'BLUM-403-001',
  "This investor-scoped key may not access investor '%s'.",
  403,
)
export const AccountNotApprovedError = createError<'BLUM-403-002', 403, [string, string]>(
  'BLUM-403-002',
  "Investor '%s' is not approved (status '%s'): complete KYC verification (upload an identity document, or submit its identity check) before trading.",
  403,
)

// 404: the resource, route or asset does not exist.
export const NotFoundError = createError<'BLUM-404-001', 404, [string, string]>(
  'BLUM-404-001',
  "No such %s: '%s'.",
  404,
)
export const AssetNotFoundError = createError<'BLUM-404-003', 404, [string]>(
  'BLUM-404-003',
  "No such asset: '%s'. The sandbox knows the symbols of its price table; add one with POST /v1/sandbox/prices/{symbol} or the createSandbox({ prices }) option.",
  404,
)

// 409: duplicates and state conflicts.
export const DuplicateResourceError = createError<'BLUM-409-001', 409, [string]>(
  'BLUM-409-001',
  '%s',
  409,
)
export const IdempotencyConflictError = createError<'BLUM-409-002', 409, [string]>(
  'BLUM-409-002',
  "Idempotency-Key '%s' was already used with a different request. Use a new key for a new request.",
  409,
)
export const StateConflictError = createError<'BLUM-409-003', 409, [string]>(
  'BLUM-409-003',
  '%s',
  409,
)

// 422: business rule violations.
export const InsufficientFundsError = createError<'BLUM-422-001', 422, [string, string]>(
  'BLUM-422-001',
  'Insufficient funds: %s requested, %s available.',
  422,
)
export const MarketClosedError = createError<'BLUM-422-002', 422, [string]>(
  'BLUM-422-002',
  "The market is closed for '%s' orders: place the order during market hours or use time_in_force 'gtc'.",
  422,
)
export const AssetNotTradableError = createError<'BLUM-422-003', 422, [string]>(
  'BLUM-422-003',
  "Asset '%s' is not tradable in the sandbox.",
  422,
)
export const InsufficientPositionError = createError<'BLUM-422-004', 422, [string, string, string]>(
  'BLUM-422-004',
  "Position insufficient: selling %s of '%s', %s available (held minus open sell orders).",
  422,
)
export const WithdrawalLimitError = createError<'BLUM-422-005', 422, [string, string]>(
  'BLUM-422-005',
  'Withdrawal limit exceeded: %s requested, %s withdrawable (cash minus what open buy orders hold).',
  422,
)

// 429 and 500.
export const RateLimitedError = createError<'BLUM-429-001', 429, [number]>(
  'BLUM-429-001',
  'Too many requests: the sandbox allows %d requests per second per API key. Retry after the delay in Retry-After.',
  429,
)
export const InternalError = createError<'BLUM-500-001', 500>(
  'BLUM-500-001',
  'The sandbox failed while handling this request.',
  500,
)
// Added for bad input that reaches no route or no schema (issue 10): codes from Bluum's catalog.
export const InvalidRequestError = createError<'BLUM-400-001', 400, [string]>(
  'BLUM-400-001',
  'The request is not valid: %s.',
  400,
)
export const RequestTooLargeError = createError<'BLUM-400-008', 400, [number]>(
  'BLUM-400-008',
  'The request body is larger than the %d-byte limit (file uploads: max 10 MB). Send a smaller body; large files are not needed in the sandbox.',
  400,
)
export const EndpointNotFoundError = createError<'BLUM-404-002', 404, [string, string]>(
  'BLUM-404-002',
  'No endpoint %s.%s Check the method and path against the API reference (GET /openapi.json).',
  404,
)
export const DecimalRangeError = createError<'BLUM-400-001', 400, [string]>(
  'BLUM-400-001',
  'A number is out of the range the sandbox handles: %s. Amounts, prices and quantities are decimal strings of at most 15 digits before the point and 9 after.',
  400,
)

// --- Programming errors of the sandbox's caller ---------------------------------------------

export const SandboxInvalidOptionError = createError<
  'BLUUM_SANDBOX_INVALID_OPTION',
  500,
  [string, string]
>('BLUUM_SANDBOX_INVALID_OPTION', "Invalid sandbox option '%s': %s.", 500)
export const SandboxInvalidDurationError = createError<
  'BLUUM_SANDBOX_INVALID_DURATION',
  400,
  [string]
>(
  'BLUUM_SANDBOX_INVALID_DURATION',
  "Invalid duration %s: expected milliseconds as a number, or a string like '500ms', '30s', '5m', '2h', '1d' or '1h30m'.",
  400,
)
export const SandboxClosedError = createError<'BLUUM_SANDBOX_CLOSED', 500>(
  'BLUUM_SANDBOX_CLOSED',
  'The sandbox was closed; create a new one with createSandbox().',
  500,
)
export const SandboxDeliveryTimeoutError = createError<
  'BLUUM_SANDBOX_DELIVERY_TIMEOUT',
  504,
  [number]
>('BLUUM_SANDBOX_DELIVERY_TIMEOUT', 'The receiver did not answer within %d ms.', 504)
export const SandboxBadUrlError = createError<'BLUUM_SANDBOX_BAD_URL', 500, [string]>(
  'BLUUM_SANDBOX_BAD_URL',
  "Cannot deliver to '%s': only http: and https: URLs are supported.",
  500,
)

// --- The CLI's subcommands, talking to a running sandbox ------------------------------------

export const SandboxCliApiError = createError<
  'BLUUM_SANDBOX_CLI_API_ERROR',
  500,
  [string, number, string, string]
>('BLUUM_SANDBOX_CLI_API_ERROR', '%s answered %d %s: %s', 500)
export const SandboxCliUnreachableError = createError<
  'BLUUM_SANDBOX_CLI_UNREACHABLE',
  500,
  [string, string]
>(
  'BLUUM_SANDBOX_CLI_UNREACHABLE',
  'Cannot reach the sandbox at %s (%s). Is `bluum-sandbox` running there? Start it, or point --url (or $BLUUM_SANDBOX_URL) at it.',
  500,
)
export const SandboxCliStreamEndedError = createError<
  'BLUUM_SANDBOX_CLI_STREAM_ENDED',
  500,
  [string]
>(
  'BLUUM_SANDBOX_CLI_STREAM_ENDED',
  'The sandbox at %s closed the live stream (it stopped or restarted).',
  500,
)

export const SandboxEnvFileError = createError<
  'BLUUM_SANDBOX_ENV_FILE',
  500,
  [string, string, string]
>(
  'BLUUM_SANDBOX_ENV_FILE',
  "The env file '%s' could not be %s (%s). --write-env keeps the webhook secret there: check the path and its permissions, or drop --write-env and use the export line the banner prints.",
  500,
)

export const SandboxListenUrlTakenError = createError<
  'BLUUM_SANDBOX_LISTEN_URL_TAKEN',
  500,
  [string, string, string, string]
>(
  'BLUUM_SANDBOX_LISTEN_URL_TAKEN',
  'Webhook %s (%s) already delivers to %s: a second one would deliver every event twice, signed with another secret, so one of the two copies would fail verification. Keep that webhook and follow its attempts with `bluum-sandbox logs --webhook %s`, or delete it first (DELETE /v1/webhooks/{id}).',
  500,
)

// --- The clock and the state file ---------------------------------------------------------

export const SandboxClockRunawayError = createError<'BLUUM_SANDBOX_CLOCK_RUNAWAY', 500, [number]>(
  'BLUUM_SANDBOX_CLOCK_RUNAWAY',
  'The clock ran %d timers in one move and more kept falling due: some timer re-arms itself without delay. The clock stopped at the last timer it ran.',
  500,
)
export const SandboxStateFileCorruptError = createError<
  'BLUUM_SANDBOX_STATE_FILE_CORRUPT',
  500,
  [string, string]
>(
  'BLUUM_SANDBOX_STATE_FILE_CORRUPT',
  "The state file '%s' is corrupt or truncated (%s). It was left untouched: move it away (or fix it) and start again; a missing file starts a fresh sandbox.",
  500,
)
export const SandboxStateFileForeignError = createError<
  'BLUUM_SANDBOX_STATE_FILE_FOREIGN',
  500,
  [string, string]
>(
  'BLUUM_SANDBOX_STATE_FILE_FOREIGN',
  "The file '%s' is not a bluum-sandbox state file (%s). It was left untouched: point --state at another path, or at a missing file to start fresh.",
  500,
)
export const SandboxStateFileVersionError = createError<
  'BLUUM_SANDBOX_STATE_FILE_VERSION',
  500,
  [string, number, number]
>(
  'BLUUM_SANDBOX_STATE_FILE_VERSION',
  "The state file '%s' has format version %d, newer than the %d this sandbox reads: it was written by a newer bluum-sandbox. It was left untouched: upgrade, or use another file.",
  500,
)
export const SandboxStateFileUnreadableError = createError<
  'BLUUM_SANDBOX_STATE_FILE_UNREADABLE',
  500,
  [string, string]
>(
  'BLUUM_SANDBOX_STATE_FILE_UNREADABLE',
  "The state file '%s' cannot be read: %s. Check the path and its permissions.",
  500,
)
export const SandboxStateFileWriteError = createError<
  'BLUUM_SANDBOX_STATE_FILE_WRITE',
  500,
  [string, string]
>(
  'BLUUM_SANDBOX_STATE_FILE_WRITE',
  "The sandbox state could not be saved to '%s': %s. The previous file, if any, is intact.",
  500,
)

/** The shape every emulated API error has once thrown: a Bluum code, a status, maybe a param. */
export interface BluumApiError extends Error {
  code: string
  statusCode: number
  param?: string
  retryAfterSeconds?: number
}

/** Attaches the offending parameter to an API error, as Bluum's envelope names it in `param`. */
export function withParam<E extends Error>(error: E, param: string): E & { param: string } {
  return Object.assign(error, { param })
}

/** Tells whether an error is one of the emulated API's `BLUM-*` answers. */
export function isBluumApiError(error: unknown): error is BluumApiError {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' && /^BLUM-\d{3}-\d{3}$/.test(code)
}

/** Bluum's `error.type`, from the HTTP status (and the code, for idempotency conflicts). */
export function errorTypeFor(status: number, code = ''): string {
  if (code === 'BLUM-409-002') return 'idempotency_error'
  switch (status) {
    case 401:
      return 'authentication_error'
    case 403:
      return 'permission_error'
    case 404:
      return 'not_found_error'
    case 409:
      return 'conflict_error'
    case 422:
      return 'unprocessable_entity_error'
    case 429:
      return 'rate_limit_error'
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error'
  }
}

// --- The contract-testing harness -------------------------------------------------------------

export const HarnessInvalidOptionError = createError<
  'BLUUM_HARNESS_INVALID_OPTION',
  500,
  [string, string]
>('BLUUM_HARNESS_INVALID_OPTION', 'Invalid harness option "%s": %s', 500, TypeError)
export const HarnessNotAcknowledgedError = createError<
  'BLUUM_HARNESS_NOT_ACKNOWLEDGED',
  500,
  [string, string]
>(
  'BLUUM_HARNESS_NOT_ACKNOWLEDGED',
  'No delivery of %s was acknowledged by the app, and nothing is left to retry. Attempts: %s',
  500,
)
export const HarnessNotProcessedError = createError<
  'BLUUM_HARNESS_NOT_PROCESSED',
  500,
  [string, string]
>(
  'BLUUM_HARNESS_NOT_PROCESSED',
  'The app acknowledged %s, but its inbox did not process it: %s. A dead task is a handler that failed maxAttempts times (see its error); tasks still pending mean no worker runs them (concurrency 0 and no worker started?) or they retry with backoff for longer than the wait.',
  500,
)
export const HarnessUnsettledError = createError<'BLUUM_HARNESS_UNSETTLED', 500, [number, string]>(
  'BLUUM_HARNESS_UNSETTLED',
  '%d delivery(ies) not acknowledged by the app: %s',
  500,
)
export const HarnessInjectedFailureError = createError<
  'BLUUM_HARNESS_INJECTED_FAILURE',
  500,
  [string, number, number]
>(
  'BLUUM_HARNESS_INJECTED_FAILURE',
  'Injected handler failure for %s (%d of %d), from harness.failHandler()',
  500,
)
