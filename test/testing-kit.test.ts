import Fastify from 'fastify'
import t from 'tap'
import bluumWebhooks, { verifyBluumSignature } from '../plugin/index.js'
import {
  buildEvent,
  createContractHarness,
  sampleInvestorRequest,
  signBluumWebhook,
  type ContractEnvironment,
} from '../mock-server/testing/index.js'
import { randomSecret, TEST_SECRET } from './helpers/sign.js'

/** A small app: the plugin and a recorder of handled events. */
async function recorderApp(env: ContractEnvironment) {
  const app = Fastify()
  await app.register(bluumWebhooks, { secret: env.webhookSecret })
  const handled: string[] = []
  app.bluum.onAny((event) => void handled.push(`${event.event}:${event.id}`))
  app.decorate('handled', handled)
  return app
}
const handledBy = (app: object) => (app as { handled: string[] }).handled

t.test('buildEvent: a valid typed envelope, overrides on top, arguments untouched', async (t) => {
  const overrides = Object.freeze({ symbol: 'MSFT', metadata: Object.freeze({ tag: 'a' }) })
  const event = buildEvent('order.filled', overrides, { id: 'evt_fixed' })
  t.equal(event.event, 'order.filled')
  t.equal(event.id, 'evt_fixed')
  t.equal(event.data.symbol, 'MSFT')
  t.equal(event.data.status, 'filled')
  t.match(event.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  t.not(event.data.metadata, overrides.metadata, 'the result shares nothing with the overrides')
  t.same(overrides, { symbol: 'MSFT', metadata: { tag: 'a' } })
  t.not(buildEvent('order.filled').id, buildEvent('order.filled').id, 'fresh ids')
})

t.test(
  'buildEvent + signBluumWebhook deliver every catalog event through the plugin',
  async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(bluumWebhooks, { secret: TEST_SECRET })
    const seen: string[] = []
    app.bluum.onAny((event) => void seen.push(event.event))
    const { bluumEventNames } = await import('../plugin/catalog.js')
    for (const name of bluumEventNames) {
      const signed = signBluumWebhook({ event: buildEvent(name), secret: TEST_SECRET })
      const res = await app.inject({ method: 'POST', url: '/webhooks/bluum', ...signed })
      t.equal(res.statusCode, 200, `${name}: ${res.body}`)
    }
    t.same(seen, [...bluumEventNames])
  },
)

t.test('signBluumWebhook: envelope id as webhook-id, rotation entries, no mutation', async (t) => {
  const event = Object.freeze(buildEvent('transfer.deposit.completed', {}, { id: 'evt_1' }))
  const [a, b] = [randomSecret(), randomSecret()]
  const signed = signBluumWebhook({ event, secret: [a, b], timestamp: 1_800_000_000 })
  t.equal(signed.headers['webhook-id'], 'evt_1')
  t.equal(signed.headers['webhook-signature'].split(' ').length, 2)
  t.equal(signed.payload, JSON.stringify(event))
  for (const secret of [a, b]) {
    const result = verifyBluumSignature({
      payload: signed.payload,
      headers: signed.headers,
      secret,
      nowSeconds: 1_800_000_000,
    })
    t.equal(result.ok, true)
  }
  const raw = signBluumWebhook({ event: '{"x":1}', secret: a, id: 'evt_raw' })
  t.equal(raw.payload, '{"x":1}')
  t.equal(raw.headers['webhook-id'], 'evt_raw')
  t.match(signBluumWebhook({ event: {}, secret: a }).headers['webhook-id'], /^evt_/)
})

t.test('harness: the app receives what the sandbox emits, once each', async (t) => {
  const harness = await createContractHarness({ app: recorderApp, faults: { duplicates: 1 } })
  t.teardown(() => harness.close())
  const event = harness.sandbox.trigger('order.filled', { symbol: 'NVDA' })
  const [delivery] = await harness.waitForAcknowledged('order.filled')
  t.equal(delivery?.event_id, event.id)
  t.same(handledBy(harness.app), [`order.filled:${event.id}`])
  t.same(
    harness.attempts('order.filled').map((a) => [a.status_code, a.fault]),
    [
      [200, null],
      [200, 'duplicate'],
    ],
  )
  harness.expectSettled()
})

