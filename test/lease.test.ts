/**
 * The claim's lifetime in the pipeline, with the memory store: it is renewed while handlers run
 * past `leaseMs`, and a completion or release the store refused is retried within the lease
 * (after the answer), which closing the app waits for.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import bluumWebhooks, { createMemoryStore, type BluumWebhooksOptions } from '../plugin/index.js'
import type { DedupeStore } from '../plugin/store.js'
import { deliver } from './helpers/app.js'
import { orderFilled, signedDelivery, TEST_SECRET } from './helpers/sign.js'

/** A promise and its resolver, to hold a handler or a store call until the test lets it go. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}

interface LogLine {
  level: number
  msg: string
  deliveryId?: string
  attempt?: number
}

/** An app whose log lines are kept; `logged(re)` resolves with the first line matching `re`. */
async function buildLoggedApp(t: Test, options: BluumWebhooksOptions) {
  const lines: LogLine[] = []
  const waiters: Array<{ re: RegExp; resolve: (line: LogLine) => void }> = []
  const app: FastifyInstance = Fastify({
    logger: {
      level: 'info',
      stream: {
        write(text: string) {
          const line = JSON.parse(text) as LogLine
          lines.push(line)
          for (const w of waiters.filter((w) => w.re.test(line.msg))) w.resolve(line)
        },
      },
    },
  })
  t.teardown(() => app.close())
  await app.register(bluumWebhooks, { secret: TEST_SECRET, ...options })
  const logged = (re: RegExp) =>
    new Promise<LogLine>((resolve) => {
      const seen = lines.find((line) => re.test(line.msg))
      if (seen) resolve(seen)
      else waiters.push({ re, resolve })
    })
  return { app, lines, logged }
}

const unavailable = () =>
  Object.assign(new Error('Redis complete failed: connection closed'), {
    code: 'BLUUM_REDIS_UNAVAILABLE',
  })

t.test(
  'a handler that outlives leaseMs keeps its claim: retries during and after the first lease get 409, it runs once',
  async (t) => {
    // The store's clock is driven by the test; the renewals run on real timers (a third of the
    // lease), and each step waits for a renewal made after the clock moved, not for a duration.
    const claimedAt = 1_000_000
    let clock = claimedAt
    const inner = createMemoryStore({ now: () => clock })
    const renewedAt: number[] = []
    let renewSeen: (() => void) | undefined
    let completed: boolean | undefined
    const store: DedupeStore = {
      claim: (key, leaseMs) => inner.claim(key, leaseMs),
      complete: (key, token, ttlMs) => (completed = inner.complete(key, token, ttlMs)),
      release: (key, token) => inner.release(key, token),
      async renew(key, token, leaseMs) {
        renewedAt.push(clock)
        renewSeen?.()
        return inner.renew(key, token, leaseMs)
      },
    }
    const renewedSince = async (at: number) => {
      while (!renewedAt.some((c) => c >= at)) await new Promise<void>((r) => (renewSeen = r))
    }
    const leaseMs = 300
    const { app, lines } = await buildLoggedApp(t, { store, leaseMs, ackTimeoutMs: 100 })
    const slow = gate()
    let runs = 0
    app.bluum.on('order.filled', async () => {
      runs++
      await slow.opened
    })
    const delivery = signedDelivery({ body: orderFilled() })

    const first = await deliver(app, delivery)
    t.equal(first.statusCode, 503, 'answered at the acknowledgement deadline, still running')
    t.match(first.json(), { code: 'BLUUM_ACK_TIMEOUT' })

    for (const offset of [200, 450, 700, 950]) {
      // Each step passes the expiry the claim had before the last renewal seen.
      await renewedSince(clock)
      clock = claimedAt + offset
      const retry = await deliver(app, delivery)
      t.equal(retry.statusCode, 409, `a retry ${offset} ms after the claim meets it`)
      t.match(retry.json(), { code: 'BLUUM_DELIVERY_IN_FLIGHT' })
    }
    t.ok(clock > claimedAt + 3 * leaseMs, 'three leases have passed on the store clock')
    t.equal(runs, 1)

    slow.open()
    while (completed === undefined) await new Promise((resolve) => setImmediate(resolve))
    t.equal(await completed, true, 'the long run completed its own claim')
    t.same((await deliver(app, delivery)).json(), { received: true, duplicate: true })
    t.equal(runs, 1, 'never a second run')
    t.same(
      lines.filter((line) => line.level >= 40),
      [],
      'no warning: the claim was never lost',
    )
  },
)

