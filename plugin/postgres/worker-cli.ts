/**
 * `bluum-worker`: queue-mode workers in their own process, against the database the app(s)
 * queue into. It loads the same handlers module as the app: a module whose default export (or
 * `registerHandlers` export) registers every handler with its id on `bluum`, so the app calls it
 * with `app.bluum` and the worker with its own router. The module may also export
 * `inboxOptions`, the options the app passes to `createPostgresInbox`, so app and workers share
 * one set of settings; a flag overrides the module, the module overrides the defaults, and the
 * settings in effect are printed at start.
 *
 * `main(argv, io)` is the whole program (worker-bin.ts is the executable): exit 0 after a clean
 * stop or `--help`, 1 when the worker cannot start (its code and message on stderr), 2 for a bad
 * command line (the usage on stderr).
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { WorkerHandlersModuleError } from '../errors.js'
import { importOptionalPeer } from '../optional-peer.js'
import type { BluumEventRouter, DeliveryLogger } from '../types.js'
import type { PgPoolLike } from './driver.js'
import { createPostgresInbox } from './inbox.js'
import { postgresInboxDefaults, type PostgresInboxSettings } from './options.js'
import { startInboxWorker } from './start-worker.js'

/** Where the program reads and writes; the process's own by default (worker-bin.ts). */
export interface WorkerCliIo {
  readonly stdout: { write(chunk: string): unknown }
  readonly stderr: { write(chunk: string): unknown }
  readonly env: Readonly<Record<string, string | undefined>>
  /** Where a relative `--handlers` path starts. Default: the process's working directory. */
  readonly cwd?: string
  /** Emits `SIGTERM` and `SIGINT`. Default: the process. */
  readonly signals?: {
    on(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown
    off(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown
  }
}

const d = postgresInboxDefaults

/** The flags that set an inbox option, with the option each sets. */
const FLAGS = {
  schema: { option: 'schema', kind: 'text' },
  concurrency: { option: 'concurrency', kind: 'integer', min: 1 },
  'max-attempts': { option: 'maxAttempts', kind: 'integer', min: 1 },
  'backoff-base-ms': { option: 'backoffBaseMs', kind: 'integer', min: 1 },
  'backoff-max-ms': { option: 'backoffMaxMs', kind: 'integer', min: 1 },
  'task-timeout-ms': { option: 'taskTimeoutMs', kind: 'integer', min: 1 },
  'lease-ms': { option: 'leaseMs', kind: 'integer', min: 1 },
  'poll-interval-ms': { option: 'pollIntervalMs', kind: 'integer', min: 1 },
  'stale-events': { option: 'staleEvents', kind: 'choice', choices: ['deliver', 'skip'] },
} as const

export const usage = `bluum-worker: runs the queue-mode handlers of a Bluum Postgres inbox in this process

Usage: bluum-worker --handlers <module> [options]

Options:
  --handlers <module>       Module registering the handlers (required): its default export, or its
                            \`registerHandlers\` export, is a function (bluum) => void calling
                            bluum.on(name, handler, { id }), the same function the app calls with
                            app.bluum. Its \`inboxOptions\` export, if any, is read as the app's
                            createPostgresInbox options (the flags below override it)
  --database-url <url>      PostgreSQL connection string (default $DATABASE_URL)
  --schema <name>           Schema of the inbox tables (default ${d.schema})
  --concurrency <n>         Tasks run at once, at least 1 (default ${d.concurrency})
  --max-attempts <n>        Attempts of a task before it is dead (default ${d.maxAttempts})
  --backoff-base-ms <ms>    Delay before a task's first retry, doubled per attempt (default ${d.backoffBaseMs})
  --backoff-max-ms <ms>     Longest delay between two attempts (default ${d.backoffMaxMs})
  --task-timeout-ms <ms>    A task running longer is rolled back and counts as failed (default ${d.taskTimeoutMs})
  --lease-ms <ms>           A task whose worker vanished is due again after this (default 2 × task timeout)
  --poll-interval-ms <ms>   Idle workers look for due tasks this often without a NOTIFY (default ${d.pollIntervalMs})
  --stale-events <policy>   deliver (context.stale = true) or skip, for tasks ordered by resource (default ${d.staleEvents})
  --pool-max <n>            Database connections (default: concurrency + 3)
  --no-migrate              Do not migrate the inbox schema at start (default: migrate, as the app does)
  --log-level <level>       debug, info, warn or error (default info); JSON lines on stdout
  -h, --help                Show this help

The settings in effect, and where each came from, are logged at start ("bluum worker started").
SIGTERM or SIGINT: stops taking tasks, waits for the running ones, exits 0; a second one exits 1 at once.
`

/** A bad command line: the message, then the usage, on stderr; exit 2. */
class UsageError {
  constructor(readonly message: string) {}
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const
type Level = keyof typeof LEVELS

/** pino-compatible JSON lines: the process's own log, as a Fastify app's would be. */
function jsonLogger(min: Level, out: WorkerCliIo['stdout']): DeliveryLogger {
  const line = (level: Level) => (obj: object, msg?: string) => {
    if (LEVELS[level] < LEVELS[min]) return
    const fields: Record<string, unknown> = { ...obj }
    const err = fields.err
    if (err instanceof Error) {
      const { code } = err as { code?: unknown }
      fields.err = { type: err.name, message: err.message, code, stack: err.stack }
    }
    const entry = { level: LEVELS[level], time: Date.now(), pid: process.pid, ...fields, msg }
    out.write(JSON.stringify(entry) + '\n')
  }
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }
}

interface ParsedArgs {
  readonly help: boolean
  readonly handlers: string
  readonly databaseUrl: string
  readonly logLevel: Level
  readonly poolMax: number | undefined
  readonly migrate: boolean | undefined
  /** Inbox options given as flags. */
  readonly options: Partial<Record<string, string | number>>
}

function integer(flag: string, value: string, min: number): number {
  const parsed = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < min) {
    throw new UsageError(`--${flag} expects an integer >= ${min}, got ${JSON.stringify(value)}`)
  }
  return parsed
}

function parse(argv: readonly string[], env: WorkerCliIo['env']): ParsedArgs {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: [...argv],
      options: {
        handlers: { type: 'string' },
        'database-url': { type: 'string' },
        'pool-max': { type: 'string' },
        'no-migrate': { type: 'boolean' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' }])),
      } as const,
      strict: true,
      allowPositionals: false,
    }))
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const text = (name: string) =>
    typeof values[name] === 'string' ? (values[name] as string) : undefined
  if (values.help === true) {
    return {
      help: true,
      handlers: '',
      databaseUrl: '',
      logLevel: 'info',
      poolMax: 0,
      migrate: true,
      options: {},
    }
  }
  const handlers = text('handlers')
  if (!handlers)
    throw new UsageError('--handlers is required: the module that registers your handlers')
  const databaseUrl = text('database-url') ?? env.DATABASE_URL
  if (!databaseUrl) throw new UsageError('--database-url (or $DATABASE_URL) is required')
  const logLevel = text('log-level') ?? 'info'
  if (!Object.hasOwn(LEVELS, logLevel)) {
    throw new UsageError(
      `--log-level expects debug, info, warn or error, got ${JSON.stringify(logLevel)}`,
    )
  }
  const options: Partial<Record<string, string | number>> = {}
  for (const [flag, spec] of Object.entries(FLAGS)) {
    const value = text(flag)
    if (value === undefined) continue
    if (spec.kind === 'integer') options[spec.option] = integer(flag, value, spec.min)
    else if (spec.kind === 'choice' && !(spec.choices as readonly string[]).includes(value)) {
      throw new UsageError(
        `--${flag} expects ${spec.choices.join(' or ')}, got ${JSON.stringify(value)}`,
      )
    } else options[spec.option] = value
  }
  const poolMax = text('pool-max')
  return {
    help: false,
    handlers,
    databaseUrl,
    logLevel: logLevel as Level,
    poolMax: poolMax === undefined ? undefined : integer('pool-max', poolMax, 1),
    migrate: values['no-migrate'] === true ? false : undefined,
    options,
  }
}

