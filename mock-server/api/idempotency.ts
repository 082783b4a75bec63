/**
 * Bluum's `Idempotency-Key` rules: required on deposits and withdrawals, honoured on orders; the
 * same key and body replays the first answer (business errors included), the same key with
 * another body is a 409, and keys are kept `idempotencyTtlMs` (24 h).
 */
import {
  IdempotencyConflictError,
  IdempotencyKeyRequiredError,
  isBluumApiError,
  withParam,
} from '../core/errors.js'
import type { Sandbox } from '../sandbox.js'
import { errorResponse } from './error-response.js'
import { header } from './request-parts.js'
import type { ApiRequest, ApiResponse, RawApiRequest, RouteDefinition } from './route.js'

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

/** Runs `route`'s handler under the key rules; `request` is the validated request. */
export async function runIdempotent(
  sandbox: Sandbox,
  route: RouteDefinition,
  raw: RawApiRequest,
  request: ApiRequest,
  prefix: string,
): Promise<ApiResponse> {
  const { state, clock, options } = sandbox
  const key = header(raw.headers, 'idempotency-key')?.trim()
  if (!route.idempotency || (!key && route.idempotency === 'optional'))
    return route.handler(request)
  if (!key)
    throw withParam(
      new IdempotencyKeyRequiredError(`${route.method} ${prefix}${route.path}`),
      'Idempotency-Key',
    )

  const storeKey = `${request.auth.apiKey}\u0000${key}`
  const fingerprint = `${request.method} ${raw.path} ${canonical(request.body)}`
  const now = clock.now()
  const previous = state.idempotency.get(storeKey)
  if (previous && previous.expiresAtMs > now) {
    if (previous.fingerprint !== fingerprint)
      throw withParam(new IdempotencyConflictError(key), 'Idempotency-Key')
    const response = structuredClone(previous.response)
    return { ...response, headers: { ...response.headers, 'idempotent-replayed': 'true' } }
  }
  let response: ApiResponse
  try {
    response = await route.handler(request)
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
