/**
 * The answers of a delivery and the log line of each, in one place: the store pipeline
 * (delivery.ts), the route (index.ts) and the inboxes (postgres/inbox.ts) all answer through
 * these functions, so a 409 or a 503 reads and logs the same whichever path gave it, and the
 * answer table of the README has one source.
 *
 * Every function logs its line on the delivery's logger and returns the answer; none throws.
 * The successes are frozen constants (nothing is allocated per delivery), and `answerStatus()` /
 * `answerBody()` turn any answer into HTTP without knowing which path made it. Messages never
 * quote a secret or a signature (errors.ts). Pure of Fastify.
 *
 * @example
 * if (inserted === 0) return duplicate(log, { deliveryId, event: event.event })
 * return queued(log, { deliveryId, event: event.event }, handlerIds.length)
 */
import { STATUS_CODES } from 'node:http'
import {
  AckTimeoutError,
  DeliveryInFlightError,
  HandlerFailedError,
  InboxDatabaseFailedError,
  StoreUnavailableError,
} from './errors.js'
import type { CodedError, DeliveryAnswer, HandlerLogger } from './types.js'

/** What the log lines of an accepted (verified and parsed) delivery carry. */
export interface DeliveryFields {
  /** The dedupe key. */
  readonly deliveryId: string
  /** The event name. */
  readonly event: string
  /** Which configured secret matched (rotation), when the verifier says so; never the secret. */
  readonly secretIndex?: number | undefined
}

const PROCESSED: DeliveryAnswer = Object.freeze({ ok: true, outcome: 'processed' })
const QUEUED: DeliveryAnswer = Object.freeze({ ok: true, outcome: 'queued' })
const DUPLICATE: DeliveryAnswer = Object.freeze({ ok: true, outcome: 'duplicate' })

/** 200: every handler succeeded. */
export function processed(log: HandlerLogger, fields: DeliveryFields): DeliveryAnswer {
  log.info(fields, 'bluum event processed')
  return PROCESSED
}

/** 200: the event and its tasks are stored; workers run the handlers after the answer. */
export function queued(log: HandlerLogger, fields: DeliveryFields, tasks: number): DeliveryAnswer {
  // Field by field, not `{ ...fields, tasks }`: on Node 20 a property after a spread is slow.
  const line = {
    deliveryId: fields.deliveryId,
    event: fields.event,
    secretIndex: fields.secretIndex,
    tasks,
  }
  log.info(line, 'bluum event queued in the inbox')
  return QUEUED
}

/** 200 `duplicate: true`: already processed (or queued); no handler ran. */
export function duplicate(log: HandlerLogger, fields: DeliveryFields): DeliveryAnswer {
  log.info(fields, 'bluum duplicate delivery acknowledged')
  return DUPLICATE
}

/**
 * 4xx: refused before any handler (content headers, body size, signature, JSON, envelope). The
 * warning carries the diagnosis, because the code alone does not say which header or byte was
 * wrong.
 */
export function rejected(log: HandlerLogger, error: CodedError): DeliveryAnswer {
  log.warn(
    { code: error.code, statusCode: error.statusCode },
    `bluum delivery rejected: ${error.message}`,
  )
  return { ok: false, error }
}

/** 409: another delivery of the same event holds it right now; Bluum retries later. */
export function inFlight(log: HandlerLogger, fields: DeliveryFields): DeliveryAnswer {
  log.info(fields, 'bluum delivery of an event being processed right now: 409, retried later')
  return { ok: false, error: new DeliveryInFlightError(fields.deliveryId) }
}

/**
 * 503: the dedupe store (or the inbox's database, `store: 'inbox database'`) could not be
 * reached; no handler ran. The original error is logged, and only its code goes in the answer.
 */
export function storeUnavailable(
  log: HandlerLogger,
  deliveryId: string,
  err: unknown,
  store = 'dedupe store',
): DeliveryAnswer {
  log.error({ err, deliveryId }, `bluum ${store} unreachable`)
  const code = (err as { code?: unknown } | null | undefined)?.code
  return { ok: false, error: new StoreUnavailableError(typeof code === 'string' ? code : 'error') }
}

/**
 * 503 with `Retry-After` (when `retryAfterSeconds` > 0): the Postgres inbox's database failed
 * (unreachable, a connection lost, a serialization failure, a cancelled statement), whether or
 * not a handler ran; nothing of the delivery committed. Logged at warn: the database's failure,
 * not a handler's bug (the inbox tells its `onStoreError` too, never `onError`).
 */
export function inboxDatabaseFailed(
  log: HandlerLogger,
  fields: DeliveryFields,
  err: unknown,
  retryAfterSeconds: number,
): DeliveryAnswer {
  log.warn({ err, ...fields }, 'bluum inbox database failed: 503, retried')
  const code = (err as { code?: unknown } | null | undefined)?.code
  const error = new InboxDatabaseFailedError(typeof code === 'string' ? code : 'error')
  return retryAfterSeconds > 0 ? { ok: false, error, retryAfterSeconds } : { ok: false, error }
}

/**
 * Logs the failure of a delivery's handlers, with the first error and their count. Logged when
 * the failure is known, before the `onError` observers run, so it is in the log even if one of
 * them hangs; `consequence` says what became of the work (`its transaction was rolled back`).
 */
export function logHandlersFailed(
  log: HandlerLogger,
  fields: DeliveryFields,
  errors: readonly unknown[],
  consequence?: string,
): void {
  log.error(
    { err: errors[0], failures: errors.length, deliveryId: fields.deliveryId, event: fields.event },
    consequence === undefined ? 'bluum handler failed' : `bluum handler failed; ${consequence}`,
  )
}

/** 500: handlers failed (logged by {@link logHandlersFailed}); the retry runs them again. */
export function handlersFailed(deliveryId: string, failures: number): DeliveryAnswer {
  return { ok: false, error: new HandlerFailedError(deliveryId, failures) }
}

/**
 * 503: handlers still running at the acknowledgement deadline. Logged at info: nothing failed,
 * the work goes on and is recorded when it ends, and the retry meets its claim (409) or its
 * completion (duplicate).
 */
export function ackTimedOut(
  log: HandlerLogger,
  fields: DeliveryFields,
  ackTimeoutMs: number,
): DeliveryAnswer {
  log.info(
    { ...fields, ackTimeoutMs },
    'bluum handlers still running at the acknowledgement deadline: 503, the work goes on',
  )
  return { ok: false, error: new AckTimeoutError(fields.deliveryId, ackTimeoutMs) }
}

/** The HTTP status of an answer. */
export function answerStatus(answer: DeliveryAnswer): number {
  return answer.ok ? 200 : (answer.error.statusCode ?? 500)
}

// The success bodies are constant: sent pre-serialised, no JSON.stringify per delivery.
const RECEIVED_BODY = JSON.stringify({ received: true })
const DUPLICATE_BODY = JSON.stringify({ received: true, duplicate: true })

/**
 * The JSON body of an answer: `{"received":true}` (with `"duplicate":true` for a repeat), or
 * Fastify's error shape `{ statusCode, code, error, message }`.
 */
export function answerBody(answer: DeliveryAnswer): string {
  if (answer.ok) return answer.outcome === 'duplicate' ? DUPLICATE_BODY : RECEIVED_BODY
  const { code, message } = answer.error
  const statusCode = answerStatus(answer)
  return JSON.stringify({ statusCode, code, error: STATUS_CODES[statusCode], message })
}
