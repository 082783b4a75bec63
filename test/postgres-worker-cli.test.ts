/**
 * `bluum-worker`: its command line, driven in-process through `main(argv, io)` (the usage and exit
 * codes, the handlers module and its `inboxOptions`, the settings it prints, the signals), and
 * one real process on a real PostgreSQL server (spawned, drained on SIGTERM, exit 0).
 */
import { spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import bluumWebhooks from '../plugin/index.js'
import { main, type WorkerCliIo } from '../plugin/postgres/worker-cli.js'
import { deliver } from './helpers/app.js'
import { startPostgresBackend, type InboxBackend } from './helpers/inbox-backends.js'
import { until } from './helpers/inbox-suite.js'
import { orderFilled, signedDelivery, TEST_SECRET } from './helpers/sign.js'
import registerHandlers from './fixtures/worker-handlers.js'

const bin = fileURLToPath(new URL('../plugin/postgres/worker-bin.ts', import.meta.url))
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
const handlersModule = fixture('worker-handlers.ts')

let backend: InboxBackend
t.before(async () => {
  backend = await startPostgresBackend()
})
t.teardown(() => backend.close())

interface Run {
  /** main's exit code, once it returned. */
  readonly code: Promise<number>
  readonly stdout: () => string
  readonly stderr: () => string
  /** The JSON log lines so far. */
  readonly lines: () => Array<Record<string, unknown>>
  /** Sends a signal the way the process would. */
  signal(name: 'SIGTERM' | 'SIGINT'): void
}

/** Runs `main` in this process with captured output and a signal source of its own. */
function run(argv: string[], env: Record<string, string> = {}): Run {
  let stdout = ''
  let stderr = ''
  const signals = new EventEmitter()
  const io: WorkerCliIo = {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env,
    signals,
  }
  return {
    code: main(argv, io),
    stdout: () => stdout,
    stderr: () => stderr,
    lines: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    signal: (name) => void signals.emit(name),
  }
}

/** Waits until the worker logged its start, and gives that line. */
async function started(worker: Run): Promise<Record<string, unknown>> {
  let line: Record<string, unknown> | undefined
  await until(() => {
    line = worker.lines().find((l) => l.msg === 'bluum worker started')
    return line !== undefined || worker.stderr() !== ''
  })
  if (line === undefined) throw new Error(`the worker did not start: ${worker.stderr()}`)
  return line
}

/** An app that queues (no workers of its own) into a fresh schema, with the fixture's handlers. */
async function queueingApp(t: Test) {
  const schema = await backend.freshSchema()
  process.env.BLUUM_TEST_SCHEMA = schema
  const app = Fastify()
  t.teardown(() => app.close())
  const inbox = backend.inbox({ schema, mode: 'queue', concurrency: 0 })
  await app.register(bluumWebhooks, { secret: TEST_SECRET, inbox })
  registerHandlers(app.bluum) // the same module the workers load
  await app.ready()
  return { app, inbox, schema }
}

t.test('bad command lines: the reason and the usage on stderr, exit 2', async (t) => {
  const url = { DATABASE_URL: 'postgres://nowhere' }
  const rows: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['no --handlers', [], url, /--handlers is required/],
    ['no database', ['--handlers', handlersModule], {}, /--database-url \(or \$DATABASE_URL\)/],
    [
      'concurrency 0',
      ['--concurrency', '0'],
      url,
      /--concurrency expects an integer >= 1, got "0"/,
    ],
    [
      'not a number',
      ['--concurrency', 'four'],
      url,
      /--concurrency expects an integer >= 1, got "four"/,
    ],
    [
      'not an integer',
      ['--task-timeout-ms', '1.5'],
      url,
      /--task-timeout-ms expects an integer >= 1/,
    ],
    ['backoff 0', ['--backoff-base-ms', '0'], url, /--backoff-base-ms expects an integer >= 1/],
    ['lease', ['--lease-ms', '-5'], url, /--lease-ms/],
    [
      'stale policy',
      ['--stale-events', 'drop'],
      url,
      /--stale-events expects deliver or skip, got "drop"/,
    ],
    ['log level', ['--log-level', 'loud'], url, /--log-level expects debug, info, warn or error/],
    ['pool size', ['--pool-max', '0'], url, /--pool-max expects an integer >= 1/],
    ['unknown option', ['--bogus'], url, /Unknown option '--bogus'/],
  ]
  for (const [name, args, env, message] of rows) {
    const argv =
      args.includes('--handlers') || name === 'no --handlers'
        ? args
        : ['--handlers', handlersModule, ...args]
    const worker = run(argv, env)
    t.equal(await worker.code, 2, `${name}: exit 2`)
    t.match(worker.stderr(), message, `${name}: says what is wrong`)
    t.match(worker.stderr(), /Usage: bluum-worker --handlers <module>/, `${name}: the usage`)
    t.equal(worker.stdout(), '', `${name}: nothing on stdout`)
  }
})

