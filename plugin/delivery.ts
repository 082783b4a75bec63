/**
 * One delivery, from received bytes to the answer: verify, parse, claim, run, record.
 * Pure of Fastify: the plugin's route is a thin adapter around `checkContentHeaders()` and
 * `process()`.
 *
 * Order matters, and is the order of the answer table:
 * 1. content headers (`checkContentHeaders`, before the body is read): a media type other than
 *    JSON, then a content coding, 415; nothing of the body is trusted, so none of it is read;
 * 2. the body limit while reading (413, in the route);
 * 3. the signature headers (400 malformed, 401 window or mismatch);
 * 4. UTF-8, JSON, envelope (400): nothing is parsed before the signature holds;
 * 5. the claim (409, 503), the handlers (500, 503): nothing runs before the claim holds, and
 *    nothing is marked processed before every handler succeeded.
 */
import { isUtf8 } from 'node:buffer'
import { createAckDeadlines } from './ack-deadline.js'
import {
  AckTimeoutError,
  DeliveryInFlightError,
  HandlerFailedError,
  InvalidJsonError,
  StoreUnavailableError,
  UnsupportedContentEncodingError,
  UnsupportedMediaTypeError,
} from './errors.js'
import { dedupeKey, parseEnvelope } from './envelope.js'
import { createLeaseRenewals, type HeldLease } from './lease-renewal.js'
import type { ResolvedOptions } from './options.js'
import type { BluumDeliveryContext, EventDispatcher, HandlerLogger } from './router.js'
import type { HeaderBag } from './signature.js'
import type { AnyBluumEvent } from './catalog.js'
import type { BluumDeliveryMessage } from './telemetry.js'

/** A logger with the levels the pipeline uses (a Fastify request logger fits). */
export interface DeliveryLogger extends HandlerLogger {
  debug(obj: object, msg?: string): void
}

export interface DeliveryInput {
  /** The exact received bytes; undefined when the request had no body. */
  readonly rawBody: Buffer | undefined
  readonly headers: HeaderBag
  readonly log: DeliveryLogger
  /** Set only when telemetry listens (telemetry.ts): the message the step timings go to. */
  readonly trace?: BluumDeliveryMessage
}

export type CodedError = Error & { code: string; statusCode?: number }

/** What the route answers. */
export type DeliveryAnswer =
  | { readonly ok: true; readonly body: { received: true; duplicate?: true } }
  | { readonly ok: false; readonly error: CodedError }

const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i
/** No content coding: the header absent, empty, or `identity` in any case. */
const IDENTITY = /^\s*(?:identity\s*)?$/i
/** Longest header value quoted back in an answer: enough to diagnose, not a mirror. */
const QUOTED_CHARS = 100

function quote(value: string | string[] | undefined): string {
  if (value === undefined) return 'none'
  const text = typeof value === 'string' ? value : value.join(', ')
  return JSON.stringify(text.length > QUOTED_CHARS ? text.slice(0, QUOTED_CHARS) + '…' : text)
}

/** The 415 of a content-type that is not JSON, whether or not it is a valid media type. */
export function unsupportedMediaType(headers: HeaderBag): CodedError {
  return new UnsupportedMediaTypeError(quote(headers['content-type']))
}

/**
 * The checks that need no body, run before it is read: the media type, then the content coding.
 * A `Content-Encoding` is refused rather than decoded: Bluum signs and sends plain JSON, so a
 * coding was applied on the way, and the signature covers the bytes as they were signed.
 */
export function checkContentHeaders(headers: HeaderBag): CodedError | undefined {
  const type = headers['content-type']
  if (typeof type !== 'string' || !JSON_MEDIA_TYPE.test(type)) return unsupportedMediaType(headers)
  const encoding = headers['content-encoding']
  if (encoding !== undefined && (typeof encoding !== 'string' || !IDENTITY.test(encoding))) {
    return new UnsupportedContentEncodingError(quote(encoding))
  }
  return undefined
}

const TIMED_OUT = Symbol('timed out')

