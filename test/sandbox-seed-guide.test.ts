/**
 * Bluum's webhook guide, end to end against the standalone server over real HTTP, with request
 * bodies Bluum itself accepts: register a webhook, create an investor, link a bank account and
 * fund the investor, place an order on the legacy route, receive signed events at a plugin-backed
 * receiver, then move the webhook and see the next events follow it.
 */
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import bluumWebhooks from '../plugin/index.js'
import {
  createSandbox,
  createSandboxServer,
  sampleFundingSourceRequest,
  sampleInvestorRequest,
} from '../mock-server/index.js'

const auth = 'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

async function startReceiver(t: Test, secret: string, path: string) {
  const app = Fastify()
  const received: { event: string; id?: string }[] = []
  let notify: () => void = () => undefined
  await app.register(bluumWebhooks, { secret, path })
  app.bluum.on('order.*', async (event) => {
    received.push({ event: event.event, ...(event.id ? { id: event.id } : {}) })
    notify()
  })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const waitFor = (count: number) =>
    new Promise<void>((resolve) => {
      notify = () => received.length >= count && resolve()
      notify()
    })
  return { url: address + path, received, waitFor }
}

t.test('the seed guide: register, trade, receive signed events, move the webhook', async (t) => {
  const sandbox = createSandbox()
  const server = createSandboxServer(sandbox)
  const base = (await server.listen({ port: 0, host: '127.0.0.1' })) + '/v1'
  t.teardown(async () => {
    await server.close()
    await sandbox.close()
  })
  const api = async (method: string, path: string, body?: unknown, key?: string) => {
    const response = await fetch(base + path, {
      method,
      headers: {
        authorization: auth,
        'content-type': 'application/json',
        ...(key ? { 'idempotency-key': key } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: response.status, body: (await response.json()) as Record<string, any> }
  }

  // The webhook's secret is only known once it is created, so the receivers start afterwards
  // on paths of their own; the first one is registered with a placeholder URL, then patched.
  const created = await api('POST', '/webhooks', {
    name: 'orders and transfers',
    url: 'http://127.0.0.1:9/unused',
    eventTypeNames: ['order.*', 'transfer.*'],
  })
  t.equal(created.status, 201)
  t.match(created.body, {
    object: 'webhook',
    status: 'active',
    event_type_names: ['order.*', 'transfer.*'],
  })
  t.match(created.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
  t.equal(Buffer.from(created.body.secret.slice(6), 'base64').length, 32)

  const first = await startReceiver(t, created.body.secret, '/webhooks/bluum')
  const second = await startReceiver(t, created.body.secret, '/hooks/bluum-v2')
  t.equal((await api('PATCH', `/webhooks/${created.body.id}`, { url: first.url })).status, 200)

  const investor = await api('POST', '/investors', sampleInvestorRequest())
  t.equal(investor.status, 201)
  t.match(investor.body, { id: /^inv_/, status: 'onboarding', balance: '0.00' })
  t.match((await api('GET', `/investors/${investor.body.id}`)).body, { status: 'active' })
  const bank = await api(
    'POST',
    `/investors/${investor.body.id}/funding-sources/connect`,
    sampleFundingSourceRequest(),
  )
  t.match(bank, { status: 201, body: { id: /^fs_/, object: 'funding_source', mask: '5678' } })
  const deposit = await api(
    'POST',
    `/investors/${investor.body.id}/deposits`,
    { amount: '5000.00', currency: 'USD', method: 'ach', funding_source_id: bank.body.id },
    'seed-deposit-1',
  )
  t.match(deposit, { status: 201, body: { id: /^dep_/, status: 'pending', amount: '5000.00' } })
  await api('POST', '/sandbox/clock/advance', { duration: '3s' })
  const funded = await api('GET', `/investors/${investor.body.id}/deposits/${deposit.body.id}`)
  t.equal(funded.body.status, 'completed')
  const wallet = await api('GET', `/investors/${investor.body.id}/wallets`)
  t.equal(wallet.body.data[0].balance, '5000.00', 'the deposit is in the wallet')

  const order = await api('POST', `/trading/accounts/${investor.body.id}/orders`, {
    symbol: 'AAPL',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
    qty: '1',
  })
  t.equal(order.status, 201)
  t.match(order.body, {
    status: 'filled',
    qty: '1',
    filled_qty: '1',
    remaining_qty: '0',
    average_price: '178.50',
    account_id: investor.body.id,
  })
  t.notOk('filled_quantity' in order.body, 'the legacy route answers in its own shape')
  await first.waitFor(2)
  await sandbox.idle()
  t.same(first.received.map((r) => r.event).sort(), ['order.accepted', 'order.filled'])
  t.ok(
    first.received.every((r) => r.id?.startsWith('evt_')),
    'every event carries its evt_ id',
  )

  const patched = await api('PATCH', `/webhooks/${created.body.id}`, {
    url: second.url,
    description: 'moved to v2',
  })
  t.match(patched.body, { url: second.url, description: 'moved to v2' })
  t.notOk('secret' in patched.body, 'the secret is only shown on create and rotate')

  await api('POST', `/investors/${investor.body.id}/orders`, {
    symbol: 'MSFT',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
    quantity: '2',
  })
  await second.waitFor(2)
  await sandbox.idle()
  t.same(second.received.map((r) => r.event).sort(), ['order.accepted', 'order.filled'])
  t.equal(first.received.length, 2, 'the old URL gets nothing more')

  const deliveries = await api('GET', `/sandbox/webhooks/${created.body.id}/deliveries?limit=200`)
  t.same(deliveries.body.data.map((d: any) => d.event).sort(), [
    'order.accepted',
    'order.accepted',
    'order.filled',
    'order.filled',
    'transfer.deposit.completed',
    'transfer.deposit.initiated',
  ])
  t.ok(
    deliveries.body.data.every(
      (d: any) => d.status === 'delivered' && d.attempts[0].status_code === 200,
    ),
  )
})
