/**
 * `bluum-worker` as a separate process on a real PostgreSQL server: it loads the handlers module
 * the app uses, runs the tasks the app queued exactly once, stops on SIGTERM after its running
 * task, and refuses bad arguments with the usage text and exit 2.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import t from 'tap'
import bluumWebhooks from '../plugin/index.js'
import { deliver } from './helpers/app.js'
import { startPostgresBackend, type InboxBackend } from './helpers/inbox-backends.js'
import { until } from './helpers/inbox-suite.js'
import { orderFilled, signedDelivery, TEST_SECRET } from './helpers/sign.js'
import registerHandlers from './fixtures/worker-handlers.js'

const cli = fileURLToPath(new URL('../plugin/postgres/worker-cli.ts', import.meta.url))
const handlersModule = fileURLToPath(new URL('./fixtures/worker-handlers.ts', import.meta.url))
const emptyModule = fileURLToPath(new URL('./fixtures/worker-handlers-empty.ts', import.meta.url))

// Each case starts a tsx process: slow on a loaded machine; the file still ends by itself.
t.setTimeout(300_000)

interface Worker {
  proc: ChildProcess
  /** Resolves when the worker logged that it started. */
  started: Promise<void>
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>
}

const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const proc of running) proc.kill('SIGKILL')
})

function startWorker(args: string[], env: Record<string, string> = {}): Worker {
  const proc = spawn(
    process.execPath,
    ['--import=tsx', '--conditions=bluum-source', cli, ...args],
    {
      env: { ...process.env, DATABASE_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  running.add(proc)
  let stdout = ''
  let stderr = ''
  proc.stderr!.on('data', (chunk) => (stderr += chunk))
  let onStarted = () => {}
  const started = new Promise<void>((resolve) => (onStarted = resolve))
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    stdout += line + '\n'
    if (line.includes('"msg":"bluum worker started"')) onStarted()
  })
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    proc.once('close', (code) => {
      running.delete(proc)
      resolve({ code, stdout, stderr })
    }),
  )
  return { proc, started, exited }
}

let backend: InboxBackend
t.before(async () => {
  backend = await startPostgresBackend()
})
t.teardown(() => backend.close())

t.test('bad arguments: the usage text on stderr and exit 2', async (t) => {
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['no --handlers', [], { DATABASE_URL: 'postgres://x' }, /--handlers is required/],
    ['no database', ['--handlers', handlersModule], {}, /--database-url \(or \$DATABASE_URL\)/],
    [
      'concurrency 0',
      ['--handlers', handlersModule, '--concurrency', '0'],
      { DATABASE_URL: 'postgres://x' },
      /--concurrency expects an integer >= 1, got "0"/,
    ],
    [
      'concurrency not a number',
      ['--handlers', handlersModule, '--concurrency', 'four'],
      { DATABASE_URL: 'postgres://x' },
      /--concurrency expects an integer >= 1, got "four"/,
    ],
    [
      'task timeout not an integer',
      ['--handlers', handlersModule, '--task-timeout-ms', '1.5'],
      { DATABASE_URL: 'postgres://x' },
      /--task-timeout-ms expects an integer >= 1/,
    ],
    ['unknown option', ['--bogus'], {}, /Unknown option '--bogus'/],
  ]
  const outcomes = await Promise.all(cases.map(([, args, env]) => startWorker(args, env).exited))
  cases.forEach(([name, , , message], i) => {
    const { code, stderr } = outcomes[i]!
    t.equal(code, 2, `${name}: exit 2`)
    t.match(stderr, message, `${name}: says what is wrong`)
    t.match(stderr, /Usage: bluum-worker --handlers <module>/, `${name}: prints the usage`)
  })
})

t.test('--help prints the usage on stdout and exits 0', async (t) => {
  const { code, stdout } = await startWorker(['--help']).exited
  t.equal(code, 0)
  t.match(stdout, /Usage: bluum-worker --handlers <module>/)
  t.match(stdout, /--concurrency <n>/)
})