interface HandlersModule {
  readonly register: (bluum: BluumEventRouter) => void
  readonly inboxOptions: PostgresInboxSettings
}

async function loadHandlers(path: string, cwd: string): Promise<HandlersModule> {
  const url = pathToFileURL(resolve(cwd, path)).href
  let module: { default?: unknown; registerHandlers?: unknown; inboxOptions?: unknown }
  try {
    module = await import(url)
  } catch (error) {
    const err = error as NodeJS.ErrnoException
    // Node before 22.18 cannot import TypeScript by itself: say which loader to run it with.
    const loader =
      err.code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?ts$/.test(path)
        ? '. A TypeScript module needs a loader on this Node: node --import tsx node_modules/.bin/bluum-worker --handlers ' +
          `${path} (tsx installed), Node 22.18 or later, or the compiled .js module`
        : ''
    throw new WorkerHandlersModuleError(path, `importing it failed (${err.message})${loader}`)
  }
  const register = module.registerHandlers ?? module.default
  if (typeof register !== 'function') {
    throw new WorkerHandlersModuleError(
      path,
      'it exports no function as default or registerHandlers',
    )
  }
  const inboxOptions = module.inboxOptions ?? {}
  if (inboxOptions === null || typeof inboxOptions !== 'object') {
    throw new WorkerHandlersModuleError(path, 'its `inboxOptions` export is not an object')
  }
  for (const key of ['pool', 'pglite'] as const) {
    if (key in inboxOptions) {
      throw new WorkerHandlersModuleError(
        path,
        `its \`inboxOptions\` carry \`${key}\`: the worker opens its own pool on --database-url`,
      )
    }
  }
  if ((inboxOptions as PostgresInboxSettings).mode === 'transactional') {
    throw new WorkerHandlersModuleError(
      path,
      "its `inboxOptions` set mode 'transactional', where handlers run in the app's requests: bluum-worker runs queue-mode tasks only",
    )
  }
  return { register: register as HandlersModule['register'], inboxOptions }
}

