/**
 * Exactly once through crashes, on a real PostgreSQL server and real processes: app processes
 * are SIGKILLed in the middle of a handler (before its write, after it but before the commit,
 * after the commit but before the answer); then Bluum's retries and the workers' retries run
 * against a surviving app, and every effect row exists exactly once. A handler that kills its
 * process at every attempt ends dead. Two apps on one database share the work without repeating
 * any of it. Only what is about a process dying is a process; the rest runs in this one.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import pg from 'pg'
import t, { type Test } from 'tap'
import bluumWebhooks from '../plugin/index.js'
import { createPostgresInbox, type PostgresInboxMode } from '../plugin/postgres/index.js'
import { deliver } from './helpers/app.js'
import { startPostgresBackend, type InboxBackend } from './helpers/inbox-backends.js'
import { until } from './helpers/inbox-suite.js'
import { orderFilled, signedDelivery, TEST_SECRET, type SignedDelivery } from './helpers/sign.js'

const childScript = fileURLToPath(new URL('./fixtures/inbox-child.ts', import.meta.url))

interface Child {
  proc: ChildProcess
  port: number
  /** Resolves with the next `PAUSE` line's point. */
  paused: Promise<string>
  exited: Promise<void>
}

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

async function startChild(env: Record<string, string>): Promise<Child> {
  const proc = spawn(process.execPath, ['--import=tsx', '--conditions=bluum-source', childScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.add(proc)
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      children.delete(proc)
      resolve()
    }),
  )
  const lines = createInterface({ input: proc.stdout! })
  let onPause: (point: string) => void = () => {}
  const paused = new Promise<string>((resolve) => (onPause = resolve))
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`inbox child exited (${code}) before READY`)))
    lines.on('line', (line) => {
      const [word, arg] = line.split(' ')
      if (word === 'READY') resolve(Number(arg))
      if (word === 'PAUSE') onPause(arg as string)
    })
  })
  return { proc, port, paused, exited }
}

