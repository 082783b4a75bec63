/**
 * The web inspector's routes on the standalone sandbox server: pages at `/`, `/deliveries/:id`,
 * `/events/:id`, `/webhooks` and `/trigger`, the forms they post to, the assets and the live
 * event stream. Thin glue: the pages are rendered by `views.ts` from data computed in `model.ts`,
 * and who may call is decided by `access.ts`.
 *
 * Reads come from the sandbox core directly (a page needs several lists at once, and the API's
 * 10 requests/s limit must not make a page fail). Every action goes through the API itself, in
 * process, with the sandbox's tenant credentials: the page validates and refuses exactly as the
 * API does and shows the API's error (code, message, field). The one exception is revealing a
 * secret, which the API never answers after creation: it is read from the core, on a POST.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createApiGuard } from '../api/auth.js'
import type { SandboxApi } from '../api/dispatcher.js'
import type { ApiResponse } from '../api/route.js'
import { openSandboxStream } from '../api/stream.js'
import { eventTypes } from '../core/event-bus.js'
import { triggerSampleData } from '../engines/triggers.js'
import type { Sandbox } from '../sandbox.js'
import { decideAccess } from './access.js'
import { inspectorCss, inspectorJs } from './assets.js'
import {
  InspectorCredentialsRequiredError,
  InspectorCrossSiteError,
  InspectorInvalidJsonError,
} from './errors.js'
import {
  buildFeed,
  deliveryState,
  parseFilters,
  summarizeDelivery,
  toAttemptView,
  type DeliveryState,
} from './model.js'
import {
  inspectorPaths,
  renderDeliveryPage,
  renderEventPage,
  renderFeedPage,
  renderMessagePage,
  renderTriggerPage,
  renderWebhooksPage,
  type ApiErrorView,
  type PageFrame,
} from './views.js'

/** Options of {@link registerInspector}. */
export interface InspectorOptions {
  /** The sandbox the pages show and act on. */
  sandbox: Sandbox
  /** The API the actions go through (the one the server mounts). */
  api: SandboxApi
}

/**
 * Pages may load scripts, styles and data only from the sandbox itself, and never be framed:
 * an answer body that slipped past escaping still could not run, and no other site can overlay
 * the reveal and rotate buttons.
 */
const securityHeaders = Object.freeze({
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // Not `no-referrer`: under it Chromium sends `Origin: null` on the page's own form posts, which
  // the same-origin check (access.ts) must refuse. `same-origin` still keeps URLs from other sites.
  'referrer-policy': 'same-origin',
  // Pages can hold a revealed secret: keep them out of every cache.
  'cache-control': 'no-store',
})

type Query = Record<string, unknown>

/** Bytes a page's stream may fall behind before it is dropped, as the API's stream does. */
const maxStreamBacklogBytes = 1_048_576

