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
import {
  ackTimedOut,
  duplicate,
  handlersFailed,
  inFlight,
  logHandlersFailed,
  processed,
  rejected,
  storeUnavailable,
  type DeliveryFields,
} from './answers.js'
import { createDeadlines } from './deadlines.js'
import { dedupeKey, parseEnvelope } from './envelope.js'
import {
  InvalidJsonError,
  UnsupportedContentEncodingError,
  UnsupportedMediaTypeError,
} from './errors.js'
import { createLeaseRenewals, type HeldLease } from './lease-renewal.js'
import type { AnyBluumEvent } from './catalog.js'
import type { ResolvedOptions } from './options.js'
import type { ClaimResult } from './store.js'
import type { BluumDeliveryMessage } from './telemetry.js'
import { isThenable } from './thenable.js'
import { monotonicNow as monotonic } from './timer-queue.js'
import type {
  BluumDeliveryContext,
  CodedError,
  DeliveryAnswer,
  DeliveryLogger,
  EventDispatcher,
  HeaderBag,
} from './types.js'
import type { VerifierResult } from './verifier.js'

interface DeliveryInput {
  /** The exact received bytes; undefined when the request had no body. */
  readonly rawBody: Buffer | undefined
  readonly headers: HeaderBag
  readonly log: DeliveryLogger
  /** Set only when telemetry listens (telemetry.ts): the message the step timings go to. */
  readonly trace?: BluumDeliveryMessage | undefined
}

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

interface DeliveryProcessor {
  /**
   * Verifies, parses and runs one delivery whose `checkContentHeaders()` passed. The answer is
   * synchronous when every step was (a synchronous verifier, store and handlers: the default
   * verifier, the memory store and handlers that return no promise), a promise otherwise.
   */
  process(input: DeliveryInput): DeliveryAnswer | Promise<DeliveryAnswer>
  /** Waits for work still running after its answer: handlers, completion retries (`onClose`). */
  drain(): Promise<void>
}

/** Wait before retry `attempt` of a completion or release: 50, 100, 200, 400, 800 ms, then 1 s. */
function retryDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** (attempt - 1), 1000)
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

type Outcome = 'complete' | 'release'

const EMPTY_BODY = Buffer.alloc(0)

