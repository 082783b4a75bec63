/**
 * One delivery, from received bytes to the answer: verify, parse, claim, run, record.
 * Pure of Fastify: the plugin's route is a thin adapter around `process()`.
 *
 * Order matters: nothing is parsed before the signature holds, nothing runs before the claim
 * holds, and nothing is marked processed before every handler succeeded.
 */
import { createAckDeadlines } from './ack-deadline.js'
import {
  AckTimeoutError,
  DeliveryInFlightError,
  HandlerFailedError,
  StoreUnavailableError,
  UnsupportedMediaTypeError,
} from './errors.js'
import { dedupeKey, parseEnvelope } from './envelope.js'
import type { ResolvedOptions } from './options.js'
import type { BluumDeliveryContext, EventDispatcher, HandlerLogger } from './router.js'
import type { HeaderBag } from './signature.js'
import type { AnyBluumEvent } from './catalog.js'

/** A logger with the levels the pipeline uses (a Fastify request logger fits). */
export interface DeliveryLogger extends HandlerLogger {
  debug(obj: object, msg?: string): void
}

export interface DeliveryInput {
  /** The exact received bytes; undefined when the request had no body. */
  readonly rawBody: Buffer | undefined
  readonly headers: HeaderBag
  readonly log: DeliveryLogger
}

export type CodedError = Error & { code: string; statusCode?: number }

/** What the route answers. */
export type DeliveryAnswer =
  | { readonly ok: true; readonly body: { received: true; duplicate?: true } }
  | { readonly ok: false; readonly error: CodedError }

const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i
const TIMED_OUT = Symbol('timed out')

export interface DeliveryProcessor {
  process(input: DeliveryInput): Promise<DeliveryAnswer>
  /** Waits for work still running after its 503 answer (the plugin's `onClose`). */
  drain(): Promise<void>
}

/** Wires the pipeline once, at `register`. */
export function createDeliveryProcessor(
  options: ResolvedOptions,
  router: EventDispatcher,
): DeliveryProcessor {
  const { verifier, store, leaseMs, dedupeTtlMs, ackTimeoutMs, now, inbox } = options
  const deadlines = createAckDeadlines(ackTimeoutMs)
  // Work still running, counted rather than kept: `drain()` only needs to know when it is zero.
  let running = 0
  let drained: { promise: Promise<void>; resolve: () => void } | undefined

  /** Runs the handlers, then records the outcome; never rejects. */
  async function runAndRecord(
    event: AnyBluumEvent,
    context: BluumDeliveryContext,
    token: string,
  ): Promise<number> {
    const { deliveryId: key, log } = context
    try {
      const errors = await router.dispatch(event, context)
      if (errors.length === 0) {
        try {
          const owned = await store.complete(key, token, dedupeTtlMs)
          if (!owned) log.warn({ deliveryId: key }, 'bluum claim was taken over before completion')
        } catch (err) {
          // The handlers did their work: answering 200 is right, and a repeat within the lease
          // still meets the claim. Only a repeat after the lease could run again.
          log.error({ err, deliveryId: key }, 'bluum event processed but not recorded as done')
        }
        return 0
      }
      log.error(
        { err: errors[0], failures: errors.length, deliveryId: key, event: event.event },
        'bluum handler failed',
      )
      await router.reportErrors(errors, event, context)
      try {
        await store.release(key, token)
      } catch (err) {
        log.error({ err, deliveryId: key }, 'bluum claim not released; it expires with its lease')
      }
      return errors.length
    } finally {
      if (--running === 0 && drained) {
        drained.resolve()
        drained = undefined
      }
    }
  }

  async function process(input: DeliveryInput): Promise<DeliveryAnswer> {
    const { rawBody, headers, log } = input
    const contentType = headers['content-type']
    if (typeof contentType !== 'string' || !JSON_MEDIA_TYPE.test(contentType)) {
      return fail(new UnsupportedMediaTypeError(contentType ? String(contentType) : 'none'))
    }
    const body = rawBody ?? Buffer.alloc(0)
    const verified = await verifier.verify({ rawBody: body, headers, now: now() })
    if (!verified.ok) {
      log.warn({ code: verified.error.code }, 'bluum delivery rejected')
      return fail(verified.error)
    }
    const parsed = parseEnvelope(body)
    if (!parsed.ok) {
      log.warn({ code: parsed.error.code }, 'bluum delivery rejected')
      return fail(parsed.error)
    }
    const { event, known } = parsed
    const webhookId = 'webhookId' in verified ? verified.webhookId : undefined
    const key = dedupeKey(webhookId, event, body)
    const deliveryLog = { deliveryId: key, event: event.event, secretIndex: verified.secretIndex }
    if (!known) log.info(deliveryLog, 'bluum event not in the catalog: onAny handlers only')
    if (inbox !== undefined) return inbox.accept({ deliveryId: key, event, known, log })

    let claim
    try {
      claim = await store.claim(key, leaseMs)
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
    const work = runAndRecord(event, { log, deliveryId: key }, claim.token)
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
