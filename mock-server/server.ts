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
import { MalformedBodyError } from './core/errors.js'
import { createOpenApiDocument } from './api/openapi.js'
import { createApi } from './api/routes/index.js'
import type { Sandbox } from './sandbox.js'

export interface SandboxServerOptions {
  /** Path prefix of the API. Default `'/v1'`. */
  prefix?: string
  /** Fastify's logger option. Default false. */
  logger?: FastifyServerOptions['logger']
  /** Largest accepted request body, bytes (documents are multipart). Default 10485760 (10 MiB). */
  bodyLimitBytes?: number
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
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? 10_485_760,
  })
  const api = createApi(sandbox, prefix)

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

  const openapi = (request: { protocol: string; host: string }) =>
    createOpenApiDocument(api, { serverUrl: `${request.protocol}://${request.host}${prefix}` })
  app.get('/openapi.json', async (request, reply) =>
    send(reply, { status: 200, body: openapi(request) }),
  )
  app.get(`${prefix}/openapi.json`, async (request, reply) =>
    send(reply, { status: 200, body: openapi(request) }),
  )

  app.setNotFoundHandler((request, reply) => send(reply, api.notFound(toRaw(request))))
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    // Only Fastify's own failures land here (body too large, bad content-length): answer in Bluum's envelope.
    const status = error.statusCode ?? 500
    const response = errorResponse(status < 500 ? new MalformedBodyError(error.message) : error)
    return send(reply, { ...response, status: status < 500 ? status : 500 })
  })
  return app
}