/** The options in effect (flags over the module over the defaults), and where each came from. */
function effectiveOptions(module: PostgresInboxSettings, parsed: ParsedArgs) {
  const options: PostgresInboxSettings = { ...module, ...parsed.options, mode: 'queue' }
  if (parsed.migrate !== undefined) options.migrate = parsed.migrate
  const taskTimeoutMs = options.taskTimeoutMs ?? d.taskTimeoutMs
  const shown: Record<string, unknown> = {
    schema: options.schema ?? d.schema,
    concurrency: options.concurrency ?? d.concurrency,
    maxAttempts: options.maxAttempts ?? d.maxAttempts,
    backoffBaseMs: options.backoffBaseMs ?? d.backoffBaseMs,
    backoffMaxMs: options.backoffMaxMs ?? d.backoffMaxMs,
    taskTimeoutMs,
    leaseMs: options.leaseMs ?? 2 * taskTimeoutMs,
    pollIntervalMs: options.pollIntervalMs ?? d.pollIntervalMs,
    staleEvents: options.staleEvents ?? d.staleEvents,
    migrate: options.migrate ?? d.migrate,
  }
  const sources: Record<string, 'flag' | 'module' | 'default'> = {}
  for (const key of Object.keys(shown)) {
    sources[key] =
      key in parsed.options || (key === 'migrate' && parsed.migrate !== undefined)
        ? 'flag'
        : (module as Record<string, unknown>)[key] !== undefined
          ? 'module'
          : 'default'
  }
  return { options, shown, sources }
}

/**
 * The whole `bluum-worker` program; resolves with its exit code.
 * @example process.exit(await main(process.argv.slice(2), { stdout, stderr, env: process.env }))
 */
export async function main(argv: readonly string[], io: WorkerCliIo): Promise<number> {
  let parsed: ParsedArgs
  try {
    parsed = parse(argv, io.env)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.stderr.write(`bluum-worker: ${error.message}\n\n${usage}`)
    return 2
  }
  if (parsed.help) {
    io.stdout.write(usage)
    return 0
  }
  const log = jsonLogger(parsed.logLevel, io.stdout)
  let pool: (PgPoolLike & { end(): Promise<void> }) | undefined
  try {
    const handlers = await loadHandlers(parsed.handlers, io.cwd ?? process.cwd())
    const { options, shown, sources } = effectiveOptions(handlers.inboxOptions, parsed)
    if (shown.concurrency === 0) {
      throw new WorkerHandlersModuleError(
        parsed.handlers,
        'its `inboxOptions` set concurrency 0 (an app that only queues): the worker would run nothing; leave concurrency out of the shared options, or pass --concurrency',
      )
    }
    const { default: pg } = await importOptionalPeer(() => import('pg'), {
      name: 'pg',
      feature: 'bluum-worker',
      install: 'npm install pg',
    })
    // Each running task holds a connection while its transaction is open; the listener, the
    // takes and the heartbeat need a few more.
    const poolMax = parsed.poolMax ?? (shown.concurrency as number) + 3
    pool = new pg.Pool({ connectionString: parsed.databaseUrl, max: poolMax })
    const worker = await startInboxWorker({
      inbox: createPostgresInbox({ ...options, pool }),
      handlers: handlers.register,
      log,
    })
    log.info({ settings: { ...shown, poolMax }, sources }, 'bluum worker started')
    const signals = stopSignals(io)
    const signal = await signals.first
    log.info({ signal }, 'bluum worker stopping: no new task, waiting for the running ones')
    const code = await Promise.race([
      worker.close().then(() => 0 as const),
      signals.second.then((second) => {
        log.warn({ signal: second }, 'bluum worker: second signal, exiting without waiting')
        return 1 as const
      }),
    ])
    signals.dispose()
    if (code === 1) {
      // The bin exits now; run in-process, the running tasks still finish and the pool ends.
      const open = pool
      void worker.close().then(() => open.end().catch(() => {}))
      return code
    }
    await pool.end()
    log.info({}, 'bluum worker stopped')
    return code
  } catch (error) {
    await pool?.end().catch(() => {})
    const err = error as { code?: string; message: string }
    io.stderr.write(`bluum-worker: ${err.code ? `${err.code}: ` : ''}${err.message}\n`)
    return 1
  }
}

/**
 * The first SIGTERM or SIGINT (stop taking tasks, wait for the running ones) and the second (the
 * user wants out now: the running tasks roll back and are taken again).
 */
function stopSignals(io: WorkerCliIo) {
  const source = io.signals ?? process
  const received: Array<(signal: string) => void> = []
  const first = new Promise<string>((resolve) => received.push(resolve))
  const second = new Promise<string>((resolve) => received.push(resolve))
  const onTerm = () => received.shift()?.('SIGTERM')
  const onInt = () => received.shift()?.('SIGINT')
  source.on('SIGTERM', onTerm)
  source.on('SIGINT', onInt)
  return {
    first,
    second,
    dispose() {
      source.off('SIGTERM', onTerm)
      source.off('SIGINT', onInt)
    },
  }
}
