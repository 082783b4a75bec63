/**
 * Micro-benchmarks that survive a shared machine. Variants alternate in slices (A B C, B C A,
 * C A B...), each long enough (default 250 ms) to pay for its own garbage collection, and rates
 * are computed per second of this process's CPU time (`process.cpuUsage`, microsecond
 * resolution): time spent descheduled by a neighbour is not counted, while the GC helper
 * threads' work is (so on a quiet machine the CPU rate can sit slightly below the wall-clock
 * one). Wall-clock rates are kept for reference. Slices of ~1 ms were tried and rejected: a
 * variant then pays part of the previous one's GC debt, which moved the bare HMAC by 15 %.
 */

export interface MicroVariant<N extends string> {
  readonly name: N
  /** One operation; keep a side effect the optimiser cannot remove. */
  readonly op: () => void
}

export interface MicroSamples<N extends string> {
  /** Per round, operations per second of CPU time. */
  cpu: Record<N, number[]>
  /** Per round, operations per second of wall time. */
  wall: Record<N, number[]>
}

export interface InterleaveOptions {
  /** Rounds; each runs one slice of every variant and yields one rate per variant. */
  rounds: number
  /** Wall time of one variant's slice. Default 250. */
  sliceMs?: number
}

function cpuMicros(): number {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

/** Runs every variant for `ms`, discarding the result: JIT warm-up. */
export function warmUp(variants: readonly MicroVariant<string>[], ms: number): void {
  for (const { op } of variants) {
    const end = performance.now() + ms
    while (performance.now() < end) for (let i = 0; i < 100; i++) op()
  }
}

/** Alternating rounds; each round yields one rate per variant. */
export function interleave<N extends string>(
  variants: readonly MicroVariant<N>[],
  options: InterleaveOptions,
): MicroSamples<N> {
  const sliceMs = options.sliceMs ?? 250
  const batch = 100
  const empty = () =>
    Object.fromEntries(variants.map((v) => [v.name, [] as number[]])) as Record<N, number[]>
  const samples: MicroSamples<N> = { cpu: empty(), wall: empty() }
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      // Rotate the order so no variant always runs right after the same other one.
      const { name, op } = variants[(k + round) % variants.length]!
      let ops = 0
      const c0 = cpuMicros()
      const w0 = performance.now()
      let wall = 0
      do {
        for (let i = 0; i < batch; i++) op()
        ops += batch
        wall = performance.now() - w0
      } while (wall < sliceMs)
      const cpu = cpuMicros() - c0
      samples.cpu[name].push((ops / Math.max(1, cpu)) * 1e6)
      samples.wall[name].push((ops / wall) * 1e3)
    }
  }
  return samples
}
