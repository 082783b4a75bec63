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
