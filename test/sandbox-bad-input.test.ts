/**
 * Bad input never reaches a 5xx nor the state: each case answers Bluum's envelope with a
 * BLUM-{status}-{seq} code, in both faces (the Fastify server over real HTTP, msw in-process),
 * and the state reads the same before and after.
 */
import { connect } from 'node:net'
import { setupServer } from 'msw/node'
import t, { type Test } from 'tap'
import {
  BLUUM_SANDBOX_BASE_URL,
  createSandbox,
  createSandboxServer,
  sandboxErrors,
  type Sandbox,
} from '../mock-server/index.js'
import { createBluumHandlers } from '../mock-server/msw-handlers.js'

const authorization =
  'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')
const bodyLimitBytes = 65_536

/** The code a sandbox error constructor answers with (so a renumbering moves the table along). */
const codeOf = (E: new (...args: never[]) => { code: string }) =>
  new (E as unknown as new (...args: unknown[]) => { code: string })('x', 'y').code

type Call = (
  method: string,
  path: string,
  init?: { body?: string; headers?: Record<string, string> },
) => Promise<{ status: number; body: any }>

interface Row {
  name: string
  request: (investorId: string) => Parameters<Call>
  status: number
  code: string
  param?: string
}

const json = { 'content-type': 'application/json' }
const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`
const investorBody = (extra: string) =>
  `{"first_name":"Deep","last_name":"Nest","email":"deep@example.com","profile":${extra}}`

const rows: Row[] = [
  {
    name: 'an investor with a field nested 10000 levels deep',
    request: () => ['POST', '/investors', { body: investorBody(deep(10_000)), headers: json }],
    status: 400,
    code: codeOf(sandboxErrors.InvalidRequestError),
  },
  {
    name: 'an investor with a field nested 33 levels deep (the limit is 32)',
    request: () => ['POST', '/investors', { body: investorBody(deep(32)), headers: json }],
    status: 400,
    code: codeOf(sandboxErrors.InvalidRequestError),
  },
  {
    name: 'a body over the limit',
    request: () => [
      'POST',
      '/investors',
      { body: investorBody(JSON.stringify('x'.repeat(bodyLimitBytes))), headers: json },
    ],
    status: 400,
    code: 'BLUM-400-008',
  },
  {
    name: 'a deposit of 400 digits (was stored as "Infinity")',
    request: (id) => [
      'POST',
      `/investors/${id}/deposits`,
      {
        body: JSON.stringify({ amount: '9'.repeat(400), method: 'ach' }),
        headers: { ...json, 'idempotency-key': 'k-digits' },
      },
    ],
    status: 400,
    code: codeOf(sandboxErrors.InvalidAmountError),
    param: 'amount',
  },
  {
    name: 'an order of 400 digits of shares',
    request: (id) => [
      'POST',
      `/investors/${id}/orders`,
      {
        body: JSON.stringify({
          symbol: 'AAPL',
          side: 'buy',
          type: 'market',
          time_in_force: 'day',
          quantity: '9'.repeat(400),
        }),
        headers: json,
      },
    ],
    status: 400,
    code: codeOf(sandboxErrors.InvalidQuantityError),
    param: 'quantity',
  },
  {
    name: 'an order with more decimals than a quantity has',
    request: (id) => [
      'POST',
      `/investors/${id}/orders`,
      {
        body: JSON.stringify({
          symbol: 'AAPL',
          side: 'buy',
          type: 'market',
          time_in_force: 'day',
          quantity: '0.0000000001',
        }),
        headers: json,
      },
    ],
    status: 400,
    code: codeOf(sandboxErrors.InvalidQuantityError),
    param: 'quantity',
  },
  {
    name: 'a zero price (made notional orders put "NaN" in cash)',
    request: () => [
      'POST',
      '/sandbox/prices/AAPL',
      { body: JSON.stringify({ price: '0' }), headers: json },
    ],
    status: 400,
    code: codeOf(sandboxErrors.ValidationError),
    param: 'price',
  },
  {
    name: 'a clock advance of 400 digits (broke every later call, reset included)',
    request: () => [
      'POST',
      '/sandbox/clock/advance',
      { body: JSON.stringify({ duration: '9'.repeat(400) }), headers: json },
    ],
    status: 400,
    code: codeOf(sandboxErrors.ValidationError),
    param: 'duration',
  },
  {
    name: 'a path that is not valid percent-encoding',
    request: () => ['GET', '/investors/%ZZ'],
    status: 400,
    code: codeOf(sandboxErrors.InvalidRequestError),
    param: 'investor_id',
  },
  {
    name: 'an id longer than any id',
    request: () => ['GET', `/investors/inv_${'x'.repeat(300)}/orders`],
    status: 404,
    code: 'BLUM-404-001',
    param: 'investor_id',
  },
  {
    name: 'an unknown route',
    request: () => ['GET', '/nothing/here'],
    status: 404,
    code: 'BLUM-404-002',
  },
  {
    name: 'a method the path does not answer',
    request: () => ['PUT', '/investors', { body: '{}', headers: json }],
    status: 404,
    code: 'BLUM-404-002',
  },
  {
    name: 'malformed JSON',
    request: () => ['POST', '/investors', { body: '{"first_name":', headers: json }],
    status: 400,
    code: codeOf(sandboxErrors.MalformedBodyError),
  },
  {
    name: 'a JSON body sent as text/plain',
    request: () => [
      'POST',
      '/investors',
      {
        body: '{"first_name":"A","last_name":"B","email":"plain@example.com"}',
        headers: { 'content-type': 'text/plain' },
      },
    ],
    status: 400,
    code: codeOf(sandboxErrors.InvalidRequestError),
  },
  {
    name: 'a query string of junk',
    request: () => ['GET', '/investors?limit=abc&&=&%ZZ'],
    status: 400,
    code: codeOf(sandboxErrors.InvalidFormatError),
    param: 'limit',
  },
  {
    name: 'a query limit of 400 digits',
    request: () => [`GET`, `/investors?limit=${'9'.repeat(400)}`],
    status: 400,
    code: codeOf(sandboxErrors.InvalidFormatError),
    param: 'limit',
  },
]

/** What an API client can see of the state: lists, balances, the clock, the events. */
async function snapshot(call: Call, investorId: string): Promise<string> {
  const parts = await Promise.all(
    [
      '/investors?limit=100',
      `/investors/${investorId}/wallets`,
      `/investors/${investorId}/positions`,
      `/investors/${investorId}/orders?limit=100`,
      `/investors/${investorId}/deposits?limit=100`,
      '/sandbox/clock',
      '/sandbox/events',
    ].map((path) => call('GET', path)),
  )
  for (const part of parts) if (part.status !== 200) throw new Error(JSON.stringify(part))
  return JSON.stringify(parts.map((p) => p.body))
}

async function runTable(t: Test, sandbox: Sandbox, call: Call) {
  const investor = sandbox.investors.create({ first_name: 'A', last_name: 'B', email: 'a@b.co' })
  sandbox.orders.place(investor.id, {
    symbol: 'AAPL',
    side: 'buy',
    type: 'limit',
    time_in_force: 'gtc',
    quantity: '1',
    limit_price: '100',
  })
  for (const row of rows) {
    const before = await snapshot(call, investor.id)
    const answer = await call(...row.request(investor.id))
    t.match(
      answer,
      {
        status: row.status,
        body: {
          error: {
            code: row.code,
            type: String,
            message: String,
            ...(row.param ? { param: row.param } : {}),
          },
        },
      },
      `${row.name}: ${row.status} ${row.code}`,
    )
    t.match(answer.body.error.code, new RegExp(`^BLUM-${row.status}-\\d{3}$`))
    t.equal(await snapshot(call, investor.id), before, `${row.name}: the state did not change`)
  }
  t.notMatch(await snapshot(call, investor.id), /NaN|Infinity/, 'no NaN or Infinity anywhere')
}

t.test('the Fastify face over real HTTP: every bad input answers the envelope', async (t) => {
  const sandbox = createSandbox()
  const server = createSandboxServer(sandbox, { bodyLimitBytes })
  await server.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => {
    await server.close()
    await sandbox.close()
  })
  const port = (server.server.address() as { port: number }).port
  const call: Call = async (method, path, init = {}) => {
    const response = await fetch(`http://127.0.0.1:${port}/v1${path}`, {
      method,
      headers: { authorization, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    })
    return { status: response.status, body: await response.json() }
  }
  await runTable(t, sandbox, call)

  // Bytes that are not HTTP (a content-length that is not a number) never reach a route, and
  // still answer the envelope.
  const before = await snapshot(call, sandbox.state.investors.keys().next().value!)
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(
        `POST /v1/investors HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: ${authorization}\r\ncontent-length: abc\r\n\r\n{}`,
      ),
    )
    let text = ''
    socket.on('data', (chunk) => (text += chunk))
    socket.on('end', () => resolve(text))
    socket.on('error', reject)
  })
  const [head = '', body = ''] = raw.split('\r\n\r\n')
  t.match(head, /^HTTP\/1\.1 400 /)
  t.match(JSON.parse(body), { error: { code: codeOf(sandboxErrors.InvalidRequestError) } })
  t.equal(await snapshot(call, sandbox.state.investors.keys().next().value!), before)
})

