/** Reading a raw request: one header, the body (JSON or multipart), flat query and headers. */
import sjson from 'secure-json-parse'
import { MalformedBodyError } from '../core/errors.js'
import type { RawApiRequest, RouteDefinition } from './route.js'

/** The first value of a header (names in lower case). */
export function header(headers: RawApiRequest['headers'], name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** The body as the route declares it: JSON (secure parse) or multipart fields. */
export async function parseBody(route: RouteDefinition, request: RawApiRequest): Promise<unknown> {
  if (!route.schema.body) return undefined
  const raw = request.body
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
  // Bluum's JSON routes read JSON only: a form or text/plain body is not parsed as JSON by luck.
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw new MalformedBodyError(
      `expected content-type application/json, got ${contentType || 'no content-type'}`,
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