export interface DeliveryProcessor {
  /** Verifies, parses and runs one delivery whose `checkContentHeaders()` passed. */
  process(input: DeliveryInput): Promise<DeliveryAnswer>
  /** Waits for work still running after its answer: handlers, completion retries (`onClose`). */
  drain(): Promise<void>
}

/** Monotonic ms: leases are measured locally, whatever the `now` option does to wall time. */
const monotonic = () => performance.now()

/** Wait before retry `attempt` of a completion or release: 50, 100, 200, 400, 800 ms, then 1 s. */
function retryDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** (attempt - 1), 1000)
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

type Outcome = 'complete' | 'release'

/** Wires the pipeline once, at `register`. */
export function createDeliveryProcessor(
  options: ResolvedOptions,
  router: EventDispatcher,
): DeliveryProcessor {
  const { verifier, store, leaseMs, dedupeTtlMs, ackTimeoutMs, now, inbox } = options
  const deadlines = createAckDeadlines(ackTimeoutMs)
  const renewals = createLeaseRenewals(store, leaseMs, monotonic)
  // Work still running (handlers, and completions being retried after the answer), counted
  // rather than kept: `drain()` only needs to know when it is zero.
  let running = 0
  let drained: { promise: Promise<void>; resolve: () => void } | undefined

  function finished(): void {
    if (--running === 0 && drained) {
      drained.resolve()
      drained = undefined
    }
  }

  function send(outcome: Outcome, lease: HeldLease): Promise<boolean> {
    return outcome === 'complete'
      ? store.complete(lease.key, lease.token, dedupeTtlMs)
      : store.release(lease.key, lease.token)
  }

  /**
   * Records the outcome. A store that refused is tried again in the background, so the answer
   * does not wait for it: the owner token makes a repeat safe, and until the lease ends the claim
   * still turns repeats away (409). `drain()` waits for these retries.
   */
  async function record(outcome: Outcome, lease: HeldLease, log: DeliveryLogger): Promise<void> {
    renewals.stop(lease) // no renewal may land after the completion or release
    try {
      noteRecorded(outcome, await send(outcome, lease), lease.key, log, 1)
    } catch (err) {
      log.warn({ err, deliveryId: lease.key }, `bluum ${outcome} failed; retrying within the lease`)
      running++
      void retryRecord(outcome, lease, log, err).finally(finished)
    }
  }

  /** Retries with backoff while the claim's lease lasts; past it a retry may own the event. */
  async function retryRecord(
    outcome: Outcome,
    lease: HeldLease,
    log: DeliveryLogger,
    firstError: unknown,
  ): Promise<void> {
    let err = firstError
    for (let attempt = 2; monotonic() + retryDelayMs(attempt - 1) < lease.expiresAt; attempt++) {
      await sleep(retryDelayMs(attempt - 1))
      try {
        return noteRecorded(outcome, await send(outcome, lease), lease.key, log, attempt)
      } catch (error) {
        err = error
      }
    }
    if (outcome === 'complete') {
      log.error(
        { err, deliveryId: lease.key },
        'bluum event processed but not recorded as done within its lease: a retry will run the handlers again',
      )
    } else {
      log.error(
        { err, deliveryId: lease.key },
        'bluum claim not released; it expires with its lease',
      )
    }
  }

  function noteRecorded(
    outcome: Outcome,
    owned: boolean,
    key: string,
    log: DeliveryLogger,
    attempt: number,
  ): void {
    if (outcome === 'complete' && !owned) {
      log.warn(
        { deliveryId: key, attempt },
        attempt === 1
          ? 'bluum claim was taken over before completion'
          : 'bluum completion refused: the event is done or claimed by another delivery (an earlier attempt may have landed)',
      )
    } else if (attempt > 1) {
      log.info({ deliveryId: key, attempt }, `bluum ${outcome} recorded after retrying`)
    }
  }

  /** Runs the handlers, then records the outcome; never rejects. */
  async function runAndRecord(
    event: AnyBluumEvent,
    context: BluumDeliveryContext,
    lease: HeldLease,
    log: DeliveryLogger,
    trace: BluumDeliveryMessage | undefined,
  ): Promise<number> {
    try {
      const started = trace === undefined ? 0 : monotonic()
      const errors = await router.dispatch(event, context)
      if (trace !== undefined) trace.handlersMs = monotonic() - started
      if (errors.length === 0) {
        await record('complete', lease, log)
        return 0
      }
      log.error(
        { err: errors[0], failures: errors.length, deliveryId: lease.key, event: event.event },
        'bluum handler failed',
      )
      await router.reportErrors(errors, event, context)
      await record('release', lease, log)
      return errors.length
    } finally {
      renewals.stop(lease)
      finished()
    }
  }

  async function process(input: DeliveryInput): Promise<DeliveryAnswer> {
    const { rawBody, headers, log, trace } = input
    const body = rawBody ?? Buffer.alloc(0)
    const verifyStarted = trace === undefined ? 0 : monotonic()
    const verified = await verifier.verify({ rawBody: body, headers, now: now() })
    if (trace !== undefined) trace.verifyMs = monotonic() - verifyStarted
    if (!verified.ok) return rejected(log, verified.error)
    // JSON is UTF-8 (RFC 8259); decoding other bytes would silently turn them into U+FFFD.
    if (!isUtf8(body)) {
      const error = new InvalidJsonError(
        'the signed bytes are not valid UTF-8, which JSON requires; the sender encoded the body in another charset',
      )
      return rejected(log, error)
    }
    const parsed = parseEnvelope(body)
    if (!parsed.ok) return rejected(log, parsed.error)
    const { event, known } = parsed
    const webhookId = 'webhookId' in verified ? verified.webhookId : undefined
    const key = dedupeKey(webhookId, event, body)
    const deliveryLog = { deliveryId: key, event: event.event, secretIndex: verified.secretIndex }
    if (trace !== undefined) {
      trace.deliveryId = key
      trace.event = event.event
    }
    if (!known) log.info(deliveryLog, 'bluum event not in the catalog: onAny handlers only')
    if (inbox !== undefined) return inbox.accept({ deliveryId: key, event, known, log })

    let claim
    const claimedAt = monotonic()
    try {
      claim = await store.claim(key, leaseMs)
      if (trace !== undefined) trace.claimMs = monotonic() - claimedAt
    } catch (err) {
      log.error({ err, deliveryId: key }, 'bluum dedupe store unreachable')
      return fail(new StoreUnavailableError((err as { code?: string }).code ?? 'error'))
    }
    if (claim.status === 'done') {
      log.info(deliveryLog, 'bluum duplicate delivery acknowledged')
      return { ok: true, body: { received: true, duplicate: true } }
    }
    if (claim.status === 'in-flight') return fail(new DeliveryInFlightError(key))

    running++
    const lease = renewals.hold(key, claim.token, log, claimedAt)
    const work = runAndRecord(event, { log, deliveryId: key }, lease, log, trace)
    const failures = await deadlines.race(work, TIMED_OUT)
    if (failures === TIMED_OUT) return fail(new AckTimeoutError(key, ackTimeoutMs))
    if (failures > 0) return fail(new HandlerFailedError(key, failures))
    log.info(deliveryLog, 'bluum event processed')
    return { ok: true, body: { received: true } }
  }

  return {
    process,
    async drain() {
      if (running === 0) return
      if (!drained) {
        let resolve!: () => void
        const promise = new Promise<void>((r) => (resolve = r))
        drained = { promise, resolve }
      }
      await drained.promise
    },
  }
}

function fail(error: CodedError): DeliveryAnswer {
  return { ok: false, error }
}

/**
 * Logs a refused delivery with its diagnosis, then fails it: the code alone does not say which
 * header or which byte was wrong. Messages never quote a secret or a signature (errors.ts).
 */
export function rejected(log: HandlerLogger, error: CodedError): DeliveryAnswer {
  log.warn(
    { code: error.code, statusCode: error.statusCode },
    `bluum delivery rejected: ${error.message}`,
  )
  return fail(error)
}
