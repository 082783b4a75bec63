/** Every failure answers Bluum's envelope `{ error: { type, code, message, param? } }`. */
import t from 'tap'
import {
  createApi,
  createClock,
  createSandbox,
  sampleFundingSourceRequest,
  sampleInvestorRequest,
  type RawApiRequest,
} from '../mock-server/index.js'

const basic = (key: string, secret: string) =>
  'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64')
const tenant = basic('bluum_sandbox_key', 'bluum_sandbox_secret')
const investorKey = basic('inv_key', 'inv_secret')

function setup(options: Parameters<typeof createSandbox>[0] = {}) {
  const sandbox = createSandbox({
    investorKeys: [{ apiKey: 'inv_key', apiSecret: 'inv_secret' }],
    initialCash: '100000.00',
    ...options,
  })
  const api = createApi(sandbox)
  const call = (
    method: string,
    path: string,
    init: { auth?: string | null; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const headers: RawApiRequest['headers'] = {
      'content-type': 'application/json',
      ...init.headers,
    }
    if (init.auth !== null) headers.authorization = init.auth ?? tenant
    const [pathname = '', search = ''] = path.split('?')
    return api.handle({
      method,
      path: pathname,
      query: Object.fromEntries(new URLSearchParams(search)),
      headers,
      body:
        init.body === undefined
          ? undefined
          : typeof init.body === 'string'
            ? init.body
            : JSON.stringify(init.body),
    })
  }
  return { sandbox, call }
}

/** Everything a failed request must leave untouched. */
function snapshot(sandbox: ReturnType<typeof createSandbox>) {
  const { state } = sandbox
  return JSON.stringify({
    investors: [...state.investors.values()],
    cash: [...state.cashCents.entries()],
    positions: [...state.positions.entries()].map(([k, v]) => [k, [...v.entries()]]),
    orders: state.orders.size,
    deposits: state.deposits.size,
    withdrawals: state.withdrawals.size,
    documents: state.documents.size,
    fundingSources: state.fundingSources.size,
    webhooks: state.webhooks.size,
    events: sandbox.events().length,
  })
}

const order = (fields: Record<string, unknown>) => ({
  symbol: 'AAPL',
  side: 'buy',
  type: 'market',
  time_in_force: 'day',
  quantity: '1',
  ...fields,
})

t.test('the failure table: catalog code, status, type, param, and no state changed', async (t) => {
  const { sandbox, call } = setup()
  t.teardown(() => sandbox.close())
  const investor = sandbox.investors.create(sampleInvestorRequest({ email: 'a@b.co' }))
  sandbox.options.investorKeys[0]!.investorId = investor.id
  const source = sandbox.transfers.addFundingSource(investor.id, sampleFundingSourceRequest())
  const filled = sandbox.orders.place(investor.id, {
    symbol: 'AAPL',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
    quantity: '2',
  })
  sandbox.orders.setTradable('TSLA', false)
  const withdrawal = (fields: Record<string, unknown>, key: string) =>
    [
      'POST',
      `/investors/${investor.id}/withdrawals`,
      {
        body: { amount: '10.00', method: 'ach', funding_source_id: source.id, ...fields },
        headers: { 'idempotency-key': key },
      },
    ] as Parameters<typeof call>
  const rows: {
    name: string
    request: Parameters<typeof call>
    status: number
    code: string
    type: string
    param?: string
    message?: RegExp
  }[] = [
    {
      name: 'no credentials',
      request: ['GET', '/webhooks', { auth: null }],
      status: 401,
      code: 'BLUM-401-001',
      type: 'authentication_error',
    },
    {
      name: 'not Basic',
      request: ['GET', '/webhooks', { auth: 'Bearer x' }],
      status: 401,
      code: 'BLUM-401-002',
      type: 'authentication_error',
      message: /Basic scheme/,
    },
    {
      name: 'Basic without base64',
      request: ['GET', '/webhooks', { auth: 'Basic ***' }],
      status: 401,
      code: 'BLUM-401-002',
      type: 'authentication_error',
      message: /not base64/,
    },
    {
      name: 'Basic without a colon',
      request: ['GET', '/webhooks', { auth: 'Basic ' + Buffer.from('key').toString('base64') }],
      status: 401,
      code: 'BLUM-401-002',
      type: 'authentication_error',
    },
    {
      name: 'wrong secret',
      request: ['GET', '/webhooks', { auth: basic('bluum_sandbox_key', 'nope') }],
      status: 401,
      code: 'BLUM-401-003',
      type: 'authentication_error',
    },
    {
      name: 'investor key on webhooks',
      request: ['GET', '/webhooks', { auth: investorKey }],
      status: 403,
      code: 'BLUM-403-001',
      type: 'permission_error',
      message: /tenant-wide/,
    },
    {
      name: 'investor key creating a webhook',
      request: [
        'POST',
        '/webhooks',
        { auth: investorKey, body: { name: 'x', url: 'http://x.test', eventTypeNames: ['*'] } },
      ],
      status: 403,
      code: 'BLUM-403-001',
      type: 'permission_error',
    },
    {
      name: 'investor key on sandbox controls',
      request: ['POST', '/sandbox/reset', { auth: investorKey }],
      status: 403,
      code: 'BLUM-403-001',
      type: 'permission_error',
    },
    {
      name: 'investor key on another investor',
      request: ['GET', '/investors/inv_other/orders', { auth: investorKey }],
      status: 403,
      code: 'BLUM-403-001',
      type: 'permission_error',
      param: 'investor_id',
    },
    {
      name: 'unknown route',
      request: ['GET', '/nope'],
      status: 404,
      code: 'BLUM-404-002',
      type: 'not_found_error',
      message: /GET \/v1\/nope/,
    },
    {
      name: 'unknown webhook',
      request: ['PATCH', '/webhooks/wh_nope', { body: { name: 'x' } }],
      status: 404,
      code: 'BLUM-404-001',
      type: 'not_found_error',
      param: 'webhook_id',
    },
    {
      name: 'unknown investor',
      request: ['GET', '/investors/inv_nope'],
      status: 404,
      code: 'BLUM-404-001',
      type: 'not_found_error',
      param: 'investor_id',
    },
    {
      name: 'unknown order',
      request: ['GET', `/investors/${investor.id}/orders/ord_nope`],
      status: 404,
      code: 'BLUM-404-001',
      type: 'not_found_error',
      param: 'order_id',
    },
    {
      name: 'unknown transfer control',
      request: ['POST', '/sandbox/transfers/dep_nope/complete'],
      status: 404,
      code: 'BLUM-404-001',
      type: 'not_found_error',
    },
    {
      name: 'unknown symbol',
      request: ['POST', `/investors/${investor.id}/orders`, { body: order({ symbol: 'ZZZZ' }) }],
      status: 404,
      code: 'BLUM-404-003',
      type: 'not_found_error',
      param: 'symbol',
      message: /No such asset: 'ZZZZ'/,
    },
    {
      name: 'missing field',
      request: ['POST', '/webhooks', { body: { name: 'x', eventTypeNames: ['*'] } }],
      status: 400,
      code: 'BLUM-400-002',
      type: 'invalid_request_error',
      param: 'url',
    },
    {
      name: 'investor with three fields',
      request: [
        'POST',
        '/investors',
        { body: { first_name: 'A', last_name: 'B', email: 'new@b.co' } },
      ],
      status: 400,
      code: 'BLUM-400-002',
      type: 'invalid_request_error',
      param: 'account_type',
    },
    {
      name: 'date of birth "yesterday"',
      request: [
        'POST',
        '/investors',
        { body: sampleInvestorRequest({ email: 'new@b.co', date_of_birth: 'yesterday' }) },
      ],
      status: 400,
      code: 'BLUM-400-003',
      type: 'invalid_request_error',
      param: 'date_of_birth',
      message: /YYYY-MM-DD/,
    },
    {
      name: 'a date that does not exist',
      request: [
        'POST',
        '/investors',
        { body: sampleInvestorRequest({ email: 'new@b.co', date_of_birth: '1990-02-30' }) },
      ],
      status: 400,
      code: 'BLUM-400-003',
      type: 'invalid_request_error',
      param: 'date_of_birth',
    },
    {
      name: 'phone not E.164',
      request: [
        'POST',
        '/investors',
        { body: sampleInvestorRequest({ email: 'new@b.co', phone: '415-555-1234' }) },
      ],
      status: 400,
      code: 'BLUM-400-003',
      type: 'invalid_request_error',
      param: 'phone',
      message: /E\.164/,
    },
    {
      name: 'country not ISO alpha-2',
      request: [
        'POST',
        '/investors',
        { body: sampleInvestorRequest({ email: 'new@b.co', country_of_citizenship: 'USA' }) },
      ],
      status: 400,
      code: 'BLUM-400-003',
      type: 'invalid_request_error',
      param: 'country_of_citizenship',
    },
    {
      name: 'unknown investor enum',
      request: [
        'POST',
        '/investors',
        { body: sampleInvestorRequest({ email: 'new@b.co', account_type: 'family' }) },
      ],
      status: 400,
      code: 'BLUM-400-004',
      type: 'invalid_request_error',
      param: 'account_type',
      message: /one of individual, joint, corporate/,
    },
    {
      name: 'bad enum',
      request: ['POST', `/investors/${investor.id}/orders`, { body: order({ side: 'hold' }) }],
      status: 400,
      code: 'BLUM-400-004',
      type: 'invalid_request_error',
      param: 'side',
      message: /one of buy, sell/,
    },
    {
      name: 'number as quantity',
      request: ['POST', `/investors/${investor.id}/orders`, { body: order({ quantity: 1 }) }],
      status: 400,
      code: 'BLUM-400-003',
      type: 'invalid_request_error',
      param: 'quantity',
      message: /expected a string \(Shares.*got 1/,
    },
    {
      name: 'zero quantity',
      request: ['POST', `/investors/${investor.id}/orders`, { body: order({ quantity: '0' }) }],
      status: 400,
      code: 'BLUM-400-006',
      type: 'invalid_request_error',
      param: 'quantity',
    },
    {
      name: 'amount with three decimals',
      request: withdrawal({ amount: '10.001' }, 'k-3dp'),
      status: 400,
      code: 'BLUM-400-005',
      type: 'invalid_request_error',
      param: 'amount',
    },
    {
      name: 'zero amount',
      request: withdrawal({ amount: '0.00' }, 'k-zero'),
      status: 400,
      code: 'BLUM-400-005',
      type: 'invalid_request_error',
      param: 'amount',
    },
    {
      name: 'withdrawal without funding_source_id',
      request: withdrawal({ funding_source_id: undefined }, 'k-nofs'),
      status: 400,
      code: 'BLUM-400-002',
      type: 'invalid_request_error',
      param: 'funding_source_id',
    },
    {
      name: 'withdrawal to an unknown funding source',
      request: withdrawal({ funding_source_id: 'fs_nope' }, 'k-fs'),
      status: 404,
      code: 'BLUM-404-001',
      type: 'not_found_error',
      param: 'funding_source_id',
    },
    {
      name: 'bad query',
      request: ['GET', '/webhooks?limit=201'],
      status: 400,
      code: 'BLUM-400-001',
      type: 'invalid_request_error',
      param: 'limit',
      message: /<= 200/,
    },
    {
      name: 'malformed JSON',
      request: ['POST', '/investors', { body: '{nope' }],
      status: 400,
      code: 'BLUM-400-001',
      type: 'invalid_request_error',
    },
    {
      name: 'text/plain body on a JSON route',
      request: [
        'POST',
        '/webhooks',
        {
          body: { name: 'x', url: 'http://x.test', eventTypeNames: ['*'] },
          headers: { 'content-type': 'text/plain' },
        },
      ],
      status: 400,
      code: 'BLUM-400-001',
      type: 'invalid_request_error',
      message:
        /takes a JSON body, sent as 'content-type: application\/json', but the body came as 'text\/plain'/,
    },
    {
      name: 'events instead of eventTypeNames',
      request: ['POST', '/webhooks', { body: { name: 'x', url: 'http://x.test', events: ['*'] } }],
      status: 400,
      code: 'BLUM-400-002',
      type: 'invalid_request_error',
      param: 'eventTypeNames',
      message: /sent 'events', which Bluum does not document: did you mean 'eventTypeNames'/,
    },
    {
      name: 'qty on the G3 route',
      request: [
        'POST',
        `/investors/${investor.id}/orders`,
        { body: order({ quantity: undefined, qty: '1' }) },
      ],
      status: 400,
      code: 'BLUM-400-002',
      type: 'invalid_request_error',
      param: 'quantity',
      message: /sent 'qty', which Bluum does not document: did you mean 'quantity'/,
    },
    {
      name: 'limit without price',
      request: [
        'POST',
        `/investors/${investor.id}/orders`,
        { body: order({ type: 'limit', time_in_force: 'gtc' }) },
      ],
      status: 400,
      code: 'BLUM-400-002',
      type: 'invalid_request_error',
      param: 'limit_price',
    },
    {
      name: 'bad webhook url',
      request: [
        'POST',
        '/webhooks',
        { body: { name: 'x', url: 'ftp://x', eventTypeNames: ['*'] } },
      ],
      status: 400,
      code: 'BLUM-400-003',
      type: 'invalid_request_error',
      param: 'url',
    },
    {
      name: 'bad subscription',
      request: [
        'POST',
        '/webhooks',
        { body: { name: 'x', url: 'http://x.test', eventTypeNames: ['Order Filled'] } },
      ],
      status: 400,
      code: 'BLUM-400-003',
      type: 'invalid_request_error',
      param: 'eventTypeNames',
    },
    {
      name: 'no idempotency key',
      request: [
        'POST',
        `/investors/${investor.id}/deposits`,
        { body: { amount: '10.00', method: 'ach' } },
      ],
      status: 400,
      code: 'BLUM-400-002',
      type: 'invalid_request_error',
      param: 'Idempotency-Key',
    },
    {
      name: 'duplicate email',
      request: ['POST', '/investors', { body: sampleInvestorRequest({ email: 'A@b.co' }) }],
      status: 409,
      code: 'BLUM-409-001',
      type: 'conflict_error',
      param: 'email',
    },
    {
      name: 'cancelling a filled order',
      request: ['POST', `/investors/${investor.id}/orders/${filled.id}/cancel`],
      status: 409,
      code: 'BLUM-409-003',
      type: 'conflict_error',
      param: 'order_id',
    },
    {
      name: 'withdrawal above balance',
      request: withdrawal({ amount: '1000000.00' }, 'k-wd'),
      status: 422,
      code: 'BLUM-422-005',
      type: 'unprocessable_entity_error',
      param: 'amount',
      message: /1000000.00 requested, 99643.00 withdrawable/,
    },
    {
      name: 'selling more than the position',
      request: [
        'POST',
        `/investors/${investor.id}/orders`,
        { body: order({ side: 'sell', quantity: '3' }) },
      ],
      status: 422,
      code: 'BLUM-422-004',
      type: 'unprocessable_entity_error',
      param: 'quantity',
      message: /selling 3 of 'AAPL', 2 available/,
    },
    {
      name: 'untradable symbol',
      request: ['POST', `/investors/${investor.id}/orders`, { body: order({ symbol: 'TSLA' }) }],
      status: 422,
      code: 'BLUM-422-003',
      type: 'unprocessable_entity_error',
      param: 'symbol',
    },
  ]
  for (const row of rows) {
    const before = snapshot(sandbox)
    const response = await call(...row.request)
    t.equal(response.status, row.status, `${row.name}: status`)
    const error = (response.body as { error: Record<string, unknown> }).error
    t.match(
      error,
      { code: row.code, type: row.type, message: row.message ?? String },
      `${row.name}: envelope`,
    )
    if (row.param) t.equal(error.param, row.param, `${row.name}: param`)
    t.same(
      Object.keys(error).filter((k) => !['type', 'code', 'message', 'param'].includes(k)),
      [],
      `${row.name}: nothing else`,
    )
    t.equal(snapshot(sandbox), before, `${row.name}: no state changed, no event emitted`)
  }
})

t.test('403 BLUM-403-002 before KYC, 422 BLUM-422-002 when the market is closed', async (t) => {
  // Saturday 2026-07-04 15:00 UTC: the simulated market keeps NYSE hours when asked to.
  const clock = createClock({ startMs: Date.parse('2026-07-04T15:00:00Z') })
  const { sandbox, call } = setup({ kycMode: 'document', marketHours: true, clock })
  t.teardown(() => sandbox.close())
  const created = await call('POST', '/investors', { body: sampleInvestorRequest() })
  t.match(created.body, { status: 'onboarding' })
  t.notOk('kyc_status' in (created.body as object), 'Bluum shows no kyc_status')
  const id = (created.body as { id: string }).id
  const before = snapshot(sandbox)
  const early = await call('POST', `/investors/${id}/orders`, { body: order({}) })
  t.match(early, { status: 403, body: { error: { code: 'BLUM-403-002', param: 'investor_id' } } })
  t.equal(snapshot(sandbox), before, 'no order was stored')

  sandbox.investors.decideKyc(id, 'approved')
  const closed = await call('POST', `/investors/${id}/orders`, { body: order({}) })
  t.match(closed, {
    status: 422,
    body: { error: { code: 'BLUM-422-002', param: 'time_in_force', message: /market hours/ } },
  })
  const queued = await call('POST', `/investors/${id}/orders`, {
    body: order({ time_in_force: 'gtc' }),
  })
  t.match(queued, { status: 201, body: { status: 'open', filled_quantity: '0' } })

  // Monday 14:00 UTC is 10:00 in New York: open, and the queued order fills on the next price.
  await sandbox.clock.advance(Date.parse('2026-07-06T14:00:00Z') - sandbox.clock.now())
  sandbox.orders.setPrice('AAPL', 180)
  t.match(sandbox.orders.get(id, (queued.body as { id: string }).id), { status: 'filled' })
  t.match(await call('POST', `/investors/${id}/orders`, { body: order({}) }), {
    status: 201,
    body: { status: 'filled' },
  })
})

t.test(
  '429 BLUM-429-001 with Retry-After past the per-key limit, and again in the next second',
  async (t) => {
    const { sandbox, call } = setup({ rateLimitPerSecond: 10 })
    t.teardown(() => sandbox.close())
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) statuses.push((await call('GET', '/webhooks')).status)
    t.same(statuses, [...Array(10).fill(200), 429])
    const limited = await call('GET', '/webhooks')
    t.match(limited, {
      status: 429,
      headers: { 'retry-after': '1' },
      body: { error: { code: 'BLUM-429-001', type: 'rate_limit_error' } },
    })
    await sandbox.clock.advance('1s')
    t.equal((await call('GET', '/webhooks')).status, 200)
  },
)

t.test('rate limiting is off by default', async (t) => {
  const { sandbox, call } = setup()
  t.teardown(() => sandbox.close())
  for (let i = 0; i < 30; i++) t.equal((await call('GET', '/webhooks')).status, 200)
})
