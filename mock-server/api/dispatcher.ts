/**
 * The machine that runs the route table: matches a method and path, then authenticates,
 * rate-limits, parses, validates, applies Idempotency-Key rules and turns every failure into
 * Bluum's error envelope. Both faces (msw handlers in-process, the Fastify server standalone)
 * turn their native request into a {@link RawApiRequest} and hand it here. The vocabulary the
 * routes are written in lives in `route.ts`.
 */
import { EndpointNotFoundError } from '../core/errors.js'
import type { Sandbox } from '../sandbox.js'
import { createApiGuard } from './auth.js'
import { errorResponse } from './error-response.js'
import { runIdempotent } from './idempotency.js'
import { flatHeaders, flatQuery, parseBody } from './request-parts.js'
import type { ApiRequest, ApiResponse, RawApiRequest, RouteDefinition } from './route.js'
import { validate } from './validation.js'

export interface SandboxApi {
  /** Every route, in matching order (static segments before parameters). */
  readonly routes: readonly RouteDefinition[]
  /** The API prefix the faces mount the routes under. Default `/v1`. */
  readonly prefix: string
  /** Finds the route and its params for a method and a path below the API root. */
  match(
    method: string,
    path: string,
  ): { route: RouteDefinition; params: Record<string, string> } | undefined
  /** Runs one matched route: auth, rate limit, parsing, validation, idempotency, handler. */
  dispatch(
    route: RouteDefinition,
    params: Record<string, string>,
    request: RawApiRequest,
  ): Promise<ApiResponse>
  /** Matches and dispatches; unknown routes get Bluum's 404 envelope. */
  handle(request: RawApiRequest): Promise<ApiResponse>
  /** Bluum's 404 envelope for an unknown route. */
  notFound(request: Pick<RawApiRequest, 'method' | 'path'>): ApiResponse
}

interface CompiledRoute {
  route: RouteDefinition
  pattern: RegExp
  names: string[]
}

function compile(route: RouteDefinition): CompiledRoute {
  const names: string[] = []
  const source = route.path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      names.push(segment.slice(1))
      return '([^/]+)'
    })
    .join('/')
  return { route, pattern: new RegExp(`^${source}/?$`), names }
}

/** Creates the dispatcher over `routes` for `sandbox`. */
export function createApiDispatcher(
  sandbox: Sandbox,
  routes: readonly RouteDefinition[],
  prefix = '/v1',
): SandboxApi {
  const compiled = routes.map(compile)
  const guard = createApiGuard(sandbox)

  async function run(
    route: RouteDefinition,
    params: Record<string, string>,
    raw: RawApiRequest,
  ): Promise<ApiResponse> {
    const auth = guard.authenticate(raw.headers)
    guard.authorize(route, auth, params)
    guard.rateLimit(auth)
    const body = await parseBody(route, raw)
    const query = route.schema.query
      ? validate(route.schema.query, flatQuery(raw.query), 'query')
      : flatQuery(raw.query)
    const request = {
      method: raw.method.toUpperCase(),
      url: prefix + raw.path,
      params,
      query,
      headers: flatHeaders(raw.headers),
      body: route.schema.body ? validate(route.schema.body, body, 'body') : undefined,
      auth,
    } as ApiRequest
    return runIdempotent(sandbox, route, raw, request, prefix)
  }

  const api: SandboxApi = {
    routes,
    prefix,
    match(method, path) {
      const upper = method.toUpperCase()
      for (const { route, pattern, names } of compiled) {
        if (route.method !== upper) continue
        const found = pattern.exec(path)
        if (!found) continue
        const params: Record<string, string> = {}
        names.forEach((name, i) => (params[name] = decodeURIComponent(found[i + 1]!)))
        return { route, params }
      }
      return undefined
    },
    async dispatch(route, params, request) {
      try {
        return await run(route, params, request)
      } catch (error) {
        return errorResponse(error)
      } finally {
        // Any write may have changed state without an event (a webhook, a price): schedule a save.
        if (route.method !== 'GET') sandbox.changed()
      }
    },
    async handle(request) {
      const found = api.match(request.method, request.path)
      return found ? api.dispatch(found.route, found.params, request) : api.notFound(request)
    },
    notFound(request) {
      return errorResponse(
        new EndpointNotFoundError(request.method.toUpperCase(), `${prefix}${request.path}`),
      )
    },
  }
  return api
}
