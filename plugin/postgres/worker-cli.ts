#!/usr/bin/env node
/**
 * `bluum-worker`: queue-mode workers in their own process, against the database the app(s)
 * queue into. It loads the same handlers module as the app: a module whose default export (or
 * `registerHandlers` export) registers every handler with its id on `bluum`, so the app calls it
 * with `app.bluum` and the worker with its own router.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { WorkerHandlersModuleError } from '../errors.js'
import { importOptionalPeer } from '../optional-peer.js'
import type { BluumEventRouter, DeliveryLogger } from '../types.js'
import { createPostgresInbox, postgresInboxDefaults, startInboxWorker } from './index.js'

const d = postgresInboxDefaults
const help = `bluum-worker: runs the queue-mode handlers of a Bluum Postgres inbox in this process

Usage: bluum-worker --handlers <module> [options]

Options:
  --handlers <module>       Module registering the handlers (required): its default export, or its
                            \`registerHandlers\` export, is a function (bluum) => void calling
                            bluum.on(name, handler, { id }), the same function the app calls with app.bluum
  --database-url <url>      PostgreSQL connection string (default $DATABASE_URL)
  --concurrency <n>         Tasks run at once, at least 1 (default ${d.concurrency})
  --schema <name>           Schema of the inbox tables (default ${d.schema})
  --max-attempts <n>        Attempts of a task before it is dead (default ${d.maxAttempts})
  --task-timeout-ms <ms>    A task running longer is rolled back and counts as failed (default ${d.taskTimeoutMs})
  --poll-interval-ms <ms>   Idle workers look for due tasks this often without a NOTIFY (default ${d.pollIntervalMs})
  --log-level <level>       debug, info, warn or error (default info); JSON lines on stdout
  -h, --help                Show this help

SIGTERM or SIGINT: stops taking tasks, waits for the running ones, exits 0.
The inbox schema is migrated at start (idempotent), as the app does.
`

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const
type Level = keyof typeof LEVELS

function fail(message: string): never {
  process.stderr.write(`bluum-worker: ${message}\n\n${help}`)
  process.exit(2)
}

function integer(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < min) {
    fail(`--${name} expects an integer >= ${min}, got ${JSON.stringify(value)}`)
  }
  return parsed
}

/** pino-compatible JSON lines on stdout: the process's own log, as a Fastify app's would be. */
function jsonLogger(min: Level): DeliveryLogger {
  const line = (level: Level) => (obj: object, msg?: string) => {
    if (LEVELS[level] < LEVELS[min]) return
    const fields: Record<string, unknown> = { ...obj }
    const err = fields.err
    if (err instanceof Error) {
      const { code } = err as { code?: unknown }
      fields.err = { type: err.name, message: err.message, code, stack: err.stack }
    }
    const entry = { level: LEVELS[level], time: Date.now(), pid: process.pid, ...fields, msg }
    process.stdout.write(JSON.stringify(entry) + '\n')
  }
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }
}

async function loadHandlers(path: string): Promise<(bluum: BluumEventRouter) => void> {
  const url = pathToFileURL(resolve(process.cwd(), path)).href
  let module: { default?: unknown; registerHandlers?: unknown }
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
  return register as (bluum: BluumEventRouter) => void
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      options: {
        handlers: { type: 'string' },
        'database-url': { type: 'string' },
        concurrency: { type: 'string' },
        schema: { type: 'string' },
        'max-attempts': { type: 'string' },
        'task-timeout-ms': { type: 'string' },
        'poll-interval-ms': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (error) {
    fail((error as Error).message)
  }
  if (values.help) {
    process.stdout.write(help)
    return
  }
  const str = (name: string) =>
    typeof values[name] === 'string' ? (values[name] as string) : undefined
  const handlersPath = str('handlers')
  if (!handlersPath) fail('--handlers is required: the module that registers your handlers')
  const databaseUrl = str('database-url') ?? process.env.DATABASE_URL
  if (!databaseUrl) fail('--database-url (or $DATABASE_URL) is required')
  const logLevel = str('log-level') ?? 'info'
  if (!(logLevel in LEVELS)) fail(`--log-level expects debug, info, warn or error, got ${logLevel}`)
  const schema = str('schema')
  const concurrency = integer('concurrency', str('concurrency'), d.concurrency, 1)
  const maxAttempts = integer('max-attempts', str('max-attempts'), d.maxAttempts, 1)
  const taskTimeoutMs = integer('task-timeout-ms', str('task-timeout-ms'), d.taskTimeoutMs, 1)
  const pollIntervalMs = integer('poll-interval-ms', str('poll-interval-ms'), d.pollIntervalMs, 1)

  const log = jsonLogger(logLevel as Level)
  const handlers = await loadHandlers(handlersPath)
  const { default: pg } = await importOptionalPeer(() => import('pg'), {
    name: 'pg',
    feature: 'bluum-worker',
    install: 'npm install pg',
  })
  // Each running task holds a connection; the listener and the take statements need a few more.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: concurrency + 3 })
  // An idle pooled connection that the server drops must not end the process; the workers log
  // and retry the failures that matter.
  pool.on('error', (err) => log.warn({ err }, 'bluum worker: an idle database connection failed'))
  let worker: Awaited<ReturnType<typeof startInboxWorker>>
  try {
    worker = await startInboxWorker({
      inbox: createPostgresInbox({
        pool,
        mode: 'queue',
        ...(schema === undefined ? {} : { schema }),
        concurrency,
        maxAttempts,
        taskTimeoutMs,
        pollIntervalMs,
      }),
      handlers,
      log,
    })
  } catch (error) {
    await pool.end().catch(() => {})
    throw error
  }
  log.info({ concurrency, schema: schema ?? d.schema }, 'bluum worker started')

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) {
      // A second signal: the user wants out now; running tasks roll back and are taken again.
      log.warn({ signal }, 'bluum worker: second signal, exiting without waiting')
      process.exit(1)
    }
    closing = true
    log.info({ signal }, 'bluum worker stopping: no new task, waiting for the running ones')
    await worker.close()
    await pool.end()
    log.info({}, 'bluum worker stopped')
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
}

main().catch((error: unknown) => {
  const err = error as { code?: string; message: string }
  process.stderr.write(`bluum-worker: ${err.code ? `${err.code}: ` : ''}${err.message}\n`)
  process.exit(1)
})
