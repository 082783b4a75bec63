/**
 * Which `Host` values the standalone server answers (pure, no Fastify).
 *
 * DNS rebinding: a page on `evil.example` whose name is made to resolve to 127.0.0.1 reaches the
 * local sandbox as a same-origin page, with `Host: evil.example`, and any credentials it likes
 * (the sandbox's defaults are published). Checking the `Host` header is what stops it: the server
 * answers only the names it was started for, whatever the credentials, so the page reads nothing.
 *
 * Allowed: loopback names (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`), an IP literal equal
 * to the address the connection arrived at (a rebinding page always has a DNS name, so an address
 * names this server), the name the server was bound to, and the names added with
 * `--allowed-host` / `allowedHosts` (exact, or `.example.test` for a domain and its subdomains).
 * The port is not compared: a container's port mapping (`-p 8080:4010`) changes it on the way.
 */
import { isIP } from 'node:net'

/** The host name of a `Host` header, lower-cased, without its port or IPv6 brackets. */
export function hostName(host: string | undefined): string | undefined {
  if (!host) return undefined
  const bracketed = /^\[([^\]]+)\](?::\d*)?$/.exec(host)
  if (bracketed) return bracketed[1]!.toLowerCase()
  // An IPv6 literal without brackets is not a valid Host; keep it whole so it matches nothing.
  if (host.split(':').length > 2) return host.toLowerCase()
  return host.replace(/:\d*$/, '').replace(/\.$/, '').toLowerCase()
}

/** Tells whether an address is this machine's (127.0.0.0/8, ::1, or IPv4-mapped 127.x). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)
}

/** Tells whether a host name (no port) names this machine by a loopback name or address. */
export function isLoopbackName(name: string | undefined): boolean {
  if (!name) return false
  return name === 'localhost' || name.endsWith('.localhost') || isLoopbackAddress(name)
}

/** Addresses that mean "every interface": they are bound, never asked for. */
const wildcardAddresses = new Set(['0.0.0.0', '::', '[::]'])

/** What the allow-list is built from. */
export interface HostAllowListOptions {
  /** The address or name the server was told to bind (`--host`). Default none. */
  bindHost?: string | undefined
  /** Extra names: `sandbox`, `sandbox.internal`, or `.example.test` for a domain and its subdomains. */
  allowedHosts?: readonly string[] | undefined
}

export interface HostAllowList {
  /** Whether a request with this `Host` header, arriving at `localAddress`, is answered. */
  allows(host: string | undefined, localAddress: string | undefined): boolean
  /** The allowed names, for the refusal's message. */
  describe(): string
}

const hostLabel = '[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?'
const hostNamePattern = new RegExp(`^\\.?${hostLabel}(\\.${hostLabel})*$`)

/**
 * Checks one `--allowed-host` entry: a host name (`sandbox`), a domain with its subdomains
 * (`.example.test`) or an address (`10.0.0.2`, `[fd00::2]`); no scheme, port or path. Returns
 * what is wrong, or undefined.
 */
export function checkAllowedHost(entry: string): string | undefined {
  const name = entry.trim().toLowerCase()
  if (isIP(name.replace(/^\[|\]$/g, ''))) return undefined
  if (hostNamePattern.test(name)) return undefined
  return `expected a host name such as sandbox or .example.test (no scheme, port or path), got ${JSON.stringify(entry)}`
}

/** Builds the allow-list once, when the server is created. */
export function createHostAllowList(options: HostAllowListOptions = {}): HostAllowList {
  const exact = new Set<string>()
  const suffixes: string[] = []
  const bind = options.bindHost === undefined ? undefined : hostName(options.bindHost)
  if (bind && !wildcardAddresses.has(bind)) exact.add(bind)
  for (const entry of options.allowedHosts ?? []) {
    const name = entry
      .trim()
      .toLowerCase()
      .replace(/^\[|\]$/g, '')
    if (name.startsWith('.')) suffixes.push(name)
    else exact.add(name)
  }
  return {
    allows(host, localAddress) {
      const name = hostName(host)
      if (!name) return false
      if (isLoopbackName(name) || exact.has(name)) return true
      if (suffixes.some((suffix) => name === suffix.slice(1) || name.endsWith(suffix))) return true
      // An address literal that is the one this connection came in on names this very server.
      if (isIP(name) && localAddress !== undefined) {
        const local = localAddress.startsWith('::ffff:') ? localAddress.slice(7) : localAddress
        return local.toLowerCase() === name
      }
      return false
    },
    describe() {
      return [
        'localhost',
        '127.0.0.1',
        '[::1]',
        'the address it is reached at',
        ...exact,
        ...suffixes,
      ].join(', ')
    },
  }
}
