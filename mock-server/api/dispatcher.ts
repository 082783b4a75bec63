/**
 * The machine that runs the route table: matches a method and path, then authenticates,
 * rate-limits, parses, validates, applies Idempotency-Key rules and turns every failure into
 * Bluum's error envelope. Both faces (msw handlers in-process, the Fastify server standalone)
 * turn their native request into a {@link RawApiRequest} and hand it here. The vocabulary the
 * routes are written in lives in `route.ts`.
 */
import {
  EndpointNotFoundError,
  InvalidFormatError,
  InvalidRequestError,
  NotFoundError,
  withParam,
} from '../core/errors.js'
import { Type } from '@sinclair/typebox'
import type { Sandbox } from '../sandbox.js'
import { createApiGuard } from './auth.js'
import { errorResponse } from './error-response.js'
import { runIdempotent } from './idempotency.js'
import {
  defaultBodyLimitBytes,
  flatHeaders,
  flatQuery,
  parseBody,
  type BodyLimits,
} from './request-parts.js'
import type { ApiRequest, ApiResponse, RawApiRequest, RouteDefinition } from './route.js'
import { compiledSchema } from '../core/compiled-schema.js'
import {
  withMisspelling,
  undocumentedWarning,
  validate,
  type UndocumentedFields,
} from './validation.js'

/** The header that names what a request carried that Bluum does not document. */
export const warningHeader = 'bluum-sandbox-warning'

/** The query schema of a route that takes none: every query key is undocumented. */
const noQuery = Type.Object({})

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
  /**
   * Matches and dispatches; a path no route has gets Bluum's 404 `BLUM-404-002`, a path that
   * cannot be decoded a 400: every answer is in Bluum's envelope.
   */
  handle(request: RawApiRequest): Promise<ApiResponse>
  /** Bluum's 404 `BLUM-404-002` envelope for an unknown route, naming the methods the path has. */
  notFound(request: Pick<RawApiRequest, 'method' | 'path'>): ApiResponse
}

/** Options of {@link createApiDispatcher}. */
export interface ApiDispatcherOptions {
  /** Largest request body, bytes; larger ones answer 400 `BLUM-400-008`. Default 10485760 (10 MiB). */
  bodyLimitBytes?: number
}

/** Longest path parameter (an id) the dispatcher looks up; Bluum's ids are about 30 characters. */
export const maxParamLength = 64

/** A path segment decoded, or a 400 naming it when its percent-encoding is broken (`%ZZ`, `%E0%A4`). */
function decodeSegment(segment: string, name: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw withParam(
      new InvalidRequestError(
        `the path segment '${segment.slice(0, maxParamLength)}' is not valid percent-encoding (each % must start a %XX escape of UTF-8 bytes)`,
      ),
      name,
    )
  }
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * A raw UUID where Bluum expects a prefixed id is a 400 ("How the API works": raw UUIDs are
 * rejected on the external surface); any other unknown value is left to the lookup's 404.
 */
function checkIdParams(route: RouteDefinition, params: Record<string, string>): void {
  for (const [name, prefix] of Object.entries(route.idParams ?? {})) {
    const value = params[name]
    if (value === undefined || !uuidPattern.test(value)) continue
    throw withParam(
      new InvalidFormatError(
        name,
        `expected a prefixed id such as "${prefix}_01j9x8m2k7qpzwv3t5r6y8n0ab"; got a raw UUID. Pass ids back exactly as the API returned them`,
      ),
      name,
    )
  }
}