t.test(
  'a store without renew(): the claim lapses under a long handler and a retry runs it again (what is lost)',
  async (t) => {
    let clock = 1_000_000
    const inner = createMemoryStore({ now: () => clock })
    let completed: boolean | undefined
    const store: DedupeStore = {
      claim: (key, leaseMs) => inner.claim(key, leaseMs),
      complete: (key, token, ttlMs) => (completed = inner.complete(key, token, ttlMs)),
      release: (key, token) => inner.release(key, token),
    }
    const { app, logged } = await buildLoggedApp(t, { store, leaseMs: 300, ackTimeoutMs: 100 })
    const slow = gate()
    let runs = 0
    app.bluum.on('order.filled', async () => {
      if (++runs === 1) await slow.opened
    })
    const delivery = signedDelivery({ body: orderFilled() })
    t.equal((await deliver(app, delivery)).statusCode, 503)
    t.match(await logged(/no renew\(\)/), { level: 40 }, 'the operator is told')

    clock += 301
    t.same((await deliver(app, delivery)).json(), { received: true }, 'the retry took over')
    t.equal(runs, 2)
    slow.open()
    while (completed === undefined) await new Promise((resolve) => setImmediate(resolve))
    await logged(/taken over before completion/)
    t.same((await deliver(app, delivery)).json(), { received: true, duplicate: true })
  },
)

t.test(
  'a completion the store refused is retried after the answer; meanwhile the claim turns repeats away',
  async (t) => {
    const inner = createMemoryStore()
    const third = gate()
    let calls = 0
    let recorded: boolean | undefined
    const store: DedupeStore = {
      claim: (key, leaseMs) => inner.claim(key, leaseMs),
      async complete(key, token, ttlMs) {
        if (++calls <= 2) throw unavailable()
        await third.opened
        return (recorded = inner.complete(key, token, ttlMs))
      },
      release: (key, token) => inner.release(key, token),
      renew: (key, token, leaseMs) => inner.renew(key, token, leaseMs),
    }
    const { app, lines, logged } = await buildLoggedApp(t, {
      store,
      leaseMs: 60_000,
      ackTimeoutMs: 1000,
    })
    let runs = 0
    app.bluum.on('order.filled', () => void runs++)
    const delivery = signedDelivery({ body: orderFilled() })

    t.same(
      (await deliver(app, delivery)).json(),
      { received: true },
      'the handlers succeeded: 200 at once, without waiting for the retries',
    )
    t.match(
      lines.find((line) => /complete failed/.test(line.msg)),
      { level: 40 },
    )
    const meanwhile = await deliver(app, delivery)
    t.equal(meanwhile.statusCode, 409, 'a repeat while the completion is retried meets the claim')
    t.equal(runs, 1)

    while (calls < 3) await new Promise((resolve) => setTimeout(resolve, 10))
    third.open()
    t.match(await logged(/complete recorded after retrying/), { level: 30, attempt: 3 })
    t.equal(await recorded, true)
    t.same((await deliver(app, delivery)).json(), { received: true, duplicate: true })
    t.equal(runs, 1, 'handled exactly once')
    t.same(
      lines.filter((line) => line.level >= 50),
      [],
    )
  },
)

