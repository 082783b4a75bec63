/**
 * For the heap benches: a script that needs `gc()` re-runs itself with `--expose-gc`, and heap
 * is read after full collections.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { exitAfter } from './report.js'

/**
 * Runs `main` with `gc` when this process has it; otherwise re-runs the script at `scriptUrl`
 * under `--expose-gc` with the same loader flags (`--import=tsx`) and arguments, and exits with
 * its status. Either way the run is bounded by `timeLimitMs`.
 * @example runWithGc(import.meta.url, 'sandbox-heap', 600_000, main)
 */
export function runWithGc(
  scriptUrl: string,
  name: string,
  timeLimitMs: number,
  main: (collect: () => void) => Promise<void>,
): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) {
    const result = spawnSync(
      process.execPath,
      [...process.execArgv, '--expose-gc', fileURLToPath(scriptUrl), ...process.argv.slice(2)],
      { stdio: 'inherit', timeout: timeLimitMs + 30_000 },
    )
    process.exit(result.status ?? 1)
  }
  exitAfter(timeLimitMs, name)
  main(gc).catch((err: unknown) => {
    process.stderr.write(`${name} failed: ${(err as Error)?.stack ?? String(err)}\n`)
    process.exitCode = 1
  })
}

/** `heapUsed` after two full collections: the first may only promote what the second frees. */
export function heapAfterGc(collect: () => void): number {
  collect()
  collect()
  return process.memoryUsage().heapUsed
}
