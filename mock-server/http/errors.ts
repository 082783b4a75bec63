/**
 * The standalone server's own refusals, before a request reaches the API or the inspector: a
 * `Host` it was not started for, and an event stream over the caps. Each has a stable code; the
 * server answers them in Bluum's envelope (`{ error: { type, code, message } }`) to API clients
 * and as a page to browsers.
 */
// The named import, for the reason given in core/errors.ts (declarations under `bundler`).
import { createError } from '@fastify/error'

export const SandboxHostNotAllowedError = createError<
  'BLUUM_SANDBOX_HOST_NOT_ALLOWED',
  403,
  [string, string]
>(
  'BLUUM_SANDBOX_HOST_NOT_ALLOWED',
  'The sandbox does not answer requests for the host %s: it answers loopback names (localhost, 127.0.0.1, [::1]), the address it is reached at, and the names given with --allowed-host (the allowedHosts option). Allowed now: %s. A web page on another site whose name points at this machine (DNS rebinding) is refused this way, whatever credentials it sends. To reach the sandbox under that name on purpose, start it with --allowed-host <name>.',
  403,
)

export const SandboxStreamLimitError = createError<
  'BLUUM_SANDBOX_STREAM_LIMIT',
  429,
  [string, number]
>(
  'BLUUM_SANDBOX_STREAM_LIMIT',
  'Too many open event streams %s (at most %d). Close another stream (a tab of the inspector shares one per browser; each `bluum-sandbox logs` or `listen` holds one), then retry.',
  429,
)
