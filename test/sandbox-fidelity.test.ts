/**
 * Fidelity to Bluum's published documentation, through the Fastify face: every catalogued event
 * comes from a real request (no `trigger`), the documented routes answer in their documented
 * shapes, and lists page as "How the API works" says (50 by default, at most 200).
 */
import t from 'tap'
import { bluumEventNames } from '../plugin/catalog.js'
import {
  createSandbox,
  createSandboxServer,
  sampleFundingSourceRequest,
  sampleInvestorRequest,
} from '../mock-server/index.js'

const authorization =
  'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

async function setup(
  t: { teardown(fn: () => unknown): void },
  options: Parameters<typeof createSandbox>[0] = {},
) {
  const sandbox = createSandbox({
    transport: { send: async () => ({ status: 200, headers: {}, body: '' }) },
    ...options,
  })
  const server = createSandboxServer(sandbox)
  t.teardown(async () => {
    await server.close()
    await sandbox.close()
  })
  let keys = 0
  const call = async (method: string, url: string, body?: unknown, idempotent = false) => {
    const response = await server.inject({
      method: method as 'POST',
      url: `/v1${url}`,
      headers: {
        authorization,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(idempotent ? { 'idempotency-key': `key-${++keys}` } : {}),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    })
    return { status: response.statusCode, body: response.json() as any }
  }
  return { sandbox, server, call }
}

const market = { symbol: 'AAPL', side: 'buy', type: 'market', time_in_force: 'day' }

t.test('every catalogued event is emitted by a real request, none by trigger', async (t) => {
  const { sandbox, server, call } = await setup(t, { initialCash: '1000.00' })
  const investor = (await call('POST', '/investors', sampleInvestorRequest())).body
  const id = investor.id as string
  t.equal((await call('PATCH', `/investors/${id}`, { phone: '+14155550000' })).status, 200)
  const fs = (await call('POST', `/investors/${id}/funding-sources`, sampleFundingSourceRequest()))
    .body.id

  // Orders: fill, partial fill, cancel, reject (not enough buying power).
  await call('POST', `/investors/${id}/orders`, { ...market, quantity: '1' })
  await call('PATCH', '/sandbox/settings', { partial_fills: true })
  await call('POST', `/investors/${id}/orders`, { ...market, quantity: '2' })
  await call('POST', '/sandbox/clock/advance', { duration: '1s' })
  await call('PATCH', '/sandbox/settings', { partial_fills: false })
  const resting = await call('POST', `/investors/${id}/orders`, {
    ...market,
    type: 'limit',
    time_in_force: 'gtc',
    quantity: '1',
    limit_price: '100.00',
  })
  await call('POST', `/investors/${id}/orders/${resting.body.id}/cancel`)
  t.match(await call('POST', `/investors/${id}/orders`, { ...market, quantity: '100' }), {
    status: 201,
    body: { status: 'failed', failure_reason: 'insufficient_buying_power' },
  })

  // Transfers: a normal amount completes, the magic .13 fails.
  const deposit = (amount: string) =>
    call('POST', `/investors/${id}/deposits`, { amount, method: 'ach' }, true)
  const withdraw = (amount: string) =>
    call(
      'POST',
      `/investors/${id}/withdrawals`,
      { amount, method: 'ach', funding_source_id: fs },
      true,
    )
  await deposit('100.00')
  await deposit('100.13')
  await withdraw('10.00')
  await withdraw('10.13')
  await call('POST', '/sandbox/clock/advance', { duration: '3s' })

  // Documents and KYC: a second investor waits for a KYC document; the first upload is rejected.
  await call('PATCH', '/sandbox/settings', { kyc_mode: 'document' })
  const pending = (await call('POST', '/investors', sampleInvestorRequest({ email: 'p@x.io' })))
    .body
  const upload = async () => {
    const form = new FormData()
    form.append('document', new Blob([Buffer.from('jpeg')], { type: 'image/jpeg' }), 'id.jpg')
    form.append('document_type', 'passport')
    form.append('purpose', 'KYC')
    form.append('investor_id', pending.id)
    const request = new Request('http://x/', { method: 'POST', body: form })
    return server.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: { authorization, 'content-type': request.headers.get('content-type')! },
      payload: Buffer.from(await request.arrayBuffer()),
    })
  }
  await call('POST', '/sandbox/documents/reject-next', { reason: 'blurry' })
  t.equal((await upload()).json().status, 'rejected')
  t.equal((await upload()).json().status, 'approved')

  const emitted = new Set(sandbox.events().map((e) => e.event))
  t.same([...emitted].sort(), [...bluumEventNames].sort(), 'every catalog event, nothing else')
  const types = (await call('GET', '/webhooks/event-types')).body.data
  t.same(
    types.map((e: any) => e.name),
    [...bluumEventNames],
  )
  t.same(
    types.filter((e: any) => e.sandbox_only).map((e: any) => e.name),
    ['kyc.verification.rejected'],
    'the one event Bluum does not document is marked sandbox-only',
  )
})