t.test(
  'a completion the store keeps refusing is retried until the lease ends, then logged; a retry after the lease runs again',
  async (t) => {
    let clock = 1_000_000
    const inner = createMemoryStore({ now: () => clock })
    let calls = 0
    const store: DedupeStore = {
      claim: (key, leaseMs) => inner.claim(key, leaseMs),
      complete: async () => {
        calls++
        throw unavailable()
      },
      release: (key, token) => inner.release(key, token),
      renew: (key, token, leaseMs) => inner.renew(key, token, leaseMs),
    }
    // Long enough for several retries even on a busy machine (50, 100, 200, 400, 800 ms...).
    const leaseMs = 2000
    const { app, logged } = await buildLoggedApp(t, { store, leaseMs, ackTimeoutMs: 1000 })
    let runs = 0
    app.bluum.on('order.filled', () => void runs++)
    const delivery = signedDelivery({ body: orderFilled() })

    t.same((await deliver(app, delivery)).json(), { received: true })
    const gaveUp = await logged(/processed but not recorded as done within its lease/)
    t.equal(gaveUp.level, 50, 'an error: this event will run again')
    t.ok(calls >= 2, `the completion was tried ${calls} times`)
    const tried = calls
    await new Promise((resolve) => setTimeout(resolve, 100))
    t.equal(calls, tried, 'no attempt after giving up')

    clock += leaseMs + 1
    t.same((await deliver(app, delivery)).json(), { received: true })
    t.equal(runs, 2, 'the retry after the lease ran the handlers again')
  },
)

t.test('closing the app waits for a completion that is being retried', async (t) => {
  const inner = createMemoryStore()
  const second = gate()
  let calls = 0
  const store: DedupeStore = {
    claim: (key, leaseMs) => inner.claim(key, leaseMs),
    async complete(key, token, ttlMs) {
      if (++calls === 1) throw unavailable()
      await second.opened
      return inner.complete(key, token, ttlMs)
    },
    release: (key, token) => inner.release(key, token),
    renew: (key, token, leaseMs) => inner.renew(key, token, leaseMs),
  }
  const { app } = await buildLoggedApp(t, { store, leaseMs: 60_000, ackTimeoutMs: 1000 })
  app.bluum.on('order.filled', () => {})
  const delivery = signedDelivery({ body: orderFilled() })
  t.same((await deliver(app, delivery)).json(), { received: true })

  let closed = false
  const closing = app.close().then(() => (closed = true))
  while (calls < 2) await new Promise((resolve) => setTimeout(resolve, 10))
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(closed, false, 'close() is still waiting for the completion')
  second.open()
  await closing
  t.same(
    await inner.claim(delivery.headers['webhook-id']!, 1000),
    { status: 'done' },
    'recorded before close() returned',
  )
})

t.test(
  'a release the store refused is retried, so the next retry runs the handlers without waiting for the lease',
  async (t) => {
    const inner = createMemoryStore()
    let calls = 0
    let released: boolean | undefined
    const store: DedupeStore = {
      claim: (key, leaseMs) => inner.claim(key, leaseMs),
      complete: (key, token, ttlMs) => inner.complete(key, token, ttlMs),
      async release(key, token) {
        if (++calls === 1) throw unavailable()
        return (released = inner.release(key, token))
      },
      renew: (key, token, leaseMs) => inner.renew(key, token, leaseMs),
    }
    const { app, logged } = await buildLoggedApp(t, {
      store,
      leaseMs: 60_000,
      ackTimeoutMs: 1000,
    })
    let runs = 0
    app.bluum.on('order.filled', () => {
      if (++runs === 1) throw new Error('downstream unavailable')
    })
    const delivery = signedDelivery({ body: orderFilled() })
    const first = await deliver(app, delivery)
    t.equal(first.statusCode, 500)
    t.match(first.json(), { code: 'BLUUM_HANDLER_FAILED' })
    await logged(/release recorded after retrying/)
    t.equal(await released, true)
    t.same((await deliver(app, delivery)).json(), { received: true }, 'well within the lease')
    t.equal(runs, 2)
  },
)
