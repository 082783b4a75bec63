/** Idempotency-Key rules on deposits and withdrawals (and orders, when sent). */
import t from 'tap'
import {
  createApi,
  createSandbox,
  sampleFundingSourceRequest,
  sampleInvestorRequest,
} from '../mock-server/index.js'

const authorization =
  'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

function setup() {
  const sandbox = createSandbox({
    transport: { send: async () => ({ status: 200, headers: {}, body: '' }) },
    initialCash: '100000.00',
  })
  const api = createApi(sandbox)
  const investor = sandbox.investors.create(sampleInvestorRequest())
  const fs = sandbox.transfers.addFundingSource(investor.id, sampleFundingSourceRequest()).id
  const post = (path: string, body: unknown, key?: string) =>
    api.handle({
      method: 'POST',
      path,
      query: {},
      headers: {
        authorization,
        'content-type': 'application/json',
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
  return { sandbox, investor, fs, post }
}

t.test(
  'same key and body answers the original answer again, without a second deposit',
  async (t) => {
    const { sandbox, investor, post } = setup()
    t.teardown(() => sandbox.close())
    const first = await post(
      `/investors/${investor.id}/deposits`,
      { amount: '250.00', method: 'wire' },
      'key-1',
    )
    t.equal(first.status, 201)
    // Same JSON, different key order and whitespace: still the same request.
    const again = await post(
      `/investors/${investor.id}/deposits`,
      '{ "method": "wire",  "amount": "250.00" }',
      'key-1',
    )
    t.equal(again.status, 201)
    t.same(again.body, first.body)
    t.equal(again.headers?.['idempotent-replayed'], 'true')
    t.equal(sandbox.state.deposits.size, 1)
    t.equal(sandbox.events().filter((e) => e.event === 'transfer.deposit.initiated').length, 1)
  },
)

t.test('same key with a different body is 409 BLUM-409-002', async (t) => {
  const { sandbox, investor, fs, post } = setup()
  t.teardown(() => sandbox.close())
  await post(`/investors/${investor.id}/deposits`, { amount: '250.00', method: 'wire' }, 'key-1')
  const conflict = await post(
    `/investors/${investor.id}/deposits`,
    { amount: '251.00', method: 'wire' },
    'key-1',
  )
  t.match(conflict, {
    status: 409,
    body: { error: { code: 'BLUM-409-002', type: 'idempotency_error', param: 'Idempotency-Key' } },
  })
  const otherRoute = await post(
    `/investors/${investor.id}/withdrawals`,
    { amount: '250.00', method: 'ach', funding_source_id: fs },
    'key-1',
  )
  t.equal(otherRoute.status, 409, 'a key is bound to its route too')
})

t.test('an error answer is replayed as well', async (t) => {
  const { sandbox, investor, fs, post } = setup()
  t.teardown(() => sandbox.close())
  const first = await post(
    `/investors/${investor.id}/withdrawals`,
    { amount: '999999.00', method: 'ach', funding_source_id: fs },
    'wd-1',
  )
  t.equal(first.status, 422)
  await post(
    `/investors/${investor.id}/deposits`,
    { amount: '900000.00', method: 'manual_bank_transfer' },
    'dep-1',
  )
  sandbox.transfers.complete([...sandbox.state.deposits.keys()][0]!)
  const again = await post(
    `/investors/${investor.id}/withdrawals`,
    { amount: '999999.00', method: 'ach', funding_source_id: fs },
    'wd-1',
  )
  t.equal(again.status, 422, 'the original answer, even though the cash would now suffice')
})

t.test('keys are kept 24 h, then a key can be reused', async (t) => {
  const { sandbox, investor, post } = setup()
  t.teardown(() => sandbox.close())
  await post(
    `/investors/${investor.id}/deposits`,
    { amount: '1.00', method: 'manual_bank_transfer' },
    'k',
  )
  await sandbox.clock.advance('23h59m')
  t.equal(
    (
      await post(
        `/investors/${investor.id}/deposits`,
        { amount: '2.00', method: 'manual_bank_transfer' },
        'k',
      )
    ).status,
    409,
  )
  await sandbox.clock.advance('1m')
  t.equal(
    (
      await post(
        `/investors/${investor.id}/deposits`,
        { amount: '2.00', method: 'manual_bank_transfer' },
        'k',
      )
    ).status,
    201,
  )
})

t.test('orders honour a key when sent and do not require one', async (t) => {
  const { sandbox, investor, post } = setup()
  t.teardown(() => sandbox.close())
  const body = { symbol: 'AAPL', side: 'buy', type: 'market', time_in_force: 'day', quantity: '1' }
  t.equal((await post(`/investors/${investor.id}/orders`, body)).status, 201)
  const a = await post(`/investors/${investor.id}/orders`, body, 'o-1')
  const b = await post(`/investors/${investor.id}/orders`, body, 'o-1')
  t.same(a.body, b.body)
  t.equal(sandbox.state.orders.size, 2)
})
