/**
 * The Postgres inbox on a real PostgreSQL 15 server started for this file: migration, both
 * modes, retries, dead tasks, operations, duplicates (helpers/inbox-suite.ts), plus what only a
 * real server shows: the database going away and coming back.
 */
import Fastify from 'fastify'
import pg from 'pg'
import t from 'tap'
import bluumWebhooks from '../plugin/index.js'
import { createPostgresInbox, startInboxWorker } from '../plugin/postgres/index.js'
import { deliver } from './helpers/app.js'
import { startPostgresBackend, type InboxBackend } from './helpers/inbox-backends.js'
import { inboxApp, inboxSuite, until, writeEffect } from './helpers/inbox-suite.js'
import { orderFilled, signedDelivery, TEST_SECRET } from './helpers/sign.js'

let backend: InboxBackend
t.before(async () => {
  backend = await startPostgresBackend()
})
t.teardown(() => backend.close())

inboxSuite(t, () => backend)

t.test('database unreachable: 503 BLUUM_STORE_UNAVAILABLE and no handler ran', async (t) => {
  // A pool on a port nobody listens on (the test server's port + a closed one is not guaranteed
  // free, so take a port from a server that was just closed).
  const { createServer } = await import('node:net')
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => resolve(p))
    })
  })
  const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` })
  t.teardown(() => pool.end())
  for (const mode of ['queue', 'transactional'] as const) {
    let runs = 0
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(bluumWebhooks, {
      secret: TEST_SECRET,
      inbox: createPostgresInbox({ pool, mode, migrate: false, concurrency: 0 }),
    })
    app.bluum.on('order.filled', async () => void runs++, { id: 'a' })
    const res = await deliver(app, signedDelivery({ body: orderFilled() }))
    t.equal(res.statusCode, 503, mode)
    t.equal(res.json().code, 'BLUUM_STORE_UNAVAILABLE')
    t.match(res.json().message, /ECONNREFUSED/)
    t.equal(runs, 0)
  }
})

t.test(
  'a PostgreSQL restart in the middle of a run loses no task and repeats no effect',
  async (t) => {
    const server = backend.server!
    const { app, effects, inbox } = await inboxApp(t, backend, { mode: 'queue' }, (app, schema) =>
      app.bluum.on('order.filled', writeEffect(schema, 'a'), { id: 'a' }),
    )
    const ids = Array.from({ length: 20 }, (_, i) => `evt_restart_${i}`)
    const send = (id: string) => deliver(app, signedDelivery({ body: orderFilled(), id }))
    for (const id of ids.slice(0, 10)) t.equal((await send(id)).statusCode, 200)
    await server.stop('immediate')
    const during = await send(ids[10]!)
    t.equal(during.statusCode, 503, 'while the database is down, deliveries are refused')
    t.equal(during.json().code, 'BLUUM_STORE_UNAVAILABLE')
    await server.start()
    // Bluum retries: every event of the run is delivered (again) until it is acknowledged.
    for (const id of ids) {
      let res = await send(id)
      while (res.statusCode !== 200) res = await send(id)
    }
    await until(async () => {
      try {
        return (await inbox.stats()).tasks.done === ids.length
      } catch {
        return false
      }
    })
    const rows = await effects()
    t.equal(rows.length, ids.length, 'every effect exactly once')
    t.same(new Set(rows.map((r) => r.delivery_id)), new Set(ids))
  },
)

t.test('startInboxWorker runs the tasks an app without workers queued', async (t) => {
  const { app, effects, schema } = await inboxApp(
    t,
    backend,
    { mode: 'queue', concurrency: 0 },
    (app, schema) => app.bluum.on('order.filled', writeEffect(schema, 'app'), { id: 'effect' }),
  )
  const res = await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_worker_1' }))
  t.equal(res.statusCode, 200)
  t.same(await effects(), [], 'the app itself runs nothing')
  const worker = await startInboxWorker({
    // Polls once at start, then only every 10 minutes: the second task must come by NOTIFY.
    inbox: backend.inbox({ schema, mode: 'queue', pollIntervalMs: 600_000 }),
    handlers: (bluum) => bluum.on('order.filled', writeEffect(schema, 'worker'), { id: 'effect' }),
  })
  t.teardown(() => worker.close())
  await until(async () => (await effects()).length === 1)
  t.same(await effects(), [{ delivery_id: 'evt_worker_1', handler: 'worker' }])
  // Woken by the NOTIFY of the app's accept, on another connection (another process alike).
  await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_worker_2' }))
  await until(async () => (await effects()).length === 2)
  await worker.close()
})

t.test(
  'a handler stuck in a SQL statement is cut at taskTimeoutMs: its session ends, its lock goes',
  async (t) => {
    const { app, effects, inbox } = await inboxApp(
      t,
      backend,
      { mode: 'queue', taskTimeoutMs: 300, maxAttempts: 1 },
      (app, schema) => {
        const write = writeEffect(schema, 'a')
        app.bluum.on(
          'order.filled',
          async (event, context) => {
            await write(event, context)
            await context.tx.query('select pg_sleep(600)')
          },
          { id: 'a' },
        )
      },
    )
    await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_stuck_sql' }))
    // Recording the failure updates the task row: it needs the row lock the stuck session held.
    await until(async () => (await inbox.stats()).tasks.dead === 1)
    const [task] = await inbox.list({ state: 'dead' })
    t.match(task, { attempts: 1, lastError: /^BLUUM_INBOX_TASK_TIMEOUT: / })
    t.same(await effects(), [], 'the write before the stuck statement was rolled back')
    await until(async () => {
      const [row] = await backend.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where query like 'select pg_sleep(600)%'`,
      )
      return row?.n === 0
    })
    t.pass('the stuck statement no longer runs on the server')
  },
)

t.test(
  'concurrent workers run each task on its first take: no task waits out its lease because another worker glanced at it',
  async (t) => {
    // Before the fix a worker's take statement could hold, for an instant, the row lock of a task
    // another worker had just taken; that worker skipped its own task and left it to its lease.
    const count = 2000
    const { app, inbox, schema, effects } = await inboxApp(
      t,
      backend,
      { mode: 'queue', concurrency: 0 },
      (app, schema) => app.bluum.on('order.filled', writeEffect(schema, 'a'), { id: 'a' }),
    )
    for (let i = 0; i < count; i++) {
      const res = await deliver(app, signedDelivery({ body: orderFilled(), id: `evt_race_${i}` }))
      t.equal(res.statusCode, 200)
    }
    const worker = await startInboxWorker({
      inbox: createPostgresInbox({
        pool: backend.pool!,
        schema,
        concurrency: 8,
        pollIntervalMs: 10,
      }),
      handlers: (bluum) => bluum.on('order.filled', writeEffect(schema, 'a'), { id: 'a' }),
    })
    t.teardown(() => worker.close())
    await until(async () => (await inbox.stats()).tasks.done === count)
    const retaken = await backend.query<{ n: number }>(
      `select count(*)::int as n from ${schema}.tasks where attempts <> 1`,
    )
    t.equal(retaken[0]!.n, 0, 'every task ran on its first attempt')
    t.equal((await effects()).length, count, 'one effect per task')
  },
)
