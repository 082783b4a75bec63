/**
 * `POST /v1/sandbox/trigger`, like `stripe trigger`: one event per call, data checked against the
 * catalog, and the resources behind the event exist afterwards and agree with it. Over real HTTP.
 */
import { Value } from '@sinclair/typebox/value'
import t from 'tap'
import { bluumEventCatalog, bluumEventNames } from '../plugin/catalog.js'
import {
  createSandbox,
  createSandboxServer,
  sampleInvestorRequest,
  sandboxErrors,
} from '../mock-server/index.js'

const authorization =
  'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

const codeOf = (E: new (...args: never[]) => { code: string }) =>
  new (E as unknown as new (...args: unknown[]) => { code: string })('x', 'y').code

async function setup(t: { teardown(fn: () => unknown): void }) {
  const sandbox = createSandbox({ partialFills: true, initialCash: '100000.00' })
  const server = createSandboxServer(sandbox)
  await server.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => {
    await server.close()
    await sandbox.close()
  })
  const port = (server.server.address() as { port: number }).port
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${port}/v1${path}`, {
      method,
      headers: {
        authorization,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: response.status, body: (await response.json()) as any }
  }
  const events = async () => (await call('GET', '/sandbox/events')).body.data.length as number
  return { sandbox, call, events }
}

t.test('every catalog event: one event, valid data, and its resources exist', async (t) => {
  const { call, events } = await setup(t)
  for (const name of bluumEventNames) {
    const before = await events()
    const answer = await call('POST', '/sandbox/trigger', { event: name })
    t.equal(answer.status, 201, `${name}: 201`)
    t.equal(await events(), before + 1, `${name}: exactly one event emitted`)
    const data = answer.body.data
    t.ok(Value.Check(bluumEventCatalog[name].data, data), `${name}: data fits the catalog`)
    const owner = name.startsWith('account.')
      ? data.id
      : name.startsWith('document.')
        ? `inv_${data.owner_id}`
        : data.investor_id
    t.equal((await call('GET', `/investors/${owner}`)).status, 200, `${name}: its investor exists`)
    const [domain, kind] = name.split('.')
    if (domain === 'order') {
      const order = await call('GET', `/investors/${owner}/orders/${data.id}`)
      t.same(order.body, data, `${name}: GET answers the order the event carried`)
    } else if (domain === 'transfer') {
      const plural = kind === 'deposit' ? 'deposits' : 'withdrawals'
      const transfer = await call('GET', `/investors/${owner}/${plural}/${data.id}`)
      t.same(transfer.body, data, `${name}: GET answers the transfer the event carried`)
    } else if (domain === 'document') {
      const document = await call('GET', `/documents/${data.document_id}`)
      t.same(document.body, data, `${name}: GET answers the document the event carried`)
    } else if (name === 'account.updated') {
      t.same((await call('GET', `/investors/${owner}`)).body, data)
    } else if (name === 'account.created') {
      // The event carries the investor as created (onboarding); KYC approves it right after.
      t.match((await call('GET', `/investors/${owner}`)).body, { id: data.id, email: data.email })
    }
  }
  t.notMatch(JSON.stringify((await call('GET', '/investors?limit=100')).body), /NaN|Infinity/)
})

t.test(
  'a triggered order.filled is a filled order of an existing investor, position moved',
  async (t) => {
    const { sandbox, call } = await setup(t)
    const investor = (await call('POST', '/investors', sampleInvestorRequest())).body
    const cash = async () =>
      (await call('GET', `/investors/${investor.id}/wallets`)).body.data[0].balance as string
    const before = await cash()
    const event = await call('POST', '/sandbox/trigger', {
      event: 'order.filled',
      data: { investor_id: investor.id, symbol: 'TSLA', quantity: '3', average_price: '200.00' },
    })
    t.match(event.body.data, {
      status: 'filled',
      symbol: 'TSLA',
      filled_quantity: '3',
      average_price: '200.00',
    })
    const order = await call('GET', `/investors/${investor.id}/orders/${event.body.data.id}`)
    t.match(order, { status: 200, body: { status: 'filled', filled_quantity: '3' } })
    const positions = (await call('GET', `/investors/${investor.id}/positions`)).body.data
    t.match(positions, [{ symbol: 'TSLA', quantity: '3', average_cost_basis: '200.00' }])
    const after = await cash()
    t.equal(Number(before) - Number(after), 600)
    t.equal(sandbox.orders.price('TSLA'), 245.6, 'the fill price did not move the simulated price')
  },
)

t.test('a triggered sell is covered by shares bought first, silently', async (t) => {
  const { call, events } = await setup(t)
  const answer = await call('POST', '/sandbox/trigger', {
    event: 'order.filled',
    data: { side: 'sell', quantity: '2' },
  })
  t.equal(answer.status, 201)
  t.equal(await events(), 1, 'the prerequisite buy emitted nothing')
  const orders = (await call('GET', `/investors/${answer.body.data.investor_id}/orders`)).body.data
  t.same(
    orders.map((o: any) => `${o.side} ${o.status}`),
    ['sell filled', 'buy filled'],
  )
})

t.test('a triggered transfer.deposit.completed is in the balance', async (t) => {
  const { call } = await setup(t)
  const investor = (await call('POST', '/investors', sampleInvestorRequest())).body
  const cash = async () =>
    (await call('GET', `/investors/${investor.id}/wallets`)).body.data[0].balance as string
  const before = await cash()
  const event = await call('POST', '/sandbox/trigger', {
    event: 'transfer.deposit.completed',
    data: { investor_id: investor.id, amount: '250.25' },
  })
  t.match(event.body.data, { status: 'completed', amount: '250.25' })
  const after = await cash()
  t.equal((Number(after) * 100 - Number(before) * 100).toFixed(0), '25025')
})

t.test('a named investor that does not exist is created under that id', async (t) => {
  const { call } = await setup(t)
  const event = await call('POST', '/sandbox/trigger', {
    event: 'document.rejected',
    data: { investor_id: 'inv_1', rejection_reason: 'blurry' },
  })
  t.match(event.body.data, { owner_id: '1', status: 'rejected', rejection_reason: 'blurry' })
  t.equal((await call('GET', '/investors/inv_1')).status, 200)
  t.equal(
    (await call('GET', `/documents/${event.body.data.document_id}`)).body.rejection_reason,
    'blurry',
  )
})

t.test('refused triggers: status, code, param, and nothing changed', async (t) => {
  const { sandbox, call } = await setup(t)
  const investor = sandbox.investors.create({ first_name: 'A', last_name: 'B', email: 'a@b.co' })
  sandbox.orders.setTradable('GME', false)
  const invalid = codeOf(sandboxErrors.ValidationError)
  const rows: { name: string; body: unknown; status: number; code: string; param: string }[] = [
    {
      name: 'a name outside the catalog',
      body: { event: 'payment.created' },
      status: 400,
      code: invalid,
      param: 'event',
    },
    {
      name: 'a quantity that is not a decimal',
      body: { event: 'order.filled', data: { quantity: 'abc' } },
      status: 400,
      code: invalid,
      param: 'data.quantity',
    },
    {
      name: 'a side outside the enum',
      body: { event: 'order.filled', data: { side: 'hold' } },
      status: 400,
      code: invalid,
      param: 'data.side',
    },
    {
      name: 'a status the event contradicts',
      body: { event: 'order.filled', data: { status: 'open' } },
      status: 400,
      code: invalid,
      param: 'data.status',
    },
    {
      name: 'an id the engine makes',
      body: { event: 'transfer.deposit.completed', data: { id: 'dep_x' } },
      status: 400,
      code: invalid,
      param: 'data.id',
    },
    {
      name: 'a resting event with a market order',
      body: { event: 'order.accepted', data: { type: 'market' } },
      status: 400,
      code: invalid,
      param: 'data.type',
    },
    {
      name: 'a rejected buy the investor can pay for',
      body: {
        event: 'order.rejected',
        data: { investor_id: investor.id, side: 'buy', quantity: '1' },
      },
      status: 400,
      code: invalid,
      param: 'data.quantity',
    },
    {
      name: 'a rejected sell (Bluum refuses it at request time, 422, with no event)',
      body: { event: 'order.rejected', data: { investor_id: investor.id, side: 'sell' } },
      status: 400,
      code: invalid,
      param: 'data.side',
    },
    {
      name: 'a fill price of 0',
      body: { event: 'order.filled', data: { average_price: '0.00' } },
      status: 400,
      code: invalid,
      param: 'data.average_price',
    },
    {
      name: 'an amount as a JSON number (the app refuses it)',
      body: { event: 'transfer.deposit.completed', data: { amount: 12 } },
      status: 400,
      code: invalid,
      param: 'data.amount',
    },
    {
      name: 'an amount of 400 digits',
      body: { event: 'transfer.deposit.completed', data: { amount: '9'.repeat(400) } },
      status: 400,
      code: invalid,
      param: 'data.amount',
    },
    {
      name: 'an investor id of the wrong shape',
      body: { event: 'order.filled', data: { investor_id: 'nope' } },
      status: 400,
      code: invalid,
      param: 'data.investor_id',
    },
    {
      name: 'data that is not an object',
      body: { event: 'order.filled', data: [1] },
      status: 400,
      code: codeOf(sandboxErrors.InvalidFormatError),
      param: 'data',
    },
    {
      name: 'an untradable symbol',
      body: { event: 'order.filled', data: { investor_id: investor.id, symbol: 'GME' } },
      status: 422,
      code: codeOf(sandboxErrors.AssetNotTradableError),
      param: 'data.symbol',
    },
    {
      name: 'an email another investor has',
      body: { event: 'account.created', data: { email: 'a@b.co' } },
      status: 409,
      code: codeOf(sandboxErrors.DuplicateResourceError),
      param: 'data.email',
    },
  ]
  const state = () =>
    JSON.stringify({
      investors: [...sandbox.state.investors.entries()],
      cash: [...sandbox.state.cashCents.entries()],
      orders: [...sandbox.state.orders.keys()],
      deposits: [...sandbox.state.deposits.keys()],
      documents: [...sandbox.state.documents.keys()],
      events: sandbox.events().length,
    })
  for (const row of rows) {
    const before = state()
    const answer = await call('POST', '/sandbox/trigger', row.body)
    t.match(
      answer,
      { status: row.status, body: { error: { code: row.code, param: row.param } } },
      row.name,
    )
    t.equal(state(), before, `${row.name}: nothing changed`)
  }
  const custom = await call('POST', '/sandbox/trigger', {
    event: 'payment.created',
    custom: true,
    data: { amount: '1' },
  })
  t.match(
    custom,
    { status: 201, body: { event: 'payment.created', data: { amount: '1' } } },
    'custom: true emits a name outside the catalog',
  )
})
