/**
 * Per-resource ordering in queue mode (`ordering: 'resource'`), on a real PostgreSQL server with
 * four workers: the tasks of one handler for one order run one at a time, in the order of the
 * events' own timestamps, whatever order Bluum's deliveries (shuffled, duplicated, concurrent)
 * arrive in; an event older than one already handled runs with `context.stale`, or is skipped.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import bluumWebhooks from '../plugin/index.js'
import {
  resourceKey,
  startInboxWorker,
  type InboxWorker,
  type PostgresInboxSettings,
} from '../plugin/postgres/index.js'
import type { BluumEventRouter } from '../plugin/index.js'
import { deliver } from './helpers/app.js'
import { startPostgresBackend, type InboxBackend } from './helpers/inbox-backends.js'
import { until } from './helpers/inbox-suite.js'
import { signedDelivery, TEST_SECRET, type SignedDelivery } from './helpers/sign.js'

let backend: InboxBackend
t.before(async () => {
  backend = await startPostgresBackend()
})
t.teardown(() => backend.close())

const LIFECYCLE = ['order.accepted', 'order.partially_filled', 'order.filled'] as const
type Step = (typeof LIFECYCLE)[number]

/** One order's lifecycle as Bluum sends it: three events a second apart, each its own id. */
function lifecycle(order: number): Array<{ step: Step; delivery: SignedDelivery }> {
  const start = Date.UTC(2026, 6, 1, 15, 10, 0) + order * 10_000
  return LIFECYCLE.map((step, i) => ({
    step,
    delivery: signedDelivery({
      id: `evt_ord${order}_${i}`,
      body: {
        event: step,
        timestamp: new Date(start + i * 1000).toISOString().replace('.000Z', 'Z'),
        data: {
          id: `ord_${order}`,
          investor_id: 'inv_1',
          symbol: 'AAPL',
          side: 'buy',
          status: step.slice('order.'.length),
          quantity: '10',
          filled_quantity: step === 'order.accepted' ? '0' : step === 'order.filled' ? '10' : '4',
        },
      },
    }),
  }))
}

/** A deterministic shuffle (a seeded LCG), so a failure can be replayed. */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items]
  let state = seed
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31
    const j = state % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

interface Seen {
  handler: string
  order: string
  step: Step
  stale: boolean
}

/**
 * Two handlers on every order event, each recording what it sees through `tx` and yielding in
 * the middle (so runs of one resource would overlap if nothing kept them apart).
 */
function orderHandlers(schema: string, seen: Seen[], running: Map<string, number>) {
  return (bluum: BluumEventRouter) => {
    for (const handler of ['ledger', 'notify']) {
      bluum.on(
        'order.*',
        async (event, { tx, stale }) => {
          const key = `${handler}:${event.data.id}`
          running.set(key, (running.get(key) ?? 0) + 1)
          if (running.get(key)! > 1) throw new Error(`${key} runs twice at once`)
          try {
            await tx.query('select pg_sleep(0.002)')
            await tx.query(`insert into ${schema}.effects (delivery_id, handler) values ($1, $2)`, [
              `${event.data.id}:${event.event}`,
              handler,
            ])
            seen.push({ handler, order: event.data.id, step: event.event as Step, stale })
          } finally {
            running.set(key, running.get(key)! - 1)
          }
        },
        { id: handler },
      )
    }
  }
}

/** The app that receives the deliveries and queues their tasks (its handlers, no workers). */
async function orderedApp(
  t: Test,
  schema: string,
  handlers: (bluum: BluumEventRouter) => void,
  settings: PostgresInboxSettings = {},
) {
  const app = Fastify()
  t.teardown(() => app.close())
  const inbox = backend.inbox({
    schema,
    mode: 'queue',
    ordering: 'resource',
    concurrency: 0,
    pollIntervalMs: 20,
    backoffBaseMs: 10,
    ...settings,
  })
  await app.register(bluumWebhooks, { secret: TEST_SECRET, inbox })
  handlers(app.bluum)
  await app.ready()
  return { app, inbox }
}

