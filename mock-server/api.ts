/**
 * The emulated REST API, declared once as data and dispatched by a framework-free core.
 *
 * A route is `{ method, path, schema, handler }`; the handler takes a plain request and returns a
 * plain `{ status, headers?, body }`. Both faces (msw handlers in-process, the Fastify server
 * standalone) turn their native request into a {@link RawApiRequest} and hand it to the same
 * dispatcher, which authenticates, rate-limits, parses, validates, applies Idempotency-Key rules
 * and turns every failure into Bluum's error envelope.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Static, TSchema } from '@sinclair/typebox'
import sjson from 'secure-json-parse'
import {
  ERR_IDEMPOTENCY_CONFLICT,
  ERR_IDEMPOTENCY_KEY_REQUIRED,
  ERR_INTERNAL,
  ERR_INVALID_CREDENTIALS,
  ERR_MALFORMED_BODY,
  ERR_MISSING_CREDENTIALS,
  ERR_NOT_FOUND,
  ERR_OTHER_INVESTOR,
  ERR_RATE_LIMITED,
  ERR_TENANT_KEY_REQUIRED,
  errorTypeFor,
  isBluumApiError,
  withParam,
  type BluumApiError,
} from './errors.js'
import type { Sandbox } from './sandbox.js'
import { validate } from './validation.js'

/** Who is calling. */
export type AuthContext =
  | { kind: 'tenant'; apiKey: string }
  | { kind: 'investor'; apiKey: string; investorId: string | undefined }

/** A request as a face received it, before any parsing. */
export interface RawApiRequest {
  method: string
  /** Path below the API root, e.g. `/webhooks/wh_123` (no `/v1`). */
  path: string
  query: Record<string, string | string[] | undefined>
  /** Header names in lower case. */
  headers: Record<string, string | string[] | undefined>
  /** The raw body bytes (or text), exactly as received. */
  body?: Uint8Array | string | undefined
}

/** What a handler or the dispatcher answers. */
export interface ApiResponse {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

/** `:name` segments of a path, as an object type. */
export type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? { [K in Name]: string } & PathParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? { [K in Name]: string }
    : Record<never, string>

type StaticOr<T, D> = T extends TSchema ? Static<T> : D

export interface RouteSchemas {
  query?: TSchema
  body?: TSchema
  /** The success answer, for the OpenAPI document. */
  response?: TSchema
}

/** The parsed, validated request a handler receives. */
export interface ApiRequest<P extends string = string, S extends RouteSchemas = RouteSchemas> {
  method: string
  /** The full path as the client sent it, with the API prefix (`/v1/...`). */
  url: string
  params: PathParams<P>
  query: StaticOr<S['query'], Record<string, unknown>>
  headers: Record<string, string>
  body: StaticOr<S['body'], undefined>
  auth: AuthContext
}

export interface RouteDefinition<P extends string = string, S extends RouteSchemas = RouteSchemas> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** Below the API root, with `:param` segments: `/webhooks/:webhook_id`. */
  path: P
  operationId: string
  summary: string
  tag: string
  /** `tenant`: tenant-wide keys only; `investor`: investor keys too, for their own investor. */
  access: 'tenant' | 'investor'
  /** `Idempotency-Key` handling: required (deposits, withdrawals) or honoured when sent (orders). */
  idempotency?: 'required' | 'optional'
  /** Multipart bodies (documents) are parsed into fields; files become `{ filename, size, content_type }`. */
  bodyType?: 'json' | 'multipart'
  /** Success status, for the OpenAPI document. Default 200. */
  successStatus?: number
  schema: S
  handler(request: ApiRequest<P, S>): ApiResponse | Promise<ApiResponse>
}

/** Declares a route with its handler typed from its path and schemas. */
export function defineRoute<const P extends string, S extends RouteSchemas>(
  route: RouteDefinition<P, S>,
): RouteDefinition {
  return route as unknown as RouteDefinition
}

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

