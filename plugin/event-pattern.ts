/**
 * Event patterns: an exact catalog name, or a prefix wildcard (`order.*`, `transfer.*`,
 * `transfer.deposit.*`). The same rules exist twice on purpose: as types, so a handler's payload
 * narrows to the events its pattern matches, and at runtime, to route deliveries.
 */
import { bluumEventNames, type BluumEventName } from './catalog.js'
import { InvalidPatternError } from './errors.js'

/** `a.b.c` → `a.*` | `a.b.*`: every prefix wildcard of one name. */
type PrefixWildcards<N extends string> = N extends `${infer Head}.${infer Tail}`
  ? `${Head}.*` | `${Head}.${PrefixWildcards<Tail>}`
  : never

/** Every pattern `on()` accepts. */
export type BluumEventPattern = BluumEventName | PrefixWildcards<BluumEventName>

/** The catalog events a pattern matches. */
export type MatchingEvents<P extends BluumEventPattern> = P extends `${infer Prefix}.*`
  ? Extract<BluumEventName, `${Prefix}.${string}`>
  : Extract<BluumEventName, P>

/**
 * Resolves a pattern to the catalog names it matches, with a coded error for `*`, malformed
 * patterns and patterns that match nothing (a typo would otherwise never fire).
 */
export function expandPattern(pattern: string): BluumEventName[] {
  if (pattern === '*') {
    throw new InvalidPatternError(pattern, 'to receive every event, use bluum.onAny(handler)')
  }
  if (typeof pattern !== 'string' || !/^[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?$/.test(pattern)) {
    throw new InvalidPatternError(
      String(pattern),
      'expected an event name such as "order.filled" or a prefix wildcard such as "order.*"',
    )
  }
  const matches = pattern.endsWith('.*')
    ? bluumEventNames.filter((name) => name.startsWith(pattern.slice(0, -1)))
    : bluumEventNames.filter((name) => name === pattern)
  if (matches.length === 0) {
    throw new InvalidPatternError(
      pattern,
      'it matches no event of the catalog; use bluum.onAny(handler) for events the catalog does not know yet',
    )
  }
  return matches
}
