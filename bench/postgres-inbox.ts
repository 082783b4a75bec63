/**
 * The Postgres inbox on a real PostgreSQL 15 cluster (started and stopped here, the test helper):
 *
 * 1. ack path: requests/s of the queue-mode route (verify, parse, the event and its task stored,
 *    200) ÷ the memory-store route running a no-op handler inline, in one interleaved run
 *    (memory, queue, memory, queue...); target ≥ 0.6. Each server is its own child process
 *    (`bench/lib/inbox-server.ts`, compiled with tsc as the package ships), both pinned with
 *    `taskset` to CPU 1, autocannon in this process on CPU 0; PostgreSQL is left to the kernel.
 *    Each child reports its CPU time, so server CPU µs per request is measured apart from the
 *    client's and the database's, which are printed beside it (autocannon's from this process,
 *    PostgreSQL's from /proc): those two share CPU 0, and bound the queue side when it fills.
 *    The queue server runs no workers: only the ack is timed.
 * 2. worker throughput: tasks/s draining a backlog with 1, 4 and 16 workers (a compiled child
 *    process, free to use every CPU as PostgreSQL is), each task one INSERT through `tx` and its
 *    done mark in one transaction, timed by the tasks' own start and done times; CPU per task
 *    of the worker process and of the whole PostgreSQL cluster (from /proc); target 4 workers
 *    ≥ 1 000 tasks/s.
 * 3. long handlers: 16 workers whose handler waits `--call-ms` (a call to another service), then
 *    writes once through `tx`: tasks/s, and the sessions idle in a transaction on average,
 *    unordered (the transaction opens at the first write) and with `ordering: 'resource'` (it
 *    opens before the handler, to hold its resource's lock; one order per task here, so no task
 *    waits for another).
 * 4. ack → handler start: p50 and p99 with 4 workers, deliveries sent one by one.
 *
 *   node --import=tsx bench/postgres-inbox.ts [--rounds 3] [--duration 3] [--warmup 1]
 *     [--connections 20] [--tasks 3000] [--call-ms 20] [--no-pin] [--source]
 *
 * Stops by itself: a hard bound kills the children and the database.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import Fastify from 'fastify'
import pg from 'pg'
import bluumWebhooks from '../plugin/index.js'
import { createPostgresInbox, type PostgresInboxSettings } from '../plugin/postgres/index.js'
import { startPostgresServer, type PostgresServer } from '../test/helpers/postgres-server.js'
import { orderFilled, signedDelivery, TEST_SECRET } from '../test/helpers/sign.js'
import { createDeliveryPool, DEFAULT_BODY_BYTES, type BenchDelivery } from './lib/deliveries.js'
import { loadServer } from './lib/load.js'
import { exitAfter, printResult, round, say, thousands } from './lib/report.js'
import { pinThisProcess, startServerProcess, type ServerProcess } from './lib/server-process.js'
import { median, range } from './lib/stats.js'

const NAME = 'postgres-inbox'
const PATH = '/webhooks/bluum'
const ACK_TARGET = 0.6
const WORKERS_TARGET = 1000
/** The plugin accepts timestamps up to 300 s old; keep every request well inside that. */
const MAX_SIGNATURE_AGE_S = 270

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '20' },
    tasks: { type: 'string', default: '3000' },
    'call-ms': { type: 'string', default: '20' },
    'no-pin': { type: 'boolean' },
    source: { type: 'boolean' },
  },
})
const integer = (name: string, min: number) => {
  const n = Number(args[name as keyof typeof args])
  if (!Number.isInteger(n) || n < min)
    throw new RangeError(`--${name} must be an integer >= ${min}`)
  return n
}
const rounds = integer('rounds', 1)
const durationS = integer('duration', 1)
const warmupS = integer('warmup', 0)
const connections = integer('connections', 1)
const taskCount = integer('tasks', 1)
const callMs = integer('call-ms', 0)
const loadSeconds = rounds * 2 * (durationS + warmupS)
if (loadSeconds > MAX_SIGNATURE_AGE_S - 60) {
  throw new RangeError(`${loadSeconds} s of load would outlive the precomputed signatures`)
}

type Side = 'memory' | 'queue'
interface Load {
  side: Side
  warmup: boolean
  rps: number
  non2xx: number
  errors: number
  handled: number
  ok2xx: number
  serverUsPerRequest: number
  /** CPU of the whole PostgreSQL cluster per handled request (undefined off Linux). */
  postgresUsPerRequest: number | undefined
  /** CPU of this process (autocannon) per handled request. */
  clientUsPerRequest: number
  p99Ms: number
}

