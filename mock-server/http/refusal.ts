/** The server's own refusals in Bluum's error envelope, the shape every API client already reads. */
import { errorTypeFor } from '../core/errors.js'
import type { ApiResponse } from '../api/route.js'

/** A coded error (from `@fastify/error`) as an API answer: status, `retry-after` when set, envelope. */
export function refusalResponse(
  error: { code: string; statusCode?: number; message: string },
  retryAfterSeconds?: number,
): ApiResponse {
  const status = error.statusCode ?? 500
  return {
    status,
    headers: {
      'content-type': 'application/json',
      ...(retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) }),
    },
    body: {
      error: { type: errorTypeFor(status, error.code), code: error.code, message: error.message },
    },
  }
}