async function fourWorkers(
  t: Test,
  schema: string,
  handlers: (bluum: BluumEventRouter) => void,
  settings: PostgresInboxSettings = {},
): Promise<InboxWorker> {
  const worker = await startInboxWorker({
    inbox: backend.inbox({
      schema,
      mode: 'queue',
      concurrency: 4,
      pollIntervalMs: 20,
      backoffBaseMs: 10,
      ...settings,
    }),
    handlers,
  })
  t.teardown(() => worker.close())
  return worker
}

/** Each delivery twice, shuffled, sent ten at a time as concurrent bursts. */
async function sendShuffled(app: FastifyInstance, deliveries: SignedDelivery[], seed: number) {
  const copies = shuffle([...deliveries, ...deliveries], seed)
  for (let i = 0; i < copies.length; i += 10) {
    const answers = await Promise.all(copies.slice(i, i + 10).map((d) => deliver(app, d)))
    for (const answer of answers) {
      if (answer.statusCode !== 200) throw new Error(`answered ${answer.statusCode}`)
    }
  }
}

function sequences(seen: Seen[]): Map<string, Seen[]> {
  const byKey = new Map<string, Seen[]>()
  for (const s of seen)
    byKey.set(`${s.handler}:${s.order}`, [...(byKey.get(`${s.handler}:${s.order}`) ?? []), s])
  return byKey
}

t.test('resourceKey: the kind of resource and its id in data', (t) => {
  t.equal(resourceKey({ event: 'order.filled', data: { id: 'ord_1' } }), 'order:ord_1')
  t.equal(
    resourceKey({ event: 'transfer.deposit.completed', data: { id: 'dep_1' } }),
    'transfer.deposit:dep_1',
  )
  t.equal(resourceKey({ event: 'account.updated', data: { id: 'inv_1' } }), 'account:inv_1')
  t.equal(resourceKey({ event: 'document.approved', data: {} }), undefined, 'no id: unordered')
  t.end()
})

t.test(
  'a backlog of shuffled, duplicated lifecycles: four workers run each order in timestamp order',
  async (t) => {
    const schema = await backend.freshSchema()
    const seen: Seen[] = []
    const handlers = orderHandlers(schema, seen, new Map())
    const { app, inbox } = await orderedApp(t, schema, handlers)
    const orders = Array.from({ length: 30 }, (_, i) => lifecycle(i))
    await sendShuffled(
      app,
      orders.flat().map((e) => e.delivery),
      7,
    )
    await fourWorkers(t, schema, handlers)
    await until(async () => (await inbox.stats()).tasks.done === 30 * 3 * 2)
    const byKey = sequences(seen)
    t.equal(byKey.size, 60, 'two handlers × thirty orders')
    for (const [key, steps] of byKey) {
      t.same(
        steps.map((s) => [s.step, s.stale]),
        LIFECYCLE.map((step) => [step, false]),
        `${key}: accepted, partially filled, filled, each once`,
      )
    }
    t.equal(
      (await backend.query(`select 1 from ${schema}.effects`)).length,
      180,
      'each effect once',
    )
  },
)

t.test(
  'deliveries arriving while four workers run: no handler moves an order backwards',
  async (t) => {
    const schema = await backend.freshSchema()
    const seen: Seen[] = []
    const handlers = orderHandlers(schema, seen, new Map())
    const { app, inbox } = await orderedApp(t, schema, handlers)
    await fourWorkers(t, schema, handlers)
    const orders = Array.from({ length: 30 }, (_, i) => lifecycle(i))
    await sendShuffled(
      app,
      orders.flat().map((e) => e.delivery),
      11,
    )
    await until(async () => (await inbox.stats()).tasks.done === 30 * 3 * 2)
    let stale = 0
    for (const [key, steps] of sequences(seen)) {
      t.equal(steps.length, 3, `${key}: every event once`)
      // What the handler applies (the events not marked stale) only ever moves forward, and an
      // event is stale exactly when a newer one of its order was handled before it.
      let newest = -1
      for (const s of steps) {
        const rank = LIFECYCLE.indexOf(s.step)
        t.equal(s.stale, rank < newest, `${key}: ${s.step} stale flag`)
        if (s.stale) stale++
        newest = Math.max(newest, rank)
      }
    }
    t.comment(`${stale} stale deliveries among ${seen.length}`)
  },
)

