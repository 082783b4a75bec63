/**
 * `npm run dev`: from a clone, the first verified delivery in one command. Starts the quick-start
 * app (examples/quick-start/server.ts) and the standalone sandbox side by side, the sandbox
 * forwarding every event to the app's webhook route with one shared secret, and prints what to
 * try next. Each is a child process run exactly as a user would run it alone; their output is
 * interleaved here, one prefix per process, the app's JSON log lines made readable.
 *
 *   npm run dev                                   app on 127.0.0.1:3000, sandbox on 127.0.0.1:4010
 *   npm run dev -- --app-port 3001 --sandbox-port 0   other ports (0 picks a free one)
 *
 * Ctrl-C (or SIGTERM) stops both. If either stops by itself, the other is stopped too, exit 1.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = fileURLToPath(new URL('..', import.meta.url))
// Resolved from this file, so the children find tsx whatever the current directory.
const tsx = import.meta.resolve('tsx')

const usage = `Usage: npm run dev -- [--app-port <n>] [--sandbox-port <n>]

Starts the quick-start app and a Bluum sandbox forwarding every event to it, signed with one
shared secret ($BLUUM_WEBHOOK_SECRET, else a new one).

  --app-port <n>       The app's port (default $PORT, else 3000; 0 picks a free one)
  --sandbox-port <n>   The sandbox's port (default 4010; 0 picks a free one)
  -h, --help           Show this help
`

function fail(message: string): never {
  process.stderr.write(`dev: ${message}\n\n${usage}`)
  process.exit(2)
}

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) > 65_535)
    fail(`--${name} expects a port from 0 to 65535, got ${JSON.stringify(value)}`)
  return Number(value)
}

let values: Record<string, string | boolean | undefined>
try {
  ;({ values } = parseArgs({
    options: {
      'app-port': { type: 'string' },
      'sandbox-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }))
} catch (error) {
  fail((error as Error).message)
}
if (values.help) {
  process.stdout.write(usage)
  process.exit(0)
}
const appPort = port(
  'app-port',
  values['app-port'] as string | undefined,
  Number(process.env.PORT ?? 3000),
)
const sandboxPort = port('sandbox-port', values['sandbox-port'] as string | undefined, 4010)
// The secret both processes share: the app verifies with it, the sandbox's webhook signs with it.
const secret = process.env.BLUUM_WEBHOOK_SECRET || `whsec_${randomBytes(32).toString('base64')}`

const levels: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
}
const skipped = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId'])

/** One pino JSON line as `INFO message key=value ...`; any other line as it is. */
function readable(line: string): string {
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(line) as Record<string, unknown>
  } catch {
    return line
  }
  if (typeof entry !== 'object' || entry === null || typeof entry.msg !== 'string') return line
  const fields: string[] = []
  for (const [key, value] of Object.entries(entry)) {
    if (skipped.has(key)) continue
    if (key === 'req' && typeof value === 'object' && value !== null) {
      const req = value as { method?: string; url?: string }
      fields.push(`${req.method} ${req.url}`)
    } else if (key === 'res' && typeof value === 'object' && value !== null) {
      fields.push(`status=${(value as { statusCode?: number }).statusCode}`)
    } else if (key === 'responseTime' && typeof value === 'number') {
      fields.push(`${value.toFixed(1)} ms`)
    } else if (key === 'err' && typeof value === 'object' && value !== null) {
      const err = value as { code?: string; message?: string }
      fields.push(`err=${err.code ? `${err.code}: ` : ''}${err.message}`)
    } else {
      fields.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    }
  }
  const level = levels[entry.level as number] ?? String(entry.level)
  return [level, entry.msg, ...fields].join('  ')
}

interface Started {
  child: ChildProcess
  /** Resolves with the first match of `ready` in the output; rejects if the process exits first. */
  ready: Promise<RegExpExecArray>
}

/** Runs a TypeScript entry point of this repository, its output prefixed line by line. */
function start(
  name: string,
  entry: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  format: (line: string) => string = (line) => line,
): Started {
  const child = spawn(
    process.execPath,
    [`--import=${tsx}`, '--conditions=bluum-source', entry, ...args],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const prefix = `${name.padEnd(7)} │ `
  let seen = ''
  let resolveReady: (match: RegExpExecArray) => void
  let rejectReady: (error: Error) => void
  const readyPromise = new Promise<RegExpExecArray>((resolve, reject) => {
    resolveReady = resolve
    rejectReady = reject
  })
  let found = false
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n')
      partial = lines.pop()!
      for (const line of lines) process.stdout.write(prefix + format(line) + '\n')
      if (found) return
      seen += chunk
      const match = ready.exec(seen)
      if (match) {
        found = true
        resolveReady(match)
      }
    })
  }
  child.once('exit', (code, signal) => {
    if (!found)
      rejectReady(new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ready`))
  })
  return { child, ready: readyPromise }
}

const running: ChildProcess[] = []
let stopping = false

/** Stops every child that still runs, then exits with `code`. */
async function stopAll(code: number): Promise<never> {
  stopping = true
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once('exit', () => resolve())
          child.kill('SIGTERM')
        }),
    ),
  )
  process.exit(code)
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll(0))

function watch(name: string, child: ChildProcess) {
  running.push(child)
  child.once('exit', (code, signal) => {
    if (stopping) return
    process.stderr.write(
      `dev: the ${name} stopped (${signal ?? `exit ${code}`}); stopping the rest\n`,
    )
    void stopAll(1)
  })
}

try {
  const app = start(
    'app',
    'examples/quick-start/server.ts',
    [],
    { PORT: String(appPort), BLUUM_WEBHOOK_SECRET: secret },
    /Server listening at (http:\/\/127\.0\.0\.1:\d+)/,
    readable,
  )
  watch('app', app.child)
  const appUrl = (await app.ready)[1]!

  const sandbox = start(
    'sandbox',
    'mock-server/cli.ts',
    ['--port', String(sandboxPort), '--forward-to', `${appUrl}/webhooks/bluum`],
    // A secret the user gave: the banner does not print it again.
    { BLUUM_WEBHOOK_SECRET: secret },
    /\nNext[^\n]*\n(?:.*\n){3}/,
  )
  watch('sandbox', sandbox.child)
  await sandbox.ready
  process.stdout.write(
    `dev     │ The app verifies with the sandbox webhook's secret. Try the commands above; Ctrl-C stops both.\n`,
  )
} catch (error) {
  process.stderr.write(`dev: ${(error as Error).message}\n`)
  await stopAll(1)
}
