/**
 * Real HTTP delivery through `node:http`/`node:https`, invisible to msw.
 *
 * msw 2's `setupServer().listen()` replaces `http.request` and `https.request` on the module
 * objects with interceptors. The originals are captured here, when this module is evaluated, which
 * is before any test can call `listen()` (`fastify-bluum-webhooks/sandbox/msw` imports this module
 * first). msw 3 intercepts lower, at the socket, so every delivery also carries msw's own bypass
 * marker (`accept: msw/passthrough`, what msw's `bypass()` sets; msw 2 and 3 both send such a
 * request as it is). Either way the sandbox's deliveries reach the real receiver and never the
 * app's mocks, whatever its `onUnhandledRequest`/`onUnhandledFrame` says.
 */
import http from 'node:http'
import https from 'node:https'

const originalRequest = { 'http:': http.request, 'https:': https.request }
const MSW_BYPASS = 'msw/passthrough'
import { SandboxBadUrlError, SandboxDeliveryTimeoutError } from '../core/errors.js'
import { maxRecordedBodyBytes } from '../core/state.js'
import { truncateBody, type DeliveryTransport } from './transport.js'

export interface HttpTransportOptions {
  /** Reuse connections between deliveries. Default true. */
  keepAlive?: boolean
  /** Bytes of the answer body kept for the attempt record. Default 65536 (64 KiB). */
  maxBodyBytes?: number
}

/** Creates a transport that POSTs over real HTTP(S). */
export function createHttpTransport(options: HttpTransportOptions = {}): DeliveryTransport {
  const keepAlive = options.keepAlive ?? true
  const maxBodyBytes = options.maxBodyBytes ?? maxRecordedBodyBytes
  const agents = {
    'http:': new http.Agent({ keepAlive }),
    'https:': new https.Agent({ keepAlive }),
  }

  return {
    send({ url, headers, body, timeoutMs }) {
      return new Promise((resolve, reject) => {
        const target = new URL(url)
        if (target.protocol !== 'http:' && target.protocol !== 'https:') {
          reject(new SandboxBadUrlError(url))
          return
        }
        const request = originalRequest[target.protocol](target, {
          method: 'POST',
          agent: agents[target.protocol],
          headers: withTransportHeaders(headers, body),
        })
        const timer = setTimeout(
          () => request.destroy(new SandboxDeliveryTimeoutError(timeoutMs)),
          timeoutMs,
        )
        request.on('error', (error) => {
          clearTimeout(timer)
          reject(error)
        })
        request.on('response', (response) => {
          const chunks: Buffer[] = []
          let kept = 0
          response.on('data', (chunk: Buffer) => {
            if (kept < maxBodyBytes) chunks.push(chunk)
            kept += chunk.length
          })
          response.on('error', (error) => {
            clearTimeout(timer)
            reject(error)
          })
          response.on('end', () => {
            clearTimeout(timer)
            // Bytes past the limit were counted, not kept: cut what was kept, report the total.
            const cut = truncateBody(Buffer.concat(chunks), maxBodyBytes)
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: cut.body,
              bodyTruncated: kept > maxBodyBytes,
              bodyBytes: kept,
            })
          })
        })
        request.end(body)
      })
    },
    async close() {
      agents['http:'].destroy()
      agents['https:'].destroy()
    },
  }
}

/**
 * The delivery's headers plus what this transport adds (msw's bypass marker, the length). Copied
 * key by key rather than `{ ...headers, accept, ... }`: on Node 20 a property written after an
 * object spread takes a slow path, once per attempt here.
 */
function withTransportHeaders(
  headers: Readonly<Record<string, string>>,
  body: string,
): Record<string, string> {
  const sent: Record<string, string> = {}
  for (const name of Object.keys(headers)) sent[name] = headers[name]!
  sent.accept = headers.accept ? `${headers.accept}, ${MSW_BYPASS}` : MSW_BYPASS
  sent['content-length'] = String(Buffer.byteLength(body))
  return sent
}
