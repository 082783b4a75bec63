/**
 * Who may call: HTTP Basic with the sandbox's tenant key or an investor-scoped key, the scope
 * rules of Bluum's keys, and the per-key rate limit (Bluum's 10 requests/s in the sandbox).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import {
  InvalidCredentialsError,
  MalformedCredentialsError,
  MissingCredentialsError,
  OtherInvestorError,
  RateLimitedError,
  TenantKeyRequiredError,
  withParam,
  type BluumApiError,
} from '../core/errors.js'
import type { Sandbox } from '../sandbox.js'
import { header } from './request-parts.js'
import type { AuthContext, RawApiRequest, RouteDefinition } from './route.js'

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}

export interface ApiGuard {
  /** The caller's key, or a 401: `BLUM-401-001` missing, `-002` malformed, `-003` unknown. */
  authenticate(headers: RawApiRequest['headers']): AuthContext
  /** A 403 when an investor-scoped key reaches a tenant route or another investor. */
  authorize(route: RouteDefinition, auth: AuthContext, params: Record<string, string>): void
  /** A 429 with `Retry-After` past `rateLimitPerSecond` requests in the current second. */
  rateLimit(auth: AuthContext): void
}

/** The guard for `sandbox`'s keys, clock and rate-limit state. */
export function createApiGuard(sandbox: Sandbox): ApiGuard {
  const { state, clock, options } = sandbox
  return { authenticate, authorize, rateLimit }

  function authenticate(headers: RawApiRequest['headers']): AuthContext {
    const authorization = header(headers, 'authorization')
    if (!authorization) throw new MissingCredentialsError()
    const match = /^Basic\s+(\S+)$/i.exec(authorization.trim())
    if (!match) throw new MalformedCredentialsError('not the Basic scheme')
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(match[1]!))
      throw new MalformedCredentialsError('the credentials are not base64')
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) throw new MalformedCredentialsError("no ':' between key and secret")
    const key = decoded.slice(0, colon)
    const secret = decoded.slice(colon + 1)
    if (key === options.apiKey && sameSecret(secret, options.apiSecret))
      return { kind: 'tenant', apiKey: key }
    for (const scoped of options.investorKeys) {
      if (key === scoped.apiKey && sameSecret(secret, scoped.apiSecret)) {
        return { kind: 'investor', apiKey: key, investorId: scoped.investorId }
      }
    }
    // Keys created through the API (POST /investors/{id}/api-keys); a revoked one no longer matches.
    const created = sandbox.apiKeys.active(key)
    if (created && sameSecret(secret, created.secret_key))
      return { kind: 'investor', apiKey: key, investorId: created.account_id }
    throw new InvalidCredentialsError()
  }

  function authorize(
    route: RouteDefinition,
    auth: AuthContext,
    params: Record<string, string>,
  ): void {
    if (auth.kind === 'tenant') return
    if (route.access === 'tenant') throw new TenantKeyRequiredError(route.tag)
    const investorId = params.investor_id ?? params.account_id
    if (investorId !== undefined && investorId !== auth.investorId) {
      throw withParam(new OtherInvestorError(investorId), 'investor_id')
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
      const error: BluumApiError = new RateLimitedError(limit)
      error.retryAfterSeconds = Math.max(1, Math.ceil((windowStartMs + 1000 - now) / 1000))
      throw error
    }
  }
}
