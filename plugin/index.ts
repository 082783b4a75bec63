/**
 * fastify-bluum-webhooks: a verified, deduplicated, typed Bluum webhook route for Fastify.
 *
 * Thin glue: options are checked once here, the raw-body parser lives in an encapsulated child
 * context (the host app's JSON parsing is untouched), and every decision is made by the pure
 * modules beside this file.
 */
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
} from 'fastify'
import fp from 'fastify-plugin'
import { answerBody, answerStatus, rejected } from './answers.js'
import { checkContentHeaders, createDeliveryProcessor, unsupportedMediaType } from './delivery.js'
import * as errors from './errors.js'
import { BodyTooLargeError } from './errors.js'
import { createOpenTelemetrySink } from './open-telemetry.js'
import { resolveOptions, type BluumWebhooksOptions } from './options.js'
import { createEventRouter } from './router.js'
import { createTelemetry } from './telemetry.js'
import { isThenable } from './thenable.js'
import type { BluumEventRouter, CodedError, DeliveryAnswer } from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Typed routing of Bluum events: `on`, `onAny`, `onError`. */
    bluum: BluumEventRouter
  }
}

function sendAnswer(reply: FastifyReply, answer: DeliveryAnswer): FastifyReply {
  // A store that knows when it will be back says so (the Postgres inbox, its database failing).
  if (!answer.ok && answer.retryAfterSeconds !== undefined) {
    reply.header('retry-after', String(answer.retryAfterSeconds))
  }
  return reply
    .code(answerStatus(answer))
    .type('application/json; charset=utf-8')
    .send(answerBody(answer))
}

const bluumWebhooksPlugin: FastifyPluginAsync<BluumWebhooksOptions> = async (fastify, opts) => {
  const options = resolveOptions(opts)
  const { inbox, openTelemetry } = options
  const telemetry = createTelemetry(
    inbox === undefined ? 'store' : inbox.mode,
    openTelemetry === undefined ? undefined : await createOpenTelemetrySink(openTelemetry),
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
      telemetry.traceRejected(request.headers, error) // a no-op unless telemetry listens
      return sendAnswer(reply, rejected(request.log, error))
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
      const rawBody = request.body as Buffer | undefined
      const { headers, log } = request
      const answer = telemetry.deliveryActive()
        ? telemetry.traceDelivery(headers, (trace) =>
            processor.process({ rawBody, headers, log, trace }),
          )
        : processor.process({ rawBody, headers, log })
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
export { defaultOptions, type BluumWebhooksOptions } from './options.js'
export type {
  BluumDeliveryContext,
  BluumErrorHandler,
  BluumEventHandler,
  BluumEventRouter,
  BluumHandlerContext,
  BluumHandlerContextExtensions,
  BluumHandlerOptions,
  CodedError,
  DeliveryAnswer,
  DeliveryLogger,
  HandlerLogger,
  HeaderBag,
} from './types.js'
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
export {
  bluumEventCatalog,
  bluumEventNames,
  EnvelopeSchema,
  investorIdOf,
  isBluumEventName,
  type AnyBluumEvent,
  type BluumEvent,
  type BluumEventData,
  type BluumEventName,
  type UnknownBluumEvent,
} from './catalog.js'
export type { ClaimResult, DedupeStore, MaybePromise } from './store.js'
export type { BluumInbox, InboxDelivery } from './inbox.js'
export {
  createMemoryStore,
  type MemoryDedupeStore,
  type MemoryStoreOptions,
} from './memory-store.js'
export {
  decodeSecrets,
  verifyBluumSignature,
  type VerificationResult,
  type VerifyBluumSignatureInput,
} from './signature.js'
export {
  createStandardWebhooksVerifier,
  type BluumVerifier,
  type VerifierInput,
  type VerifierResult,
} from './verifier.js'
/** Every error constructor of the package, by name (`errors.SignatureMismatchError`). */
export { errors }
