/**
 * Output convention of every bench script, so `bench/run.ts` can summarise scripts it does not
 * know: human lines first, then exactly one JSON line (a {@link BenchResult}) as the last line
 * of stdout. A script exits non-zero only when its measurement is invalid or it crashed; a
 * valid number below target is `pass: false` with exit code 0.
 */

/**
 * The final JSON line of a bench script. `bench/run.ts` reads `bench`, `valid`, `pass`, `ratio`,
 * `target` and `headline`; only `bench` is required of a line for it to count as a result.
 */
export interface BenchResult {
  /** Script name without extension, e.g. `plugin-route`. */
  bench: string
  /** False when the measurement cannot be trusted (errors, duplicates, client-bound...). */
  valid: boolean
  /** Valid and on target. */
  pass: boolean
  /** The headline ratio (candidate / baseline), when the bench has one. */
  ratio?: number
  /** Human statement of the target, e.g. `>= 0.85`. */
  target?: string
  /** One line for the summary table. */
  headline: string
  [key: string]: unknown
}

/** Prints one human line on stdout. */
export function say(text = ''): void {
  process.stdout.write(text + '\n')
}

/** Prints the final JSON line; call it once, last. */
export function printResult(result: BenchResult): void {
  process.stdout.write(JSON.stringify(result) + '\n')
}

/** The last line of `stdout` that parses as a {@link BenchResult}, if any. */
export function lastResultLine(stdout: string): BenchResult | undefined {
  const lines = stdout.trimEnd().split('\n')
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim()
    if (!line.startsWith('{')) continue
    try {
      const value = JSON.parse(line) as Partial<BenchResult>
      if (typeof value.bench === 'string') return value as BenchResult
    } catch {
      // A human line that happens to start with "{": keep looking.
    }
  }
  return undefined
}

/** Rounds to `digits` significant decimals for JSON output. */
export function round(value: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** `12 345` style thousands, for human lines. */
export function thousands(value: number): string {
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
}

/** Bytes as MB with one decimal. */
export function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1) + ' MB'
}

/**
 * Hard time bound: if the script is still running after `ms`, `onTimeout` runs (to stop child
 * processes the script started) and the process exits 1. The timer never keeps the loop alive.
 */
export function exitAfter(ms: number, name: string, onTimeout: () => void = () => {}): void {
  const timer = setTimeout(() => {
    process.stderr.write(`${name}: still running after ${Math.round(ms / 1000)} s, giving up\n`)
    try {
      onTimeout()
    } finally {
      process.exit(1)
    }
  }, ms)
  timer.unref()
}
