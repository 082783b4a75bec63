/**
 * "Did you mean": the known name closest to a mistyped one, for messages that refuse a name
 * (an event the catalog lacks). Plain edit distance, so no dictionary is needed.
 */

/** Levenshtein distance: insertions, deletions and substitutions, each costing 1. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution)
    }
    previous = current
  }
  return previous[b.length]!
}

/**
 * The candidate nearest to `input`, when it is near enough to be what was meant (at most a fifth
 * of the input's length away, and at least 2 edits allowed); otherwise undefined.
 * @example nearestName('order.fill', bluumEventNames) // 'order.filled'
 */
export function nearestName(input: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(input.length / 5))
  let best: { name: string; distance: number } | undefined
  for (const name of candidates) {
    const distance = editDistance(input, name)
    if (distance <= limit && (best === undefined || distance < best.distance))
      best = { name, distance }
  }
  return best?.name
}
