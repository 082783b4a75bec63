/**
 * `npm run bench`: runs every `bench/*.ts` (except this file; helpers live in `bench/lib/`) as
 * its own `node --import=tsx` process, one after the other so they never compete for the CPU,
 * then prints a summary table built from each script's final JSON line (`lib/report.ts`).
 *
 * Order: plugin-route, verify, memory-store-heap, then any other script alphabetically. A script
 * that crashes, times out or prints no result is reported and the run goes on; the exit code is
 * 1 if any script failed that way or reported an invalid measurement. Results below target are
 * shown as such but do not fail the run: on a shared machine they call for a re-run first.
 *
 *   npm run bench                       # everything
 *   npm run bench -- verify plugin      # only scripts whose name contains one of the words
 */
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { lastResultLine, say, type BenchResult } from './lib/report.js'

const FIRST = ['plugin-route', 'verify', 'memory-store-heap']
/** Per script; each script also bounds itself. */
const SCRIPT_TIMEOUT_MS = 15 * 60 * 1000

const benchDir = fileURLToPath(new URL('.', import.meta.url))
const self = basename(fileURLToPath(import.meta.url), '.ts')

function discover(filters: readonly string[]): string[] {
  const names = readdirSync(benchDir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => basename(e.name, '.ts'))
    .filter((name) => name !== self)
  const rank = (name: string) => (FIRST.includes(name) ? FIRST.indexOf(name) : FIRST.length)
  return names
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
}

interface Outcome {
  name: string
  exitCode: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  seconds: number
  result: BenchResult | undefined
}

function runScript(name: string): Promise<Outcome> {
  const started = performance.now()
  const child = spawn(process.execPath, ['--import=tsx', join(benchDir, `${name}.ts`)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let stdout = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk
    process.stdout.write(chunk)
  })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, SCRIPT_TIMEOUT_MS)
  return new Promise((resolve) => {
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer)
      resolve({
        name,
        exitCode,
        signal,
        timedOut,
        seconds: (performance.now() - started) / 1000,
        result: lastResultLine(stdout),
      })
    }
    child.once('error', (err) => {
      process.stderr.write(`${name}: ${err.message}\n`)
      finish(null, null)
    })
    child.once('close', finish)
  })
}

function status(o: Outcome): string {
  if (o.timedOut) return 'TIMEOUT'
  if (o.result === undefined) {
    if (o.signal) return `CRASH ${o.signal}`
    return o.exitCode === 0 ? 'FAIL no result line' : `CRASH exit ${o.exitCode}`
  }
  // Scripts that predate the convention may omit valid/pass: judge them by exit code only.
  if (o.result.valid === false) return 'INVALID'
  if (o.exitCode !== 0) return `FAIL exit ${o.exitCode}`
  if (o.result.pass === undefined) return 'done'
  return o.result.pass ? 'pass' : 'BELOW TARGET'
}

/** The script's headline, else its first few numeric or string fields. */
function headline(result: BenchResult | undefined): string {
  if (result === undefined) return ''
  if (typeof result.headline === 'string') return result.headline
  return Object.entries(result)
    .filter(([k, v]) => k !== 'bench' && (typeof v === 'number' || typeof v === 'string'))
    .slice(0, 4)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ')
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  return rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  )
}

async function main(): Promise<void> {
  const names = discover(process.argv.slice(2))
  if (names.length === 0) {
    throw new Error(`no bench script matches ${process.argv.slice(2).join(' ')}`)
  }
  say(`bench: ${names.join(', ')}`)
  const outcomes: Outcome[] = []
  for (const name of names) {
    say(`\n=== ${name} ===`)
    outcomes.push(await runScript(name))
  }

  say('\n=== summary ===')
  const rows = [['bench', 'status', 'ratio', 'target', 'time', 'result']]
  for (const o of outcomes) {
    rows.push([
      o.name,
      status(o),
      typeof o.result?.ratio === 'number' ? o.result.ratio.toFixed(3) : '-',
      typeof o.result?.target === 'string' ? o.result.target : '-',
      `${o.seconds.toFixed(0)} s`,
      headline(o.result),
    ])
  }
  for (const line of table(rows)) say(line)
  const failed = outcomes.filter((o) =>
    ['TIMEOUT', 'CRASH', 'INVALID', 'FAIL'].some((s) => status(o).startsWith(s)),
  )
  if (failed.length > 0) {
    say(`\n${failed.length} script(s) failed: ${failed.map((o) => o.name).join(', ')}`)
    process.exitCode = 1
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`)
  process.exitCode = 1
})