t.test('harness: a failing handler is retried on the ladder until it succeeds', async (t) => {
  const harness = await createContractHarness({ app: recorderApp })
  t.teardown(() => harness.close())
  harness.failHandler('transfer.*', 2)
  const start = harness.sandbox.clock.now()
  const event = harness.sandbox.trigger('transfer.deposit.completed')
  await harness.waitForAcknowledged('transfer.deposit.completed')
  const attempts = harness.attempts('transfer.deposit.completed')
  t.same(
    attempts.map((a) => a.status_code),
    [500, 500, 200],
  )
  t.same(
    attempts.map((a) => (Date.parse(a.attempted_at) - start) / 60_000),
    [0, 1, 6],
    'Bluum ladder: now, +1 min, +5 min',
  )
  t.same(handledBy(harness.app), Array(3).fill(`transfer.deposit.completed:${event.id}`))
  t.throws(() => harness.failHandler('order.*', 0), { code: 'BLUUM_HARNESS_INVALID_OPTION' })
})

t.test('harness: an app that never succeeds ends parked, and the checks say so', async (t) => {
  const harness = await createContractHarness({ app: recorderApp })
  t.teardown(() => harness.close())
  harness.failHandler('document.rejected', 100)
  harness.sandbox.trigger('document.rejected')
  await t.rejects(harness.waitForAcknowledged('document.rejected'), {
    code: 'BLUUM_HARNESS_NOT_ACKNOWLEDGED',
    message: /document\.rejected #6 → 500 BLUUM_HANDLER_FAILED \(/,
  })
  await harness.runLadder()
  t.equal(harness.attempts('document.rejected').length, 6)
  t.match(harness.unsettled(), [{ event: 'document.rejected', status: 'parked' }])
  t.throws(() => harness.expectSettled(), {
    code: 'BLUUM_HARNESS_UNSETTLED',
    message: /document\.rejected .*parked/,
  })
})

t.test('harness: a skewed clock is refused by the app, and recovers when fixed', async (t) => {
  const harness = await createContractHarness({ app: recorderApp, clockSkewMs: -600_000 })
  t.teardown(() => harness.close())
  harness.sandbox.trigger('account.updated')
  await harness.sandbox.idle()
  t.same(
    harness.attempts().map((a) => a.status_code),
    [401],
  )
  harness.skewClock(0)
  await harness.waitForAcknowledged('account.updated')
  t.same(
    harness.attempts().map((a) => a.status_code),
    [401, 200],
  )
})

t.test('harness: reordered deliveries are all handled once', async (t) => {
  const harness = await createContractHarness({ app: recorderApp, faults: { reorder: true } })
  t.teardown(() => harness.close())
  const first = harness.sandbox.trigger('order.accepted')
  const second = harness.sandbox.trigger('order.filled')
  await harness.runLadder()
  t.same(handledBy(harness.app), [`order.filled:${second.id}`, `order.accepted:${first.id}`])
  harness.expectSettled()
})

t.test('harness over real HTTP: the app listens on 127.0.0.1 and calls the API', async (t) => {
  const harness = await createContractHarness({ app: recorderApp, transport: 'http' })
  t.teardown(() => harness.close())
  t.match(harness.sandbox.webhooks.get(harness.webhook.id).url, /^http:\/\/127\.0\.0\.1:\d+\//)
  const investor = await harness.api(
    'POST',
    '/investors',
    sampleInvestorRequest({ email: 'grace@example.com' }),
  )
  t.equal(investor.status, 201)
  await harness.waitForAcknowledged('account.created')
  t.match(handledBy(harness.app), [`account.created:`])
  const missing = await harness.api('GET', '/investors/inv_nope')
  t.match(missing, { status: 404, body: { error: { code: 'BLUM-404-001' } } })
})

t.test('harness options are checked', async (t) => {
  await t.rejects(createContractHarness({ app: 5 as never }), {
    code: 'BLUUM_HARNESS_INVALID_OPTION',
  })
  await t.rejects(createContractHarness({ app: recorderApp, path: 'x' }), {
    code: 'BLUUM_HARNESS_INVALID_OPTION',
  })
  await t.rejects(createContractHarness({ app: recorderApp, transport: 'ws' as never }), {
    code: 'BLUUM_HARNESS_INVALID_OPTION',
  })
})