t.test('--help: the usage on stdout, naming every option, exit 0', async (t) => {
  const worker = run(['--help'])
  t.equal(await worker.code, 0)
  for (const flag of [
    '--handlers',
    '--database-url',
    '--schema',
    '--concurrency',
    '--max-attempts',
    '--backoff-base-ms',
    '--backoff-max-ms',
    '--task-timeout-ms',
    '--lease-ms',
    '--poll-interval-ms',
    '--stale-events',
    '--pool-max',
    '--no-migrate',
    '--log-level',
  ]) {
    t.match(worker.stdout(), flag, flag)
  }
})

t.test('a handlers module it cannot use: a coded error, exit 1, no database needed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bluum-worker-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const module = (name: string, source: string) => {
    const path = join(dir, name)
    writeFileSync(path, source)
    return path
  }
  const register = 'export default function register(bluum) {}\n'
  const rows: Array<[string, string, RegExp]> = [
    [
      'no function',
      fixture('worker-handlers-empty.ts'),
      /^bluum-worker: BLUUM_WORKER_HANDLERS_MODULE: .*exports no function/,
    ],
    ['missing', join(dir, 'nope.mjs'), /BLUUM_WORKER_HANDLERS_MODULE: .*importing it failed/],
    [
      'inboxOptions with a pool',
      module('pool.mjs', `${register}export const inboxOptions = { pool: {} }\n`),
      /`inboxOptions` carry `pool`: the worker opens its own pool on --database-url/,
    ],
    [
      'inboxOptions for transactional mode',
      module('inline.mjs', `${register}export const inboxOptions = { mode: 'transactional' }\n`),
      /mode 'transactional'.*queue-mode tasks only/,
    ],
    [
      'inboxOptions that run no worker',
      module('zero.mjs', `${register}export const inboxOptions = { concurrency: 0 }\n`),
      /concurrency 0 \(an app that only queues\): the worker would run nothing/,
    ],
    [
      'an inbox option out of range',
      module('range.mjs', `${register}export const inboxOptions = { maxAttempts: 0 }\n`),
      /^bluum-worker: BLUUM_INBOX_INVALID_OPTION: .*"maxAttempts": expected a positive integer, received the number 0/,
    ],
    [
      'an unknown inbox option',
      module('unknown.mjs', `${register}export const inboxOptions = { maxAtempts: 3 }\n`),
      /BLUUM_INBOX_INVALID_OPTION: .*"maxAtempts"/,
    ],
  ]
  for (const [name, path, message] of rows) {
    const worker = run(['--handlers', path], { DATABASE_URL: 'postgres://127.0.0.1:1/none' })
    t.equal(await worker.code, 1, `${name}: exit 1`)
    t.match(worker.stderr(), message, name)
  }
})

t.test(
  'the settings in effect are printed at start: flags over the module over the defaults',
  async (t) => {
    const { schema } = await queueingApp(t)
    const worker = run(
      [
        '--handlers',
        fixture('worker-handlers-options.ts'),
        '--schema',
        schema,
        '--concurrency',
        '2',
        '--backoff-max-ms',
        '5000',
      ],
      { DATABASE_URL: backend.server!.url },
    )
    const line = await started(worker)
    t.same(line.settings, {
      schema,
      concurrency: 2,
      maxAttempts: 3,
      backoffBaseMs: 250,
      backoffMaxMs: 5000,
      taskTimeoutMs: 60_000,
      leaseMs: 120_000,
      pollIntervalMs: 1000,
      staleEvents: 'skip',
      migrate: true,
      poolMax: 5,
    })
    t.same(line.sources, {
      schema: 'flag',
      concurrency: 'flag',
      maxAttempts: 'module',
      backoffBaseMs: 'module',
      backoffMaxMs: 'flag',
      taskTimeoutMs: 'default',
      leaseMs: 'default',
      pollIntervalMs: 'default',
      staleEvents: 'module',
      migrate: 'default',
    })
    worker.signal('SIGTERM')
    t.equal(await worker.code, 0)
    t.match(worker.lines().at(-1), { msg: 'bluum worker stopped' })
  },
)

