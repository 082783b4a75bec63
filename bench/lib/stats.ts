/** Small statistics for alternating benchmark rounds. */

/** Median of a non-empty list (mean of the two middle values for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** (max - min) / median: how noisy the rounds of one variant were. */
export function spread(values: readonly number[]): number {
  return (Math.max(...values) - Math.min(...values)) / median(values)
}

/** One variant of an alternating benchmark: `run` returns the round's rate (higher is better). */
export interface Variant<N extends string> {
  readonly name: N
  run(round: number): Promise<number> | number
}

/**
 * Runs every variant once per round, in the same order each round (A, B, A, B...), so a slow
 * patch of a shared machine hits both sides instead of biasing one. Returns the samples by name.
 */
export async function alternate<N extends string>(
  rounds: number,
  variants: readonly Variant<N>[],
): Promise<Record<N, number[]>> {
  const samples = Object.fromEntries(variants.map((v) => [v.name, [] as number[]])) as Record<
    N,
    number[]
  >
  for (let round = 1; round <= rounds; round++) {
    for (const variant of variants) samples[variant.name].push(await variant.run(round))
  }
  return samples
}

/** Smallest and largest value of a non-empty list. */
export function range(values: readonly number[]): { min: number; max: number } {
  if (values.length === 0) throw new RangeError('range of an empty list')
  return { min: Math.min(...values), max: Math.max(...values) }
}
