/**
 * The Postgres inbox on a real PostgreSQL 15 server started for this file: migration, both
 * modes, retries, dead tasks, operations, duplicates (helpers/inbox-suite.ts), plus what only a
 * real server shows: the database going away and coming back.
 */
import { connect, createServer, type Socket } from 'node:net'
import Fastify from 'fastify'
import pg from 'pg'
import t from 'tap'
import bluumWebhooks from '../plugin/index.js'
import {
  createPostgresInbox,
  startInboxWorker,
  type InboxStoreErrorInfo,
  type PgPoolLike,
} from '../plugin/postgres/index.js'
import { inboxStatements } from '../plugin/postgres/statements.js'
import { errorText } from '../plugin/postgres/store-failure.js'
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

t.test(
  'database unreachable: 503 BLUUM_STORE_UNAVAILABLE with Retry-After, no handler ran',
  async (t) => {
    // A pool on a port nobody listens on: taken from a server that was just closed.
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
      const storeErrors: InboxStoreErrorInfo[] = []
      const app = Fastify()
      t.teardown(() => app.close())
      await app.register(bluumWebhooks, {
        secret: TEST_SECRET,
        inbox: createPostgresInbox({
          pool,
          mode,
          migrate: false,
          concurrency: 0,
          retryAfterSeconds: 30,
          onStoreError: (_error, info) => void storeErrors.push(info),
        }),
      })
      app.bluum.on('order.filled', async () => void runs++, { id: 'a' })
      const res = await deliver(
        app,
        signedDelivery({ body: orderFilled(), id: `evt_down_${mode}` }),
      )
      t.equal(res.statusCode, 503, mode)
      t.equal(res.json().code, 'BLUUM_STORE_UNAVAILABLE')
      t.match(res.json().message, /ECONNREFUSED/)
      t.equal(res.headers['retry-after'], '30', 'the configured Retry-After')
      t.same(storeErrors, [
        { during: 'delivery', deliveryId: `evt_down_${mode}`, event: 'order.filled' },
      ])
      t.equal(runs, 0)
    }
  },
)

/**
 * Database failures under a handler, on a real server: each answered 503 in transactional mode
 * and given back in queue mode, the handler having caught the error and gone on; never onError.
 */
const storeFailures = [
  {
    name: 'the connection is lost mid-handler (its session ended)',
    pool: () => backend.pool!,
    statement: 'select pg_terminate_backend(pg_backend_pid())',
    code: /57P01|Connection terminated/,
  },
  {
    name: "a statement cut by the database's statement_timeout",
    pool: () => {
      // 1.5 s: far above what the inbox's own statements (its migration too) take on a busy
      // machine, far below the handler's 5 s sleep.
      const pool = new pg.Pool({
        connectionString: backend.server!.url,
        options: '-c statement_timeout=1500',
      })
      pool.on('error', () => {})
      return pool
    },
    statement: 'select pg_sleep(5)',
    code: /57014/,
  },
]

