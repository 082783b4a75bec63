/**
 * The one server-sent-event pump of the standalone server, shared by the API's stream
 * (`GET /v1/sandbox/stream`) and the inspector's (`/_inspector/stream`): the caps on open streams,
 * the hijacked reply and its headers, the backlog limit, and the set of open streams that the
 * server ends when it closes (an open stream would otherwise keep `app.close()` waiting forever).
 *
 * What goes into a stream is the caller's: a `subscribe` function that writes frames and returns
 * how to stop (api/stream.ts's `openSandboxStream`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { SandboxStreamLimitError } from './errors.js'

/** Caps of {@link createEventStreamHub}. */
export interface EventStreamLimits {
  /** Open streams one client address may hold. Default 16. */
  maxPerClient: number
  /** Open streams in all. Default 64. */
  maxTotal: number
  /** Bytes a client may fall behind before it is dropped (its EventSource reconnects). Default 1048576. */
  maxBacklogBytes: number
}

const eventStreamDefaults: Readonly<EventStreamLimits> = Object.freeze({
  maxPerClient: 16,
  maxTotal: 64,
  maxBacklogBytes: 1_048_576,
})

/** Seconds a refused client is told to wait (`Retry-After`); EventSource itself does not retry a 429. */
export const streamRetryAfterSeconds = 5

export interface EventStreamHub {
  /**
   * Throws {@link SandboxStreamLimitError} when `request`'s client or the server is at its cap;
   * otherwise hijacks `reply`, writes the event-stream head and pipes what `subscribe` writes.
   */
  open(
    request: FastifyRequest,
    reply: FastifyReply,
    subscribe: (write: (text: string) => void) => () => void,
    headers?: Record<string, string>,
  ): void
  /** Streams open right now. */
  readonly size: number
  /** Ends every open stream (the server is closing). */
  endAll(): void
}

/** Creates the pump with its caps. */
export function createEventStreamHub(limits: Partial<EventStreamLimits> = {}): EventStreamHub {
  const { maxPerClient, maxTotal, maxBacklogBytes } = { ...eventStreamDefaults, ...limits }
  const open = new Set<() => void>()
  const perClient = new Map<string, number>()
  return {
    open(request, reply, subscribe, headers = {}) {
      const client = request.socket.remoteAddress ?? 'unknown'
      const held = perClient.get(client) ?? 0
      if (held >= maxPerClient) throw new SandboxStreamLimitError('from this client', maxPerClient)
      if (open.size >= maxTotal) throw new SandboxStreamLimitError('on this sandbox', maxTotal)
      perClient.set(client, held + 1)
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        // What hooks set on the reply (the server's security headers) would be lost to hijack.
        ...(reply.getHeaders() as Record<string, string>),
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // Tells nginx-style proxies not to buffer the stream.
        'x-accel-buffering': 'no',
      })
      let stop: (() => void) | undefined
      let ended = false
      const end = () => {
        if (ended) return
        ended = true
        stop?.()
        open.delete(end)
        const left = (perClient.get(client) ?? 1) - 1
        if (left <= 0) perClient.delete(client)
        else perClient.set(client, left)
        if (!res.writableEnded) res.end()
      }
      open.add(end)
      res.on('close', end)
      stop = subscribe((text) => {
        if (ended || res.writableEnded) return
        // A client that stopped reading (a suspended tab, a paused pipe) is dropped, not buffered
        // without bound; its EventSource reconnects and catches up.
        if (res.writableLength > maxBacklogBytes) return end()
        res.write(text)
      })
      if (ended) stop()
    },
    get size() {
      return open.size
    },
    endAll() {
      for (const end of [...open]) end()
    },
  }
}
