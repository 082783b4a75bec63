/**
 * fastify-bluum-webhooks: a verified, deduplicated, typed Bluum webhook route for Fastify.
 *
 * Thin glue: options are checked once here, the raw-body parser lives in an encapsulated child
 * context (the host app's JSON parsing is untouched), and every decision is made by the pure
 * modules beside this file.
 */
import { STATUS_CODES } from 'node:http'
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
} from 'fastify'
import fp from 'fastify-plugin'
import { BodyTooLargeError } from './errors.js'
import {
  checkContentHeaders,
  createDeliveryProcessor,
  rejected,
  unsupportedMediaType,
  type CodedError,
  type DeliveryAnswer,
} from './delivery.js'
import { resolveOptions, type BluumWebhooksOptions } from './options.js'
import { createEventRouter, type BluumEventRouter } from './router.js'
import { createOpenTelemetrySink } from './open-telemetry.js'
import { createTelemetry } from './telemetry.js'
import { isThenable } from './thenable.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Typed routing of Bluum events: `on`, `onAny`, `onError`. */
    bluum: BluumEventRouter
  }
}

// Success answers are constant: sent pre-serialised, no JSON.stringify per delivery.
const RECEIVED = JSON.stringify({ received: true })
const DUPLICATE = JSON.stringify({ received: true, duplicate: true })

function sendAnswer(reply: FastifyReply, answer: DeliveryAnswer): FastifyReply {
  if (answer.ok) {
    return reply
      .code(200)
      .type('application/json; charset=utf-8')
      .send(answer.body.duplicate ? DUPLICATE : RECEIVED)
  }
  // A store that knows when to come back says so (the Postgres inbox while its database is down).
  const { retryAfterSeconds } = answer.error as { retryAfterSeconds?: number }
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds))
  return reply.code(answer.error.statusCode ?? 500).send(errorBody(answer.error))
}

function errorBody(error: CodedError) {
  const statusCode = error.statusCode ?? 500
  return { statusCode, code: error.code, error: STATUS_CODES[statusCode], message: error.message }
}

const bluumWebhooksPlugin: FastifyPluginAsync<BluumWebhooksOptions> = async (fastify, opts) => {
  const options = resolveOptions(opts)
  const { inbox } = options
  const mode =
    inbox === undefined
      ? 'store'
      : (inbox as { mode?: unknown }).mode === 'queue'
        ? 'queue'
        : 'transactional'
  const otel = options.telemetry.openTelemetry
  const telemetry = createTelemetry(
    mode,
    otel === undefined ? undefined : await createOpenTelemetrySink(otel),
  )
  const router = createEventRouter(telemetry)
  const processor = createDeliveryProcessor(options, router)

  // Only the public half of the router is exposed; dispatch stays internal.
  fastify.decorate('bluum', router.api)
  if (inbox !== undefined) {
    await inbox.attach(router, fastify.log)
    // Handlers are registered after `register`: their ids are checked once the app is ready.
    fastify.addHook('onReady', () => inbox.start())
  }

  await fastify.register(async function bluumWebhookRoute(route: FastifyInstance) {
    // Keep the exact bytes: a re-serialised object would not match the signature.
    route.removeAllContentTypeParsers()
    const asBytes = { parseAs: 'buffer', bodyLimit: options.bodyLimit } as const
    const keepBytes = (_request: unknown, body: Buffer, done: (e: null, b: Buffer) => void) =>
      done(null, body)
    // JSON by name, because Fastify caches the parser it finds for a content-type string, which
    // it does not do for the catch-all (that costs a media-type parse per request). The
    // catch-all takes what the onRequest check let through with parameters Fastify's grammar
    // reads differently.
    route.addContentTypeParser('application/json', asBytes, keepBytes)
    route.addContentTypeParser('*', asBytes, keepBytes)
    /** Answers a delivery refused outside the pipeline (415, 413): logged and traced like one. */
    const refuse = (request: FastifyRequest, reply: FastifyReply, error: CodedError) => {
      rejected(request.log, error)
      telemetry.traceRejected(request.headers, error) // a no-op unless telemetry listens
      return reply.code(error.statusCode ?? 500).send(errorBody(error))
    }
    // Fastify's own body errors get the plugin's codes, so every answer of the route is in the
    // answer table. An invalid media type is refused by the onRequest check below, before
    // Fastify parses it; Fastify 5.12 parses every type that check lets through, so its
    // FST_ERR_CTP_INVALID_MEDIA_TYPE is mapped only in case a later grammar is stricter.
    route.setErrorHandler(async (error, request, reply) => {
      const code = (error as CodedError).code
      const mapped =
        code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? new BodyTooLargeError(options.bodyLimit)
          : code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? unsupportedMediaType(request.headers)
            : undefined
      if (mapped === undefined) throw error
      return refuse(request, reply, mapped)
    })
    // onRequest: the content headers are answered before a byte of the body is read, and
    // before Fastify's content-type parsing can answer with its own code.
    const onRequest: onRequestHookHandler = (request, reply, done) => {
      const refused = checkContentHeaders(request.headers)
      if (refused === undefined) return done()
      refuse(request, reply, refused)
    }
    route.post(options.path, { onRequest }, (request, reply) => {
      const input = {
        rawBody: request.body as Buffer | undefined,
        headers: request.headers,
        log: request.log,
      }
      const answer = telemetry.deliveryActive()
        ? telemetry.traceDelivery(input, processor.process)
        : processor.process(input)
      // A synchronous answer is sent at once: no promise for Fastify to wait on.
      if (!isThenable(answer)) return void sendAnswer(reply, answer)
      return answer.then((settled) => sendAnswer(reply, settled))
    })
  })

  fastify.addHook('onClose', async () => {
    await processor.drain()
    await inbox?.close()
    await options.store.close?.()
  })
}

/**
 * Registers the Bluum webhook route and `fastify.bluum`.
 * @example
 * await app.register(bluumWebhooks, { secret: process.env.BLUUM_WEBHOOK_SECRET })
 * app.bluum.on('order.filled', async (event) => notify(event.data.investor_id))
 */
const bluumWebhooks = fp(bluumWebhooksPlugin, { fastify: '5.x', name: 'fastify-bluum-webhooks' })

export default bluumWebhooks
export { bluumWebhooks }
export type { BluumWebhooksOptions } from './options.js'
export { defaultOptions } from './options.js'
export type {
  BluumEventRouter,
  BluumEventHandler,
  BluumErrorHandler,
  BluumDeliveryContext,
  BluumHandlerContext,
  BluumHandlerContextExtensions,
  BluumHandlerOptions,
  HandlerLogger,
} from './router.js'
export { createEventRouter } from './router.js'
export type { BluumEventPattern, MatchingEvents } from './event-pattern.js'
export {
  bluumChannels,
  type BluumDeliveryMessage,
  type BluumDeliveryOutcome,
  type BluumHandlerMessage,
  type BluumTelemetryOptions,
  type OpenTelemetryProviders,
} from './telemetry.js'
export * from './catalog.js'
export type { ClaimResult, DedupeStore, MaybePromise } from './store.js'
export type { BluumInbox, InboxDelivery } from './inbox.js'
export {
  createMemoryStore,
  type MemoryDedupeStore,
  type MemoryStoreOptions,
} from './memory-store.js'
export {
  verifyBluumSignature,
  decodeSecrets,
  type VerifyBluumSignatureInput,
  type VerificationResult,
  type HeaderBag,
} from './signature.js'
export {
  createStandardWebhooksVerifier,
  type BluumVerifier,
  type VerifierInput,
  type VerifierResult,
} from './verifier.js'
export * as errors from './errors.js'
