/** Every failure answers Bluum's envelope `{ error: { type, code, message, param? } }`. */
import t from 'tap'
import { createApi, createSandbox, type RawApiRequest } from '../mock-server/index.js'

const basic = (key: string, secret: string) =>
  'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64')
const tenant = basic('bluum_sandbox_key', 'bluum_sandbox_secret')
const investorKey = basic('inv_key', 'inv_secret')

function setup(options: Parameters<typeof createSandbox>[0] = {}) {
  const sandbox = createSandbox({
    investorKeys: [{ apiKey: 'inv_key', apiSecret: 'inv_secret' }],
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

t.test('the failure table', async (t) => {
  const { sandbox, call } = setup()
  t.teardown(() => sandbox.close())
  const investor = sandbox.investors.create({ first_name: 'A', last_name: 'B', email: 'a@b.co' })
  sandbox.options.investorKeys[0]!.investorId = investor.id
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
      code: 'BLUM-401-001',
      type: 'authentication_error',
    },
    {
      name: 'wrong secret',
      request: ['GET', '/webhooks', { auth: basic('bluum_sandbox_key', 'nope') }],
      status: 401,
      code: 'BLUM-401-002',
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
      code: 'BLUM-403-002',
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
      request: ['GET', '/webhooks/wh_nope'],
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
      name: 'missing field',
      request: ['POST', '/webhooks', { body: { url: 'http://x.test', eventTypeNames: ['*'] } }],
      status: 400,
      code: 'BLUM-400-001',
      type: 'invalid_request_error',
      param: 'name',
    },
    {
      name: 'bad enum',
      request: [
        'POST',
        `/investors/${investor.id}/orders`,
        {
          body: {
            symbol: 'AAPL',
            side: 'hold',
            type: 'market',
            time_in_force: 'day',
            quantity: '1',
          },
        },
      ],
      status: 400,
      code: 'BLUM-400-002',
      type: 'invalid_request_error',
      param: 'side',
      message: /one of buy, sell/,
    },
    {
      name: 'number as decimal',
      request: [
        'POST',
        `/investors/${investor.id}/orders`,
        {
          body: { symbol: 'AAPL', side: 'buy', type: 'market', time_in_force: 'day', quantity: 1 },
        },
      ],
      status: 400,
      code: 'BLUM-400-002',
      type: 'invalid_request_error',
      param: 'quantity',
      message: /decimal string/,
    },
    {
      name: 'bad query',
      request: ['GET', '/webhooks?limit=1000'],
      status: 400,
      code: 'BLUM-400-002',
      type: 'invalid_request_error',
      param: 'limit',
    },
    {
      name: 'malformed JSON',
      request: ['POST', '/investors', { body: '{nope' }],
      status: 400,
      code: 'BLUM-400-003',
      type: 'invalid_request_error',
    },
    {
      name: 'events instead of eventTypeNames',
      request: ['POST', '/webhooks', { body: { name: 'x', url: 'http://x.test', events: ['*'] } }],
      status: 400,
      code: 'BLUM-400-005',
      type: 'invalid_request_error',
      param: 'events',
      message: /Did you mean 'eventTypeNames'/,
    },
    {
      name: 'qty on the G3 route',
      request: [
        'POST',
        `/investors/${investor.id}/orders`,
        { body: { symbol: 'AAPL', side: 'buy', type: 'market', time_in_force: 'day', qty: '1' } },
      ],
      status: 400,
      code: 'BLUM-400-005',
      type: 'invalid_request_error',
      param: 'qty',
      message: /Did you mean 'quantity'/,
    },
    {
      name: 'limit without price',
      request: [
        'POST',
        `/investors/${investor.id}/orders`,
        {
          body: { symbol: 'AAPL', side: 'buy', type: 'limit', time_in_force: 'gtc', quantity: '1' },
        },
      ],
      status: 400,
      code: 'BLUM-400-001',
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
      code: 'BLUM-400-002',
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
      code: 'BLUM-400-002',
      type: 'invalid_request_error',
      param: 'eventTypeNames',
    },
    {
      name: 'no idempotency key',
      request: [
        'POST',
        `/investors/${investor.id}/deposits`,
        { body: { amount: '10', method: 'ach' } },
      ],
      status: 400,
      code: 'BLUM-400-004',
      type: 'invalid_request_error',
      param: 'Idempotency-Key',
    },
    {
      name: 'duplicate email',
      request: [
        'POST',
        '/investors',
        { body: { first_name: 'A', last_name: 'B', email: 'A@b.co' } },
      ],
      status: 409,
      code: 'BLUM-409-001',
      type: 'conflict_error',
      param: 'email',
    },
    {
      name: 'withdrawal above balance',
      request: [
        'POST',
        `/investors/${investor.id}/withdrawals`,
        { body: { amount: '1000000.00', method: 'ach' }, headers: { 'idempotency-key': 'k-wd' } },
      ],
      status: 422,
      code: 'BLUM-422-001',
      type: 'unprocessable_entity_error',
      param: 'amount',
      message: /1000000.00 requested, 100000.00 available/,
    },
    {
      name: 'untradable symbol',
      request: [
        'POST',
        `/investors/${investor.id}/orders`,
        {
          body: { symbol: '$$$', side: 'buy', type: 'market', time_in_force: 'day', quantity: '1' },
        },
      ],
      status: 422,
      code: 'BLUM-422-003',
      type: 'unprocessable_entity_error',
      param: 'symbol',
    },
  ]
  for (const row of rows) {
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
  }
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
