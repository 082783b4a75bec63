/**
 * Exactly once through crashes, on a real PostgreSQL server and real processes: an app is
 * SIGKILLed in the middle of a handler (before its write, after it but before the commit, after
 * the commit but before the answer); then Bluum's retries and the workers' retries run against a
 * fresh process, and every effect row exists exactly once. Two app processes on one database
 * share the work without repeating any of it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startPostgresBackend, type InboxBackend } from './helpers/inbox-backends.js'
import { until } from './helpers/inbox-suite.js'
import { orderFilled, signedDelivery, type SignedDelivery } from './helpers/sign.js'

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

/** Bluum's retry ladder, compressed: the same delivery until a 2xx. */
async function deliverUntilAcknowledged(port: number, delivery: SignedDelivery) {
  let status = await post(port, delivery)
  while (status !== 200) status = await post(port, delivery)
}

// Nine app processes (each a tsx start-up) and a database: slow on a loaded machine, so this
// file gets more than tap's default; it still ends by itself.
t.setTimeout(300_000)

let backend: InboxBackend
t.before(async () => {
  backend = await startPostgresBackend()
})
t.teardown(() => backend.close())

for (const mode of ['transactional', 'queue'] as const) {
  t.test(`${mode}: SIGKILL mid-handler, then retries: every effect exactly once`, async (t) => {
    const schema = await backend.freshSchema()
    const env = { DATABASE_URL: backend.server!.url, SCHEMA: schema, MODE: mode }
    const points =
      mode === 'transactional'
        ? ['before-effect', 'after-effect', 'after-commit']
        : ['before-effect', 'after-effect']
    const deliveries = new Map<string, SignedDelivery>()
    for (const point of points) {
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
    }
    const survivor = await startChild(env)
    t.teardown(() => survivor.proc.kill('SIGKILL'))
    for (const delivery of deliveries.values()) {
      await deliverUntilAcknowledged(survivor.port, delivery)
    }
    await until(async () => {
      const [row] = await backend.query<{ n: number }>(
        `select count(*)::int as n from ${schema}.tasks where state <> 'done'`,
      )
      return row?.n === 0
    })
    const effects = await backend.query<{ delivery_id: string; n: number }>(
      `select delivery_id, count(*)::int as n from ${schema}.effects group by delivery_id order by 1`,
    )
    t.same(
      effects,
      [...deliveries.values()]
        .map((d) => ({ delivery_id: d.headers['webhook-id'], n: 1 }))
        .sort((a, b) => a.delivery_id!.localeCompare(b.delivery_id!)),
      'one effect row per event, whatever the crash point',
    )
    const survivorPid = `pid ${survivor.proc.pid}`
    const written = await backend.query<{ handler: string }>(
      `select handler from ${schema}.effects`,
    )
    t.ok(
      written.every((w) => w.handler === survivorPid) || mode === 'transactional',
      'in queue mode every effect was written by the surviving process',
    )
  })
}

t.test('two app processes on one database share the queue and repeat nothing', async (t) => {
  const schema = await backend.freshSchema()
  const env = { DATABASE_URL: backend.server!.url, SCHEMA: schema, MODE: 'queue' }
  const [a, b] = await Promise.all([startChild(env), startChild(env)])
  t.teardown(() => {
    a!.proc.kill('SIGKILL')
    b!.proc.kill('SIGKILL')
  })
  const ids = Array.from({ length: 20 }, (_, i) => `evt_two_${i}`)
  // Every event reaches both processes, as after a retry that lands on the other instance.
  await Promise.all(
    ids.flatMap((id) => {
      const delivery = signedDelivery({ body: orderFilled(), id })
      return [
        deliverUntilAcknowledged(a!.port, delivery),
        deliverUntilAcknowledged(b!.port, delivery),
      ]
    }),
  )
  await until(async () => {
    const [row] = await backend.query<{ n: number }>(
      `select count(*)::int as n from ${schema}.tasks where state = 'done'`,
    )
    return row?.n === ids.length
  })
  const effects = await backend.query<{ delivery_id: string; handler: string }>(
    `select delivery_id, handler from ${schema}.effects`,
  )
  t.equal(effects.length, ids.length, 'one effect per event')
  t.same(new Set(effects.map((e) => e.delivery_id)), new Set(ids))
  const workers = new Set(effects.map((e) => e.handler))
  t.ok(workers.size >= 1, `tasks ran in ${workers.size} process(es)`)
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
