/**
 * Reading a raw request: one header, the body (JSON or multipart), flat query and headers.
 *
 * Both faces hand bodies here unparsed, so the limits every body meets live here too: its size
 * (Bluum's documented 10 MB), its media type, and how deeply its JSON nests. A body nested
 * thousands of levels deep parses, but is stored, and then every answer that serialises or clones
 * it overflows the stack: refused before parsing, it never reaches the state.
 */
import sjson from 'secure-json-parse'
import { InvalidRequestError, MalformedBodyError, RequestTooLargeError } from '../core/errors.js'
import type { RawApiRequest, RouteDefinition } from './route.js'

/** Bluum's documented body limit (file uploads: max 10 MB), bytes. */
export const defaultBodyLimitBytes = 10_485_760
/** Deepest nesting of objects and arrays a JSON body may have. */
export const maxJsonDepth = 32

/** What a body may be. */
export interface BodyLimits {
  /** Largest body, bytes. Default {@link defaultBodyLimitBytes}. */
  bodyLimitBytes: number
}

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/** The deepest nesting of `{`/`[` in JSON text, counted outside strings, stopping past `limit`. */
export function jsonDepth(text: string, limit = maxJsonDepth): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (inString) {
      if (char === 0x5c)
        i++ // backslash: skip the escaped character
      else if (char === 0x22) inString = false
    } else if (char === 0x22) inString = true
    else if (char === 0x7b || char === 0x5b) {
      depth++
      if (depth > deepest) deepest = depth
      if (deepest > limit) return deepest
    } else if (char === 0x7d || char === 0x5d) depth--
  }
  return deepest
}

/** Bytes in a raw body. */
export function bodySize(body: RawApiRequest['body']): number {
  if (body === undefined) return 0
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
}

/** The first value of a header (names in lower case). */
export function header(headers: RawApiRequest['headers'], name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** The body as the route declares it: JSON (secure parse) or multipart fields. */
export async function parseBody(
  route: RouteDefinition,
  request: RawApiRequest,
  limits: BodyLimits = { bodyLimitBytes: defaultBodyLimitBytes },
): Promise<unknown> {
  const raw = request.body
  if (bodySize(raw) > limits.bodyLimitBytes) throw new RequestTooLargeError(limits.bodyLimitBytes)
  if (!route.schema.body) return undefined
  const contentType = header(request.headers, 'content-type') ?? ''
  if (route.bodyType === 'multipart') {
    if (!/^multipart\/form-data/i.test(contentType) || raw === undefined) {
      throw new MalformedBodyError(
        `expected multipart/form-data, got ${contentType || 'no content-type'}`,
      )
    }
    let form: FormData
    try {
      form = await new Request('http://sandbox.invalid/', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: typeof raw === 'string' ? raw : new Uint8Array(raw),
      }).formData()
    } catch (error) {
      throw new MalformedBodyError(`invalid multipart body (${(error as Error).message})`)
    }
    const fields: Record<string, unknown> = {}
    for (const [name, value] of form.entries()) {
      fields[name] =
        typeof value === 'string'
          ? value
          : {
              filename: value.name,
              size: value.size,
              content_type: value.type || 'application/octet-stream',
            }
    }
    return fields
  }
  const text =
    typeof raw === 'string' ? raw : raw === undefined ? '' : Buffer.from(raw).toString('utf8')
  if (text.trim() === '') return {}
  if (contentType !== '' && !jsonMediaType.test(contentType)) {
    throw new InvalidRequestError(
      `this endpoint takes a JSON body, sent as 'content-type: application/json', but the body came as '${contentType.slice(0, 100)}'`,
    )
  }
  if (jsonDepth(text) > maxJsonDepth) {
    throw new InvalidRequestError(
      `the JSON body nests objects or arrays more than ${maxJsonDepth} levels deep; no Bluum request needs more than a few`,
    )
  }
  try {
    // secure-json-parse refuses __proto__/constructor keys: a mock should not be a pollution vector.
    return sjson.parse(text)
  } catch (error) {
    throw new MalformedBodyError((error as Error).message)
  }
}

export function flatQuery(query: RawApiRequest['query']): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(query)) {
    const first = Array.isArray(value) ? value[0] : value
    if (first !== undefined) out[key] = first
  }
  return out
}

export function flatHeaders(headers: RawApiRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined)
      out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}