t.test('the Fastify face maps its own body-limit error to BLUM-400-008', async (t) => {
  const sandbox = createSandbox()
  const server = createSandboxServer(sandbox, { bodyLimitBytes: 64 })
  t.teardown(async () => {
    await server.close()
    await sandbox.close()
  })
  const answer = await server.inject({
    method: 'POST',
    url: '/v1/investors',
    headers: { authorization, 'content-type': 'application/json' },
    payload: JSON.stringify({ first_name: 'x'.repeat(100), last_name: 'y', email: 'a@b.co' }),
  })
  t.equal(answer.statusCode, 400)
  t.match(answer.json(), { error: { code: 'BLUM-400-008', type: 'invalid_request_error' } })
  t.equal(sandbox.state.investors.size, 0)
})

t.test('the msw face: every bad input answers the envelope', async (t) => {
  const sandbox = createSandbox()
  const server = setupServer(...createBluumHandlers(sandbox, { bodyLimitBytes }))
  // msw 2 reads onUnhandledRequest, msw 3 onUnhandledFrame.
  server.listen({ onUnhandledRequest: 'error', onUnhandledFrame: 'error' } as Parameters<
    typeof server.listen
  >[0])
  t.teardown(async () => {
    server.close()
    await sandbox.close()
  })
  const call: Call = async (method, path, init = {}) => {
    const response = await fetch(`${BLUUM_SANDBOX_BASE_URL}${path}`, {
      method,
      headers: { authorization, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    })
    return { status: response.status, body: await response.json() }
  }
  await runTable(t, sandbox, call)
})
