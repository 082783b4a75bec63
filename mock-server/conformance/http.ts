/**
 * The conformance suite's HTTP client: raw answers (status, headers, JSON body), Basic auth, a
 * fresh `Idempotency-Key` on every write, multipart bodies for documents, and a pace that keeps
 * under a real Bluum sandbox's rate limit (10 requests per second per key).
 */
import { randomUUID } from 'node:crypto'
import { SandboxCliUnreachableError } from '../core/errors.js'

/** One answer, as it came. */
export interface RawAnswer {
  status: number
  headers: Headers
  /** The parsed JSON body, or the text when it is not JSON, or undefined when empty. */
  body: any
}

/** A request of the suite. */
export interface SuiteRequest {
  method: string
  /** Below the API root (`/investors/inv_...`), with its query string. */
  path: string
  /** A JSON body. */
  json?: unknown
  /** Multipart fields; `document` becomes a small PDF file. */
  form?: Record<string, string | { file: true }>
}

export interface SuiteClient {
  /** The API root, e.g. `http://127.0.0.1:4010/v1`. */
  readonly base: string
  send(request: SuiteRequest): Promise<RawAnswer>
  /** How many requests were sent. */
  readonly sent: number
}

/** Creates the client; `minIntervalMs` spaces requests (Bluum's sandbox allows 10 per second). */
export function createSuiteClient(options: {
  baseUrl: string
  apiKey: string
  apiSecret: string
  minIntervalMs?: number
}): SuiteClient {
  const base = options.baseUrl.replace(/\/$/, '')
  const authorization =
    'Basic ' + Buffer.from(`${options.apiKey}:${options.apiSecret}`).toString('base64')
  const interval = options.minIntervalMs ?? 0
  let last = 0
  let sent = 0
  return {
    base,
    get sent() {
      return sent
    },
    async send(request) {
      const wait = last + interval - Date.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      last = Date.now()
      sent += 1
      const headers: Record<string, string> = { authorization }
      if (request.method !== 'GET' && request.method !== 'DELETE')
        headers['idempotency-key'] = `conformance-${randomUUID()}`
      let body: BodyInit | undefined
      if (request.json !== undefined) {
        headers['content-type'] = 'application/json'
        body = JSON.stringify(request.json)
      } else if (request.form) {
        const form = new FormData()
        for (const [name, value] of Object.entries(request.form)) {
          if (typeof value === 'string') form.append(name, value)
          else
            form.append(
              name,
              new Blob([Buffer.from('%PDF-1.4 conformance')], { type: 'application/pdf' }),
              'conformance.pdf',
            )
        }
        body = form
      }
      let response: Response
      try {
        response = await fetch(base + request.path, {
          method: request.method,
          headers,
          ...(body === undefined ? {} : { body }),
        })
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause
        throw new SandboxCliUnreachableError(base, cause?.code ?? cause?.message ?? String(error))
      }
      const text = await response.text()
      let parsed: unknown = undefined
      if (text !== '') {
        try {
          parsed = JSON.parse(text)
        } catch {
          parsed = text
        }
      }
      return { status: response.status, headers: response.headers, body: parsed }
    },
  }
}
