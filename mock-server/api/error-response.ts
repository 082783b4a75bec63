/** Bluum's error envelope, the one shape every failure of the emulated API answers with. */
import { InternalError, errorTypeFor, isBluumApiError, type BluumApiError } from '../core/errors.js'
import type { ApiResponse } from './route.js'

/** Bluum's error envelope for any thrown error; unknown errors become a 500 without details. */
export function errorResponse(error: unknown): ApiResponse {
  const known: BluumApiError = isBluumApiError(error) ? error : new InternalError()
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
