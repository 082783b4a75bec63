/**
 * The delivery engine under the virtual clock: Bluum's ladder to the second, parking, replay,
 * 410 Gone and Retry-After. A scripted transport answers each attempt.
 */
import Fastify from 'fastify'
import t from 'tap'
import {
  createInjectTransport,
  createSandbox,
  type DeliveryRequest,
  type DeliveryResponse,
} from '../mock-server/index.js'

const minute = 60_000
const hour = 60 * minute

function scripted(
  answer: (request: DeliveryRequest, n: number) => Partial<DeliveryResponse> | Error,
) {
  const requests: DeliveryRequest[] = []
  return {
    requests,
    transport: {
      async send(request: DeliveryRequest): Promise<DeliveryResponse> {
        requests.push(request)
        const out = answer(request, requests.length)
        if (out instanceof Error) throw out
        return { status: 200, headers: {}, body: '', ...out }
      },
    },
  }
}

function setup(answer: Parameters<typeof scripted>[0]) {
  const { requests, transport } = scripted(answer)
  const sandbox = createSandbox({ transport, clock: 'virtual' })
  const webhook = sandbox.webhooks.create({
    name: 't',
    url: 'http://receiver.test/hook',
    eventTypeNames: ['order.*'],
  })
  return { sandbox, webhook, requests, start: sandbox.clock.now() }
}

t.test(
  'a failing endpoint gets 6 attempts at 0, 1 min, 6 min, 36 min, 2 h 36 min and 10 h 36 min, then the event is parked',
  async (t) => {
    const { sandbox, webhook, requests, start } = setup(() => ({ status: 500 }))
    t.teardown(() => sandbox.close())
    const event = sandbox.trigger('order.filled')
    await sandbox.idle()
    t.equal(requests.length, 1)
    await sandbox.clock.advance('12h')
    const [delivery] = sandbox.deliveries.list({ webhookId: webhook.id })
    const offsets = delivery!.attempts.map((a) => Date.parse(a.attempted_at) - start)
    t.same(
      offsets,
      [0, 1, 6, 36, 156, 636].map((m) => m * minute),
      'each attempt ran at its own sandbox time',
    )
    const wall = Math.floor(Date.now() / 1000)
    t.ok(
      requests.every((r) => Math.abs(Number(r.headers['webhook-timestamp']) - wall) <= 5),
      'every attempt is signed with wall time, 10 h 36 min of sandbox time later too',
    )
    t.ok(
      requests.every((r) => r.headers['webhook-id'] === event.id),
      'the same evt_ id on every attempt',
    )
    t.ok(
      requests.every((r) => r.body === requests[0]!.body),
      'the same bytes on every attempt',
    )
    t.same(JSON.parse(requests[0]!.body), {
      id: event.id,
      event: 'order.filled',
      timestamp: event.timestamp,
      data: event.data,
    })
    t.match(delivery, { status: 'parked', failure_reason: 'exhausted', next_attempt_at: null })
    t.equal(delivery!.attempts.length, 6)
    t.ok(
      delivery!.attempts.every(
        (a) => a.status_code === 500 && a.error === 'HTTP 500' && !a.succeeded,
      ),
    )
    t.equal(sandbox.clock.pendingTimers(), 0)
  },
)

t.test('connection errors and timeouts are retried too', async (t) => {
  const { sandbox, requests } = setup((_, n) =>
    n === 1
      ? Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
      : { status: 204 },
  )
  t.teardown(() => sandbox.close())
  sandbox.trigger('order.accepted')
  await sandbox.idle()
  const [delivery] = sandbox.deliveries.list()
  t.match(delivery!.attempts[0], { status_code: null, error: /ECONNREFUSED/ })
  t.equal(delivery!.status, 'pending')
  await sandbox.clock.advance('59s')
  t.equal(requests.length, 1, 'not before one minute')
  await sandbox.clock.advance('1s')
  t.equal(requests.length, 2)
  t.equal(delivery!.status, 'delivered')
})

t.test(
  'an answer slower than deliveryTimeoutMs is a failed attempt, retried on the ladder',
  async (t) => {
    const slow = Fastify()
    slow.post('/hook', async () => {
      await new Promise((resolve) => setTimeout(resolve, 300))
      return {}
    })
    const sandbox = createSandbox({ deliveryTimeoutMs: 50, transport: createInjectTransport(slow) })
    t.teardown(async () => {
      await sandbox.close()
      await slow.close()
    })
    sandbox.webhooks.create({ name: 't', url: 'http://app.local/hook', eventTypeNames: ['*'] })
    sandbox.trigger('account.updated')
    await sandbox.idle()
    const [delivery] = sandbox.deliveries.list()
    t.match(delivery!.attempts[0], { status_code: null, error: /BLUUM_SANDBOX_DELIVERY_TIMEOUT/ })
    t.equal(delivery!.status, 'pending')
    t.ok(delivery!.next_attempt_at)
  },
)

