/**
 * The standalone face: the route table mounted on a Fastify server.
 *
 * Fastify only routes and moves bytes; the core dispatcher parses bodies itself (so a malformed
 * body gets Bluum's envelope, not Fastify's) and answers.
 */
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
} from 'fastify'
import { errorResponse } from './api/error-response.js'
import type { ApiResponse, RawApiRequest } from './api/route.js'
import {
  EndpointNotFoundError,
  InternalError,
  InvalidRequestError,
  RequestTooLargeError,
  TenantKeyRequiredError,
} from './core/errors.js'
import { createApiGuard } from './api/auth.js'
import { defaultBodyLimitBytes, flatQuery } from './api/request-parts.js'
import { StreamQuery } from './contract/sandbox.js'
import { openSandboxStream, streamDefaults } from './api/stream.js'
import { SandboxInvalidOptionError } from './core/errors.js'
import {
  createEventStreamHub,
  streamRetryAfterSeconds,
  type EventStreamHub,
} from './http/event-stream.js'
import { SandboxHostNotAllowedError, SandboxStreamLimitError } from './http/errors.js'
import { checkAllowedHost, createHostAllowList } from './http/host-allow-list.js'
import { refusalResponse } from './http/refusal.js'
import { pageSecurityHeaders, serverSecurityHeaders } from './http/security-headers.js'
import { validate } from './api/validation.js'
import { createOpenApiDocument } from './api/openapi.js'
import { createApi } from './api/routes/index.js'
import { renderMessagePage, renderRefusalPage } from './inspector/layout.js'
import { registerInspector } from './inspector/routes.js'
import type { Sandbox } from './sandbox.js'

export interface SandboxServerOptions {
  /** Path prefix of the API. Default `'/v1'`. */
  prefix?: string
  /** Fastify's logger option. Default false. */
  logger?: FastifyServerOptions['logger']
  /** Largest accepted request body, bytes (documents are multipart). Default 10485760 (10 MiB). */
  bodyLimitBytes?: number
  /** Wall ms between `: keepalive` comments on `GET /v1/sandbox/stream`. Default 15000. */
  streamKeepaliveMs?: number
  /**
   * Host names answered besides loopback names and the address a request arrived at (a container's
   * service name, a name bound with `--host`): `sandbox`, or `.example.test` for a domain and its
   * subdomains. Any other `Host` gets 403 `BLUUM_SANDBOX_HOST_NOT_ALLOWED`, whatever the
   * credentials (DNS rebinding). Default none.
   */
  allowedHosts?: readonly string[]
  /** Event streams (API and inspector) one client address may hold open. Default 16. */
  maxStreamsPerClient?: number
  /** Event streams open in all. Default 64. */
  maxStreams?: number
}

function send(reply: FastifyReply, response: ApiResponse): FastifyReply {
  reply.code(response.status)
  for (const [name, value] of Object.entries(response.headers ?? {})) reply.header(name, value)
  if (response.body === undefined) return reply.send()
  return reply.type('application/json').send(JSON.stringify(response.body))
}

/**
 * Creates (does not start) a Fastify server for `sandbox`.
 * @example const app = createSandboxServer(sandbox); await app.listen({ port: 4010, host: '127.0.0.1' })
 */
