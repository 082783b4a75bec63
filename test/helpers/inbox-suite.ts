/**
 * The behaviour of the Postgres inbox, run unchanged on real PostgreSQL and on PGlite
 * (test/postgres-inbox.test.ts, test/postgres-inbox-pglite.test.ts).
 */
import Fastify, { type FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import bluumWebhooks from '../../plugin/index.js'
import {
  INBOX_SCHEMA_VERSION,
  MIGRATIONS,
  startInboxWorker,
  type InboxStoreErrorInfo,
  type PostgresInbox,
  type PostgresInboxOptions,
} from '../../plugin/postgres/index.js'
import { bootstrapScript, migrationScript } from '../../plugin/postgres/migrations.js'
import type { InboxBackend } from './inbox-backends.js'
import { orderFilled, signedDelivery, TEST_SECRET } from './sign.js'
import { deliver } from './app.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `check` holds; bounded by tap's timeout, never by a clock of its own. */
export async function until(check: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await check())) await sleep(10)
}

export interface InboxApp {
  app: FastifyInstance
  inbox: PostgresInbox
  schema: string
  effects(): Promise<Array<{ delivery_id: string; handler: string }>>
}

/** A fresh app with an inbox in its own schema; handlers are added by `setup` before `ready`. */
export async function inboxApp(
  t: Test,
  backend: InboxBackend,
  options: Omit<PostgresInboxOptions, 'pool' | 'pglite' | 'schema'>,
  setup: (app: FastifyInstance, schema: string) => void,
  existingSchema?: string,
): Promise<InboxApp> {
  const schema = existingSchema ?? (await backend.freshSchema())
  // A short task timeout: a task whose connection died is due again after twice this.
  const inbox = backend.inbox({
    pollIntervalMs: 50,
    backoffBaseMs: 10,
    taskTimeoutMs: 2000,
    ...options,
    schema,
  })
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(bluumWebhooks, { secret: TEST_SECRET, inbox })
  setup(app, schema)
  await app.ready()
  return {
    app,
    inbox,
    schema,
    effects: () =>
      backend.query(`select delivery_id, handler from ${schema}.effects order by at, handler`),
  }
}

/** A handler that writes one effect row through `tx`. */
export function writeEffect(schema: string, handler: string) {
  return async (event: { event: string }, context: { deliveryId: string; tx: PostgresTx }) => {
    await context.tx.query(`insert into ${schema}.effects (delivery_id, handler) values ($1, $2)`, [
      context.deliveryId,
      handler,
    ])
  }
}
type PostgresTx = import('../../plugin/postgres/index.js').InboxTransaction