async function post(port: number, delivery: SignedDelivery): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/bluum`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.payload,
    })
    await res.arrayBuffer()
    return res.status
  } catch {
    return 0 // the connection died with the process: Bluum counts it as a failed attempt
  }
}

// Eight app processes (each a tsx start-up) and a database: slow on a loaded machine, so this
// file gets more than tap's default; it still ends by itself.
t.setTimeout(300_000)

let backend: InboxBackend
t.before(async () => {
  backend = await startPostgresBackend()
})
t.teardown(() => backend.close())

/**
 * An app in this process as the child fixture builds it (the same inbox settings and handler):
 * what survives the crashes. Its own pool, as another instance would have.
 */
async function survivingApp(t: Test, schema: string, mode: PostgresInboxMode) {
  const pool = new pg.Pool({ connectionString: backend.server!.url, max: 10 })
  const app = Fastify()
  t.teardown(async () => {
    await app.close()
    await pool.end()
  })
  const inbox = createPostgresInbox({
    pool,
    mode,
    schema,
    pollIntervalMs: 50,
    backoffBaseMs: 10,
    taskTimeoutMs: 1000,
  })
  await app.register(bluumWebhooks, { secret: TEST_SECRET, inbox })
  app.bluum.on(
    'order.filled',
    async (_event, { tx, deliveryId }) => {
      await tx.query(`insert into ${schema}.effects (delivery_id, handler) values ($1, $2)`, [
        deliveryId,
        'survivor',
      ])
    },
    { id: 'effect' },
  )
  await app.ready()
  return app
}

for (const mode of ['transactional', 'queue'] as const) {
  t.test(`${mode}: SIGKILL mid-handler, then retries: every effect exactly once`, async (t) => {
    const schema = await backend.freshSchema()
    const env = { DATABASE_URL: backend.server!.url, SCHEMA: schema, MODE: mode }
    const points =
      mode === 'transactional'
        ? ['before-effect', 'after-effect', 'after-commit']
        : ['before-effect', 'after-effect']
    const deliveries = new Map<string, SignedDelivery>()
    // One process per crash point, all at once: each dies at its point.
    await Promise.all(
      points.map(async (point) => {
        const crashing = await startChild({ ...env, CRASH_AT: point })
        const delivery = signedDelivery({ body: orderFilled(), id: `evt_${mode}_${point}` })
        deliveries.set(point, delivery)
        const answer = post(crashing.port, delivery)
        // Queue mode acknowledges before the handler runs; inline mode never answers.
        if (mode === 'queue') t.equal(await answer, 200, `${point}: acknowledged first`)
        t.equal(await crashing.paused, point, `the app reached ${point}`)
        crashing.proc.kill('SIGKILL')
        await crashing.exited
        if (mode === 'transactional') t.equal(await answer, 0, `${point}: no answer reached Bluum`)
      }),
    )
    const survivor = await survivingApp(t, schema, mode)
    // Bluum's retry ladder, compressed: each delivery again until a 2xx.
    for (const delivery of deliveries.values()) {
      while ((await deliver(survivor, delivery)).statusCode !== 200);
    }
    await until(async () => {
      const [row] = await backend.query<{ n: number }>(
        `select count(*)::int as n from ${schema}.tasks where state <> 'done'`,
      )
      return row?.n === 0
    })
    const effects = await backend.query<{ delivery_id: string; n: number; handlers: string[] }>(
      `select delivery_id, count(*)::int as n, array_agg(handler) as handlers
       from ${schema}.effects group by delivery_id order by 1`,
    )
    t.same(
      effects.map(({ delivery_id, n }) => ({ delivery_id, n })),
      [...deliveries.values()]
        .map((d) => ({ delivery_id: d.headers['webhook-id'], n: 1 }))
        .sort((a, b) => a.delivery_id!.localeCompare(b.delivery_id!)),
      'one effect row per event, whatever the crash point',
    )
    const byCrashed = effects.filter((e) => e.handlers[0] !== 'survivor')
    t.same(
      byCrashed.map((e) => e.delivery_id),
      mode === 'transactional' ? [`evt_transactional_after-commit`] : [],
      "only a commit that landed before the crash kept the crashed process's write",
    )
  })
}

t.test('two apps on one database share the queue and repeat nothing', async (t) => {
  const schema = await backend.freshSchema()
  const [a, b] = await Promise.all([
    survivingApp(t, schema, 'queue'),
    survivingApp(t, schema, 'queue'),
  ])
  const ids = Array.from({ length: 20 }, (_, i) => `evt_two_${i}`)
  // Every event reaches both apps, as after a retry that lands on the other instance.
  await Promise.all(
    ids.flatMap((id) => {
      const delivery = signedDelivery({ body: orderFilled(), id })
      return [deliver(a, delivery), deliver(b, delivery)]
    }),
  )
  await until(async () => {
    const [row] = await backend.query<{ n: number }>(
      `select count(*)::int as n from ${schema}.tasks where state = 'done'`,
    )
    return row?.n === ids.length
  })
  const effects = await backend.query<{ delivery_id: string }>(
    `select delivery_id from ${schema}.effects`,
  )
  t.equal(effects.length, ids.length, 'one effect per event')
  t.same(new Set(effects.map((e) => e.delivery_id)), new Set(ids))
  const [events] = await backend.query<{ n: number }>(
    `select count(*)::int as n from ${schema}.events`,
  )
  t.equal(events!.n, ids.length, 'one event row per event, whichever app stored it')
})

t.test(
  'queue: a handler that kills its process at every attempt is dead after maxAttempts',
  async (t) => {
    const schema = await backend.freshSchema()
    const env = {
      DATABASE_URL: backend.server!.url,
      SCHEMA: schema,
      MODE: 'queue',
      CRASH_AT: 'kill-self',
      MAX_ATTEMPTS: '2',
      TASK_TIMEOUT_MS: '500',
    }
    const task = async () =>
      (
        await backend.query<{ state: string; attempts: number; last_error: string | null }>(
          `select state, attempts, last_error from ${schema}.tasks`,
        )
      )[0]
    const first = await startChild(env)
    const delivery = signedDelivery({ body: orderFilled(), id: 'evt_crash_loop' })
    t.equal(await post(first.port, delivery), 200, 'acknowledged before the handler ran')
    await first.exited
    t.match(await task(), { state: 'pending', attempts: 1 }, 'the first take was counted')
    // Each new process takes the task once its lease (2 × 500 ms) has run out. At most five
    // starts: a loop that never ends would be the bug under test.
    let starts = 1
    let survivor: ChildProcess | undefined
    while ((await task())?.state !== 'dead' && starts < 5) {
      starts++
      const proc = spawn(
        process.execPath,
        ['--import=tsx', '--conditions=bluum-source', childScript],
        { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] },
      )
      children.add(proc)
      let exited = false
      proc.once('exit', () => {
        exited = true
        children.delete(proc)
      })
      await until(async () => exited || (await task())?.state === 'dead')
      if (!exited) survivor = proc
    }
    t.teardown(() => survivor?.kill('SIGKILL'))
    t.equal(starts, 3, 'two processes died in the handler; the third found the attempts spent')
    t.ok(survivor, 'the third process did not run the handler (it is alive)')
    t.match(await task(), {
      state: 'dead',
      attempts: 2,
      last_error: /^BLUUM_INBOX_TASK_ABANDONED: .* taken 2 times/,
    })
    t.same(await backend.query(`select * from ${schema}.effects`), [], 'no effect committed')
  },
)