t.test('lists page 50 by default, 200 at most, with has_more when it is', async (t) => {
  const { sandbox, call } = await setup(t)
  for (let i = 0; i < 201; i++)
    sandbox.investors.create(sampleInvestorRequest({ email: `i${i}@x.io` }))
  const first = await call('GET', '/investors')
  t.match(first.body, { object: 'list', url: '/v1/investors', has_more: true })
  t.equal(first.body.data.length, 50)
  const max = await call('GET', '/investors?limit=200')
  t.equal(max.body.data.length, 200)
  t.equal(max.body.has_more, true)
  const last = await call('GET', '/investors?limit=200&offset=200')
  t.equal(last.body.data.length, 1)
  t.equal(last.body.has_more, false)
  t.match(await call('GET', '/investors?limit=201'), {
    status: 400,
    body: { error: { code: 'BLUM-400-001', param: 'limit' } },
  })
})

t.test('positions, wallets, funding sources and cancellation over HTTP', async (t) => {
  const { call } = await setup(t)
  const id = (await call('POST', '/investors', sampleInvestorRequest())).body.id
  await call('POST', `/investors/${id}/orders`, { ...market, quantity: '2' })
  const positions = (await call('GET', `/investors/${id}/positions`)).body
  t.match(positions, {
    object: 'list',
    has_more: false,
    data: [{ object: 'position', symbol: 'AAPL', quantity: '2', market_value: '357.00' }],
  })
  t.match(await call('GET', `/investors/${id}/positions/${positions.data[0].id}`), {
    status: 200,
    body: { symbol: 'AAPL', total_cost_basis: '357.00' },
  })
  t.match(await call('GET', `/investors/${id}/positions/pos_nope`), {
    status: 404,
    body: { error: { code: 'BLUM-404-001', param: 'position_id' } },
  })
  t.match((await call('GET', `/investors/${id}/wallets`)).body.data, [
    { object: 'wallet', currency: 'USD', balance: '99643.00', status: 'active' },
  ])
  const fs = await call('POST', `/investors/${id}/funding-sources`, sampleFundingSourceRequest())
  t.match(fs, { status: 201, body: { id: /^fs_/, status: 'active', mask: '5678' } })
  t.notOk('account_number' in fs.body, 'the full account number is never echoed')
  t.match((await call('GET', `/investors/${id}/funding-sources?type=manual`)).body.data, [
    { id: fs.body.id },
  ])
  t.same((await call('GET', `/investors/${id}/funding-sources?type=plaid`)).body.data, [])
  t.match(await call('GET', `/investors/${id}/funding-sources/fs_nope`), {
    status: 404,
    body: { error: { code: 'BLUM-404-001', param: 'funding_source_id' } },
  })

  const manual = await call(
    'POST',
    `/investors/${id}/deposits`,
    { amount: '50.00', method: 'manual_bank_transfer' },
    true,
  )
  t.match(manual.body, {
    status: 'pending',
    method_details: { referenceCode: /^BLUUM-/, bankDetails: { instructions: /BLUUM-/ } },
  })
  t.match(await call('POST', `/investors/${id}/deposits/${manual.body.id}/cancel`), {
    status: 200,
    body: { status: 'cancelled' },
  })
  t.match(await call('POST', `/investors/${id}/deposits/${manual.body.id}/cancel`), {
    status: 409,
    body: { error: { code: 'BLUM-409-003', param: 'deposit_id' } },
  })
  const wd = await call(
    'POST',
    `/investors/${id}/withdrawals`,
    { amount: '40.00', method: 'manual_bank_transfer', funding_source_id: fs.body.id },
    true,
  )
  t.match(await call('POST', `/investors/${id}/withdrawals/${wd.body.id}/cancel`), {
    status: 200,
    body: { status: 'cancelled' },
  })
  t.equal((await call('GET', `/investors/${id}/wallets`)).body.data[0].balance, '99643.00')
})