for (const failure of storeFailures) {
  for (const mode of ['transactional', 'queue'] as const) {
    t.test(`${mode}: ${failure.name} is a store failure, not the handler's`, async (t) => {
      const pool = failure.pool()
      if (pool !== backend.pool) t.teardown(() => pool.end())
      const schema = await backend.freshSchema()
      let failing = true
      const reported: unknown[] = []
      const storeErrors: Array<{ message: string; info: InboxStoreErrorInfo }> = []
      const inbox = createPostgresInbox({
        pool,
        schema,
        mode,
        pollIntervalMs: 50,
        backoffBaseMs: 10,
        maxAttempts: 1,
        onStoreError: (error, info) => void storeErrors.push({ message: errorText(error), info }),
      })
      const app = Fastify()
      t.teardown(() => app.close())
      await app.register(bluumWebhooks, { secret: TEST_SECRET, inbox })
      const write = writeEffect(schema, 'a')
      app.bluum.on(
        'order.filled',
        async (event, context) => {
          await write(event, context)
          if (!failing) return
          failing = false
          await context.tx.query(failure.statement).catch(() => {})
          // Goes on as if nothing happened.
          await context.tx.query('select 1').catch(() => {})
        },
        { id: 'a' },
      )
      app.bluum.onError((error) => void reported.push(error))
      await app.ready()
      const delivery = signedDelivery({ body: orderFilled(), id: `evt_store_${mode}` })
      const effects = () => backend.query(`select delivery_id from ${schema}.effects`)
      if (mode === 'transactional') {
        const res = await deliver(app, delivery)
        t.equal(res.statusCode, 503)
        t.equal(res.json().code, 'BLUUM_STORE_UNAVAILABLE')
        t.ok(res.headers['retry-after'], 'with Retry-After')
        t.same(await effects(), [], 'rolled back')
        t.equal((await deliver(app, delivery)).statusCode, 200, "Bluum's retry succeeds")
      } else {
        t.equal((await deliver(app, delivery)).statusCode, 200)
        await until(async () => (await inbox.stats()).tasks.done === 1)
        t.match(
          (await inbox.list())[0],
          { state: 'done', attempts: 1 },
          'given back without counting the attempt (maxAttempts is 1)',
        )
      }
      t.same(await effects(), [{ delivery_id: `evt_store_${mode}` }], 'one effect')
      t.same(reported, [], 'never reported to onError')
      t.equal(storeErrors.length, 1)
      t.match(storeErrors[0], {
        message: failure.code,
        info: { during: mode === 'queue' ? 'task' : 'delivery', deliveryId: `evt_store_${mode}` },
      })
    })
  }
}

t.test('a pool closed under the app: 503 store failure, not a crash', async (t) => {
  const pool = new pg.Pool({ connectionString: backend.server!.url })
  const schema = await backend.freshSchema()
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(bluumWebhooks, {
    secret: TEST_SECRET,
    inbox: createPostgresInbox({ pool, schema, mode: 'transactional' }),
  })
  app.bluum.on('order.filled', async () => {})
  await pool.end()
  const res = await deliver(app, signedDelivery({ body: orderFilled() }))
  t.equal(res.statusCode, 503)
  t.match(res.json(), {
    code: 'BLUUM_STORE_UNAVAILABLE',
    message: /database failed \(error\): nothing of this delivery committed/,
  })
})

t.test(
  'the inbox guards the pool it is given: an idle connection the server drops ends nothing',
  async (t) => {
    const pool = new pg.Pool({ connectionString: backend.server!.url, max: 3 })
    t.teardown(() => pool.end())
    t.equal(pool.listenerCount('error'), 0, 'the app added no listener, as in the docs')
    const storeErrors: InboxStoreErrorInfo[] = []
    const schema = await backend.freshSchema()
    const app = Fastify()
    await app.register(bluumWebhooks, {
      secret: TEST_SECRET,
      inbox: createPostgresInbox({
        pool,
        schema,
        mode: 'transactional',
        onStoreError: (_error, info) => void storeErrors.push(info),
      }),
    })
    app.bluum.on('order.filled', async () => {})
    t.equal(pool.listenerCount('error'), 1, 'the inbox listens while it runs')
    // Three idle connections in the pool, then the server ends their sessions.
    const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()])
    const pids = clients.map((c) => (c as unknown as { processID: number }).processID)
    for (const client of clients) client.release()
    await backend.query('select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [pids])
    await until(() => storeErrors.length === 3)
    t.same(storeErrors, Array(3).fill({ during: 'idle-connection' }))
    t.equal((await deliver(app, signedDelivery({ body: orderFilled() }))).statusCode, 200)
    await app.close()
    t.equal(pool.listenerCount('error'), 0, 'and lets go of the pool when the app closes')
  },
)

