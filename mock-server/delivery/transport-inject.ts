/**
 * In-process delivery into an app that supports `inject` (a Fastify instance), with no port.
 *
 * Typed structurally so this module does not import Fastify: the core stays framework-free.
 */
import { SandboxDeliveryTimeoutError } from '../core/errors.js'
import { maxRecordedBodyBytes } from '../core/state.js'
import { cutBody, type DeliveryTransport } from './transport.js'

/** The part of Fastify's `inject` that the transport uses. */
export interface InjectTarget {
  inject(options: {
    method: 'POST'
    url: string
    headers: Record<string, string>
    payload: string
  }): Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>
}

export interface InjectTransportOptions {
  /** Bytes of the answer body kept for the attempt record. Default 65536 (64 KiB). */
  maxBodyBytes?: number
}

/** Creates a transport that injects each delivery into `app`; the URL's path and query are used. */
export function createInjectTransport(
  app: InjectTarget,
  options: InjectTransportOptions = {},
): DeliveryTransport {
  const maxBodyBytes = options.maxBodyBytes ?? maxRecordedBodyBytes
  // Every delivery of a webhook goes to the same URL: parse it once, not per attempt.
  let lastUrl = ''
  let lastPath = ''
  const pathOf = (url: string) => {
    if (url !== lastUrl) {
      const target = new URL(url)
      lastPath = target.pathname + target.search
      lastUrl = url
    }
    return lastPath
  }
  return {
    async send({ url, headers, body, timeoutMs }) {
      const path = pathOf(url)
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SandboxDeliveryTimeoutError(timeoutMs)), timeoutMs)
      })
      try {
        const response = await Promise.race([
          app.inject({
            method: 'POST',
            url: path,
            headers,
            payload: body,
          }),
          timeout,
        ])
        const responseHeaders: Record<string, string | string[] | undefined> = {}
        for (const [name, value] of Object.entries(response.headers)) {
          responseHeaders[name] = Array.isArray(value)
            ? value.map(String)
            : value === undefined
              ? undefined
              : String(value)
        }
        const cut = cutBody(response.body, maxBodyBytes)
        return {
          status: response.statusCode,
          headers: responseHeaders,
          body: cut.body,
          bodyTruncated: cut.truncated,
          bodyBytes: cut.bytes,
        }
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