t.test('a handlers module without a function: BLUUM_WORKER_HANDLERS_MODULE, exit 1', async (t) => {
  const { code, stderr } = await startWorker(['--handlers', emptyModule], {
    DATABASE_URL: backend.server!.url,
  }).exited
  t.equal(code, 1)
  t.match(stderr, /^bluum-worker: BLUUM_WORKER_HANDLERS_MODULE: .*exports no function/)
})

t.test(
  'two bluum-worker processes run the tasks an app queued, each effect exactly once',
  async (t) => {
    const schema = await backend.freshSchema()
    process.env.BLUUM_TEST_SCHEMA = schema
    const app = Fastify()
    t.teardown(() => app.close())
    const inbox = backend.inbox({ schema, mode: 'queue', concurrency: 0 })
    await app.register(bluumWebhooks, { secret: TEST_SECRET, inbox })
    registerHandlers(app.bluum) // the same module the workers load
    await app.ready()

    const env = { DATABASE_URL: backend.server!.url, BLUUM_TEST_SCHEMA: schema }
    const args = ['--handlers', handlersModule, '--schema', schema, '--concurrency', '2']
    const workers = [startWorker(args, env), startWorker(args, env)]
    t.teardown(() => workers.forEach((w) => w.proc.kill('SIGKILL')))
    await Promise.all(workers.map((w) => w.started))

    const ids = Array.from({ length: 20 }, (_, i) => `evt_cli_${i}`)
    for (const id of ids) {
      const delivery = signedDelivery({ body: orderFilled(), id })
      t.equal((await deliver(app, delivery)).statusCode, 200)
      t.same((await deliver(app, delivery)).json(), { received: true, duplicate: true })
    }
    await until(async () => (await inbox.stats()).tasks.done === ids.length)
    const effects = await backend.query<{ delivery_id: string; handler: string }>(
      `select delivery_id, handler from ${schema}.effects`,
    )
    t.equal(effects.length, ids.length, 'one effect per event')
    t.same(new Set(effects.map((e) => e.delivery_id)), new Set(ids))
    const pids = new Set(workers.map((w) => `pid ${w.proc.pid}`))
    t.ok(
      effects.every((e) => pids.has(e.handler)),
      'every effect written by a worker process',
    )
    for (const w of workers) w.proc.kill('SIGTERM')
    for (const w of workers) t.equal((await w.exited).code, 0, 'SIGTERM: exit 0')
  },
)

t.test('SIGTERM: the running task finishes and commits, no new task is taken', async (t) => {
  const schema = await backend.freshSchema()
  process.env.BLUUM_TEST_SCHEMA = schema
  const app = Fastify()
  t.teardown(() => app.close())
  const inbox = backend.inbox({ schema, mode: 'queue', concurrency: 0 })
  await app.register(bluumWebhooks, { secret: TEST_SECRET, inbox })
  registerHandlers(app.bluum)
  await app.ready()
  const worker = startWorker(
    ['--handlers', handlersModule, '--schema', schema, '--concurrency', '1'],
    { DATABASE_URL: backend.server!.url, BLUUM_TEST_SCHEMA: schema },
  )
  t.teardown(() => worker.proc.kill('SIGKILL'))
  await worker.started
  await deliver(app, signedDelivery({ body: orderFilled({ symbol: 'SLOW' }), id: 'evt_slow' }))
  // The one loop is busy with the slow task (1 s in pg_sleep): the next one waits for it.
  await until(async () => {
    const [row] = await backend.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where query = 'select pg_sleep(1)'`,
    )
    return row?.n === 1
  })
  await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_after_term' }))
  worker.proc.kill('SIGTERM')
  const { code, stdout } = await worker.exited
  t.equal(code, 0)
  t.match(stdout, /"msg":"bluum worker stopping: no new task, waiting for the running ones"/)
  t.same(
    await backend.query(`select delivery_id from ${schema}.effects`),
    [{ delivery_id: 'evt_slow' }],
    'the running task committed; the next one was not taken',
  )
  const tasks = await inbox.list()
  t.same(
    tasks.map((task) => [task.deliveryId, task.state]),
    [
      ['evt_after_term', 'pending'],
      ['evt_slow', 'done'],
    ],
  )
})