t.test(
  'replay one parked delivery: same event id, a fresh ladder, attempts appended',
  async (t) => {
    let up = false
    const { sandbox, requests } = setup(() => ({ status: up ? 200 : 503 }))
    t.teardown(() => sandbox.close())
    const event = sandbox.trigger('order.filled')
    await sandbox.clock.advance('11h')
    const [delivery] = sandbox.deliveries.list()
    t.equal(delivery!.status, 'parked')
    up = true
    sandbox.deliveries.replay(delivery!.id)
    await sandbox.idle()
    t.equal(delivery!.status, 'delivered')
    t.equal(delivery!.attempts.length, 7)
    t.equal(requests.at(-1)!.headers['webhook-id'], event.id)
    t.throws(() => sandbox.deliveries.replay('dlv_nope'), { code: 'BLUM-404-001' })
  },
)

t.test('replay all parked deliveries since a time', async (t) => {
  let up = false
  const { sandbox, requests } = setup(() => ({ status: up ? 200 : 500 }))
  t.teardown(() => sandbox.close())
  sandbox.trigger('order.accepted')
  await sandbox.clock.advance('1h')
  const since = sandbox.clock.now()
  sandbox.trigger('order.filled')
  sandbox.trigger('order.canceled')
  await sandbox.clock.advance('12h')
  t.equal(sandbox.deliveries.list({ status: 'parked' }).length, 3)
  up = true
  const before = requests.length
  const replayed = sandbox.deliveries.replayFailed({ sinceMs: since })
  await sandbox.idle()
  t.same(replayed.map((d) => d.event).sort(), ['order.canceled', 'order.filled'])
  t.equal(requests.length, before + 2)
  t.equal(sandbox.deliveries.list({ status: 'parked' }).length, 1, 'the older one stays parked')
})

t.test('410 Gone disables the webhook at once; later events are not sent', async (t) => {
  const { sandbox, webhook, requests } = setup(() => ({ status: 410 }))
  t.teardown(() => sandbox.close())
  sandbox.trigger('order.filled')
  await sandbox.idle()
  t.equal(webhook.status, 'inactive')
  t.match(webhook.disabled_reason, /410/)
  t.match(sandbox.deliveries.list()[0], { status: 'parked', failure_reason: 'gone' })
  sandbox.trigger('order.filled')
  await sandbox.clock.advance('12h')
  t.equal(requests.length, 1)
  t.throws(() => sandbox.deliveries.replay(sandbox.deliveries.list()[0]!.id), {
    code: 'BLUM-409-003',
  })
})

t.test('Retry-After on 429 and 503 replaces the ladder step (seconds or HTTP date)', async (t) => {
  const table = [
    { status: 429, retryAfter: '120', expectedMs: 120_000 },
    { status: 503, retryAfter: '5', expectedMs: 5_000 },
    { status: 500, retryAfter: '5', expectedMs: minute },
  ]
  for (const row of table) {
    const { sandbox, requests, start } = setup((_, n) =>
      n === 1
        ? { status: row.status, headers: { 'retry-after': row.retryAfter } }
        : { status: 200 },
    )
    sandbox.trigger('order.filled')
    await sandbox.idle()
    const [delivery] = sandbox.deliveries.list()
    t.equal(
      Date.parse(delivery!.next_attempt_at!) - start,
      row.expectedMs,
      `${row.status} Retry-After ${row.retryAfter}`,
    )
    await sandbox.clock.advance(row.expectedMs)
    t.equal(requests.length, 2)
    await sandbox.close()
  }
  const { sandbox, start } = setup((_, n) =>
    n === 1
      ? { status: 503, headers: { 'retry-after': new Date(Date.now() + 3 * hour).toUTCString() } }
      : { status: 200 },
  )
  t.teardown(() => sandbox.close())
  sandbox.trigger('order.filled')
  await sandbox.idle()
  const wait = Date.parse(sandbox.deliveries.list()[0]!.next_attempt_at!) - start
  t.ok(Math.abs(wait - 3 * hour) < 2000, 'an HTTP-date Retry-After is honoured')
})

t.test(
  'subscriptions match exact names and domain wildcards, three segments included',
  async (t) => {
    const { requests, transport } = scripted(() => ({ status: 200 }))
    const sandbox = createSandbox({ transport })
    t.teardown(() => sandbox.close())
    sandbox.webhooks.create({ name: 'a', url: 'http://a.test/', eventTypeNames: ['transfer.*'] })
    sandbox.webhooks.create({ name: 'b', url: 'http://b.test/', eventTypeNames: ['order.filled'] })
    for (const name of [
      'transfer.deposit.completed',
      'transfer.withdrawal.failed',
      'order.filled',
      'order.accepted',
      'transferx.y',
    ]) {
      sandbox.trigger(name, {}, { custom: name === 'transferx.y' })
    }
    await sandbox.idle()
    t.same(requests.map((r) => `${new URL(r.url).host} ${JSON.parse(r.body).event}`).sort(), [
      'a.test transfer.deposit.completed',
      'a.test transfer.withdrawal.failed',
      'b.test order.filled',
    ])
  },
)

t.test('deleting a webhook cancels its pending retries', async (t) => {
  const { sandbox, webhook, requests } = setup(() => ({ status: 500 }))
  t.teardown(() => sandbox.close())
  sandbox.trigger('order.filled')
  await sandbox.idle()
  sandbox.webhooks.delete(webhook.id)
  await sandbox.clock.advance('12h')
  t.equal(requests.length, 1)
  t.match(sandbox.deliveries.list()[0], { status: 'cancelled', failure_reason: 'webhook_deleted' })
})