/** Registers the inspector on the sandbox's Fastify server. */
export function registerInspector(app: FastifyInstance, options: InspectorOptions): void {
  const { sandbox, api } = options
  const guard = createApiGuard(sandbox)
  const authorization = `Basic ${Buffer.from(`${sandbox.options.apiKey}:${sandbox.options.apiSecret}`).toString('base64')}`
  const streams = new Set<() => void>()

  // `GET /v1` in a browser leads to the inspector; API clients keep Bluum's 404 envelope.
  app.get(api.prefix, (request, reply) => {
    if (/text\/html/.test(request.headers.accept ?? '')) return reply.redirect('/', 303)
    return reply.callNotFound()
  })

  app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      let hasTenantCredentials = false
      if (request.headers.authorization) {
        try {
          hasTenantCredentials = guard.authenticate(request.headers).kind === 'tenant'
        } catch {
          hasTenantCredentials = false
        }
      }
      const decision = decideAccess({
        method: request.method,
        remoteAddress: request.socket.remoteAddress,
        host: request.headers.host,
        origin: request.headers.origin,
        secFetchSite: header(request, 'sec-fetch-site'),
        hasTenantCredentials,
      })
      if (decision.allowed) return
      const error =
        decision.reason === 'credentials'
          ? new InspectorCredentialsRequiredError()
          : new InspectorCrossSiteError(request.headers.origin ?? 'another site')
      if (decision.status === 401)
        reply.header('www-authenticate', 'Basic realm="Bluum sandbox inspector", charset="UTF-8"')
      request.log.info({ code: error.code }, 'inspector request refused')
      return sendPage(
        reply,
        decision.status,
        renderMessagePage(
          { ...frame(request), title: 'Not allowed' },
          { heading: error.code, text: error.message },
        ),
      )
    })
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.headers(securityHeaders)
      return payload
    })
    // An open event stream would keep `app.close()` waiting forever: end them first.
    scope.addHook('preClose', async () => {
      for (const end of [...streams]) end()
    })
    scope.setErrorHandler((error, request, reply) => {
      request.log.error({ err: error }, 'inspector failure')
      return sendPage(
        reply,
        500,
        renderMessagePage(
          { ...frame(request), title: 'Inspector failure' },
          {
            heading: 'The inspector failed',
            text: 'The sandbox logged the cause. Reload the page; the API under /v1 is unaffected.',
          },
        ),
      )
    })

    scope.get(inspectorPaths.css, async (_request, reply) =>
      reply.type('text/css; charset=utf-8').send(inspectorCss),
    )
    scope.get(inspectorPaths.js, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').send(inspectorJs),
    )

    // Browsers ask for it on every page; no icon is better than Bluum's JSON 404.
    scope.get('/favicon.ico', async (_request, reply) => reply.code(204).send())

    // The API's own stream (`GET /v1/sandbox/stream`, api/stream.ts: the same frames), behind the
    // inspector's access rules instead of Basic auth: a browser's EventSource cannot send headers.
    scope.get(inspectorPaths.stream, { exposeHeadRoute: false }, (request, reply) => {
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        ...securityHeaders,
        'content-type': 'text/event-stream; charset=utf-8',
        connection: 'keep-alive',
      })
      const end = () => {
        stop()
        streams.delete(end)
        if (!res.writableEnded) res.end()
      }
      const stop = openSandboxStream(sandbox, (text) => {
        if (res.writableEnded) return
        // A page that stopped reading (a suspended tab) is dropped, not buffered without bound;
        // its EventSource reconnects and the catch-up refresh fills the gap.
        if (res.writableLength > maxStreamBacklogBytes) return end()
        res.write(text)
      })
      streams.add(end)
      res.on('close', end)
    })

    scope.get('/', async (request, reply) => {
      const filters = parseFilters(request.query as Query)
      const webhooks = sandbox.webhooks.list()
      const feed = buildFeed(
        { events: sandbox.events(), deliveries: [...sandbox.state.deliveries.values()], webhooks },
        filters,
      )
      return sendPage(
        reply,
        200,
        renderFeedPage(frame(request), {
          feed,
          filters,
          webhooks,
          eventNames: eventTypes().map((t) => t.name),
        }),
      )
    })

    const deliveryPage = (
      request: FastifyRequest,
      reply: FastifyReply,
      deliveryId: string,
      status = 200,
      error?: ApiErrorView,
    ) => {
      const delivery = sandbox.deliveries.get(deliveryId)
      if (!delivery) return notFound(request, reply, `No delivery '${deliveryId}'.`)
      const webhook = sandbox.state.webhooks.get(delivery.webhook_id)
      return sendPage(
        reply,
        status,
        renderDeliveryPage(
          { ...frame(request, `/deliveries/${encodeURIComponent(delivery.id)}`), error },
          {
            delivery,
            state: deliveryState(delivery),
            attempts: delivery.attempts.map(toAttemptView),
            webhook,
          },
        ),
      )
    }

    scope.get('/deliveries/:delivery_id', async (request, reply) =>
      deliveryPage(request, reply, (request.params as { delivery_id: string }).delivery_id),
    )

    scope.post('/deliveries/:delivery_id/replay', async (request, reply) => {
      const { delivery_id: id } = request.params as { delivery_id: string }
      const delivery = sandbox.deliveries.get(id)
      if (!delivery) return notFound(request, reply, `No delivery '${id}'.`)
      const answer = await callApi(
        'POST',
        `/sandbox/webhooks/${encodeURIComponent(delivery.webhook_id)}/deliveries/${encodeURIComponent(id)}/replay`,
        {},
      )
      if (answer.status >= 400)
        return deliveryPage(request, reply, id, answer.status, apiError(answer))
      return redirect(reply, `/deliveries/${encodeURIComponent(id)}`, `Replayed ${id}.`)
    })

    scope.get('/events/:event_id', async (request, reply) => {
      const { event_id: id } = request.params as { event_id: string }
      const event = sandbox.events().find((e) => e.id === id)
      const deliveries = [...sandbox.state.deliveries.values()].filter((d) => d.event_id === id)
      if (!event) return notFound(request, reply, `No event '${id}' in the sandbox's log.`)
      const names = new Map(sandbox.webhooks.list().map((w) => [w.id, w.name]))
      return sendPage(
        reply,
        200,
        renderEventPage(frame(request), {
          event,
          deliveries: deliveries.map((d) =>
            summarizeDelivery(d, (wid) => names.get(wid) ?? `${wid} (deleted)`),
          ),
        }),
      )
    })

    const webhooksPage = (
      request: FastifyRequest,
      reply: FastifyReply,
      extra: {
        status?: number
        notice?: string
        error?: ApiErrorView
        reveal?: Map<string, string>
      },
    ) => {
      const parked = (id: string) =>
        sandbox.deliveries.list({ webhookId: id, status: 'parked' }).length
      return sendPage(
        reply,
        extra.status ?? 200,
        renderWebhooksPage(
          {
            ...frame(request, '/webhooks'),
            ...(extra.notice ? { notice: extra.notice } : {}),
            error: extra.error,
          },
          {
            webhooks: sandbox.webhooks.list().map((webhook) => {
              const revealedSecret = extra.reveal?.get(webhook.id)
              return {
                webhook,
                parked: parked(webhook.id),
                ...(revealedSecret ? { revealedSecret } : {}),
              }
            }),
          },
        ),
      )
    }

    scope.get('/webhooks', async (request, reply) => webhooksPage(request, reply, {}))

    // A revealed or rotated secret is rendered in the POST's answer, never put in a URL (where
    // history, logs and the Referer would keep it).
    scope.post('/webhooks/:webhook_id/reveal', async (request, reply) => {
      const { webhook_id: id } = request.params as { webhook_id: string }
      const webhook = sandbox.state.webhooks.get(id)
      if (!webhook) return notFound(request, reply, `No webhook '${id}'.`)
      return webhooksPage(request, reply, { reveal: new Map([[id, webhook.secret]]) })
    })

    scope.post('/webhooks/:webhook_id/rotate', async (request, reply) => {
      const { webhook_id: id } = request.params as { webhook_id: string }
      const answer = await callApi(
        'POST',
        `/sandbox/webhooks/${encodeURIComponent(id)}/rotate-secret`,
        {},
      )
      if (answer.status >= 400)
        return webhooksPage(request, reply, { status: answer.status, error: apiError(answer) })
      const rotated = answer.body as { secret: string; previous_secret_expires_at?: string | null }
      return webhooksPage(request, reply, {
        notice: `Secret rotated. Give the new secret to your app; the old one keeps signing${rotated.previous_secret_expires_at ? ` until ${rotated.previous_secret_expires_at}` : ' during the overlap'}.`,
        reveal: new Map([[id, rotated.secret]]),
      })
    })

    scope.post('/webhooks/:webhook_id/replay-parked', async (request, reply) => {
      const { webhook_id: id } = request.params as { webhook_id: string }
      const answer = await callApi(
        'POST',
        `/sandbox/webhooks/${encodeURIComponent(id)}/deliveries/replay`,
        {},
      )
      if (answer.status >= 400)
        return webhooksPage(request, reply, { status: answer.status, error: apiError(answer) })
      const count = (answer.body as { data: unknown[] }).data.length
      return redirect(
        reply,
        `/?webhook_id=${encodeURIComponent(id)}`,
        count === 0
          ? `No parked delivery to replay for ${id}.`
          : `Replayed ${count} parked ${count === 1 ? 'delivery' : 'deliveries'} of ${id}.`,
      )
    })

    const catalog = () => eventTypes()
    const samples = () => {
      const now = sandbox.clock.now()
      return Object.fromEntries(
        catalog().map((t) => [t.name, JSON.stringify(triggerSampleData(t.name, now), null, 2)]),
      )
    }

    scope.get('/trigger', async (request, reply) => {
      const all = samples()
      const asked = (request.query as Query).event
      const selected =
        typeof asked === 'string' && asked in all ? asked : (catalog()[0]?.name ?? '')
      return sendPage(
        reply,
        200,
        renderTriggerPage(frame(request, '/trigger'), {
          catalog: catalog(),
          selected,
          data: all[selected] ?? '{}',
          samples: all,
        }),
      )
    })

    scope.post('/trigger', async (request, reply) => {
      const form = formBody(request)
      const event = form.get('event') ?? ''
      const text = (form.get('data') ?? '').trim()
      const again = (status: number, error: ApiErrorView) =>
        sendPage(
          reply,
          status,
          renderTriggerPage(
            { ...frame(request, '/trigger'), error },
            { catalog: catalog(), selected: event, data: text, samples: samples() },
          ),
        )
      let data: unknown
      try {
        data = text === '' ? undefined : JSON.parse(text)
      } catch (caught) {
        const error = new InspectorInvalidJsonError((caught as Error).message)
        return again(400, { status: 400, code: error.code, message: error.message, param: 'data' })
      }
      const answer = await callApi('POST', '/sandbox/trigger', {
        event,
        ...(data === undefined ? {} : { data }),
      })
      if (answer.status >= 400) return again(answer.status, apiError(answer))
      const emitted = answer.body as { id: string; event: string }
      return redirect(
        reply,
        `/events/${encodeURIComponent(emitted.id)}`,
        `Triggered ${emitted.event} (${emitted.id}).`,
      )
    })

    scope.post('/clock/advance', async (request, reply) => {
      const form = formBody(request)
      const back = form.get('back') ?? '/'
      const answer = await callApi('POST', '/sandbox/clock/advance', {
        duration: form.get('duration') ?? '',
      })
      // Only a path of this server: `//host` and `/\host` are other sites to a browser.
      const target = /^\/(?![/\\])/.test(back) ? back : '/'
      if (answer.status >= 400) {
        const error = apiError(answer)
        return sendPage(
          reply,
          answer.status,
          renderMessagePage(
            { ...frame(request, target), error, title: 'Clock not advanced' },
            {
              heading: 'The clock was not advanced',
              text: 'Durations look like 30s, 1m, 2h or 11h (at most 30d per step).',
            },
          ),
        )
      }
      const now = (answer.body as { now: string }).now
      return redirect(reply, target, `Clock advanced to ${now}; every retry due on the way ran.`)
    })
  })

  /** The page parts every page shares. */
  function frame(request: FastifyRequest, path?: string): Omit<PageFrame, 'title' | 'current'> {
    const notice = (request.query as Query | undefined)?.notice
    return {
      clockNow: new Date(sandbox.clock.now()).toISOString(),
      path: path ?? request.url.replace(/([?&])notice=[^&]*&?/, '$1').replace(/[?&]$/, ''),
      ...(typeof notice === 'string' && notice !== '' ? { notice: notice.slice(0, 500) } : {}),
    }
  }

  function callApi(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    return api.handle({
      method,
      path,
      query: {},
      headers: { authorization, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  }

  function notFound(request: FastifyRequest, reply: FastifyReply, text: string) {
    return sendPage(
      reply,
      404,
      renderMessagePage(
        { ...frame(request), title: 'Not found' },
        { heading: 'Not found', text: `${text} It may have been cleared by a reset.` },
      ),
    )
  }
}

/** The API's error envelope as the page shows it. */
function apiError(answer: ApiResponse): ApiErrorView {
  const error = (answer.body as { error?: Partial<ApiErrorView> } | undefined)?.error ?? {}
  return {
    status: answer.status,
    code: error.code ?? `HTTP ${answer.status}`,
    message: error.message ?? 'The API answered without an error body.',
    ...(error.param ? { param: error.param } : {}),
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** A form post's fields: the server hands every body over as bytes (see `server.ts`). */
function formBody(request: FastifyRequest): URLSearchParams {
  const body = request.body
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : ''
  return new URLSearchParams(text)
}

/** Post/redirect/get: the notice rides in the URL, so reloading the result repeats nothing. */
function redirect(reply: FastifyReply, path: string, notice: string): FastifyReply {
  const separator = path.includes('?') ? '&' : '?'
  return reply.redirect(`${path}${separator}notice=${encodeURIComponent(notice)}`, 303)
}

/** Sends a rendered page. */
function sendPage(reply: FastifyReply, status: number, markup: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(markup)
}