t.test(
  "staleEvents 'skip': an event older than one handled is marked done without running",
  async (t) => {
    const schema = await backend.freshSchema()
    const seen: Seen[] = []
    const handlers = orderHandlers(schema, seen, new Map())
    const { app, inbox } = await orderedApp(t, schema, handlers)
    await fourWorkers(t, schema, handlers, { staleEvents: 'skip' })
    const [accepted, , filled] = lifecycle(0)
    await deliver(app, filled!.delivery)
    await until(async () => (await inbox.stats()).tasks.done === 2)
    await deliver(app, accepted!.delivery) // Bluum's retry of an earlier event, arriving late
    await until(async () => (await inbox.stats()).tasks.done === 4)
    t.same(
      seen.map((s) => [s.handler, s.step]).sort(),
      [
        ['ledger', 'order.filled'],
        ['notify', 'order.filled'],
      ],
      'the late accepted event ran in no handler',
    )
  },
)

t.test(
  'an earlier event that fails holds the later ones of its order until it succeeds, or dies',
  async (t) => {
    const schema = await backend.freshSchema()
    const order: string[] = []
    let failures = 0
    const flaky = (bluum: BluumEventRouter) =>
      bluum.on(
        'order.*',
        async (event, { stale }) => {
          if (event.event === 'order.accepted' && failures < 2) {
            failures++
            throw new Error('the ledger is busy')
          }
          order.push(`${event.event}${stale ? ' (stale)' : ''}`)
        },
        { id: 'ledger' },
      )
    const { app, inbox } = await orderedApp(t, schema, flaky)
    await fourWorkers(t, schema, flaky, { maxAttempts: 3 })
    for (const { delivery } of lifecycle(0)) await deliver(app, delivery)
    await until(async () => (await inbox.stats()).tasks.done === 3)
    t.equal(failures, 2)
    t.same(order, ['order.accepted', 'order.partially_filled', 'order.filled'])

    // With one attempt only, the failing event dies, and the order goes on without it; retried
    // later, it runs as stale.
    const schema2 = await backend.freshSchema()
    const ran: string[] = []
    let healthy = false
    const down = (bluum: BluumEventRouter) =>
      bluum.on(
        'order.*',
        async (event, { stale }) => {
          if (event.event === 'order.accepted' && !healthy) throw new Error('down')
          ran.push(`${event.event}${stale ? ' (stale)' : ''}`)
        },
        { id: 'ledger' },
      )
    const second = await orderedApp(t, schema2, down)
    await fourWorkers(t, schema2, down, { maxAttempts: 1 })
    for (const { delivery } of lifecycle(1)) await deliver(second.app, delivery)
    await until(async () => {
      const s = await second.inbox.stats()
      return s.tasks.done === 2 && s.tasks.dead === 1
    })
    t.same(ran, ['order.partially_filled', 'order.filled'])
    healthy = true
    const [dead] = await second.inbox.list({ state: 'dead' })
    t.equal(await second.inbox.retry(dead!.id), true)
    await until(async () => (await second.inbox.stats()).tasks.done === 3)
    t.same(ran, ['order.partially_filled', 'order.filled', 'order.accepted (stale)'])
  },
)

t.test('ordering is refused in transactional mode, and must be a key function or a name', (t) => {
  t.throws(() => backend.inbox({ mode: 'transactional', ordering: 'resource' }), {
    code: 'BLUUM_INBOX_INVALID_OPTION',
    message: /"ordering": only queue mode orders tasks/,
  })
  t.throws(() => backend.inbox({ ordering: 'time' as 'resource' }), {
    code: 'BLUUM_INBOX_INVALID_OPTION',
    message: /"ordering": expected one of "none", "resource", received the string "time"/,
  })
  t.throws(() => backend.inbox({ staleEvents: 'drop' as 'skip' }), {
    code: 'BLUUM_INBOX_INVALID_OPTION',
    message: /"staleEvents": expected one of "deliver", "skip", received the string "drop"/,
  })
  t.end()
})