export function createSandboxServer(
  sandbox: Sandbox,
  options: SandboxServerOptions = {},
): FastifyInstance {
  const prefix = options.prefix ?? '/v1'
  const bodyLimitBytes = options.bodyLimitBytes ?? defaultBodyLimitBytes
  for (const entry of options.allowedHosts ?? []) {
    const problem = checkAllowedHost(entry)
    if (problem) throw new SandboxInvalidOptionError('allowedHosts', problem)
  }
  const hosts = createHostAllowList({ allowedHosts: options.allowedHosts })
  const streams = createEventStreamHub({
    ...(options.maxStreamsPerClient === undefined
      ? {}
      : { maxPerClient: positiveInteger('maxStreamsPerClient', options.maxStreamsPerClient) }),
    ...(options.maxStreams === undefined
      ? {}
      : { maxTotal: positiveInteger('maxStreams', options.maxStreams) }),
  })
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: bodyLimitBytes,
    // Fastify answers a path it cannot decode (`%ZZ`) itself, outside the error handler: route it
    // to the core, which answers it in Bluum's envelope like any other bad request.
    frameworkErrors: (_error, request, reply) => {
      void handleUnrouted(request, reply)
    },
    // Bytes that are not HTTP (a content-length that lies, a broken header) never reach a route:
    // answer them in Bluum's envelope too, then close the connection as Node's parser requires.
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return socket.destroy(error)
      const body = JSON.stringify(
        errorResponse(
          new InvalidRequestError(
            `the bytes received are not a valid HTTP request (${(error as { code?: string }).code ?? error.message})`,
          ),
        ).body,
      )
      socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      )
    },
  })
  const api = createApi(sandbox, prefix, { bodyLimitBytes })

  // Before anything else, for every path: a `Host` this server was not started for is refused
  // whatever the credentials, so a DNS-rebinding page reads nothing (http/host-allow-list.ts).
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(serverSecurityHeaders)
    if (hosts.allows(request.headers.host, request.socket.localAddress)) return
    const error = new SandboxHostNotAllowedError(
      JSON.stringify(request.headers.host ?? '(none)').slice(0, 120),
      hosts.describe(),
    )
    request.log.info({ code: error.code }, 'request for a foreign host refused')
    const pathname = request.url.split('?')[0] ?? ''
    if (!pathname.startsWith(prefix) && /text\/html/.test(request.headers.accept ?? '')) {
      return reply
        .code(403)
        .type('text/html; charset=utf-8')
        .send(renderRefusalPage(error.code, error.message))
    }
    return send(reply, refusalResponse(error))
  })
  app.addHook('preClose', (done) => {
    streams.endAll()
    done()
  })

  // Bytes in, bytes to the core: it parses JSON and multipart itself, with Bluum's errors.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

  const toRaw = (request: {
    method: string
    url: string
    query: unknown
    headers: RawApiRequest['headers']
    body: unknown
  }): RawApiRequest => {
    const pathname = request.url.split('?')[0] ?? ''
    return {
      method: request.method,
      path: pathname.startsWith(prefix) ? pathname.slice(prefix.length) : pathname,
      query: (request.query ?? {}) as RawApiRequest['query'],
      headers: request.headers,
      body: Buffer.isBuffer(request.body) ? request.body : undefined,
    }
  }

  for (const route of api.routes) {
    app.route({
      method: route.method,
      url: prefix + route.path,
      handler: async (request, reply) =>
        send(
          reply,
          await api.dispatch(route, request.params as Record<string, string>, toRaw(request)),
        ),
    })
  }

  mountStream(
    app,
    sandbox,
    streams,
    prefix,
    options.streamKeepaliveMs ?? streamDefaults.keepaliveMs,
  )

  const openapi = (request: { protocol: string; host: string }) =>
    createOpenApiDocument(api, { serverUrl: `${request.protocol}://${request.host}${prefix}` })
  app.get('/openapi.json', async (request, reply) =>
    send(reply, { status: 200, body: openapi(request) }),
  )
  app.get(`${prefix}/openapi.json`, async (request, reply) =>
    send(reply, { status: 200, body: openapi(request) }),
  )

  /**
   * What Fastify's router did not match (an unknown path, a wrong method, an id longer than its
   * `maxParamLength`, a path it cannot decode) goes through the core's own matcher, so the answer
   * is the one the msw face gives: 404 `BLUM-404-002`, 404 `BLUM-404-001` or 400 `BLUM-400-001`.
   */
  async function handleUnrouted(
    request: Parameters<typeof toRaw>[0],
    reply: FastifyReply,
  ): Promise<FastifyReply> {
    const raw = toRaw(request)
    const pathname = request.url.split('?')[0] ?? ''
    if (!pathname.startsWith(prefix)) {
      // A browser that follows a stale link gets a page, not Bluum's JSON.
      if (/text\/html/.test(String(request.headers.accept ?? '')) && request.method === 'GET') {
        return reply
          .code(404)
          .type('text/html; charset=utf-8')
          .headers(pageSecurityHeaders)
          .send(
            renderMessagePage(
              { nowMs: sandbox.clock.now(), title: 'Not found' },
              {
                heading: 'Not found',
                text: `Nothing at ${pathname.slice(0, 200)}. The API lives under ${prefix}.`,
              },
            ),
          )
      }
      const shown = `${request.method} ${pathname}`.slice(0, 200)
      return send(reply, errorResponse(new EndpointNotFoundError(shown, '')))
    }
    return send(reply, await api.handle(raw))
  }

  // The web inspector at `/` (pages, forms, live stream); see inspector/access.ts for who may use it.
  registerInspector(app, { sandbox, api, streams })

  app.setNotFoundHandler((request, reply) => handleUnrouted(request, reply))
  app.setErrorHandler(
    (error: { code?: string; statusCode?: number; message: string }, request, reply) => {
      // Only Fastify's own failures land here (body too large, a bad content-length, an aborted
      // body): the dispatcher catches everything else. Each answers in Bluum's envelope with a
      // BLUM-{status}-{seq} code, so the status is the code's, never Fastify's 413 or 415.
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
        return send(reply, errorResponse(new RequestTooLargeError(bodyLimitBytes)))
      const status = error.statusCode ?? 500
      if (status < 500) {
        return send(
          reply,
          errorResponse(new InvalidRequestError(`${error.message} (${error.code ?? 'no code'})`)),
        )
      }
      request.log.error({ err: error }, 'sandbox server failure')
      return send(reply, errorResponse(new InternalError()))
    },
  )
  return app
}

