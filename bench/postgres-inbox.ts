/**
 * The Postgres inbox on a real PostgreSQL 15 cluster (started and stopped here, the test helper):
 *
 * 1. ack path: requests/s of the queue-mode route (verify, parse, one INSERT statement, 200) ÷
 *    the memory-store route running a no-op handler inline, same run, alternated rounds;
 *    target ≥ 0.5. The inbox app runs no workers here (`concurrency: 0`): only the ack is timed.
 * 2. worker throughput: tasks/s draining a backlog with 1, 4 and 16 workers, each task one
 *    INSERT through `tx` and its done mark in one transaction.
 * 3. ack → handler start: p50 and p99 with 4 workers, deliveries sent one by one.
 *
 *   node --import=tsx bench/postgres-inbox.ts [--duration 3] [--rounds 2] [--tasks 2000]
 *
 * Every app runs in this process over loopback HTTP (autocannon too), so the figures are a
 * ratio of like with like, not absolute capacity. Stops by itself: a hard bound ends it.
 */
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import bluumWebhooks from '../plugin/index.js'
import { createPostgresInbox, startInboxWorker } from '../plugin/postgres/index.js'
import { startPostgresServer } from '../test/helpers/postgres-server.js'
import { orderFilled, signedDelivery, TEST_SECRET } from '../test/helpers/sign.js'
import { exitAfter, printResult, round, say } from './lib/report.js'
import { median } from './lib/stats.js'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    tasks: { type: 'string', default: '2000' },
  },
})
const duration = Number(values.duration)
const rounds = Number(values.rounds)
const taskCount = Number(values.tasks)
const PATH = '/webhooks/bluum'
exitAfter((rounds * 2 * (duration + 2) + 240) * 1000, 'postgres-inbox')

const server = await startPostgresServer()
const pool = new pg.Pool({ connectionString: server.url, max: 40 })
pool.on('error', () => {})
await pool.query('create table if not exists effects (delivery_id text not null)')

let sequence = 0
function nextRequest() {
  const d = signedDelivery({ body: orderFilled(), id: `evt_bench_${process.pid}_${++sequence}` })
  return { method: 'POST' as const, path: PATH, headers: d.headers, body: d.payload }
}

async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return (app.server.address() as { port: number }).port
}

async function memoryApp() {
  const app = Fastify({ logger: false })
  await app.register(bluumWebhooks, { secret: TEST_SECRET })
  app.bluum.on('order.filled', () => {})
  return app
}

async function inboxApp(schema: string, concurrency: number, handler = async () => {}) {
  const app = Fastify({ logger: false })
  const inbox = createPostgresInbox({ pool, schema, concurrency, pollIntervalMs: 100 })
  await app.register(bluumWebhooks, { secret: TEST_SECRET, inbox })
  app.bluum.on('order.filled', handler, { id: 'effect' })
  return { app, inbox }
}

async function load(port: number): Promise<number> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 20,
    duration,
    requests: [{ setupRequest: () => nextRequest() }],
  })
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${result.non2xx} non-2xx and ${result.errors} errors in a bench run`)
  }
  return result.requests.average
}

// 1. The ack path.
const memory = await memoryApp()
const queue = await inboxApp('bench_ack', 0)
const memoryPort = await listen(memory)
const queuePort = await listen(queue.app)
const memoryRps: number[] = []
const queueRps: number[] = []
await load(memoryPort) // warm-up of both
await load(queuePort)
for (let r = 0; r < rounds; r++) {
  memoryRps.push(await load(memoryPort))
  queueRps.push(await load(queuePort))
  say(
    `round ${r + 1}: memory ${round(memoryRps.at(-1)!, 0)} req/s, queue ${round(queueRps.at(-1)!, 0)} req/s`,
  )
}
await memory.close()
await queue.app.close()
const ratio = median(queueRps) / median(memoryRps)
say(`ack path: queue ÷ memory = ${round(ratio)} (target ≥ 0.5)`)

// 2. Worker throughput: a backlog queued with no workers, then drained.
const throughput: Record<string, number> = {}
for (const concurrency of [1, 4, 16]) {
  const schema = `bench_w${concurrency}`
  const { app } = await inboxApp(schema, 0)
  for (let i = 0; i < taskCount; i++) {
    const r = nextRequest()
    await app.inject({ method: 'POST', url: PATH, headers: r.headers, payload: r.body })
  }
  await app.close()
  const started = performance.now()
  const worker = await startInboxWorker({
    inbox: createPostgresInbox({ pool, schema, concurrency, pollIntervalMs: 20 }),
    handlers: (bluum) =>
      bluum.on(
        'order.filled',
        async (_event, { tx, deliveryId }) => {
          await tx.query('insert into effects (delivery_id) values ($1)', [deliveryId])
        },
        { id: 'effect' },
      ),
  })
  for (;;) {
    const { rows } = await pool.query(
      `select count(*)::int as n from ${schema}.tasks where state = 'done'`,
    )
    if (rows[0].n >= taskCount) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const seconds = (performance.now() - started) / 1000
  await worker.close()
  throughput[`workers${concurrency}`] = round(taskCount / seconds, 0)
  say(`worker throughput, concurrency ${concurrency}: ${round(taskCount / seconds, 0)} tasks/s`)
}

// 3. Ack → handler start, 4 workers, one delivery at a time.
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
const timedPort = await listen(timed)
for (let i = 0; i < 300; i++) {
  const r = nextRequest()
  const id = r.headers['webhook-id']!
  const res = await fetch(`http://127.0.0.1:${timedPort}${PATH}`, {
    method: 'POST',
    headers: r.headers,
    body: r.body,
  })
  await res.arrayBuffer()
  acked.set(id, performance.now())
}
while (latencies.length < 300) await new Promise((resolve) => setTimeout(resolve, 20))
await timed.close()
latencies.sort((a, b) => a - b)
const p50 = latencies[Math.floor(latencies.length * 0.5)]!
const p99 = latencies[Math.floor(latencies.length * 0.99)]!
say(
  `ack → handler start, 4 workers: p50 ${round(Math.max(0, p50), 2)} ms, p99 ${round(Math.max(0, p99), 2)} ms`,
)

await pool.end()
await server.close()
printResult({
  bench: 'postgres-inbox',
  valid: true,
  pass: ratio >= 0.5,
  ratio: round(ratio),
  target: '>= 0.5',
  headline: `queue ack ${round(median(queueRps), 0)} req/s ÷ memory ${round(median(memoryRps), 0)} req/s = ${round(ratio)}; workers ${throughput.workers1}/${throughput.workers4}/${throughput.workers16} tasks/s (1/4/16); ack→start p50 ${round(Math.max(0, p50), 2)} ms, p99 ${round(Math.max(0, p99), 2)} ms`,
  ...throughput,
  ackToStartP50Ms: round(Math.max(0, p50), 2),
  ackToStartP99Ms: round(Math.max(0, p99), 2),
})
process.exit(0)
