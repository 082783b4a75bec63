/**
 * Who may use the inspector, decided from a request's parts alone (pure, no Fastify).
 *
 * The inspector acts with the sandbox's tenant rights (it reveals webhook secrets, rotates them,
 * triggers events), so it is either local or authenticated:
 *
 * - A request from this machine (a loopback peer) whose `Host` names a loopback address
 *   (`127.0.0.1`, `localhost`, `[::1]`) is served without a login: that is the developer at the
 *   `bluum-sandbox` they started, and asking them for the API key printed in the banner they are
 *   looking at would add nothing. The `Host` check stops DNS rebinding: a web page on
 *   `evil.example` whose name is made to resolve to 127.0.0.1 reaches the server from loopback, but
 *   with `Host: evil.example`.
 * - Any other request (the sandbox bound to `0.0.0.0` in a container, reached from the network)
 *   needs the API's own HTTP Basic credentials (the sandbox's tenant key and secret); the answer
 *   `401` carries `WWW-Authenticate`, so the browser asks for them once.
 * - Every POST must come from the inspector's own pages: a browser names the page's origin in
 *   `Origin` (and `Sec-Fetch-Site`), so a form on another site the developer visits cannot
 *   rotate a secret or trigger events through the local sandbox (CSRF). A client that sends
 *   neither header (curl, a script) is not a browser page and is let through.
 *
 * Before any of this, the server refuses a `Host` it was not started for, on every path
 * (http/host-allow-list.ts): a DNS-rebinding page never gets here.
 */
import { hostName, isLoopbackAddress, isLoopbackName } from '../http/host-allow-list.js'

/** What the decision needs from a request. */
export interface AccessRequest {
  method: string
  /** The peer's address (`request.socket.remoteAddress`). */
  remoteAddress: string | undefined
  /** The `Host` header. */
  host: string | undefined
  /** The `Origin` header. */
  origin: string | undefined
  /** The `Sec-Fetch-Site` header. */
  secFetchSite: string | undefined
  /** Whether the request carried the sandbox's tenant key and secret (HTTP Basic). */
  hasTenantCredentials: boolean
}

export type AccessDecision =
  | { allowed: true }
  | { allowed: false; status: 401; reason: 'credentials' }
  | { allowed: false; status: 403; reason: 'cross-site' }

/** Tells whether a `Host` header names this machine by a loopback name or address. */
function isLoopbackHost(host: string | undefined): boolean {
  return isLoopbackName(hostName(host))
}

/** Whether a state-changing request comes from the inspector's own origin, as far as a browser says. */
function sameOrigin(request: AccessRequest): boolean {
  if (request.origin !== undefined) {
    let origin: URL
    try {
      origin = new URL(request.origin)
    } catch {
      return false // `Origin: null` (a sandboxed frame, a file: page) is no origin of ours.
    }
    return request.host !== undefined && origin.host.toLowerCase() === request.host.toLowerCase()
  }
  const site = request.secFetchSite
  return site === undefined || site === 'same-origin' || site === 'none'
}

/** Decides whether the inspector serves `request`. */
export function decideAccess(request: AccessRequest): AccessDecision {
  const local = isLoopbackAddress(request.remoteAddress) && isLoopbackHost(request.host)
  if (!local && !request.hasTenantCredentials)
    return { allowed: false, status: 401, reason: 'credentials' }
  const method = request.method.toUpperCase()
  if (method !== 'GET' && method !== 'HEAD' && !sameOrigin(request))
    return { allowed: false, status: 403, reason: 'cross-site' }
  return { allowed: true }
}