t.test('the legacy trading route answers in its own shape, and cancels by POST', async (t) => {
  const { call } = await setup(t)
  const id = (await call('POST', '/investors', sampleInvestorRequest())).body.id
  const resting = await call('POST', `/trading/accounts/${id}/orders`, {
    ...market,
    type: 'limit',
    time_in_force: 'gtc',
    qty: '3',
    limit_price: '100.00',
  })
  t.same(Object.keys(resting.body).sort(), [
    'account_id',
    'average_price',
    'canceled_at',
    'client_order_id',
    'created',
    'currency',
    'extended_hours',
    'filled_at',
    'filled_qty',
    'id',
    'limit_price',
    'livemode',
    'metadata',
    'notional',
    'object',
    'qty',
    'reject_reason',
    'remaining_qty',
    'side',
    'status',
    'stop_price',
    'submitted_at',
    'symbol',
    'time_in_force',
    'trail_percent',
    'trail_price',
    'type',
  ])
  t.match(resting.body, {
    status: 'accepted',
    qty: '3',
    filled_qty: '0',
    remaining_qty: '3',
    average_price: '0.00',
  })
  const cancelled = await call('POST', `/trading/accounts/${id}/orders/${resting.body.id}/cancel`)
  t.match(cancelled, { status: 200, body: { status: 'canceled', canceled_at: /Z$/ } })
  t.match(await call('GET', `/trading/accounts/${id}/orders/${resting.body.id}`), {
    body: { status: 'canceled' },
  })
  t.match(
    await call('POST', `/trading/accounts/${id}/orders`, { ...market, side: 'sell', qty: '1' }),
    { status: 422, body: { error: { code: 'BLUM-422-004', param: 'qty' } } },
  )
  t.match(await call('POST', `/trading/accounts/${id}/orders`, { ...market, qty: '0' }), {
    status: 400,
    body: { error: { code: 'BLUM-400-006', param: 'qty' } },
  })
})

t.test('PATCH /investors/{id} changes the profile and emits account.updated', async (t) => {
  const { sandbox, call } = await setup(t)
  const id = (await call('POST', '/investors', sampleInvestorRequest())).body.id
  const patched = await call('PATCH', `/investors/${id}`, {
    address: { street: ['1 Main St'], city: 'Austin', state: 'TX', country: 'US' },
  })
  t.match(patched, { status: 200, body: { address: { city: 'Austin' } } })
  t.match(sandbox.events().at(-1), { event: 'account.updated', data: { id } })
  const before = sandbox.events().length
  t.match(await call('PATCH', `/investors/${id}`, { tax_id: '1' }), {
    status: 400,
    body: { error: { code: 'BLUM-400-001', param: 'tax_id' } },
  })
  t.match(await call('PATCH', `/investors/${id}`, { phone: '555' }), {
    status: 400,
    body: { error: { code: 'BLUM-400-003', param: 'phone' } },
  })
  t.equal(sandbox.events().length, before, 'a rejected change emits nothing')
})

t.test('the OpenAPI document lists the documented routes', async (t) => {
  const { server } = await setup(t)
  const paths = (await server.inject('/openapi.json')).json().paths
  for (const [path, method] of [
    ['/v1/investors/{investor_id}', 'patch'],
    ['/v1/investors/{investor_id}/positions', 'get'],
    ['/v1/investors/{investor_id}/wallets', 'get'],
    ['/v1/investors/{investor_id}/funding-sources', 'post'],
    ['/v1/investors/{investor_id}/deposits/{transfer_id}/cancel', 'post'],
    ['/v1/investors/{investor_id}/withdrawals/{transfer_id}/cancel', 'post'],
    ['/v1/documents', 'get'],
    ['/v1/trading/accounts/{account_id}/orders/{order_id}/cancel', 'post'],
  ] as const)
    t.ok(paths[path]?.[method], `${method.toUpperCase()} ${path}`)
  t.match(
    paths['/v1/investors/{investor_id}/withdrawals'].post.requestBody.content['application/json']
      .schema,
    { required: ['amount', 'method', 'funding_source_id'] },
  )
})