t.test(
  'queue: concurrent deliveries share one statement, and one the database refuses fails alone',
  async (t) => {
    const { app, inbox, schema } = await inboxApp(
      t,
      backend,
      { mode: 'queue', concurrency: 0 },
      (app) => app.bluum.on('order.filled', async () => {}, { id: 'a' }),
    )
    // PostgreSQL's jsonb refuses a NUL character (22P05): that delivery's data, not the database.
    const refused = signedDelivery({
      body: orderFilled({ symbol: 'NUL\u0000' }),
      id: 'evt_batch_refused',
    })
    const fine = Array.from({ length: 9 }, (_, i) =>
      signedDelivery({ body: orderFilled(), id: `evt_batch_${i}` }),
    )
    const answers = await Promise.all([...fine, refused].map((d) => deliver(app, d)))
    t.same(
      answers.map((a) => a.statusCode),
      [...Array(9).fill(200), 503],
    )
    t.match(answers[9]!.json().message, /22P05/)
    t.equal((await inbox.stats()).events, 9, 'the nine others are stored')
    const [row] = await backend.query<{ n: number }>(
      `select count(*)::int as n from ${schema}.tasks`,
    )
    t.equal(row!.n, 9, 'with their tasks')
  },
)

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

t.test(
  'an outage seen by the idle workers: one warn at its start, the repeats at debug, one info when it ends',
  async (t) => {
    // The pool reaches the server through a loopback relay this test can cut: while cut, every
    // connection is closed at once, as a database that went away does to its clients.
    const target = new URL(backend.server!.url)
    let cut = false
    const sockets = new Set<Socket>()
    const relay = createServer((client) => {
      sockets.add(client)
      client.on('close', () => sockets.delete(client))
      client.on('error', () => {})
      if (cut) return void client.destroy()
      const upstream = connect(Number(target.port), target.hostname)
      sockets.add(upstream)
      upstream.on('close', () => sockets.delete(upstream))
      upstream.on('error', () => client.destroy())
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise((resolve) => relay.close(resolve)))
    const via = new URL(target)
    via.port = String((relay.address() as { port: number }).port)
    const pool = new pg.Pool({ connectionString: via.href, max: 4 })
    t.teardown(() => pool.end())

    const lines: Array<{ level: number; msg: string; during?: string; failedPolls?: number }> = []
    const storeErrors: InboxStoreErrorInfo[] = []
    const app = Fastify({
      logger: {
        level: 'debug',
        stream: { write: (line: string) => void lines.push(JSON.parse(line)) },
      },
    })
    t.teardown(() => app.close())
    let runs = 0
    await app.register(bluumWebhooks, {
      secret: TEST_SECRET,
      inbox: createPostgresInbox({
        pool,
        schema: await backend.freshSchema(),
        mode: 'queue',
        concurrency: 2,
        pollIntervalMs: 10,
        onStoreError: (_error, info) => void storeErrors.push(info),
      }),
    })
    app.bluum.on('order.filled', async () => void runs++, { id: 'a' })
    await app.ready()

    cut = true
    for (const socket of sockets) socket.destroy()
    const takes = () => storeErrors.filter((info) => info.during === 'worker').length
    await until(() => takes() >= 10)
    const failures = (level: number) =>
      lines.filter((l) => l.level === level && l.msg === 'bluum inbox database failure; retried')
    t.equal(failures(40).filter((l) => l.during === 'worker').length, 1, 'one warn for the outage')
    t.ok(failures(20).length >= 9, 'the repeats at debug')
    t.ok(takes() >= 10, 'onStoreError hears of every failed poll')

    cut = false
    const back = () => lines.filter((l) => l.msg.startsWith('bluum inbox database answers again'))
    await until(() => back().length === 1)
    t.equal(back()[0]!.level, 30, 'at info')
    t.ok(back()[0]!.failedPolls! >= 10, 'with the number of failed polls')
    const sent = await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_after_outage' }))
    t.equal(sent.statusCode, 200)
    await until(() => runs === 1)
    t.equal(back().length, 1, 'said once')
    t.equal(failures(40).filter((l) => l.during === 'worker').length, 1, 'no warn after it')
  },
)

t.test(
  'a take already on its way when close() begins starts nothing: the task goes back untouched',
  async (t) => {
    // The workers' take statement is held before it is sent, until close() has begun.
    const pool = new pg.Pool({ connectionString: backend.server!.url, max: 4 })
    t.teardown(() => pool.end())
    let holding = false
    let releaseTake!: () => void
    const takeHeld = new Promise<void>((held) =>
      interceptQueries(pool, (args, send) => {
        const name = (args[0] as { name?: string } | undefined)?.name
        if (!holding || !name?.startsWith('bluum_take_')) return send(...args)
        holding = false
        held()
        return new Promise<void>((resolve) => (releaseTake = resolve)).then(() => send(...args))
      }),
    )
    let runs = 0
    const schema = await backend.freshSchema()
    const inbox = createPostgresInbox({ pool, schema, mode: 'queue', concurrency: 1 })
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(bluumWebhooks, { secret: TEST_SECRET, inbox })
    app.bluum.on('order.filled', async () => void runs++, { id: 'a' })
    await app.ready()

    holding = true
    const sent = await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_at_close' }))
    t.equal(sent.statusCode, 200)
    await takeHeld
    const closing = inbox.close()
    releaseTake()
    await closing
    t.equal(runs, 0, 'the handler never ran')
    const [task] = await backend.query<{ state: string; attempts: number; worker_id: null }>(
      `select state, attempts, worker_id from ${schema}.tasks`,
    )
    t.same(task, { state: 'pending', attempts: 0, worker_id: null }, 'pending, no attempt counted')
  },
)

t.test(
  'a LISTEN on its way when close() begins is closed with the workers, not left holding a connection',
  async (t) => {
    // The LISTEN connection is cut; the worker listens again, and that LISTEN is held before it
    // is sent until close() has stopped the workers (its last statement, the worker's row
    // removed, has answered). Seen once under npm test: close() had resolved, the late LISTEN
    // then kept its connection checked out, and pool.end() waited for it forever.
    const pool = new pg.Pool({ connectionString: backend.server!.url, max: 4 })
    t.teardown(() => pool.end())
    const schema = await backend.freshSchema()
    // The statement close() sends once its workers have stopped: the worker's row removed.
    const { workerStopped } = inboxStatements(schema)
    let holding = false
    let releaseListen = () => {}
    let listenSettled: Promise<unknown> = Promise.resolve()
    const listenHeld = new Promise<void>((held) =>
      interceptQueries(pool, (args, send) => {
        const text = typeof args[0] === 'string' ? args[0] : ''
        if (text === workerStopped) {
          const answered = send(...args) as Promise<unknown>
          return answered.finally(() => releaseListen())
        }
        if (!holding || !text.startsWith('listen ')) return send(...args)
        holding = false
        held()
        const gate = new Promise<void>((resolve) => (releaseListen = resolve))
        listenSettled = gate.then(() => send(...args))
        return listenSettled
      }),
    )
    const lines: Array<{ level: number; msg: string }> = []
    const inbox = createPostgresInbox({ pool, schema, mode: 'queue', pollIntervalMs: 10 })
    const app = Fastify({
      logger: {
        level: 'warn',
        stream: { write: (line: string) => void lines.push(JSON.parse(line)) },
      },
    })
    t.teardown(() => app.close())
    await app.register(bluumWebhooks, { secret: TEST_SECRET, inbox })
    app.bluum.on('order.filled', async () => {}, { id: 'a' })
    await app.ready()

    holding = true
    const [cut] = await backend.query<{ ended: boolean }>(
      `select pg_terminate_backend(pid) as ended from pg_stat_activity
       where pid <> pg_backend_pid() and query = $1`,
      [`listen "${schema}_tasks"`],
    )
    t.same(cut, { ended: true }, "the worker's LISTEN session is cut")
    await listenHeld
    t.ok(
      lines.some((l) => l.msg.startsWith('bluum inbox lost its LISTEN connection')),
      'the loss was logged; the worker listens again',
    )
    await inbox.close()
    await listenSettled.catch(() => {})
    t.equal(pool.totalCount - pool.idleCount, 0, 'no connection left checked out after close()')
    const [listening] = await backend.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
       where pid <> pg_backend_pid() and query = $1 and state = 'idle'`,
      [`listen "${schema}_tasks"`],
    )
    t.equal(listening?.n, 0, 'no session left listening')
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
      { mode: 'queue', taskTimeoutMs: 300, leaseMs: 600_000, maxAttempts: 1 },
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
        `select count(*)::int as n from pg_stat_activity
         where pid <> pg_backend_pid() and query like '%select pg_sleep(600)%'`,
      )
      return row?.n === 0
    })
    t.pass('the stuck statement no longer runs on the server')
  },
)

t.test(
  'concurrent workers run each task on its first take: no task waits out its lease because another worker glanced at it',
  async (t) => {
    // Eight loops taking from one backlog at once: a task is taken by exactly one of them, runs
    // on that take, and no loop's take leaves another's task to wait out its lease.
    const count = 500
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

/**
 * A handler's transaction opens with its first statement, which carries the BEGIN: on
 * node-postgres one query for both (its own Query class writes them under one Sync), so no
 * `begin` is ever sent alone; through a pool of other clients, the BEGIN goes first on its own.
 * Either way the first statement answers with its own rows and is part of the transaction: a
 * handler that throws after it leaves nothing behind, and one that fails leaves the transaction
 * aborted. Checked with the first statement taking parameters and taking none, in both modes.
 */
for (const clients of ['node-postgres', 'other'] as const) {
  for (const mode of ['queue', 'transactional'] as const) {
    t.test(
      `${mode}, ${clients} clients: the first statement opens the transaction and answers its own rows`,
      async (t) => {
        const schema = await backend.freshSchema()
        const { pool, sent } = recordingPool(clients)
        t.teardown(() => pool.end())
        const inbox = createPostgresInbox({
          pool: pool.inboxPool,
          schema,
          mode,
          maxAttempts: 1,
          pollIntervalMs: 50,
        })
        const app = Fastify()
        t.teardown(() => app.close())
        await app.register(bluumWebhooks, { secret: TEST_SECRET, inbox })
        // Per delivery: queued tasks may run in any order.
        const answers: Record<string, Array<{ rows: unknown[]; rowCount: number }>> = {}
        const codes: Array<string | undefined> = []
        const seenBySecond: number[] = []
        const insert = `insert into ${schema}.effects (delivery_id, handler) values ($1, $2) returning delivery_id`
        app.bluum.on(
          'order.filled',
          async (event, { tx, deliveryId }) => {
            if (event.data.symbol === 'BADFIRST') {
              // Fails, is caught, and the handler goes on: the BEGIN ran before it, so the
              // transaction is aborted and the insert refused, not committed on its own.
              const missing = `select * from ${schema}.no_such_table where x = $1`
              for (const [text, values] of [
                [missing, [1]],
                [insert, [deliveryId, 'a']],
              ] as const) {
                await tx
                  .query(text, [...values])
                  .catch((e: { code?: string }) => codes.push(e.code))
              }
              return
            }
            if (event.data.symbol === 'TOGETHER') {
              // Sent without waiting: the second must still run after the first (and its BEGIN).
              const [, count] = await Promise.all([
                tx.query(insert, [deliveryId, 'a']),
                tx.query<{ n: number }>(
                  `select count(*)::int as n from ${schema}.effects where delivery_id = $1`,
                  [deliveryId],
                ),
              ])
              seenBySecond.push(count.rows[0]!.n)
              return
            }
            const plainFirst = event.data.symbol === 'PLAIN' || event.data.symbol === 'PLAINFAIL'
            const mine = (answers[deliveryId] ??= [])
            if (plainFirst) mine.push(await tx.query('select 41 + 1 as n'))
            mine.push(await tx.query(insert, [deliveryId, 'a']))
            if (event.data.symbol.endsWith('FAIL')) throw new Error('after its first statement')
          },
          { id: 'a' },
        )
        await app.ready()

        for (const [symbol, id] of [
          ['FAIL', 'evt_first_fail'],
          ['PLAINFAIL', 'evt_first_plain_fail'],
          ['BADFIRST', 'evt_first_bad'],
          ['OK', 'evt_first_ok'],
          ['PLAIN', 'evt_first_plain'],
          ['TOGETHER', 'evt_first_together'],
        ] as const) {
          const res = await deliver(app, signedDelivery({ body: orderFilled({ symbol }), id }))
          const failed = symbol.endsWith('FAIL') || symbol === 'BADFIRST'
          t.equal(res.statusCode, mode === 'transactional' && failed ? 500 : 200)
        }
        if (mode === 'queue') {
          await until(async () => {
            const { tasks } = await inbox.stats()
            return tasks.done === 3 && tasks.dead === 3
          })
        }
        t.same(
          answers,
          {
            evt_first_fail: [{ rows: [{ delivery_id: 'evt_first_fail' }], rowCount: 1 }],
            evt_first_plain_fail: [
              { rows: [{ n: 42 }], rowCount: 1 },
              { rows: [{ delivery_id: 'evt_first_plain_fail' }], rowCount: 1 },
            ],
            evt_first_ok: [{ rows: [{ delivery_id: 'evt_first_ok' }], rowCount: 1 }],
            evt_first_plain: [
              { rows: [{ n: 42 }], rowCount: 1 },
              { rows: [{ delivery_id: 'evt_first_plain' }], rowCount: 1 },
            ],
          },
          "each statement's own rows, the first ones too",
        )
        t.same(codes, ['42P01', '25P02'], 'the failed first statement left its transaction aborted')
        t.same(seenBySecond, [1], 'two statements sent at once ran in the order they were sent')
        t.same(
          await backend.query(`select delivery_id from ${schema}.effects order by delivery_id`),
          [
            { delivery_id: 'evt_first_ok' },
            { delivery_id: 'evt_first_plain' },
            { delivery_id: 'evt_first_together' },
          ],
          'what the failed handlers wrote first was rolled back with them',
        )
        const alone = sent.filter((text) => /^\s*begin\s*$/i.test(text)).length
        if (clients === 'node-postgres') t.equal(alone, 0, 'no BEGIN sent on its own')
        else t.ok(alone >= 2, `BEGIN sent on its own before a first statement with parameters`)
      },
    )
  }
}

/**
 * A pool on the test server that records the text of every query its clients send. `other`
 * hands out plain objects around node-postgres' clients, as another driver behind a pool-like
 * object would, so the inbox cannot use node-postgres' Query class.
 */
function recordingPool(clients: 'node-postgres' | 'other') {
  const sent: string[] = []
  const pool = new pg.Pool({ connectionString: backend.server!.url })
  pool.on('error', () => {})
  interceptQueries(pool, (args, send) => {
    const config = args[0]
    sent.push(typeof config === 'string' ? config : (config as { text: string }).text)
    return send(...args)
  })
  const other: PgPoolLike = {
    async connect() {
      const client = await pool.connect()
      return {
        query: (text, values) => client.query(text as never, values),
        release: (destroy) => client.release(destroy),
        on: (event: string, listener: (...args: never[]) => void) =>
          client.on(event as 'error', listener as (error: Error) => void),
        removeAllListeners: (event) => client.removeAllListeners(event),
        removeListener: (event, listener) => client.removeListener(event, listener),
      }
    },
    on: (event, listener) => pool.on(event, listener),
    removeListener: (event, listener) => pool.removeListener(event, listener),
  }
  return { sent, pool: { inboxPool: clients === 'other' ? other : pool, end: () => pool.end() } }
}

/**
 * Routes every query a client of `pool` sends through `intercept`, which sends it on (or not)
 * and answers for it. Installed as each client connects, before the pool hands it out.
 */
function interceptQueries(
  pool: pg.Pool,
  intercept: (args: unknown[], send: (...args: unknown[]) => unknown) => unknown,
): void {
  pool.on('connect', (client) => {
    const send = client.query.bind(client) as (...args: unknown[]) => unknown
    client.query = ((...args: unknown[]) => intercept(args, send)) as typeof client.query
  })
}