const servers: ServerProcess[] = []
let database: PostgresServer | undefined
exitAfter((loadSeconds + 600) * 1000, NAME, () => {
  servers.forEach((s) => s.kill())
  void database?.close()
})

/** Compiles the child and what it imports with tsc, as the package is built. */
function compileInboxServer(): string {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const project = fileURLToPath(new URL('./tsconfig.inbox-server.json', import.meta.url))
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' })
  return fileURLToPath(new URL('../.tmp/bench-build/bench/lib/inbox-server.js', import.meta.url))
}

async function measure(
  server: ServerProcess,
  side: Side,
  seconds: number,
  next: () => BenchDelivery,
  warmup = false,
): Promise<Load> {
  const pgBefore = clusterCpuUs(postmaster)
  const clientBefore = process.cpuUsage()
  // Requests cut off by the end of the run still finish on the server: let them.
  const { result, handled, serverUs } = await loadServer(server, next, {
    path: PATH,
    connections,
    limit: { duration: seconds },
    settleMs: 200,
  })
  const client = process.cpuUsage(clientBefore)
  const pgAfter = clusterCpuUs(postmaster)
  const pgUs = pgBefore === undefined || pgAfter === undefined ? undefined : pgAfter - pgBefore
  return {
    side,
    warmup,
    rps: result['2xx'] / result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    handled,
    ok2xx: result['2xx'],
    serverUsPerRequest: serverUs / Math.max(1, handled),
    postgresUsPerRequest: pgUs === undefined ? undefined : pgUs / Math.max(1, handled),
    clientUsPerRequest: (client.user + client.system) / Math.max(1, handled),
    p99Ms: result.latency.p99,
  }
}

async function ackPath(pinned: boolean, script: string, url: string) {
  const pool = createDeliveryPool({ count: 400_000, bodyBytes: DEFAULT_BODY_BYTES })
  const signedAt = performance.now()
  const cpus = pinned ? { cpus: '1' } : {}
  const [memory, queue] = await Promise.all([
    startServerProcess(script, ['memory'], [], cpus),
    startServerProcess(script, ['queue', url, 'bench_ack'], [], cpus),
  ])
  servers.push(memory, queue)
  const side = { memory, queue }
  // Separate walks through the same deliveries: each side dedupes in its own store.
  const next = { memory: pool.cursor(), queue: pool.cursor() }
  for (const name of ['memory', 'queue'] as const) {
    const delivery = next[name]()
    const post = () =>
      fetch(`http://127.0.0.1:${side[name].port}${PATH}`, {
        method: 'POST',
        headers: delivery.headers,
        body: delivery.body.toString('utf8'),
      }).then(async (r) => `${r.status} ${await r.text()}`)
    const [first, second] = [await post(), await post()]
    if (first !== '200 {"received":true}' || second !== '200 {"received":true,"duplicate":true}') {
      throw new Error(`${name} answered "${first}" then "${second}" to one delivery sent twice`)
    }
  }
  say('sanity: both servers answer 200 {"received":true}, then duplicate:true to a repeat')
  const loads: Load[] = []
  for (let r = 1; r <= rounds; r++) {
    for (const name of ['memory', 'queue'] as const) {
      if ((performance.now() - signedAt) / 1000 > MAX_SIGNATURE_AGE_S - durationS - warmupS) {
        throw new Error('the precomputed signatures would become stale: the machine is too slow')
      }
      if (warmupS > 0) loads.push(await measure(side[name], name, warmupS, next[name], true))
      const load = await measure(side[name], name, durationS, next[name])
      loads.push(load)
      say(
        `round ${r} ${name.padEnd(6)} ${thousands(load.rps).padStart(6)} req/s  ` +
          `server ${load.serverUsPerRequest.toFixed(1).padStart(6)} us/req  ` +
          `PostgreSQL ${load.postgresUsPerRequest?.toFixed(1).padStart(5) ?? '?'} us/req  ` +
          `autocannon ${load.clientUsPerRequest.toFixed(1).padStart(5)} us/req  ` +
          `p99 ${load.p99Ms} ms  non-2xx ${load.non2xx}`,
      )
    }
  }
  await Promise.all([memory.close(), queue.close()])
  servers.length = 0
  const measured = (name: Side) => loads.filter((l) => l.side === name && !l.warmup)
  const rps = (name: Side) => median(measured(name).map((l) => l.rps))
  const us = (name: Side) => median(measured(name).map((l) => l.serverUsPerRequest))
  const clientUs = (name: Side) => median(measured(name).map((l) => l.clientUsPerRequest))
  const pgUs = measured('queue').map((l) => l.postgresUsPerRequest)
  // Each round's queue figure against the memory figure of the same round.
  const roundRatios = measured('queue').map((q, i) => q.rps / measured('memory')[i]!.rps)
  return {
    ratio: rps('queue') / rps('memory'),
    roundRatios,
    cpuRatio: us('memory') / us('queue'),
    rps: { memory: rps('memory'), queue: rps('queue') },
    us: { memory: us('memory'), queue: us('queue') },
    clientUs: { memory: clientUs('memory'), queue: clientUs('queue') },
    postgresUs: pgUs.every((u) => u !== undefined) ? median(pgUs) : undefined,
    non2xx: loads.reduce((a, l) => a + l.non2xx, 0),
    errors: loads.reduce((a, l) => a + l.errors, 0),
    // A 200 that was not counted as handled was a duplicate answer: ids are never repeated.
    duplicates: loads.reduce((a, l) => a + Math.max(0, l.ok2xx - l.handled), 0),
  }
}

