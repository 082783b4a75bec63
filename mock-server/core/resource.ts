/** Helpers shared by the services that create Bluum resources. */
import type { Clock } from './clock.js'
import { NotFoundError, withParam } from './errors.js'
import { createId } from './ids.js'
import type { Resource } from './state.js'

/** The fields every new resource starts with. */
export function newResource<O extends string>(
  prefix: string,
  object: O,
  clock: Clock,
  metadata: Record<string, unknown> = {},
): Resource & { object: O } {
  return {
    id: createId(prefix),
    object,
    created: Math.floor(clock.now() / 1000),
    livemode: false,
    metadata,
  }
}

/** A map lookup that answers Bluum's 404 when the id is unknown. */
export function findOrThrow<T>(map: Map<string, T>, id: string, kind: string, param?: string): T {
  const found = map.get(id)
  if (found === undefined) {
    const error = new NotFoundError(kind, id)
    throw param ? withParam(error, param) : error
  }
  return found
}

/**
 * A deep copy of a plain JSON value (objects, arrays, strings, numbers, booleans, null; a key
 * whose value is `undefined` is kept), as the engines hand out answers and keep inputs: a caller
 * that changes what it got cannot change the sandbox's state. Not `structuredClone`: resources
 * hold nothing else, and on an investor `structuredClone` took 6.6 us against 1.1 us here; a
 * triggered event copies several resources.
 */
export function copyJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(copyJson) as T
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(value))
    copy[key] = copyJson((value as Record<string, unknown>)[key])
  return copy as T
}