t.test('two workers run the tasks an app queued, each effect exactly once', async (t) => {
  const { app, inbox, schema } = await queueingApp(t)
  const args = ['--handlers', handlersModule, '--schema', schema, '--concurrency', '2']
  const env = { DATABASE_URL: backend.server!.url }
  const workers = [run(args, env), run(args, env)]
  t.teardown(() => workers.forEach((w) => w.signal('SIGTERM')))
  await Promise.all(workers.map(started))
  const ids = Array.from({ length: 20 }, (_, i) => `evt_cli_${i}`)
  for (const id of ids) {
    const delivery = signedDelivery({ body: orderFilled(), id })
    t.equal((await deliver(app, delivery)).statusCode, 200)
    t.same((await deliver(app, delivery)).json(), { received: true, duplicate: true })
  }
  await until(async () => (await inbox.stats()).tasks.done === ids.length)
  const effects = await backend.query<{ delivery_id: string }>(
    `select delivery_id from ${schema}.effects`,
  )
  t.equal(effects.length, ids.length, 'one effect per event')
  t.same(new Set(effects.map((e) => e.delivery_id)), new Set(ids))
  for (const w of workers) w.signal('SIGTERM')
  for (const w of workers) t.equal(await w.code, 0, 'SIGTERM: exit 0')
})

t.test('a second signal returns 1 at once, without waiting for the running task', async (t) => {
  const { app, inbox, schema } = await queueingApp(t)
  const worker = run(['--handlers', handlersModule, '--schema', schema, '--concurrency', '1'], {
    DATABASE_URL: backend.server!.url,
  })
  await started(worker)
  // The one loop is busy with the slow task (1 s in pg_sleep, its first statement: sent with
  // the BEGIN as one query).
  await deliver(app, signedDelivery({ body: orderFilled({ symbol: 'SLOW' }), id: 'evt_slow2' }))
  await until(async () => {
    const [row] = await backend.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
       where pid <> pg_backend_pid() and query like '%select pg_sleep(1)'`,
    )
    return row?.n === 1
  })
  worker.signal('SIGINT')
  worker.signal('SIGINT')
  t.equal(await worker.code, 1)
  t.match(worker.lines().at(-1), {
    level: 40,
    msg: 'bluum worker: second signal, exiting without waiting',
  })
  // In this process the running task still ends (the bin would have exited): let it, before
  // the next test points the fixture's handlers at another schema.
  await until(async () => (await inbox.stats()).tasks.done === 1)
})

t.test(
  'the real process: started from its bin, it drains on SIGTERM (the running task commits, no new one is taken) and exits 0',
  async (t) => {
    const { app, inbox, schema } = await queueingApp(t)
    const proc = spawn(
      process.execPath,
      ['--import=tsx', '--conditions=bluum-source', bin, '--handlers', handlersModule],
      {
        env: { ...process.env, DATABASE_URL: backend.server!.url, BLUUM_TEST_SCHEMA: schema },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    t.teardown(() => proc.kill('SIGKILL'))
    const exited = new Promise<number | null>((resolve) => proc.once('close', resolve))
    let stdout = ''
    await new Promise<void>((resolve, reject) => {
      proc.once('exit', () => reject(new Error(`bluum-worker exited early:\n${stdout}`)))
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        stdout += line + '\n'
        if (line.includes('"msg":"bluum worker started"')) resolve()
      })
    })
    t.match(stdout, `"schema":"${schema}"`, 'the schema from the env, through the module')
    await deliver(app, signedDelivery({ body: orderFilled({ symbol: 'SLOW' }), id: 'evt_slow' }))
    await until(async () => (await inbox.stats()).tasks.running === 1)
    // Concurrency 4 by default: this one must not be taken once SIGTERM has arrived.
    proc.kill('SIGTERM')
    await until(() => stdout.includes('bluum worker stopping'))
    await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_after_term' }))
    t.equal(await exited, 0)
    t.same(
      await backend.query(`select delivery_id from ${schema}.effects`),
      [{ delivery_id: 'evt_slow' }],
      'the running task committed; the next one was not taken',
    )
    t.same(
      (await inbox.list()).map((task) => [task.deliveryId, task.state]),
      [
        ['evt_after_term', 'pending'],
        ['evt_slow', 'done'],
      ],
    )
  },
)