/**
 * CPU time of the whole PostgreSQL cluster so far, in µs: the postmaster and every process it
 * forked (backends, writers), read from /proc. Linux only; undefined elsewhere.
 */
function clusterCpuUs(postmaster: number): number | undefined {
  const ticks = 100 // USER_HZ on Linux
  let total = 0
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      let stat: string
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      } catch {
        continue // gone meanwhile
      }
      // Fields after the command name (which may hold spaces), from field 3 on.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ppid = Number(fields[1])
      if (Number(entry) !== postmaster && ppid !== postmaster) continue
      total += (Number(fields[11]) + Number(fields[12])) * (1e6 / ticks)
    }
  } catch {
    return undefined
  }
  return total
}

/** Queues `count` tasks through an app with no workers. */
async function queueBacklog(
  pool: pg.Pool,
  schema: string,
  count: number,
  settings: PostgresInboxSettings = {},
) {
  const app = Fastify({ logger: false })
  const inbox = createPostgresInbox({ pool, schema, concurrency: 0, ...settings })
  await app.register(bluumWebhooks, { secret: TEST_SECRET, inbox })
  app.bluum.on('order.filled', () => {}, { id: 'effect' })
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, j) => {
        const d = signedDelivery({
          // One order per task: ordering then holds each task's transaction, not a queue.
          body: orderFilled({ id: `ord_${schema}_${i + j}` }),
          id: `evt_${schema}_${i + j}`,
        })
        return app.inject({ method: 'POST', url: PATH, headers: d.headers, payload: d.payload })
      }),
    )
  }
  await app.close()
}

