/**
 * The web inspector on the standalone sandbox server: who may use it (`access.ts`), its security
 * headers, its assets, its live event stream (through the server's one event-stream pump, with
 * its caps), and one module per page under `pages/`, each holding its routes and its view.
 *
 * Reads come from the sandbox core directly (a page needs several lists at once, and the API's
 * 10 requests/s limit must not make a page fail). Every action goes through the API itself, in
 * process, with the sandbox's tenant credentials (`context.ts`): the page validates and refuses
 * exactly as the API does and shows the API's error (code, message, field).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { createApiGuard } from '../api/auth.js'
import type { SandboxApi } from '../api/dispatcher.js'
import { openSandboxStream } from '../api/stream.js'
import { SandboxStreamLimitError } from '../http/errors.js'
import { streamRetryAfterSeconds, type EventStreamHub } from '../http/event-stream.js'
import { refusalResponse } from '../http/refusal.js'
import { pageSecurityHeaders } from '../http/security-headers.js'
import type { Sandbox } from '../sandbox.js'
import { decideAccess } from './access.js'
import { inspectorCss } from './assets/style.js'
import { inspectorJs } from './assets/script.js'
import { liveWorkerJs } from './assets/live-worker.js'
import { createInspectorContext, type PageModule } from './context.js'
import { InspectorCredentialsRequiredError, InspectorCrossSiteError } from './errors.js'
import { inspectorPaths, renderMessagePage } from './layout.js'
import { registerClockForm } from './pages/clock.js'
import { registerDeliveryPages } from './pages/delivery.js'
import { registerEventPage } from './pages/event.js'
import { registerFeedPage } from './pages/feed.js'
import { registerTriggerPage } from './pages/trigger.js'
import { registerWebhookForms } from './pages/webhook-form.js'
import { registerWebhooksPage } from './pages/webhooks.js'

/** Options of {@link registerInspector}. */
export interface InspectorOptions {
  /** The sandbox the pages show and act on. */
  sandbox: Sandbox
  /** The API the actions go through (the one the server mounts). */
  api: SandboxApi
  /** The server's event-stream pump, whose caps the inspector's stream shares with the API's. */
  streams: EventStreamHub
}

const pages: readonly PageModule[] = [
  registerFeedPage,
  registerDeliveryPages,
  registerEventPage,
  registerWebhooksPage,
  registerWebhookForms,
  registerTriggerPage,
  registerClockForm,
]

/** Registers the inspector on the sandbox's Fastify server. */
export function registerInspector(app: FastifyInstance, options: InspectorOptions): void {
  const { sandbox, api, streams } = options
  const guard = createApiGuard(sandbox)
  const context = createInspectorContext(sandbox, api)

  // `GET /v1` in a browser leads to the inspector; API clients keep Bluum's 404 envelope.
  app.get(api.prefix, (request, reply) => {
    if (/text\/html/.test(request.headers.accept ?? '')) return reply.redirect('/', 303)
    return reply.callNotFound()
  })

  app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const decision = decideAccess({
        method: request.method,
        remoteAddress: request.socket.remoteAddress,
        host: request.headers.host,
        origin: request.headers.origin,
        secFetchSite: header(request, 'sec-fetch-site'),
        hasTenantCredentials: hasTenantCredentials(request),
      })
      if (decision.allowed) return
      const error =
        decision.reason === 'credentials'
          ? new InspectorCredentialsRequiredError()
          : new InspectorCrossSiteError(request.headers.origin ?? 'another site')
      if (decision.status === 401)
        reply.header('www-authenticate', 'Basic realm="Bluum sandbox inspector", charset="UTF-8"')
      request.log.info({ code: error.code }, 'inspector request refused')
      return context.sendPage(
        reply,
        decision.status,
        renderMessagePage(
          { ...context.frame(request), title: 'Not allowed' },
          { heading: error.code, text: error.message },
        ),
      )
    })
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.headers(pageSecurityHeaders)
      return payload
    })
    scope.setErrorHandler((error, request, reply) => {
      request.log.error({ err: error }, 'inspector failure')
      return context.sendPage(
        reply,
        500,
        renderMessagePage(
          { ...context.frame(request), title: 'Inspector failure' },
          {
            heading: 'The inspector failed',
            text: 'The sandbox logged the cause. Reload the page; the API under /v1 is unaffected.',
          },
        ),
      )
    })

    const asset = (path: string, type: string, body: string) =>
      scope.get(path, async (_request, reply) => reply.type(type).send(body))
    asset(inspectorPaths.css, 'text/css; charset=utf-8', inspectorCss)
    asset(inspectorPaths.js, 'text/javascript; charset=utf-8', inspectorJs)
    asset(inspectorPaths.worker, 'text/javascript; charset=utf-8', liveWorkerJs)

    // Browsers ask for it on every page; no icon is better than Bluum's JSON 404.
    scope.get('/favicon.ico', async (_request, reply) => reply.code(204).send())

    // The API's own stream (`GET /v1/sandbox/stream`, the same frames), behind the inspector's
    // access rules instead of Basic auth: a browser's EventSource cannot send headers. One per
    // browser profile: the pages share it through a SharedWorker (assets/live-worker.ts).
    scope.get(inspectorPaths.stream, { exposeHeadRoute: false }, (request, reply) => {
      try {
        streams.open(request, reply, (write) => openSandboxStream(sandbox, write), {
          ...pageSecurityHeaders,
        })
      } catch (error) {
        if (!(error instanceof SandboxStreamLimitError)) throw error
        const refusal = refusalResponse(error, streamRetryAfterSeconds)
        void reply
          .code(refusal.status)
          .headers(refusal.headers ?? {})
          .send(JSON.stringify(refusal.body))
      }
    })

    for (const page of pages) page(scope, context)
  })

  function hasTenantCredentials(request: FastifyRequest): boolean {
    if (!request.headers.authorization) return false
    try {
      return guard.authenticate(request.headers).kind === 'tenant'
    } catch {
      return false
    }
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}