/** Throws Bluum's 404 for a parameter longer than any id the sandbox makes, without echoing it whole. */
function checkParamLengths(params: Record<string, string>): void {
  for (const [name, value] of Object.entries(params)) {
    if (value.length <= maxParamLength) continue
    const kind = name.replace(/_id$/, '')
    throw withParam(
      new NotFoundError(kind, `${value.slice(0, 20)}… (${value.length} characters)`),
      name,
    )
  }
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
  options: ApiDispatcherOptions = {},
): SandboxApi {
  const compiled = routes.map(compile)
  const guard = createApiGuard(sandbox)
  const limits: BodyLimits = { bodyLimitBytes: options.bodyLimitBytes ?? defaultBodyLimitBytes }

  // Every schema compiled once, here, not on the first request that needs it.
  for (const route of routes) {
    if (route.schema.body) compiledSchema(route.schema.body)
    if (route.schema.query) compiledSchema(route.schema.query)
  }

  async function run(
    route: RouteDefinition,
    params: Record<string, string>,
    raw: RawApiRequest,
    undocumented: UndocumentedFields,
  ): Promise<ApiResponse> {
    const auth = guard.authenticate(raw.headers)
    guard.authorize(route, auth, params)
    guard.rateLimit(auth)
    checkParamLengths(params)
    checkIdParams(route, params)
    const strict = sandbox.state.strict
    const body = await parseBody(route, raw, limits)
    const query = validate(route.schema.query ?? noQuery, flatQuery(raw.query), 'query', {
      strict,
      undocumented,
    })
    const request = {
      method: raw.method.toUpperCase(),
      url: prefix + raw.path,
      params,
      query,
      headers: flatHeaders(raw.headers),
      body: route.schema.body
        ? validate(route.schema.body, body, 'body', { strict, undocumented })
        : undefined,
      auth,
    } as ApiRequest
    return runIdempotent(sandbox, route, raw, request, prefix)
  }

  /** Answers with the warning header when fields were ignored, and notes the request. */
  function finish(
    route: RouteDefinition | undefined,
    raw: RawApiRequest,
    response: ApiResponse,
    undocumented: UndocumentedFields,
  ): ApiResponse {
    const warnings = undocumented.length > 0 ? [undocumentedWarning(undocumented)] : []
    const answered =
      warnings.length === 0
        ? response
        : { ...response, headers: { ...response.headers, [warningHeader]: warnings[0]! } }
    const code = (answered.body as { error?: { code?: unknown } } | undefined)?.error?.code
    sandbox.requestLog.record({
      method: raw.method.toUpperCase(),
      path: prefix + raw.path,
      operationId: route?.operationId ?? null,
      status: answered.status,
      code: typeof code === 'string' ? code : null,
      warnings,
    })
    return answered
  }

  /** The methods some route answers on `path`, for the 404's hint. */
  const methodsOf = (path: string) =>
    [...new Set(compiled.filter((c) => c.pattern.test(path)).map((c) => c.route.method))].sort()

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
        names.forEach((name, i) => (params[name] = decodeSegment(found[i + 1]!, name)))
        return { route, params }
      }
      return undefined
    },
    async dispatch(route, params, request) {
      const undocumented: UndocumentedFields = []
      try {
        return finish(route, request, await run(route, params, request, undocumented), undocumented)
      } catch (error) {
        return finish(
          route,
          request,
          errorResponse(withMisspelling(error, undocumented)),
          undocumented,
        )
      } finally {
        // Any write may have changed state without an event (a webhook, a price): schedule a save.
        if (route.method !== 'GET') sandbox.changed()
      }
    },
    async handle(request) {
      let found: ReturnType<SandboxApi['match']>
      try {
        found = api.match(request.method, request.path)
      } catch (error) {
        return finish(undefined, request, errorResponse(error), [])
      }
      return found
        ? api.dispatch(found.route, found.params, request)
        : finish(undefined, request, api.notFound(request), [])
    },
    notFound(request) {
      const methods = methodsOf(request.path)
      const shown = `${request.method.toUpperCase()} ${prefix}${request.path}`
      return errorResponse(
        new EndpointNotFoundError(
          shown.length > 200 ? `${shown.slice(0, 200)}…` : shown,
          methods.length ? ` This path answers ${methods.join(', ')}.` : '',
        ),
      )
    },
  }
  return api
}
