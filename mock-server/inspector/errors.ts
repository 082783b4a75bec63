/**
 * The inspector's own errors, each with a stable code. What the API refuses is shown with the
 * API's `BLUM-*` code instead; these are the inspector's refusals before anything reaches the API.
 */
// The named import, for the reason given in core/errors.ts (declarations under `bundler`).
import { createError } from '@fastify/error'

export const InspectorCredentialsRequiredError = createError<
  'BLUUM_INSPECTOR_CREDENTIALS_REQUIRED',
  401
>(
  'BLUUM_INSPECTOR_CREDENTIALS_REQUIRED',
  "The inspector is served without a login only to this machine, under a loopback host name (127.0.0.1, localhost, [::1]). From elsewhere, sign in with the sandbox's API key as the user name and its API secret as the password (the ones the bluum-sandbox banner prints).",
  401,
)

export const InspectorCrossSiteError = createError<'BLUUM_INSPECTOR_CROSS_SITE', 403, [string]>(
  'BLUUM_INSPECTOR_CROSS_SITE',
  "The inspector only takes form posts from its own pages; this one came from %s. A page on another site cannot rotate secrets or trigger events through the local sandbox. Use the inspector's own forms.",
  403,
)

export const InspectorInvalidJsonError = createError<'BLUUM_INSPECTOR_INVALID_JSON', 400, [string]>(
  'BLUUM_INSPECTOR_INVALID_JSON',
  'The trigger\'s data is not valid JSON (%s). Expected a JSON object such as {"symbol": "AAPL"}, or nothing for the sample as it is.',
  400,
)
