/**
 * How the delivery engine reaches a receiver. Two transports ship: real HTTP through `node:http`
 * (never the global `fetch`, so an msw server in the same process cannot catch the sandbox's own
 * deliveries) and in-process through an `inject`-capable app (Fastify, no port).
 */

/** One signed POST to make. */
export interface DeliveryRequest {
  url: string
  headers: Record<string, string>
  body: string
  /** Abort after this many wall milliseconds. */
  timeoutMs: number
}

/** What the receiver answered. */
export interface DeliveryResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** The answer body, truncated to a few kilobytes. */
  body: string
}

/** Sends one delivery; rejects on connection errors and timeouts. */
export interface DeliveryTransport {
  send(request: DeliveryRequest): Promise<DeliveryResponse>
  /** Frees what the transport created (keep-alive sockets). */
  close?(): Promise<void>
}
