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
 */

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

/** Tells whether an address is this machine's (127.0.0.0/8, ::1, or IPv4-mapped 127.x). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)
}

/** The host name of a `Host` header, without its port (`[::1]:4010` → `::1`). */
export function hostName(host: string | undefined): string | undefined {
  if (!host) return undefined
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host)
  if (bracketed) return bracketed[1]!.toLowerCase()
  return host.replace(/:\d+$/, '').toLowerCase()
}

/** Tells whether a `Host` header names this machine. */
export function isLoopbackHost(host: string | undefined): boolean {
  const name = hostName(host)
  return name === 'localhost' || isLoopbackAddress(name)
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
