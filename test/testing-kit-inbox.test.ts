/**
 * The contract harness with a Postgres inbox in queue mode (on PGlite): an acknowledgement means
 * "queued", and `waitForProcessed` waits until the workers have run every task of the event.
 */
import type { PGlite } from '@electric-sql/pglite'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import bluumWebhooks from '../plugin/index.js'
import { createPostgresInbox, type PostgresInbox } from '../plugin/postgres/index.js'
import { createContractHarness, type ContractEnvironment } from '../mock-server/testing/index.js'
import { createTestPGlite } from './helpers/pglite.js'

// PGlite compiles its WebAssembly in-process: slow on a loaded machine.
t.setTimeout(300_000)

let db: PGlite
t.before(async () => {
  db = await createTestPGlite()
  await db.exec('create table fills (event_id text primary key, handler text not null)')
})
t.teardown(() => db.close())

/**
 * An app whose handler records fills through `tx`; it waits for `gate` first when given, and
 * always throws when `failing`. `finished` counts the handler runs that wrote.
 */
function inboxApp(schema: string, options: { failing?: boolean; gate?: Promise<void> } = {}) {
  const runs = { finished: 0 }
  const inbox = createPostgresInbox({
    pglite: db,
    schema,
    mode: 'queue',
    maxAttempts: 2,
    backoffBaseMs: 10,
    pollIntervalMs: 20,
  })
  const build = async (env: ContractEnvironment) => {
    const app = Fastify()
    await app.register(bluumWebhooks, { secret: env.webhookSecret, inbox })
    app.bluum.on(
      'order.filled',
      async (event, { tx }) => {
        await options.gate
        if (options.failing) throw new Error('ledger refused the fill')
        await tx.query('insert into fills (event_id, handler) values ($1, $2)', [
          event.id,
          `${schema}:record-fill`,
        ])
        runs.finished++
      },
      { id: 'record-fill' },
    )
    return app
  }
  return { inbox, build, runs }
}

/**
 * A harness over an app whose inbox has no workers (concurrency 0: workers only elsewhere, and
 * none started), so every task it queues stays pending.
 */
async function idleHarness(t: Test, schema: string) {
  const inbox = createPostgresInbox({ pglite: db, schema, concurrency: 0 })
  const harness = await createContractHarness({
    app: async (env) => {
      const app = Fastify()
      await app.register(bluumWebhooks, { secret: env.webhookSecret, inbox })
      app.bluum.on('order.filled', async () => {}, { id: 'record-fill' })
      return app
    },
  })
  t.teardown(() => harness.close())
  return { harness, inbox }
}

const fills = async (schema: string) =>
  (
    await db.query<{ event_id: string }>(
      'select event_id from fills where handler = $1 order by event_id',
      [`${schema}:record-fill`],
    )
  ).rows.map((r) => r.event_id)

t.test('waitForProcessed resolves once the queued tasks are done, not at the ack', async (t) => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const { inbox, build, runs } = inboxApp('kit_ok', { gate })
  const harness = await createContractHarness({ app: build })
  t.teardown(() => harness.close())
  const first = harness.sandbox.trigger('order.filled', { symbol: 'NVDA' })
  await harness.waitForAcknowledged('order.filled')
  t.equal(runs.finished, 0, 'acknowledged while the handler still waits')
  const processing = harness.waitForProcessed('order.filled', { inbox })
  release()
  const [delivery] = await processing
  t.equal(delivery?.event_id, first.id)
  t.equal(runs.finished, 1)
  t.same(await fills('kit_ok'), [first.id])

  // Duplicated deliveries of a second event: count 2 waits for both events' tasks.
  harness.setFaults({ duplicates: 2 })
  const second = harness.sandbox.trigger('order.filled', { symbol: 'AAPL' })
  const both = await harness.waitForProcessed('order.filled', { inbox, count: 2 })
  t.same(both.map((d) => d.event_id).sort(), [first.id, second.id].sort())
  t.same(await fills('kit_ok'), [first.id, second.id].sort(), 'each fill recorded once')
  t.same((await inbox.stats()).tasks, { pending: 0, running: 0, done: 2, dead: 0 })
})

t.test('waitForProcessed rejects with BLUUM_HARNESS_NOT_PROCESSED on a dead task', async (t) => {
  const { inbox, build } = inboxApp('kit_dead', { failing: true })
  const harness = await createContractHarness({ app: build })
  t.teardown(() => harness.close())
  harness.sandbox.trigger('order.filled')
  await t.rejects(harness.waitForProcessed('order.filled', { inbox }), {
    code: 'BLUUM_HARNESS_NOT_PROCESSED',
    message: /acknowledged order\.filled, but .* \(record-fill\) dead: Error: ledger refused/,
  })
  t.same(await fills('kit_dead'), [])
})

t.test(
  'waitForProcessed reads every page of the inbox: a task behind 10 050 newer ones is seen',
  async (t) => {
    // No workers: the event's task stays pending, and 10 050 tasks of the same event queued
    // after it come first in list() (newest first), more than a page holds.
    const { harness, inbox } = await idleHarness(t, 'kit_many')
    const event = harness.sandbox.trigger('order.filled')
    await harness.waitForAcknowledged('order.filled')
    await db.exec(`
      insert into kit_many.events (delivery_id, event, payload)
        select 'evt_later_' || i, 'order.filled', '{}'::jsonb from generate_series(1, 10050) i;
      insert into kit_many.tasks (delivery_id, handler_id)
        select 'evt_later_' || i, 'record-fill' from generate_series(1, 10050) i;
    `)
    const { rows } = await db.query<{ delivery_id: string }>(
      'select delivery_id from kit_many.tasks order by id limit 1',
    )
    t.equal(rows[0]?.delivery_id, event.id, "the oldest task is the triggered event's")
    await t.rejects(harness.waitForProcessed('order.filled', { inbox, timeoutMs: 200 }), {
      code: 'BLUUM_HARNESS_NOT_PROCESSED',
      message: new RegExp(`^[^;]*\\(record-fill\\) pending after 0 attempt\\(s\\) after 200 ms`),
    })
  },
)

t.test('waitForProcessed rejects when no worker runs the tasks within timeoutMs', async (t) => {
  const { harness, inbox } = await idleHarness(t, 'kit_idle')
  harness.sandbox.trigger('order.filled')
  await t.rejects(harness.waitForProcessed('order.filled', { inbox, timeoutMs: 200 }), {
    code: 'BLUUM_HARNESS_NOT_PROCESSED',
    message: /\(record-fill\) pending after 0 attempt\(s\) after 200 ms/,
  })
  for (const [name, options] of [
    ['inbox', {}],
    ['timeoutMs', { inbox, timeoutMs: 0 }],
  ] as const) {
    await t.rejects(
      harness.waitForProcessed('order.filled', options as unknown as { inbox: PostgresInbox }),
      {
        code: 'BLUUM_HARNESS_INVALID_OPTION',
        message: new RegExp(`"${name}"`),
      },
    )
  }
})