/** Until no task is pending: one look at the small partial index of pending tasks every 20 ms. */
async function waitDone(pool: pg.Pool, schema: string) {
  for (;;) {
    const { rows } = await pool.query(
      `select exists (select 1 from ${schema}.tasks where state = 'pending') as waiting`,
    )
    if (!rows[0].waiting) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

let postmaster = 0
/** The workers' affinity once this process is pinned: every CPU of the machine. */
let everyCpu: { cpus?: string } = {}

/**
 * Drains a backlog of `taskCount` tasks with `concurrency` workers in a child process (compiled,
 * as the package ships). The rate comes from the tasks' own times in the database (the first
 * take to the last done mark), so the child's start-up is not counted; CPU per task is taken
 * between the child's ready message and the end.
 */
async function drain(
  script: string,
  pool: pg.Pool,
  schema: string,
  concurrency: number,
  options: {
    callMs?: number
    ordering?: 'none' | 'resource'
    onProgress?: () => Promise<void>
  } = {},
) {
  await queueBacklog(pool, schema, taskCount, { ordering: options.ordering ?? 'none' })
  const url = database!.url
  // On every CPU: forked as it is, the child would inherit this process's pin to CPU 0.
  const child = await startServerProcess(
    script,
    [
      'workers',
      url,
      schema,
      String(concurrency),
      String(options.callMs ?? 0),
      options.ordering ?? 'none',
    ],
    [],
    everyCpu,
  )
  servers.push(child)
  const before = await child.stats()
  const pgBefore = clusterCpuUs(postmaster)
  let done = false
  const watching = (async () => {
    while (!done) {
      await options.onProgress?.()
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  await waitDone(pool, schema)
  const after = await child.stats()
  const pgAfter = clusterCpuUs(postmaster)
  done = true
  await watching
  await child.close()
  servers.splice(servers.indexOf(child), 1)
  const { rows } = await pool.query(
    `select extract(epoch from max(updated_at) - min(started_at))::float8 as seconds
     from ${schema}.tasks`,
  )
  const tasks = Math.max(1, after.handled - before.handled)
  const nodeUs = after.cpuUserUs - before.cpuUserUs + after.cpuSystemUs - before.cpuSystemUs
  return {
    rate: taskCount / rows[0].seconds,
    nodeUsPerTask: nodeUs / tasks,
    pgUsPerTask:
      pgBefore === undefined || pgAfter === undefined ? undefined : (pgAfter - pgBefore) / tasks,
  }
}

async function main(): Promise<void> {
  say(`${NAME}: the queue-mode ack vs the memory-store route, then the workers`)
  // Started before this process pins itself: a process inherits its parent's CPU affinity, and
  // PostgreSQL is left to the kernel, not confined to the load generator's core.
  database = await startPostgresServer()
  const pinned = !args['no-pin'] && pinThisProcess('0')
  say(
    args['no-pin']
      ? 'not pinned'
      : pinned
        ? 'pinned: autocannon on CPU 0, both servers on CPU 1 (taskset); PostgreSQL and the workers unpinned'
        : 'not pinned: taskset is missing or refused',
  )
  if (pinned) everyCpu = { cpus: `0-${availableParallelism() - 1}` }
  const pool = new pg.Pool({ connectionString: database.url, max: 40 })
  pool.on('error', () => {})
  await pool.query('create table effects (delivery_id text not null)')
  const version = (await pool.query('show server_version')).rows[0].server_version
  const backend = (await pool.query('select pg_backend_pid() as pid')).rows[0].pid
  postmaster = Number(readFileSync(`/proc/${backend}/stat`, 'utf8').split(') ')[1]!.split(' ')[1])
  say(`PostgreSQL ${version} on ${database.url} (fsync off: a test cluster)`)

  let script = fileURLToPath(new URL('./lib/inbox-server.ts', import.meta.url))
  if (!args.source) {
    const started = performance.now()
    script = compileInboxServer()
    say(`compiled the children with tsc in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }

  // 1. The ack path.
  say(
    `\n1. ack path: ${rounds} rounds × (${warmupS} s warm-up + ${durationS} s) per side, ${connections} connections`,
  )
  const ack = await ackPath(pinned, script, database.url)
  const { min, max } = range(ack.roundRatios)
  say(
    `ack path: queue ${thousands(ack.rps.queue)} ÷ memory ${thousands(ack.rps.memory)} req/s = ` +
      `${ack.ratio.toFixed(3)} (rounds ${min.toFixed(2)}–${max.toFixed(2)}; target ≥ ${ACK_TARGET}); ` +
      `server CPU ${ack.us.queue.toFixed(1)} vs ${ack.us.memory.toFixed(1)} us/req ` +
      `(memory/queue ${ack.cpuRatio.toFixed(3)})`,
  )
  // The servers share CPU 1; autocannon and PostgreSQL share CPU 0, so the queue side is bound
  // by whichever core fills first.
  say(
    `CPU 0 per queued request: PostgreSQL ${ack.postgresUs?.toFixed(1) ?? '?'} us + autocannon ` +
      `${ack.clientUs.queue.toFixed(1)} us (autocannon ${ack.clientUs.memory.toFixed(1)} us per ` +
      `memory-route request)`,
  )

  // 2. Worker throughput.
  say(`\n2. workers (a child process) draining ${taskCount} tasks, one INSERT each through tx`)
  const throughput: Record<string, number> = {}
  const cpuPerTask: Record<string, { node: number; postgres: number | undefined }> = {}
  for (const concurrency of [1, 4, 16]) {
    const { rate, nodeUsPerTask, pgUsPerTask } = await drain(
      script,
      pool,
      `bench_w${concurrency}`,
      concurrency,
    )
    throughput[`workers${concurrency}`] = Math.round(rate)
    cpuPerTask[`workers${concurrency}`] = {
      node: round(nodeUsPerTask, 0),
      postgres: pgUsPerTask === undefined ? undefined : round(pgUsPerTask, 0),
    }
    say(
      `concurrency ${String(concurrency).padStart(2)}: ${thousands(rate)} tasks/s; CPU per task: ` +
        `Node ${nodeUsPerTask.toFixed(0)} us, PostgreSQL ${pgUsPerTask?.toFixed(0) ?? '?'} us`,
    )
  }

  // 3. Long handlers.
  say(`\n3. long handlers: 16 workers, a ${callMs} ms call, then one INSERT through tx`)
  const long: Record<string, { rate: number; idleInTransaction: number }> = {}
  for (const ordering of ['none', 'resource'] as const) {
    const samples: number[] = []
    const sample = async () => {
      // A session idle in a transaction is one whose handler is waiting on something else.
      const { rows } = await pool.query(
        `select count(*)::int as n from pg_stat_activity where state = 'idle in transaction'`,
      )
      samples.push(rows[0].n)
    }
    const name = ordering === 'none' ? 'unordered' : 'ordered'
    const { rate } = await drain(script, pool, `bench_long_${name}`, 16, {
      callMs,
      ordering,
      onProgress: sample,
    })
    const mean = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length)
    long[name] = { rate: Math.round(rate), idleInTransaction: round(mean, 1) }
    say(
      `${name.padEnd(9)}: ${thousands(rate)} tasks/s, ${mean.toFixed(1)} sessions idle in a ` +
        `transaction on average (of 16 workers)`,
    )
  }

  // 4. Ack → handler start, 4 workers, one delivery at a time.
  const acked = new Map<string, number>()
  const latencies: number[] = []
  const timed = Fastify({ logger: false })
  await timed.register(bluumWebhooks, {
    secret: TEST_SECRET,
    inbox: createPostgresInbox({ pool, schema: 'bench_latency', concurrency: 4 }),
  })
  timed.bluum.on(
    'order.filled',
    async (_event, { deliveryId }) => {
      const start = performance.now()
      // The ack time is set right after the answer arrives; a handler may start first.
      for (let i = 0; i < 100 && !acked.has(deliveryId); i++)
        await new Promise((r) => setImmediate(r))
      latencies.push(start - (acked.get(deliveryId) ?? start))
    },
    { id: 'effect' },
  )
  await timed.listen({ host: '127.0.0.1', port: 0 })
  const timedPort = (timed.server.address() as { port: number }).port
  for (let i = 0; i < 300; i++) {
    const d = signedDelivery({ body: orderFilled(), id: `evt_latency_${i}` })
    const res = await fetch(`http://127.0.0.1:${timedPort}${PATH}`, {
      method: 'POST',
      headers: d.headers,
      body: d.payload,
    })
    await res.arrayBuffer()
    acked.set(d.headers['webhook-id']!, performance.now())
  }
  while (latencies.length < 300) await new Promise((resolve) => setTimeout(resolve, 20))
  await timed.close()
  latencies.sort((a, b) => a - b)
  const p50 = Math.max(0, latencies[Math.floor(latencies.length * 0.5)]!)
  const p99 = Math.max(0, latencies[Math.floor(latencies.length * 0.99)]!)
  say(`\n4. ack → handler start, 4 workers: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`)

  await pool.end()
  await database.close()
  const valid = ack.non2xx === 0 && ack.errors === 0 && ack.duplicates === 0
  if (!valid) say('INVALID: errors or duplicate answers in the ack path')
  printResult({
    bench: NAME,
    valid,
    pass: valid && ack.ratio >= ACK_TARGET && throughput.workers4! >= WORKERS_TARGET,
    ratio: round(ack.ratio),
    target: `ack >= ${ACK_TARGET}, 4 workers >= ${WORKERS_TARGET} tasks/s`,
    headline:
      `queue ack ${thousands(ack.rps.queue)} ÷ memory ${thousands(ack.rps.memory)} req/s = ${ack.ratio.toFixed(2)} ` +
      `(CPU ${ack.cpuRatio.toFixed(2)}); workers ${throughput.workers1}/${throughput.workers4}/${throughput.workers16} tasks/s (1/4/16); ` +
      `ack→start p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
    ackRoundRatios: ack.roundRatios.map((r) => round(r)),
    ackCpuRatio: round(ack.cpuRatio),
    ackRps: { memory: Math.round(ack.rps.memory), queue: Math.round(ack.rps.queue) },
    serverUsPerRequest: { memory: round(ack.us.memory, 1), queue: round(ack.us.queue, 1) },
    clientUsPerRequest: {
      memory: round(ack.clientUs.memory, 1),
      queue: round(ack.clientUs.queue, 1),
    },
    postgresUsPerQueuedRequest: ack.postgresUs === undefined ? undefined : round(ack.postgresUs, 1),
    ...throughput,
    cpuUsPerTask: cpuPerTask,
    longHandlers: long,
    ackToStartP50Ms: round(p50, 2),
    ackToStartP99Ms: round(p99, 2),
    pinned,
    compiled: !args.source,
    connections,
    rounds,
    durationS,
    warmupS,
  })
  process.exit(valid ? 0 : 1)
}

main().catch((err: unknown) => {
  process.stderr.write(`${NAME} failed: ${(err as Error)?.stack ?? String(err)}\n`)
  servers.forEach((s) => s.kill())
  void database?.close()
  process.exitCode = 1
})