/** Bluum's error envelope for any thrown error; unknown errors become a 500 without details. */
export function errorResponse(error: unknown): ApiResponse {
  const known: BluumApiError = isBluumApiError(error) ? error : new ERR_INTERNAL()
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (known.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(known.retryAfterSeconds)
  return {
    status: known.statusCode,
    headers,
    body: {
      error: {
        type: errorTypeFor(known.statusCode, known.code),
        code: known.code,
        message: known.message,
        ...(known.param === undefined ? {} : { param: known.param }),
      },
    },
  }
}

function header(headers: RawApiRequest['headers'], name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}

/** Serialises with sorted keys, so `{a,b}` and `{b,a}` are the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    )
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
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
  const { state, clock, options } = sandbox

  function authenticate(headers: RawApiRequest['headers']): AuthContext {
    const authorization = header(headers, 'authorization')
    if (!authorization) throw new ERR_MISSING_CREDENTIALS()
    const match = /^Basic\s+(\S+)$/i.exec(authorization.trim())
    if (!match) throw new ERR_MISSING_CREDENTIALS()
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) throw new ERR_INVALID_CREDENTIALS()
    const key = decoded.slice(0, colon)
    const secret = decoded.slice(colon + 1)
    if (key === options.apiKey && sameSecret(secret, options.apiSecret))
      return { kind: 'tenant', apiKey: key }
    for (const scoped of options.investorKeys) {
      if (key === scoped.apiKey && sameSecret(secret, scoped.apiSecret)) {
        return { kind: 'investor', apiKey: key, investorId: scoped.investorId }
      }
    }
    throw new ERR_INVALID_CREDENTIALS()
  }

  function authorize(
    route: RouteDefinition,
    auth: AuthContext,
    params: Record<string, string>,
  ): void {
    if (auth.kind === 'tenant') return
    if (route.access === 'tenant') throw new ERR_TENANT_KEY_REQUIRED(route.tag)
    const investorId = params.investor_id ?? params.account_id
    if (investorId !== undefined && investorId !== auth.investorId) {
      throw withParam(new ERR_OTHER_INVESTOR(investorId), 'investor_id')
    }
  }

  function rateLimit(auth: AuthContext): void {
    const limit = options.rateLimitPerSecond
    if (limit <= 0) return
    const now = clock.now()
    const windowStartMs = now - (now % 1000)
    const window = state.rateWindows.get(auth.apiKey)
    if (!window || window.windowStartMs !== windowStartMs) {
      state.rateWindows.set(auth.apiKey, { windowStartMs, count: 1 })
      return
    }
    window.count += 1
    if (window.count > limit) {
      const error: BluumApiError = new ERR_RATE_LIMITED(limit)
      error.retryAfterSeconds = Math.max(1, Math.ceil((windowStartMs + 1000 - now) / 1000))
      throw error
    }
  }

  async function parseBody(route: RouteDefinition, request: RawApiRequest): Promise<unknown> {
    if (!route.schema.body) return undefined
    const raw = request.body
    const contentType = header(request.headers, 'content-type') ?? ''
    if (route.bodyType === 'multipart') {
      if (!/^multipart\/form-data/i.test(contentType) || raw === undefined) {
        throw new ERR_MALFORMED_BODY(
          `expected multipart/form-data, got ${contentType || 'no content-type'}`,
        )
      }
      let form: FormData
      try {
        form = await new Request('http://sandbox.invalid/', {
          method: 'POST',
          headers: { 'content-type': contentType },
          body: typeof raw === 'string' ? raw : new Uint8Array(raw),
        }).formData()
      } catch (error) {
        throw new ERR_MALFORMED_BODY(`invalid multipart body (${(error as Error).message})`)
      }
      const fields: Record<string, unknown> = {}
      for (const [name, value] of form.entries()) {
        fields[name] =
          typeof value === 'string'
            ? value
            : {
                filename: value.name,
                size: value.size,
                content_type: value.type || 'application/octet-stream',
              }
      }
      return fields
    }
    const text =
      typeof raw === 'string' ? raw : raw === undefined ? '' : Buffer.from(raw).toString('utf8')
    if (text.trim() === '') return {}
    try {
      // secure-json-parse refuses __proto__/constructor keys: a mock should not be a pollution vector.
      return sjson.parse(text)
    } catch (error) {
      throw new ERR_MALFORMED_BODY((error as Error).message)
    }
  }

  function flatQuery(query: RawApiRequest['query']): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [key, value] of Object.entries(query)) {
      const first = Array.isArray(value) ? value[0] : value
      if (first !== undefined) out[key] = first
    }
    return out
  }

  function flatHeaders(headers: RawApiRequest['headers']): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [key, value] of Object.entries(headers)) {
      if (value !== undefined)
        out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
    }
    return out
  }

  async function run(
    route: RouteDefinition,
    params: Record<string, string>,
    request: RawApiRequest,
  ): Promise<ApiResponse> {
    const auth = authenticate(request.headers)
    authorize(route, auth, params)
    rateLimit(auth)
    const body = await parseBody(route, request)
    const validBody = route.schema.body ? validate(route.schema.body, body, 'body') : undefined
    const query = route.schema.query
      ? validate(route.schema.query, flatQuery(request.query), 'query')
      : flatQuery(request.query)
    const apiRequest = {
      method: request.method.toUpperCase(),
      url: prefix + request.path,
      params,
      query,
      headers: flatHeaders(request.headers),
      body: validBody,
      auth,
    } as ApiRequest

    const key = header(request.headers, 'idempotency-key')?.trim()
    if (!route.idempotency || (!key && route.idempotency === 'optional'))
      return route.handler(apiRequest)
    if (!key)
      throw withParam(
        new ERR_IDEMPOTENCY_KEY_REQUIRED(`${route.method} ${prefix}${route.path}`),
        'Idempotency-Key',
      )

    const storeKey = `${auth.apiKey}\u0000${key}`
    const fingerprint = `${apiRequest.method} ${request.path} ${canonical(validBody)}`
    const now = clock.now()
    const previous = state.idempotency.get(storeKey)
    if (previous && previous.expiresAtMs > now) {
      if (previous.fingerprint !== fingerprint)
        throw withParam(new ERR_IDEMPOTENCY_CONFLICT(key), 'Idempotency-Key')
      const response = structuredClone(previous.response)
      return { ...response, headers: { ...response.headers, 'idempotent-replayed': 'true' } }
    }
    let response: ApiResponse
    try {
      response = await route.handler(apiRequest)
    } catch (error) {
      // A business answer (422 insufficient funds...) is part of what the key replays; a crash is not.
      if (!isBluumApiError(error)) throw error
      response = errorResponse(error)
    }
    if (response.status < 500) {
      state.idempotency.set(storeKey, {
        fingerprint,
        expiresAtMs: now + options.idempotencyTtlMs,
        response: {
          status: response.status,
          headers: response.headers ?? {},
          body: structuredClone(response.body),
        },
      })
    }
    return response
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
      }
    },
    async handle(request) {
      const found = api.match(request.method, request.path)
      return found ? api.dispatch(found.route, found.params, request) : api.notFound(request)
    },
    notFound(request) {
      return errorResponse(
        new ERR_NOT_FOUND('route', `${request.method.toUpperCase()} ${prefix}${request.path}`),
      )
    },
  }
  return api
}

/** Helper for handlers: a JSON answer. */
export function json(status: number, body: unknown): ApiResponse {
  return { status, headers: { 'content-type': 'application/json' }, body }
}

/** Helper for list handlers: Bluum's list envelope with `limit`/`offset` paging. */
export function list<T>(
  url: string,
  items: readonly T[],
  query: { limit?: number; offset?: number },
): ApiResponse {
  const limit = query.limit ?? 10
  const offset = query.offset ?? 0
  return json(200, {
    object: 'list',
    url,
    has_more: offset + limit < items.length,
    data: items.slice(offset, offset + limit),
  })
}

/** Investor-scoped keys may only act for their own investor (for routes with no `:investor_id`). */
export function assertInvestorAccess(auth: AuthContext, investorId: string): void {
  if (auth.kind === 'investor' && auth.investorId !== investorId) {
    throw withParam(new ERR_OTHER_INVESTOR(investorId), 'investor_id')
  }
}
