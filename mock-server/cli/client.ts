/**
 * The subcommands' HTTP client for a running sandbox: Basic auth, JSON in and out, Bluum's error
 * envelope turned into one coded error naming the code and message, and the live stream read as
 * server-sent events.
 */
import {
  SandboxCliApiError,
  SandboxCliStreamEndedError,
  SandboxCliUnreachableError,
} from '../core/errors.js'
import type { Connection } from './args.js'

export interface SandboxClient {
  readonly base: string
  /** Calls `method path` below `/v1`; resolves the JSON answer, throws on any non-2xx. */
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>
  /**
   * Reads `GET /v1/sandbox/stream` (with `query`) and calls `onFrame` per frame until `signal`
   * aborts (resolves) or the server ends the stream (throws `BLUUM_SANDBOX_CLI_STREAM_ENDED`).
   * `onOpen` runs once the stream answered 200.
   */
  follow(options: {
    query?: string
    signal: AbortSignal
    onOpen?: () => void
    onFrame: (name: string, data: unknown) => void
  }): Promise<void>
}

function unreachable(base: string, error: unknown): never {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  throw new SandboxCliUnreachableError(base, cause?.code ?? cause?.message ?? String(error))
}

async function failure(base: string, method: string, path: string, response: Response) {
  const text = await response.text()
  let code = `HTTP ${response.status}`
  let message = text.slice(0, 500)
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } }
    if (body.error?.code) code = body.error.code
    if (body.error?.message) message = body.error.message
  } catch {
    // not Bluum's envelope: show the text as it came
  }
  return new SandboxCliApiError(`${method} ${base}${path}`, response.status, code, message)
}

/** Creates the client for `connection`. */
export function createSandboxClient(connection: Connection): SandboxClient {
  const { base, authorization } = connection
  return {
    base,
    async call(method, path, body) {
      let response: Response
      try {
        response = await fetch(base + path, {
          method,
          headers: {
            authorization,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
      } catch (error) {
        unreachable(base, error)
      }
      if (!response.ok) throw await failure(base, method, path, response)
      const text = await response.text()
      return (text ? JSON.parse(text) : undefined) as never
    },
    async follow({ query = '', signal, onOpen, onFrame }) {
      let response: Response
      try {
        response = await fetch(`${base}/sandbox/stream${query}`, {
          headers: { authorization, accept: 'text/event-stream' },
          signal,
        })
      } catch (error) {
        if (signal.aborted) return
        unreachable(base, error)
      }
      if (!response.ok) throw await failure(base, 'GET', `/sandbox/stream${query}`, response)
      onOpen?.()
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      try {
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buffer += value
          let cut: number
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut)
            buffer = buffer.slice(cut + 2)
            let name = 'message'
            const data: string[] = []
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) name = line.slice(6).trim()
              else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
            }
            // Comments (keepalives) carry no data: nothing to report.
            if (data.length) onFrame(name, JSON.parse(data.join('\n')))
          }
        }
      } catch (error) {
        if (signal.aborted) return
        throw error
      }
      if (!signal.aborted) throw new SandboxCliStreamEndedError(base)
    },
  }
}