/**
 * `GET {prefix}/sandbox/stream`: server-sent events (`text/event-stream`) of the sandbox's live
 * activity, for the inspector page and `bluum-sandbox logs` / `listen`. Auth as every
 * `/v1/sandbox` route (a tenant key, the rate limit); `?webhook_id=wh_...` keeps the attempts of
 * one webhook. Frames: `event: event` (the envelope of each new event), `event: attempt` (the
 * delivery id, webhook id, event name, `evt_` id, the attempt record, the phase, the next retry
 * time or `parked: true`), and a `: keepalive` comment every `keepaliveMs`. Standalone face only:
 * msw answers one response per request, so the in-process face has no stream (subscribe with
 * `sandbox.onEvent` and `sandbox.deliveries.onAttempt` there). The pump (http/event-stream.ts) is
 * shared with the inspector's stream: the caps per client and in all (429
 * `BLUUM_SANDBOX_STREAM_LIMIT`), the 1 MiB backlog limit, and the end of every stream when the
 * server closes (a `preClose` hook, so `app.close()` never waits on an open stream).
 */
function mountStream(
  app: FastifyInstance,
  sandbox: Sandbox,
  streams: EventStreamHub,
  prefix: string,
  keepaliveMs: number,
): void {
  const guard = createApiGuard(sandbox)
  app.route({
    method: 'GET',
    url: `${prefix}/sandbox/stream`,
    // A HEAD would hold the connection open with no body to send.
    exposeHeadRoute: false,
    handler(request, reply) {
      let webhookId: string | undefined
      try {
        const auth = guard.authenticate(request.headers)
        if (auth.kind !== 'tenant') throw new TenantKeyRequiredError('Sandbox controls')
        guard.rateLimit(auth)
        const query = validate(
          StreamQuery,
          flatQuery(request.query as Record<string, string>),
          'query',
        ) as { webhook_id?: string }
        webhookId = query.webhook_id
        if (webhookId !== undefined) sandbox.webhooks.get(webhookId)
        streams.open(request, reply, (write) =>
          openSandboxStream(sandbox, write, {
            keepaliveMs,
            ...(webhookId === undefined ? {} : { webhookId }),
          }),
        )
      } catch (error) {
        if (error instanceof SandboxStreamLimitError)
          send(reply, refusalResponse(error, streamRetryAfterSeconds))
        else send(reply, errorResponse(error))
      }
    },
  })
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new SandboxInvalidOptionError(name, `expected an integer >= 1, got ${value}`)
  return value
}