/** Wires the pipeline once, at `register`. */
export function createDeliveryProcessor(
  options: ResolvedOptions,
  router: EventDispatcher,
): DeliveryProcessor {
  const { verifier, store, leaseMs, dedupeTtlMs, ackTimeoutMs, now, inbox } = options
  const deadlines = createDeadlines(ackTimeoutMs)
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

  function send(outcome: Outcome, lease: HeldLease): boolean | Promise<boolean> {
    return outcome === 'complete'
      ? store.complete(lease.key, lease.token, dedupeTtlMs)
      : store.release(lease.key, lease.token)
  }

  /**
   * Records the outcome; synchronous when the store answered synchronously. A store that refused
   * is tried again in the background, so the answer does not wait for it: the owner token makes
   * a repeat safe, and until the lease ends the claim still turns repeats away (409). `drain()`
   * waits for these retries. Never rejects.
   */
  function record(outcome: Outcome, lease: HeldLease, log: DeliveryLogger): void | Promise<void> {
    renewals.stop(lease) // no renewal may land after the completion or release
    let sent: boolean | Promise<boolean>
    try {
      sent = send(outcome, lease)
    } catch (err) {
      return retryLater(outcome, lease, log, err)
    }
    if (!isThenable(sent)) return noteRecorded(outcome, sent, lease.key, log, 1)
    return sent.then(
      (owned) => noteRecorded(outcome, owned, lease.key, log, 1),
      (err: unknown) => retryLater(outcome, lease, log, err),
    )
  }

  function retryLater(outcome: Outcome, lease: HeldLease, log: DeliveryLogger, err: unknown) {
    log.warn({ err, deliveryId: lease.key }, `bluum ${outcome} failed; retrying within the lease`)
    running++
    void retryRecord(outcome, lease, log, err).finally(finished)
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

  /**
   * After the handlers: completes (every handler succeeded) or releases (one failed), and gives
   * the number of failed handlers. Synchronous when the store answered synchronously and no
   * `onError` observer had to run. Never rejects.
   */
  function conclude(
    errors: unknown[],
    event: AnyBluumEvent,
    context: BluumDeliveryContext,
    lease: HeldLease,
    log: DeliveryLogger,
  ): number | Promise<number> {
    if (errors.length === 0) {
      const recorded = record('complete', lease, log)
      return recorded === undefined ? 0 : recorded.then(() => 0)
    }
    renewals.stop(lease)
    logHandlersFailed(log, { deliveryId: lease.key, event: event.event }, errors)
    return router
      .reportErrors(errors, event, context)
      .then(() => record('release', lease, log))
      .then(() => errors.length)
  }

  /** The answer once the handlers' outcome is recorded. */
  function answerFor(
    failures: number,
    fields: DeliveryFields,
    log: DeliveryLogger,
  ): DeliveryAnswer {
    return failures > 0 ? handlersFailed(fields.deliveryId, failures) : processed(log, fields)
  }

  /** Answers when `work` is done, or 503 at the ack deadline (the work goes on; `drain()` waits). */
  async function answerWhenDone(
    work: Promise<number>,
    fields: DeliveryFields,
    log: DeliveryLogger,
  ): Promise<DeliveryAnswer> {
    const failures = await deadlines.race(work.finally(finished), TIMED_OUT)
    if (failures === TIMED_OUT) return ackTimedOut(log, fields, ackTimeoutMs)
    return answerFor(failures, fields, log)
  }

  /** Runs the handlers of a delivery the store answered for. */
  function run(
    claim: ClaimResult,
    event: AnyBluumEvent,
    fields: DeliveryFields,
    claimedAt: number,
    log: DeliveryLogger,
    trace: BluumDeliveryMessage | undefined,
  ): DeliveryAnswer | Promise<DeliveryAnswer> {
    if (trace !== undefined) trace.claimMs = monotonic() - claimedAt
    if (claim.status === 'done') return duplicate(log, fields)
    if (claim.status === 'in-flight') return inFlight(log, fields)

    running++
    const { token } = claim
    const context: BluumDeliveryContext = { log, deliveryId: fields.deliveryId }
    const started = trace === undefined ? 0 : monotonic()
    const dispatched = router.dispatch(event, context)
    if (isThenable(dispatched)) {
      // Handlers still running: keep the claim alive for as long as they take.
      const lease = renewals.hold(fields.deliveryId, token, log, claimedAt)
      const work = dispatched.then((errors) => {
        if (trace !== undefined) trace.handlersMs = monotonic() - started
        return conclude(errors, event, context, lease, log)
      })
      return answerWhenDone(work, fields, log)
    }
    if (trace !== undefined) trace.handlersMs = monotonic() - started
    // Every handler has returned: nothing can outlive the lease, so nothing renews it.
    const lease = renewals.finished(fields.deliveryId, token, claimedAt)
    const failures = conclude(dispatched, event, context, lease, log)
    if (isThenable(failures)) return answerWhenDone(failures, fields, log)
    finished()
    return answerFor(failures, fields, log)
  }

  /** Everything after the signature check: UTF-8, JSON, envelope, then the claim. */
  function accept(
    verified: VerifierResult,
    body: Buffer,
    log: DeliveryLogger,
    trace: BluumDeliveryMessage | undefined,
  ): DeliveryAnswer | Promise<DeliveryAnswer> {
    if (!verified.ok) {
      return rejected(log, verified.error)
    }
    // JSON is UTF-8 (RFC 8259); decoding other bytes would silently turn them into U+FFFD.
    if (!isUtf8(body)) {
      const error = new InvalidJsonError(
        'the signed bytes are not valid UTF-8, which JSON requires; the sender encoded the body in another charset',
      )
      return rejected(log, error)
    }
    const parsed = parseEnvelope(body)
    if (!parsed.ok) {
      return rejected(log, parsed.error)
    }
    const { event, known } = parsed
    const webhookId = 'webhookId' in verified ? verified.webhookId : undefined
    const key = dedupeKey(webhookId, event, body)
    const fields: DeliveryFields = {
      deliveryId: key,
      event: event.event,
      secretIndex: verified.secretIndex,
    }
    if (trace !== undefined) {
      trace.deliveryId = key
      trace.event = event.event
    }
    if (!known) log.info(fields, 'bluum event not in the catalog: onAny handlers only')
    if (inbox !== undefined) return inbox.accept({ deliveryId: key, event, known, log })

    // Taken before the store call: the lease is counted from when the claim could have landed.
    const claimedAt = monotonic()
    let claim: ClaimResult | Promise<ClaimResult>
    try {
      claim = store.claim(key, leaseMs)
    } catch (err) {
      return storeUnavailable(log, key, err)
    }
    if (!isThenable(claim)) return run(claim, event, fields, claimedAt, log, trace)
    return claim.then(
      (result) => run(result, event, fields, claimedAt, log, trace),
      (err: unknown) => storeUnavailable(log, key, err),
    )
  }

  function process(input: DeliveryInput): DeliveryAnswer | Promise<DeliveryAnswer> {
    const { headers, log, trace } = input
    const body = input.rawBody ?? EMPTY_BODY
    const verifyStarted = trace === undefined ? 0 : monotonic()
    const verified = verifier.verify({ rawBody: body, headers, now: now() })
    if (!isThenable(verified)) {
      if (trace !== undefined) trace.verifyMs = monotonic() - verifyStarted
      return accept(verified, body, log, trace)
    }
    return verified.then((result) => {
      if (trace !== undefined) trace.verifyMs = monotonic() - verifyStarted
      return accept(result, body, log, trace)
    })
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
