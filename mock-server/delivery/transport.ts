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
  /** The answer body, or its first bytes (the engine keeps at most 64 KiB of it). */
  body: string
  /** True when `body` holds only the first bytes of a longer answer. Default false. */
  bodyTruncated?: boolean
  /** Bytes of the whole answer body. Default the bytes of `body`. */
  bodyBytes?: number
}

/**
 * The first `maxBytes` of `bytes` as text, cut before a UTF-8 sequence that would not fit whole,
 * so a truncated body never ends in a broken character.
 */
export function truncateBody(
  bytes: Uint8Array,
  maxBytes: number,
): { body: string; truncated: boolean; bytes: number } {
  if (bytes.length <= maxBytes)
    return { body: Buffer.from(bytes).toString('utf8'), truncated: false, bytes: bytes.length }
  let cut = maxBytes
  // Continuation bytes are 10xxxxxx: step back to the lead byte of the character that was cut.
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--
  return {
    body: Buffer.from(bytes.subarray(0, cut)).toString('utf8'),
    truncated: true,
    bytes: bytes.length,
  }
}

/** {@link truncateBody} of a string's UTF-8 bytes, without encoding the short ones it keeps whole. */
export function cutBody(
  text: string,
  maxBytes: number,
): { body: string; truncated: boolean; bytes: number } {
  // A UTF-16 unit takes at most 3 UTF-8 bytes: a text this short fits, whatever it holds.
  if (text.length * 3 <= maxBytes)
    return { body: text, truncated: false, bytes: Buffer.byteLength(text, 'utf8') }
  return truncateBody(Buffer.from(text, 'utf8'), maxBytes)
}

/** Sends one delivery; rejects on connection errors and timeouts. */
export interface DeliveryTransport {
  send(request: DeliveryRequest): Promise<DeliveryResponse>
  /** Frees what the transport created (keep-alive sockets). */
  close?(): Promise<void>
}