export function inboxSuite(t: Test, getBackend: () => InboxBackend): void {
  t.test('migrate() creates the schema once and is idempotent', async (t) => {
    const backend = getBackend()
    const schema = await backend.freshSchema()
    const inbox = backend.inbox({ schema, migrate: false })
    t.equal(await inbox.migrate(), 0, 'an empty schema was at version 0')
    t.equal(await inbox.migrate(), INBOX_SCHEMA_VERSION, 'the second run changes nothing')
    t.same(
      await backend.query(`select version, breaking from ${schema}.migrations order by version`),
      MIGRATIONS.map((m) => ({ version: m.version, breaking: m.breaking })),
      'every version in the ledger, with its breaking flag',
    )
    t.same(
      await backend.query(`select version from ${schema}.schema_version`),
      [{ version: 1 }],
      'schema_version holds the last breaking version, so the first release still runs here',
    )
  })

  t.test(
    'a schema migrated by a newer release: non-breaking runs, breaking is refused',
    async (t) => {
      const backend = getBackend()
      for (const [breaking, outcome] of [
        [false, 'runs'],
        [true, 'refused'],
      ] as const) {
        const schema = await backend.freshSchema()
        await backend.inbox({ schema, migrate: false }).migrate()
        // What a newer release's migration leaves in the ledger.
        await backend.query(
          `insert into ${schema}.migrations (version, breaking) values (${INBOX_SCHEMA_VERSION + 7}, ${breaking})`,
        )
        const app = Fastify()
        t.teardown(() => app.close())
        const registering = (async () => {
          await app.register(bluumWebhooks, {
            secret: TEST_SECRET,
            inbox: backend.inbox({ schema, mode: 'transactional' }),
          })
        })()
        if (outcome === 'refused') {
          const newer = INBOX_SCHEMA_VERSION + 7
          await t.rejects(registering, {
            code: 'BLUUM_INBOX_SCHEMA_TOO_NEW',
            message: new RegExp(
              `"${schema}" is at version ${newer}, and its version ${newer} is a breaking change .* knows versions up to ${INBOX_SCHEMA_VERSION}`,
            ),
          })
          continue
        }
        await registering
        app.bluum.on('order.filled', writeEffect(schema, 'a'))
        const res = await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_newer' }))
        t.equal(res.statusCode, 200, 'a newer non-breaking schema: this release runs on it')
      }
    },
  )

  t.test(
    'a schema of the first release upgrades in place, and its queued tasks still run',
    async (t) => {
      const backend = getBackend()
      const schema = await backend.freshSchema()
      // The first release: its bootstrap had no ledger, and it queued tasks without the new columns.
      await backend.query(`drop table ${schema}.effects`)
      for (const script of [bootstrapScript(schema), migrationScript(MIGRATIONS[0]!, schema)]) {
        await backend.exec(script)
      }
      await backend.exec(`drop table ${schema}.migrations`)
      await backend.exec(
        `create table ${schema}.effects (delivery_id text not null, handler text not null, at timestamptz not null default now());
         insert into ${schema}.events (delivery_id, event, payload)
           values ('evt_v1', 'order.filled', '${JSON.stringify(orderFilled())}');
         insert into ${schema}.tasks (delivery_id, handler_id) values ('evt_v1', 'a');`,
      )
      t.equal(await backend.inbox({ schema, migrate: false }).migrate(), 1, 'found at version 1')
      t.same(await backend.query(`select version from ${schema}.schema_version`), [{ version: 1 }])
      const { effects } = await inboxApp(
        t,
        backend,
        { mode: 'queue' },
        (app) => app.bluum.on('order.filled', writeEffect(schema, 'a'), { id: 'a' }),
        schema,
      )
      await until(async () => (await effects()).length === 1)
      t.same(await effects(), [{ delivery_id: 'evt_v1', handler: 'a' }])
    },
  )

  t.test('transactional: handlers write through tx and the event commits with them', async (t) => {
    const backend = getBackend()
    const { app, effects, schema } = await inboxApp(
      t,
      getBackend(),
      { mode: 'transactional' },
      (app, schema) => {
        app.bluum.on('order.filled', writeEffect(schema, 'a'))
        app.bluum.on('order.*', writeEffect(schema, 'b'))
      },
    )
    const delivery = signedDelivery({ body: orderFilled(), id: 'evt_tx_1' })
    const first = await deliver(app, delivery)
    t.equal(first.statusCode, 200)
    t.same(first.json(), { received: true })
    const again = await deliver(app, delivery)
    t.same(again.json(), { received: true, duplicate: true })
    t.same(await effects(), [
      { delivery_id: 'evt_tx_1', handler: 'a' },
      { delivery_id: 'evt_tx_1', handler: 'b' },
    ])
    const events = await backend.query(`select delivery_id, event from ${schema}.events`)
    t.same(events, [{ delivery_id: 'evt_tx_1', event: 'order.filled' }])
  })

  t.test('transactional: a failing handler rolls back every write and answers 500', async (t) => {
    const backend = getBackend()
    let fail = true
    const reported: unknown[] = []
    const { app, effects, schema } = await inboxApp(
      t,
      backend,
      { mode: 'transactional' },
      (app, schema) => {
        app.bluum.on('order.filled', writeEffect(schema, 'a'))
        app.bluum.on('order.filled', async () => {
          if (fail) throw new Error('downstream refused')
        })
        app.bluum.onError((error) => void reported.push(error))
      },
    )
    const delivery = signedDelivery({ body: orderFilled(), id: 'evt_tx_fail' })
    const res = await deliver(app, delivery)
    t.equal(res.statusCode, 500)
    t.equal(res.json().code, 'BLUUM_HANDLER_FAILED')
    t.same(await effects(), [], 'the first handler’s write was rolled back')
    t.same(await backend.query(`select 1 from ${schema}.events`), [], 'nothing marked processed')
    t.equal(reported.length, 1, 'onError saw the failure')
    fail = false
    t.equal((await deliver(app, delivery)).statusCode, 200, 'Bluum’s retry runs everything again')
    t.same(await effects(), [{ delivery_id: 'evt_tx_fail', handler: 'a' }])
  })

  t.test('transactional: a handler that swallows a SQL error commits nothing', async (t) => {
    const backend = getBackend()
    const { app, effects } = await inboxApp(
      t,
      backend,
      { mode: 'transactional' },
      (app, schema) => {
        app.bluum.on('order.filled', writeEffect(schema, 'a'))
        app.bluum.on('order.filled', async (_event, { tx }) => {
          await tx.query('select * from no_such_table').catch(() => {})
        })
      },
    )
    const res = await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_swallow' }))
    t.equal(res.statusCode, 500, 'the aborted transaction is not reported as processed')
    t.equal(res.json().code, 'BLUUM_HANDLER_FAILED')
    t.same(await effects(), [])
  })

  t.test('transactional: ten concurrent duplicates run the handlers once', async (t) => {
    const backend = getBackend()
    let runs = 0
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const { app, effects } = await inboxApp(
      t,
      backend,
      { mode: 'transactional' },
      (app, schema) => {
        const write = writeEffect(schema, 'a')
        app.bluum.on('order.filled', async (event, context) => {
          runs++
          await write(event, context)
          await gate
        })
      },
    )
    const delivery = signedDelivery({ body: orderFilled(), id: 'evt_tx_dup' })
    const first = deliver(app, delivery)
    await until(() => runs === 1)
    const others = Array.from({ length: 9 }, () => deliver(app, delivery))
    if (backend.name === 'postgres') {
      // While the first holds the event, every duplicate answers 409 without waiting for it.
      const answers = await Promise.all(others)
      t.same(
        answers.map((r) => [r.statusCode, r.json().code]),
        Array(9).fill([409, 'BLUUM_DELIVERY_IN_FLIGHT']),
      )
      release()
    } else {
      // PGlite has one connection: duplicates wait their turn, then find the event processed.
      release()
      const answers = await Promise.all(others)
      t.same(
        answers.map((r) => r.json()),
        Array(9).fill({ received: true, duplicate: true }),
      )
    }
    t.equal((await first).statusCode, 200)
    t.equal(runs, 1)
    t.equal((await effects()).length, 1)
  })

  t.test(
    'queue: the ack comes first, then each handler runs once in its own transaction',
    async (t) => {
      const backend = getBackend()
      let release!: () => void
      const gate = new Promise<void>((resolve) => (release = resolve))
      const { app, effects, inbox } = await inboxApp(
        t,
        backend,
        { mode: 'queue' },
        (app, schema) => {
          const write = writeEffect(schema, 'slow')
          app.bluum.on(
            'order.filled',
            async (event, context) => {
              await gate
              await write(event, context)
            },
            { id: 'slow' },
          )
          app.bluum.on('order.*', writeEffect(schema, 'fast'), { id: 'fast' })
        },
      )
      const res = await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_q_1' }))
      t.equal(res.statusCode, 200, 'answered while a handler is still blocked')
      t.same(res.json(), { received: true })
      if (backend.name === 'postgres') {
        // The fast handler does not wait for the slow one: its task is its own transaction.
        await until(async () => (await effects()).length === 1)
        t.same(await effects(), [{ delivery_id: 'evt_q_1', handler: 'fast' }])
      }
      // (PGlite has one connection: a blocked handler holds it, so the other task waits.)
      release()
      await until(async () => (await inbox.stats()).tasks.done === 2)
      t.same(
        (await effects()).map((e) => e.handler).sort(),
        ['fast', 'slow'],
        'each effect exactly once',
      )
      const dup = await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_q_1' }))
      t.same(dup.json(), { received: true, duplicate: true })
      const stats = await inbox.stats()
      t.same(stats, {
        events: 1,
        tasks: { pending: 0, running: 0, done: 2, dead: 0 },
        oldestPendingMs: 0,
      })
    },
  )

  t.test('queue: a failing handler retries alone with backoff, then succeeds', async (t) => {
    const backend = getBackend()
    let attempts = 0
    const { app, effects, inbox } = await inboxApp(t, backend, { mode: 'queue' }, (app, schema) => {
      app.bluum.on('order.filled', writeEffect(schema, 'steady'), { id: 'steady' })
      const write = writeEffect(schema, 'flaky')
      app.bluum.on(
        'order.filled',
        async (event, context) => {
          await write(event, context)
          if (++attempts < 3) throw new Error(`attempt ${attempts} refused`)
        },
        { id: 'flaky' },
      )
    })
    await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_q_retry' }))
    await until(async () => (await inbox.stats()).tasks.done === 2)
    t.equal(attempts, 3)
    t.same(
      (await effects()).map((e) => e.handler).sort(),
      ['flaky', 'steady'],
      'the failed attempts’ writes were rolled back; the steady handler ran once',
    )
    const [flaky] = await inbox
      .list({ event: 'order.filled' })
      .then((l) => l.filter((task) => task.handlerId === 'flaky'))
    t.equal(flaky?.attempts, 3)
    t.equal(flaky?.state, 'done')
  })

  t.test(
    'queue: after maxAttempts a task is dead, listed, and retry() runs it again',
    async (t) => {
      const backend = getBackend()
      let healthy = false
      let errors = 0
      const { app, effects, inbox } = await inboxApp(
        t,
        backend,
        { mode: 'queue', maxAttempts: 2 },
        (app, schema) => {
          const write = writeEffect(schema, 'a')
          app.bluum.on(
            'order.filled',
            async (event, context) => {
              if (!healthy) throw new Error('still down')
              await write(event, context)
            },
            { id: 'a' },
          )
          app.bluum.onError(() => void errors++)
        },
      )
      await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_dead_1' }))
      await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_dead_2' }))
      await until(async () => (await inbox.stats()).tasks.dead === 2)
      // onError hears of the last attempt just after the task is marked dead: wait for it.
      await until(async () => errors >= 4)
      t.equal(errors, 4, 'two attempts each, every one reported to onError')
      const dead = await inbox.list({ state: 'dead' })
      t.equal(dead.length, 2)
      t.match(dead[0], { state: 'dead', attempts: 2, handlerId: 'a', lastError: /still down/ })
      healthy = true
      t.equal(await inbox.retry(dead[0]!.id), true)
      t.equal(await inbox.retry(dead[0]!.id), false, 'no longer dead')
      await until(async () => (await effects()).length === 1)
      t.equal(await inbox.retryDead({ since: new Date(Date.now() - 60_000) }), 1)
      await until(async () => (await inbox.stats()).tasks.done === 2)
      t.same((await effects()).map((e) => e.delivery_id).sort(), ['evt_dead_1', 'evt_dead_2'])
    },
  )

  t.test(
    'queue: ten concurrent duplicates store one event and run each handler once',
    async (t) => {
      const backend = getBackend()
      const { app, effects, inbox, schema } = await inboxApp(
        t,
        backend,
        { mode: 'queue' },
        (app, schema) => app.bluum.on('order.filled', writeEffect(schema, 'a'), { id: 'a' }),
      )
      const delivery = signedDelivery({ body: orderFilled(), id: 'evt_q_dup' })
      const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(app, delivery)))
      t.same(
        answers.map((r) => r.statusCode),
        Array(10).fill(200),
      )
      t.equal(answers.filter((r) => r.json().duplicate !== true).length, 1, 'one first delivery')
      await until(async () => (await inbox.stats()).tasks.done === 1)
      t.equal((await effects()).length, 1)
      t.same(await backend.query(`select count(*)::int as n from ${schema}.tasks`), [{ n: 1 }])
    },
  )

  t.test('queue: an event nobody handles is stored without tasks', async (t) => {
    const backend = getBackend()
    const { app, inbox } = await inboxApp(t, backend, { mode: 'queue' }, (app, schema) =>
      app.bluum.on('transfer.*', writeEffect(schema, 'a'), { id: 'a' }),
    )
    const res = await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_nobody' }))
    t.equal(res.statusCode, 200)
    t.same(await inbox.stats(), {
      events: 1,
      tasks: { pending: 0, running: 0, done: 0, dead: 0 },
      oldestPendingMs: 0,
    })
  })

  t.test('queue: every handler needs a unique id, checked at start-up', async (t) => {
    const backend = getBackend()
    for (const [what, register, message] of [
      [
        'a missing id',
        (app: FastifyInstance) => app.bluum.on('order.filled', async () => {}),
        /without an id/,
      ],
      [
        'a repeated id',
        (app: FastifyInstance) => {
          app.bluum.on('order.filled', async () => {}, { id: 'x' })
          app.bluum.onAny(async () => {}, { id: 'x' })
        },
        /"x" is used twice/,
      ],
    ] as const) {
      const schema = await backend.freshSchema()
      const app = Fastify()
      t.teardown(() => app.close())
      await app.register(bluumWebhooks, {
        secret: TEST_SECRET,
        inbox: backend.inbox({ schema, mode: 'queue' }),
      })
      register(app)
      await t.rejects(
        async () => void (await app.ready()),
        { code: 'BLUUM_INBOX_HANDLER_ID', message },
        what,
      )
    }
  })

  t.test(
    'purge() deletes old events whose tasks are done, keeps dead and recent ones',
    async (t) => {
      const backend = getBackend()
      const { app, inbox, schema } = await inboxApp(
        t,
        backend,
        { mode: 'queue', maxAttempts: 1 },
        (app) => {
          app.bluum.on(
            'order.filled',
            async (event) => {
              if (event.data.symbol === 'FAIL') throw new Error('no')
            },
            { id: 'a' },
          )
        },
      )
      await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_old_done' }))
      await deliver(
        app,
        signedDelivery({ body: orderFilled({ symbol: 'FAIL' }), id: 'evt_old_dead' }),
      )
      await until(async () => {
        const s = await inbox.stats()
        return s.tasks.done === 1 && s.tasks.dead === 1
      })
      await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_recent' }))
      await backend.query(
        `update ${schema}.events set received_at = now() - interval '8 days' where delivery_id like 'evt_old%'`,
      )
      t.equal(await inbox.purge(), 1, 'the default retention (7 days) removes the old done event')
      const left = await backend.query<{ delivery_id: string }>(
        `select delivery_id from ${schema}.events order by delivery_id`,
      )
      t.same(
        left.map((r) => r.delivery_id),
        ['evt_old_dead', 'evt_recent'],
      )
    },
  )

  t.test('a rejected delivery writes nothing and runs nothing', async (t) => {
    const backend = getBackend()
    for (const mode of ['queue', 'transactional'] as const) {
      let runs = 0
      const { app, schema } = await inboxApp(t, backend, { mode }, (app) =>
        app.bluum.on('order.filled', async () => void runs++, { id: 'a' }),
      )
      const good = signedDelivery({ body: orderFilled() })
      const rows = [
        {
          status: 401,
          code: 'BLUUM_SIGNATURE_MISMATCH',
          headers: { 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}` },
        },
        {
          status: 415,
          code: 'BLUUM_UNSUPPORTED_MEDIA_TYPE',
          headers: { 'content-type': 'text/plain' },
        },
        { status: 400, code: 'BLUUM_MISSING_SIGNATURE_HEADERS', headers: { 'webhook-id': '' } },
      ]
      for (const row of rows) {
        const headers = Object.fromEntries(
          Object.entries({ ...good.headers, ...row.headers }).filter(([, v]) => v !== ''),
        ) as Record<string, string>
        const res = await deliver(app, { headers, payload: good.payload })
        t.equal(res.statusCode, row.status, `${mode}: ${row.code}`)
        t.equal(res.json().code, row.code)
      }
      const invalid = signedDelivery({ body: '{"event":' })
      t.equal((await deliver(app, invalid)).statusCode, 400, `${mode}: malformed JSON`)
      t.same(await backend.query(`select 1 from ${schema}.events`), [], `${mode}: no event stored`)
      t.equal(runs, 0)
    }
  })

  t.test(
    'queue: a handler still running after taskTimeoutMs is rolled back, retried, then dead',
    async (t) => {
      const backend = getBackend()
      let release!: () => void
      const gate = new Promise<void>((resolve) => (release = resolve))
      let started = 0
      const reported: Array<{ code?: string }> = []
      // onError gets an AggregateError of the attempt's failures.
      const lateWrites: unknown[] = []
      const { app, effects, inbox } = await inboxApp(
        t,
        backend,
        // The lease is far longer than the timeout: only the timeout may end an attempt here,
        // however late a loaded machine fires its timer.
        { mode: 'queue', taskTimeoutMs: 300, leaseMs: 600_000, maxAttempts: 2 },
        (app, schema) => {
          const write = writeEffect(schema, 'hung')
          app.bluum.on(
            'order.filled',
            async (event, context) => {
              started++
              await write(event, context)
              await gate // a call that never answers
              await write(event, context).catch((err) => void lateWrites.push(err))
            },
            { id: 'hung' },
          )
          app.bluum.onError((error) => void reported.push(...(error as AggregateError).errors))
        },
      )
      t.teardown(release)
      await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_hung' }))
      await until(async () => (await inbox.stats()).tasks.dead === 1)
      t.equal(started, 2, 'taken again after the first timeout, then no more')
      const [task] = await inbox.list({ state: 'dead' })
      t.match(task, { attempts: 2, handlerId: 'hung', lastError: /^BLUUM_INBOX_TASK_TIMEOUT: / })
      t.match(task?.lastError, /after 300 ms \(taskTimeoutMs\)/)
      t.same(
        reported.map((e) => e.code),
        ['BLUUM_INBOX_TASK_TIMEOUT', 'BLUUM_INBOX_TASK_TIMEOUT'],
        'each timed-out attempt reported to onError',
      )
      t.same(await effects(), [], 'the writes made before the timeout were rolled back')
      release()
      await until(() => lateWrites.length === 2)
      t.match(
        lateWrites,
        [{ code: 'BLUUM_INBOX_TASK_TIMEOUT' }, { code: 'BLUUM_INBOX_TASK_TIMEOUT' }],
        'the abandoned tx refuses the hung handler’s later queries',
      )
      t.same(await effects(), [], 'nothing written after the timeout either')
    },
  )

  t.test(
    'queue: a task whose worker died during every attempt becomes dead, not taken forever',
    async (t) => {
      const backend = getBackend()
      let runs = 0
      const { app, inbox, schema } = await inboxApp(
        t,
        backend,
        { mode: 'queue', concurrency: 0 },
        (app) => app.bluum.on('order.filled', async () => void runs++, { id: 'a' }),
      )
      await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_died' }))
      // What the takes of three workers that died mid-task leave: three attempts counted, the
      // last lease run out (test/postgres-crash.test.ts makes this with real processes).
      await backend.query(
        `update ${schema}.tasks set attempts = 3, run_after = now() - interval '1 second'`,
      )
      const worker = await startInboxWorker({
        inbox: backend.inbox({ schema, mode: 'queue', maxAttempts: 3, pollIntervalMs: 50 }),
        handlers: (bluum) => bluum.on('order.filled', async () => void runs++, { id: 'a' }),
      })
      t.teardown(() => worker.close())
      await until(async () => (await inbox.stats()).tasks.dead === 1)
      const [task] = await inbox.list({ state: 'dead' })
      t.match(task, {
        attempts: 3,
        lastError: /^BLUUM_INBOX_TASK_ABANDONED: Task \d+ \(handler "a"\) was taken 3 times/,
      })
      t.equal(runs, 0, 'the handler was not run a fourth time')
      t.equal(await inbox.retry(task!.id), true, 'a dead task can be retried once fixed')
      await until(() => runs === 1)
      await worker.close()
    },
  )

  t.test('close() waits for the running task and takes no new one', async (t) => {
    const backend = getBackend()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let started = 0
    const { app, effects, inbox } = await inboxApp(
      t,
      backend,
      { mode: 'queue', concurrency: 1 },
      (app, schema) => {
        const write = writeEffect(schema, 'a')
        app.bluum.on(
          'order.filled',
          async (event, context) => {
            started++
            await gate
            await write(event, context)
          },
          { id: 'a' },
        )
      },
    )
    await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_close_1' }))
    await until(() => started === 1)
    // On PGlite the running task holds the only connection, so this ack waits for it.
    const second = deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_close_2' }))
    if (backend.name === 'postgres') t.equal((await second).statusCode, 200)
    let closed = false
    const closing = app.close().then(() => (closed = true))
    // The worker still holds the task: close has not finished, whatever the clock says.
    t.match((await inbox.list({ state: 'running' })).length, 1, 'the task is still running')
    t.equal(closed, false, 'close waits for the running handler')
    release()
    await closing
    t.equal((await second).statusCode, 200)
    t.equal(started, 1, 'the second task was not taken')
    t.equal((await effects()).length, 1, 'the running task committed')
    t.equal((await inbox.stats()).tasks.pending, 1, 'the other stays pending for the next start')
  })

  t.test(
    "transactional: context.attempt counts the failed runs, maxAttempts is Bluum's 6",
    async (t) => {
      const backend = getBackend()
      const seen: Array<[number, number]> = []
      const { app, effects } = await inboxApp(
        t,
        backend,
        { mode: 'transactional' },
        (app, schema) => {
          const write = writeEffect(schema, 'a')
          app.bluum.on('order.filled', async (event, context) => {
            seen.push([context.attempt, context.maxAttempts])
            await write(event, context)
            if (context.attempt < 3) throw new Error(`run ${context.attempt} refused`)
          })
        },
      )
      const delivery = signedDelivery({ body: orderFilled(), id: 'evt_tx_attempts' })
      t.equal((await deliver(app, delivery)).statusCode, 500)
      t.equal((await deliver(app, delivery)).statusCode, 500)
      t.equal((await deliver(app, delivery)).statusCode, 200)
      t.same(seen, [
        [1, 6],
        [2, 6],
        [3, 6],
      ])
      t.equal((await effects()).length, 1, 'the failed runs left nothing')
    },
  )

  t.test("queue: context.attempt is the task's attempt, maxAttempts the inbox's", async (t) => {
    const backend = getBackend()
    const seen: Array<[number, number, boolean]> = []
    const { app, inbox } = await inboxApp(t, backend, { mode: 'queue', maxAttempts: 4 }, (app) =>
      app.bluum.on(
        'order.filled',
        async (_event, { attempt, maxAttempts, stale }) => {
          seen.push([attempt, maxAttempts, stale])
          if (attempt < 3) throw new Error('not yet')
        },
        { id: 'a' },
      ),
    )
    await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_q_attempts' }))
    await until(async () => (await inbox.stats()).tasks.done === 1)
    t.same(seen, [
      [1, 4, false],
      [2, 4, false],
      [3, 4, false],
    ])
  })

  t.test(
    'queue: a running task shows as running, with its worker, start and heartbeat',
    async (t) => {
      const backend = getBackend()
      let release!: () => void
      const gate = new Promise<void>((resolve) => (release = resolve))
      let started = false
      const { app, inbox } = await inboxApp(t, backend, { mode: 'queue', concurrency: 1 }, (app) =>
        app.bluum.on(
          'order.filled',
          async () => {
            started = true
            await gate
          },
          { id: 'slow' },
        ),
      )
      t.teardown(release)
      const before = new Date()
      await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_running' }))
      await until(() => started)
      t.same((await inbox.stats()).tasks, { pending: 0, running: 1, done: 0, dead: 0 })
      const [task] = await inbox.list({ state: 'running' })
      t.match(task, {
        deliveryId: 'evt_running',
        state: 'running',
        attempts: 1,
        workerId: new RegExp(`:${process.pid}:[0-9a-f]{8}$`),
      })
      t.ok(task!.startedAt! >= new Date(before.getTime() - 1000), 'started after the delivery')
      t.ok(task!.heartbeatAt instanceof Date, "the worker pool's heartbeat")
      t.ok(task!.runAfter > task!.startedAt!, 'runAfter is the end of its lease')
      // The pool renews its heartbeat while the handler runs.
      await until(async () => {
        const [now] = await inbox.list({ state: 'running' })
        return now!.heartbeatAt! > task!.heartbeatAt!
      })
      t.same(await inbox.list({ state: 'pending' }), [], 'not counted as pending')
      release()
      await until(async () => (await inbox.stats()).tasks.done === 1)
      t.match((await inbox.list())[0], { state: 'done', workerId: null })
    },
  )

  t.test('list() pages with a cursor: every task once, newest first', async (t) => {
    const backend = getBackend()
    const { app, inbox } = await inboxApp(t, backend, { mode: 'queue', concurrency: 0 }, (app) =>
      app.bluum.on('order.filled', async () => {}, { id: 'a' }),
    )
    for (let i = 0; i < 25; i++) {
      await deliver(app, signedDelivery({ body: orderFilled(), id: `evt_page_${i}` }))
    }
    const pages: string[][] = []
    let page = await inbox.list({ limit: 10 })
    while (page.length > 0) {
      pages.push(page.map((task) => task.deliveryId))
      page = await inbox.list({ limit: 10, after: page.at(-1)!.id })
    }
    t.same(
      pages.map((p) => p.length),
      [10, 10, 5],
    )
    t.same(
      pages.flat(),
      Array.from({ length: 25 }, (_, i) => `evt_page_${24 - i}`),
    )
    await t.rejects(inbox.list({ after: 'not-an-id' }), {
      code: 'BLUUM_INBOX_INVALID_OPTION',
      message: /"after": expected a task id/,
    })
    await t.rejects(inbox.list({ state: 'stuck' as 'dead' }), {
      code: 'BLUUM_INBOX_INVALID_OPTION',
      message: /"state": expected one of pending, running, done, dead/,
    })
    await t.rejects(inbox.retry('1; drop table x'), {
      code: 'BLUUM_INBOX_INVALID_OPTION',
      message: /"taskId": expected a task id/,
    })
  })

  /** A statement the database fails as its own: a serialization failure (SQLSTATE 40001). */
  const serializationFailure = `do $$ begin raise exception 'could not serialize access' using errcode = 'serialization_failure'; end $$`

  t.test(
    'transactional: a database failure a handler catches is still a 503 store failure, never onError',
    async (t) => {
      const backend = getBackend()
      let failing = true
      const reported: unknown[] = []
      const storeErrors: Array<[string | undefined, InboxStoreErrorInfo]> = []
      const { app, effects, schema } = await inboxApp(
        t,
        backend,
        {
          mode: 'transactional',
          onStoreError: (error, info) =>
            void storeErrors.push([(error as { code?: string }).code, info]),
        },
        (app, schema) => {
          const write = writeEffect(schema, 'a')
          app.bluum.on('order.filled', async (event, context) => {
            await write(event, context)
            // The handler swallows the failure and goes on, as careless code does.
            if (failing) await context.tx.query(serializationFailure).catch(() => {})
          })
          app.bluum.onError((error) => void reported.push(error))
        },
      )
      const delivery = signedDelivery({ body: orderFilled(), id: 'evt_tx_store' })
      const res = await deliver(app, delivery)
      t.equal(res.statusCode, 503)
      t.equal(res.json().code, 'BLUUM_STORE_UNAVAILABLE')
      t.match(res.json().message, /40001/)
      t.equal(res.headers['retry-after'], '60')
      t.same(await effects(), [], 'rolled back: the write before the failure is gone')
      t.same(await backend.query(`select 1 from ${schema}.events`), [], 'not marked processed')
      t.same(reported, [], 'onError never heard of it')
      t.same(storeErrors, [
        ['40001', { during: 'delivery', deliveryId: 'evt_tx_store', event: 'order.filled' }],
      ])
      failing = false
      t.equal(
        (await deliver(app, delivery)).statusCode,
        200,
        'the retry runs once the database is fine',
      )
      t.equal((await effects()).length, 1)
    },
  )

  t.test(
    'queue: a database failure under a task gives it back without counting the attempt, never onError',
    async (t) => {
      const backend = getBackend()
      let runs = 0
      const reported: unknown[] = []
      const storeErrors: InboxStoreErrorInfo[] = []
      const { app, effects, inbox } = await inboxApp(
        t,
        backend,
        {
          mode: 'queue',
          maxAttempts: 1,
          onStoreError: (_error, info) => void storeErrors.push(info),
        },
        (app, schema) => {
          const write = writeEffect(schema, 'a')
          app.bluum.on(
            'order.filled',
            async (event, context) => {
              await write(event, context)
              if (++runs === 1) await context.tx.query(serializationFailure).catch(() => {})
            },
            { id: 'a' },
          )
          app.bluum.onError((error) => void reported.push(error))
        },
      )
      await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_q_store' }))
      await until(async () => (await inbox.stats()).tasks.done === 1)
      t.equal(runs, 2, 'run again after the failure, though maxAttempts is 1')
      t.match((await inbox.list())[0], { state: 'done', attempts: 1 }, 'the failed run not counted')
      t.same(await effects(), [{ delivery_id: 'evt_q_store', handler: 'a' }], 'written once')
      t.same(reported, [], 'onError never heard of it')
      t.match(storeErrors, [{ during: 'task', deliveryId: 'evt_q_store', handlerId: 'a' }])
    },
  )

  t.test('a tx.query after the handler returned is refused, in both modes', async (t) => {
    const backend = getBackend()
    for (const mode of ['transactional', 'queue'] as const) {
      // Settles with the late query's error (or 'ran'): caught at once, examined below.
      let late: Promise<unknown> | undefined
      const { app, inbox, effects } = await inboxApp(t, backend, { mode }, (app, schema) =>
        app.bluum.on(
          'order.filled',
          async (_event, { tx, deliveryId }) => {
            // Not awaited: it would run on a connection given back to the pool.
            late = new Promise((resolve) => setImmediate(resolve))
              .then(() =>
                tx.query(
                  `insert into ${schema}.effects (delivery_id, handler) values ($1, 'late')`,
                  [deliveryId],
                ),
              )
              .then(
                () => 'ran',
                (error: unknown) => error,
              )
          },
          { id: 'a' },
        ),
      )
      const res = await deliver(
        app,
        signedDelivery({ body: orderFilled(), id: `evt_late_${mode}` }),
      )
      t.equal(res.statusCode, 200)
      await until(() => late !== undefined)
      t.match(await late, { code: 'BLUUM_INBOX_TRANSACTION_CLOSED' }, mode)
      if (mode === 'queue') await until(async () => (await inbox.stats()).tasks.done === 1)
      t.same(await effects(), [], `${mode}: nothing written`)
    }
  })
}
