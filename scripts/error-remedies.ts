/**
 * What each error code means for the person who meets it, and what to do about it: the prose half
 * of `docs/errors.md` (the codes, statuses and messages come from the source, `error-codes.ts`).
 * A code without an entry here, or an entry for a code the source no longer has, fails
 * `test/errors-doc.test.ts`.
 */

export interface ErrorRemedy {
  /** When it happens, in a few words. */
  when: string
  /** What to do. */
  fix: string
}

export const errorRemedies: Record<string, ErrorRemedy> = {
  // --- The plugin ---------------------------------------------------------------------------
  BLUUM_INVALID_OPTION: {
    when: '`register` (start-up): an option has the wrong type or range',
    fix: 'Fix the option the message names; it says what was expected. A `secret` read from `process.env` that is undefined usually means the variable is not set where the app runs.',
  },
  BLUUM_INVALID_SECRET: {
    when: '`register` (start-up): a secret is not `whsec_` + base64 of 24–64 bytes',
    fix: 'Pass the secret exactly as Bluum (or `bluum-sandbox`) returned it when the webhook was created, `whsec_` included, with no quotes or whitespace around it.',
  },
  BLUUM_INVALID_EVENT_PATTERN: {
    when: '`app.bluum.on(pattern, …)`: `*`, a malformed pattern, or one matching no event',
    fix: 'Use an event name (`order.filled`) or a domain wildcard (`order.*`, `transfer.*`); for every event, use `onAny`. The message names the nearest valid pattern when there is one.',
  },
  BLUUM_MISSING_SIGNATURE_HEADERS: {
    when: 'a delivery: `webhook-id`, `webhook-timestamp` or `webhook-signature` missing or empty',
    fix: 'Bluum sends all three on every delivery: a proxy or load balancer between Bluum and the app is stripping headers, or the request did not come from Bluum.',
  },
  BLUUM_INVALID_SIGNATURE_HEADER: {
    when: 'a delivery: a malformed signature header, or one sent twice',
    fix: 'Not a Bluum delivery as sent, or one a proxy rewrote: the message says which header and how. Bluum retries; nothing ran.',
  },
  BLUUM_SIGNATURE_MISMATCH: {
    when: 'a delivery: no `v1,` signature matches the body with any configured secret',
    fix: "Check the app's secret against the webhook's (the sandbox banner prints it; `bluum-sandbox --write-env` keeps it in `.env`). Otherwise a proxy or a body parser changed the raw bytes before the plugin read them. During a rotation, pass both secrets as a list.",
  },
  BLUUM_TIMESTAMP_STALE: {
    when: 'a delivery: `webhook-timestamp` older than `toleranceSeconds`',
    fix: "A replayed request, or this server's clock is behind: sync it (NTP). Raise `toleranceSeconds` only if deliveries are legitimately held up on the way.",
  },
  BLUUM_TIMESTAMP_FUTURE: {
    when: 'a delivery: `webhook-timestamp` further ahead than `toleranceSeconds`',
    fix: "This server's clock is behind Bluum's: sync it (NTP).",
  },
  BLUUM_UNSUPPORTED_MEDIA_TYPE: {
    when: 'a delivery: the content type is not `application/json`',
    fix: 'Bluum sends `application/json`: something else sent this request, or a proxy relabelled it. The body was not read.',
  },
  BLUUM_UNSUPPORTED_CONTENT_ENCODING: {
    when: 'a delivery: a `Content-Encoding` other than identity',
    fix: 'Bluum does not compress deliveries: turn off request compression on the proxy in front of the app, since a recompressed body cannot be verified.',
  },
  BLUUM_BODY_TOO_LARGE: {
    when: 'a delivery: the body is over `bodyLimit`',
    fix: 'Raise `bodyLimit` if real Bluum events are that large; otherwise the request did not come from Bluum.',
  },
  BLUUM_INVALID_JSON: {
    when: 'a delivery: the signed bytes are not UTF-8 JSON, or hold a prototype-polluting key',
    fix: 'The signature matched, so the sender holds the secret: rotate it if that sender is not Bluum.',
  },
  BLUUM_INVALID_ENVELOPE: {
    when: "a delivery: the envelope, or a known event's `data`, fails its schema",
    fix: 'The message names the field. If Bluum changed a field the catalog requires, report it; handlers only run on valid events.',
  },
  BLUUM_DELIVERY_IN_FLIGHT: {
    when: 'a delivery: the same event is being processed by another delivery',
    fix: 'Nothing: Bluum retries, and the retry finds the first delivery done. Frequent ones mean handlers slower than Bluum retries, or two apps sharing a store.',
  },
  BLUUM_STORE_UNAVAILABLE: {
    when: "a delivery: the dedupe store did not answer (no handler ran), or the Postgres inbox's database failed under it (rolled back)",
    fix: "Bring the store back (the log's `cause` says why: Redis down, unreachable, out of memory; for the inbox, the SQLSTATE in the message: a lost connection, a deadlock, a statement timeout). Bluum retries the delivery, after the inbox's `Retry-After`; `onStoreError` hears of every inbox database failure.",
  },
  BLUUM_HANDLER_FAILED: {
    when: 'a delivery: a handler threw; the claim was released',
    fix: "Read the handlers' errors in the log (`onError` gets them all). Bluum retries and every matching handler runs again, so keep handlers idempotent.",
  },
  BLUUM_ACK_TIMEOUT: {
    when: 'a delivery: handlers still running at `ackTimeoutMs`',
    fix: 'The work goes on and is recorded; the retry is answered as a duplicate. Move slow work to a queue (the Postgres inbox in queue mode) or raise `ackTimeoutMs` (below Bluum’s 30 s).',
  },
  BLUUM_MISSING_PEER_DEPENDENCY: {
    when: 'import or start-up: an entry point needs an optional peer that is not installed',
    fix: 'Run the install command the message gives (`msw`, `ioredis`, `pg`, `@electric-sql/pglite`, `@opentelemetry/api`).',
  },

  // --- The Postgres inbox and bluum-worker ----------------------------------------------------
  BLUUM_INBOX_INVALID_OPTION: {
    when: '`createPostgresInbox` (start-up): an option has the wrong type or range',
    fix: 'Fix the option the message names (docs/postgres.md lists them with their defaults).',
  },
  BLUUM_INBOX_SCHEMA_TOO_NEW: {
    when: 'start-up: a newer release applied a breaking migration to the inbox schema',
    fix: 'Deploy the newer release here too, or point this app at another schema; the tables are left as they are. (A newer schema whose versions are all non-breaking is accepted.)',
  },
  BLUUM_INBOX_HANDLER_ID: {
    when: 'start-up, queue mode: a handler without a stable `id`, or an id used twice',
    fix: 'Give every handler a unique, stable id: `app.bluum.on(name, handler, { id: "notify-investor" })`. Stored tasks find their handler by it after a deploy.',
  },
  BLUUM_INBOX_TRANSACTION_ABORTED: {
    when: "a handler's transaction: a failed statement whose error the handler swallowed",
    fix: 'Let query errors propagate, or wrap a statement that may fail in a SAVEPOINT. Nothing was committed; the task is retried.',
  },
  BLUUM_INBOX_TRANSACTION_CLOSED: {
    when: "a handler's `tx.query` after its run ended (committed, rolled back or timed out)",
    fix: 'Await every `tx.query` inside the handler; a query left running after the handler returned is refused, never run on a connection given back to the pool.',
  },
  BLUUM_INBOX_TASK_TIMEOUT: {
    when: 'queue mode: a task ran longer than `taskTimeoutMs`',
    fix: "Give the handler's outgoing calls their own timeouts, or raise `taskTimeoutMs`. The attempt counts as failed and is retried with backoff.",
  },
  BLUUM_INBOX_TASK_ABANDONED: {
    when: 'queue mode: a task was taken repeatedly and its worker never finished (process crash)',
    fix: 'Find what kills the worker process (a crash, out of memory, a kill), fix it, then retry the dead task from the inbox.',
  },
  BLUUM_WORKER_HANDLERS_MODULE: {
    when: '`bluum-worker --handlers <module>`: the module cannot be imported, has no register function, or its `inboxOptions` cannot apply to a worker',
    fix: 'Point `--handlers` at an ES module whose default (or `registerHandlers`) export registers the handlers. A `.ts` module needs a loader: `node --import tsx node_modules/.bin/bluum-worker …`, or point it at the compiled `.js`.',
  },

  // --- The Redis store ------------------------------------------------------------------------
  BLUUM_REDIS_INVALID_OPTION: {
    when: '`createRedisStore` (start-up): bad options',
    fix: 'Pass exactly one of `url` (`redis://…`) and `client` (an ioredis instance). An undefined `url` usually means `REDIS_URL` is not set where the app runs.',
  },
  BLUUM_REDIS_INVALID_ARGUMENT: {
    when: 'a store call with an argument Redis would refuse',
    fix: 'A lease or TTL that is not a positive number reached the store: check `leaseMs` and `dedupeTtlMs`.',
  },
  BLUUM_REDIS_UNAVAILABLE: {
    when: 'a delivery: Redis did not answer within `commandTimeoutMs`',
    fix: 'Check that Redis is up and reachable from this host; the delivery was answered 503 (`BLUUM_STORE_UNAVAILABLE`) and Bluum retries.',
  },
  BLUUM_REDIS_REPLY_ERROR: {
    when: 'a delivery: Redis answered with an error (OOM, READONLY, NOPERM, WRONGTYPE)',
    fix: 'The message names the likely cause: memory policy, a replica, an ACL without EVAL/EVALSHA, or another app on the same keys (change `keyPrefix`).',
  },
  BLUUM_REDIS_UNEXPECTED_VALUE: {
    when: 'a delivery: a dedupe key holds a value this store never writes',
    fix: 'Another application writes under the same prefix: give this store its own `keyPrefix`.',
  },

  // --- The sandbox ----------------------------------------------------------------------------
  BLUUM_SANDBOX_INVALID_OPTION: {
    when: '`createSandbox` / `createSandboxServer`: a bad option',
    fix: 'Fix the option the message names.',
  },
  BLUUM_SANDBOX_INVALID_DURATION: {
    when: 'a clock call or `/v1/sandbox/clock/advance`: a duration it cannot read',
    fix: "Pass milliseconds, or a string like '30s', '5m', '2h', '1h30m' (at most 30d per advance).",
  },
  BLUUM_SANDBOX_CLOSED: {
    when: 'a call on a sandbox after `close()`',
    fix: 'Create a new sandbox (one per test, closed in its teardown).',
  },
  BLUUM_SANDBOX_DELIVERY_TIMEOUT: {
    when: "a delivery attempt: the receiver did not answer in time (an attempt's `connection_error`)",
    fix: "Make the app answer within Bluum's 30 s: acknowledge first and queue slow work. The attempt is retried on the ladder.",
  },
  BLUUM_SANDBOX_BAD_URL: {
    when: 'a delivery to a webhook URL that is not http(s)',
    fix: 'Register the webhook with an `http://` or `https://` URL.',
  },
  BLUUM_SANDBOX_HOST_NOT_ALLOWED: {
    when: 'the standalone server: a request for a `Host` it was not started for',
    fix: 'Use a loopback name (127.0.0.1, localhost) or the address it listens on; to reach it under another name on purpose (a container, a LAN name), start it with `--allowed-host <name>`.',
  },
  BLUUM_SANDBOX_STREAM_LIMIT: {
    when: 'the standalone server: more live event streams open than it allows',
    fix: 'Close another stream: an inspector tab (one per browser), a `bluum-sandbox logs` or `listen`; then retry.',
  },
  BLUUM_SANDBOX_CLOCK_RUNAWAY: {
    when: 'a clock move: timers kept falling due without end',
    fix: 'Some timer re-arms itself without delay (usually a test helper); the clock stopped at the last timer it ran.',
  },
  BLUUM_SANDBOX_STATE_FILE_CORRUPT: {
    when: '`--state` / `stateFile` at start-up: the file is corrupt or truncated',
    fix: 'Move it away (or fix it) and start again; it was not overwritten. A missing file starts fresh.',
  },
  BLUUM_SANDBOX_STATE_FILE_FOREIGN: {
    when: '`--state` / `stateFile` at start-up: the file is not a sandbox state file',
    fix: 'Point `--state` at another path (a missing one starts fresh); the file was left as it was.',
  },
  BLUUM_SANDBOX_STATE_FILE_VERSION: {
    when: '`--state` / `stateFile` at start-up: written by a newer bluum-sandbox',
    fix: 'Upgrade fastify-bluum-webhooks, or use another file.',
  },
  BLUUM_SANDBOX_STATE_FILE_UNREADABLE: {
    when: '`--state` / `stateFile` at start-up: the file cannot be read',
    fix: 'Check the path and its permissions.',
  },
  BLUUM_SANDBOX_STATE_FILE_WRITE: {
    when: 'saving the state file',
    fix: 'Check that the folder exists and is writable, and the disk has room; the previous file is intact.',
  },

  // --- The bluum-sandbox command line -----------------------------------------------------------
  BLUUM_SANDBOX_CLI_API_ERROR: {
    when: 'a subcommand: the running sandbox answered an error',
    fix: "The message names Bluum's code and message (see the `BLUM-` codes below).",
  },
  BLUUM_SANDBOX_CLI_UNREACHABLE: {
    when: 'a subcommand: nothing answers at `--url`',
    fix: 'Start `bluum-sandbox`, or point `--url` (or `$BLUUM_SANDBOX_URL`) at the one that runs.',
  },
  BLUUM_SANDBOX_CLI_STREAM_ENDED: {
    when: '`logs` / `listen`: the sandbox closed the live stream',
    fix: 'The sandbox stopped or restarted: run the command again once it is back.',
  },
  BLUUM_SANDBOX_ENV_FILE: {
    when: '`--write-env`: `.env` cannot be read or written',
    fix: 'Check the permissions of `.env` in the current folder, or drop `--write-env` and paste the export line the banner prints.',
  },
  BLUUM_SANDBOX_LISTEN_URL_TAKEN: {
    when: '`listen --forward-to <url>`: an active webhook already delivers to `<url>`',
    fix: 'Keep that webhook (the one `--forward-to` made) and follow it with `bluum-sandbox logs --webhook <id>`, or delete it first; two would deliver every event twice.',
  },

  // --- The inspector --------------------------------------------------------------------------
  BLUUM_INSPECTOR_CREDENTIALS_REQUIRED: {
    when: 'the inspector, opened from another machine or host name',
    fix: "Sign in with the sandbox's API key as the user name and its API secret as the password, or open it on this machine at 127.0.0.1.",
  },
  BLUUM_INSPECTOR_CROSS_SITE: {
    when: 'the inspector: a form post from another site',
    fix: "Use the inspector's own pages; a page on another site cannot drive the local sandbox.",
  },
  BLUUM_INSPECTOR_INVALID_JSON: {
    when: "the inspector's trigger form: the data is not JSON",
    fix: 'Enter a JSON object such as `{"symbol": "AAPL"}`, or nothing for the sample data.',
  },

  // --- The contract harness ---------------------------------------------------------------------
  BLUUM_HARNESS_INVALID_OPTION: {
    when: '`createContractHarness` or a harness call: a bad option',
    fix: 'Fix the option the message names; `app` is a function `(env) => app` that passes `env.webhookSecret` to the plugin.',
  },
  BLUUM_HARNESS_NOT_ACKNOWLEDGED: {
    when: '`waitForAcknowledged`: no delivery of the event was acknowledged, nothing left to retry',
    fix: "Read the attempts in the message: each names the app's answer and error code (a 401 `BLUUM_SIGNATURE_MISMATCH` means the app does not use `env.webhookSecret`).",
  },
  BLUUM_HARNESS_NOT_PROCESSED: {
    when: '`waitForProcessed`: acknowledged, but the inbox did not finish the tasks',
    fix: 'A dead task is a handler that failed `maxAttempts` times (its error is in the message); tasks still pending mean no worker runs them, or they back off longer than `timeoutMs`.',
  },
  BLUUM_HARNESS_UNSETTLED: {
    when: '`expectSettled`: deliveries not acknowledged (pending, failing, parked)',
    fix: 'Wait for them (`waitForAcknowledged`, `runLadder`) or find why the app refuses them: the message lists each.',
  },
  BLUUM_HARNESS_INJECTED_FAILURE: {
    when: 'a handler failure `harness.failHandler()` made on purpose',
    fix: 'Expected in that test: it proves the app survives a failed delivery and its retry.',
  },

  // --- The sandbox API's answers: Bluum's own codes ---------------------------------------------
  'BLUM-400-001': {
    when: 'a request the API cannot accept (a bad value, an unknown parameter, a malformed body)',
    fix: 'The message and `param` name the field; send what the API reference (`GET /openapi.json`) describes.',
  },
  'BLUM-400-002': {
    when: 'a required field or the `Idempotency-Key` header is missing',
    fix: 'Add the field `param` names; deposits and withdrawals need an `Idempotency-Key` header.',
  },
  'BLUM-400-003': {
    when: 'a value in the wrong format (dates, phones, countries)',
    fix: 'Send the format the message gives for `param`.',
  },
  'BLUM-400-004': {
    when: 'a value outside the allowed list',
    fix: 'Use one of the values the message lists.',
  },
  'BLUM-400-005': {
    when: 'an invalid amount',
    fix: 'Send a positive decimal string with at most 2 decimals, such as "100.00".',
  },
  'BLUM-400-006': {
    when: 'an invalid quantity',
    fix: 'Send a positive decimal string, such as "10" or "0.5".',
  },
  'BLUM-400-008': {
    when: 'a request body over the limit',
    fix: 'Send a smaller body (uploads: at most 10 MB).',
  },
  'BLUM-401-001': {
    when: 'no `Authorization` header',
    fix: 'Use HTTP Basic: `Authorization: Basic base64(API_KEY:API_SECRET)`.',
  },
  'BLUM-401-002': {
    when: 'a malformed `Authorization` header',
    fix: 'Send `Basic ` followed by base64 of `API_KEY:API_SECRET`.',
  },
  'BLUM-401-003': {
    when: 'an unknown API key or a wrong secret',
    fix: 'Use the key and secret the sandbox banner prints (default `bluum_sandbox_key` / `bluum_sandbox_secret`), with no whitespace.',
  },
  'BLUM-403-001': {
    when: 'an investor-scoped key on a tenant route or another investor',
    fix: 'Use a tenant-wide key for webhooks and other investors.',
  },
  'BLUM-403-002': {
    when: 'trading before KYC is approved',
    fix: "Complete the investor's KYC (upload an identity document) first.",
  },
  'BLUM-404-001': {
    when: 'no resource with that id',
    fix: 'Check the id `param` names; `POST /v1/sandbox/reset` forgets resources (webhooks stay).',
  },
  'BLUM-404-002': {
    when: 'no endpoint at that method and path',
    fix: 'Check the method and path against `GET /openapi.json`; the message names the methods the path has.',
  },
  'BLUM-404-003': {
    when: 'a symbol the sandbox does not know',
    fix: 'Use a symbol of its price table, or add one: `POST /v1/sandbox/prices/{symbol}`.',
  },
  'BLUM-409-001': {
    when: 'a duplicate resource (an e-mail already used)',
    fix: 'Use another value, or fetch the existing resource.',
  },
  'BLUM-409-002': {
    when: 'an `Idempotency-Key` reused with a different body',
    fix: 'Use a new key for a new request; the same key and body get the first answer again.',
  },
  'BLUM-409-003': {
    when: "a change the resource's state does not allow (cancelling a settled transfer)",
    fix: 'Read the resource first; the message says its state.',
  },
  'BLUM-422-001': {
    when: 'not enough buying power',
    fix: 'Deposit first, or place a smaller order.',
  },
  'BLUM-422-002': {
    when: 'the market is closed (sandbox setting `market_hours`)',
    fix: "Place the order during market hours, use `time_in_force: 'gtc'`, or turn `market_hours` off.",
  },
  'BLUM-422-003': {
    when: 'an asset that is not tradable',
    fix: 'Use another symbol.',
  },
  'BLUM-422-004': {
    when: 'selling more than the position',
    fix: 'Sell at most the held quantity minus open sell orders.',
  },
  'BLUM-422-005': {
    when: 'withdrawing more than the withdrawable cash',
    fix: 'Withdraw at most the cash minus what open buy orders hold.',
  },
  'BLUM-429-001': {
    when: 'more requests per second than `--rate-limit`',
    fix: 'Wait for `Retry-After`; `--rate-limit 0` turns the limit off locally.',
  },
  'BLUM-500-001': {
    when: 'the sandbox failed on a request',
    fix: 'A sandbox bug: report it with the request.',
  },
}
