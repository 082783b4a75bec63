/** Orders, transfers and documents: what each does to state and which events it emits. */
import t from 'tap'
import { createSandbox } from '../mock-server/index.js'

function setup(options: Parameters<typeof createSandbox>[0] = {}) {
  const sandbox = createSandbox({
    transport: { send: async () => ({ status: 200, headers: {}, body: '' }) },
    ...options,
  })
  const investor = sandbox.investors.create({ first_name: 'A', last_name: 'B', email: 'a@b.co' })
  const names = () =>
    sandbox
      .events()
      .map((e) => e.event)
      .filter((n) => !n.startsWith('account.') && !n.startsWith('kyc.'))
  return { sandbox, investor, names }
}
const market = { symbol: 'AAPL', side: 'buy', type: 'market', time_in_force: 'day' } as const

t.test('creating an investor approves KYC at once and emits account.created', async (t) => {
  const { sandbox, investor } = setup()
  t.teardown(() => sandbox.close())
  t.match(investor, {
    id: /^inv_/,
    object: 'investor',
    kyc_status: 'approved',
    livemode: false,
    metadata: {},
  })
  t.same(
    sandbox.events().map((e) => e.event),
    ['account.created', 'kyc.verification.approved'],
  )
  t.match(sandbox.events()[0]!.data, { id: investor.id, email: 'a@b.co' })
})

t.test('a market buy fills at the simulated price and moves cash and positions', async (t) => {
  const { sandbox, investor, names } = setup()
  t.teardown(() => sandbox.close())
  const order = sandbox.orders.place(investor.id, { ...market, quantity: '10' })
  t.match(order, {
    status: 'filled',
    filled_quantity: '10',
    remaining_quantity: '0',
    average_price: '178.50',
  })
  t.same(names(), ['order.accepted', 'order.filled'])
  t.match(
    sandbox.events().at(-2)!.data,
    { status: 'open', filled_quantity: '0' },
    'each event carries a snapshot',
  )
  t.match(sandbox.investors.balances(investor.id), {
    cash: '98215.00',
    positions: [{ symbol: 'AAPL', quantity: '10', average_cost: '178.50' }],
  })
  const sell = sandbox.orders.place(investor.id, { ...market, side: 'sell', quantity: '4' })
  t.equal(sell.status, 'filled')
  t.match(sandbox.investors.balances(investor.id), {
    cash: '98929.00',
    positions: [{ quantity: '6' }],
  })
})

t.test('insufficient buying power or position fails the order with order.rejected', async (t) => {
  const { sandbox, investor, names } = setup({ initialCash: '100.00' })
  t.teardown(() => sandbox.close())
  t.match(sandbox.orders.place(investor.id, { ...market, quantity: '1' }), {
    status: 'failed',
    failure_reason: 'insufficient_buying_power',
  })
  t.match(sandbox.orders.place(investor.id, { ...market, side: 'sell', quantity: '1' }), {
    status: 'failed',
    failure_reason: 'insufficient_position',
  })
  t.same(names(), ['order.rejected', 'order.rejected'])
})

t.test('a limit order rests open until the price crosses it, and can be cancelled', async (t) => {
  const { sandbox, investor, names } = setup()
  t.teardown(() => sandbox.close())
  const resting = sandbox.orders.place(investor.id, {
    ...market,
    type: 'limit',
    time_in_force: 'gtc',
    quantity: '1',
    limit_price: '170.00',
  })
  t.equal(resting.status, 'open')
  t.equal(
    sandbox.investors.balances(investor.id).buying_power,
    '99830.00',
    'the resting buy holds buying power',
  )
  sandbox.orders.setPrice('AAPL', 171)
  t.equal(resting.status, 'open')
  sandbox.orders.setPrice('AAPL', 169.5)
  t.match(resting, { status: 'filled', average_price: '169.50' })
  const other = sandbox.orders.place(investor.id, {
    ...market,
    type: 'limit',
    time_in_force: 'gtc',
    quantity: '1',
    limit_price: '100.00',
  })
  t.match(sandbox.orders.cancel(investor.id, other.id), { status: 'cancelled', cancelled_at: /Z$/ })
  t.throws(() => sandbox.orders.cancel(investor.id, other.id), { code: 'BLUM-422-004' })
  t.same(names(), ['order.accepted', 'order.filled', 'order.accepted', 'order.canceled'])
  t.same(
    sandbox.orders.list(investor.id, { status: 'cancelled' }).map((o) => o.id),
    [other.id],
  )
  t.same(sandbox.orders.list(investor.id, { symbol: 'aapl', side: 'sell' }), [])
})

t.test('partial-fill mode fills in two halves on the clock', async (t) => {
  const { sandbox, investor, names } = setup({ partialFills: true })
  t.teardown(() => sandbox.close())
  const order = sandbox.orders.place(investor.id, { ...market, quantity: '10' })
  t.match(order, { status: 'partial', filled_quantity: '5', remaining_quantity: '5' })
  await sandbox.clock.advance('1s')
  t.match(order, { status: 'filled', filled_quantity: '10' })
  t.same(names(), ['order.accepted', 'order.partially_filled', 'order.filled'])
})

t.test('ACH deposits go pending, processing, completed on the clock; cash follows', async (t) => {
  const { sandbox, investor, names } = setup()
  t.teardown(() => sandbox.close())
  const deposit = sandbox.transfers.deposit(investor.id, { amount: '500', method: 'ach' })
  t.match(deposit, { id: /^dep_/, status: 'pending', amount: '500.00', currency: 'USD' })
  await sandbox.clock.advance('1s')
  t.equal(deposit.status, 'processing')
  await sandbox.clock.advance('2s')
  t.match(deposit, { status: 'completed', completed_at: /Z$/ })
  t.equal(sandbox.investors.balances(investor.id).cash, '100500.00')
  t.same(names(), ['transfer.deposit.initiated', 'transfer.deposit.completed'])
})

t.test(
  'manual bank transfers wait for a sandbox control; withdrawals hold and refund',
  async (t) => {
    const { sandbox, investor, names } = setup()
    t.teardown(() => sandbox.close())
    const deposit = sandbox.transfers.deposit(investor.id, {
      amount: '10',
      method: 'manual_bank_transfer',
    })
    await sandbox.clock.advance('1d')
    t.equal(deposit.status, 'pending')
    sandbox.transfers.complete(deposit.id)
    const withdrawal = sandbox.transfers.withdraw(investor.id, {
      amount: '100010.00',
      method: 'manual_bank_transfer',
    })
    t.equal(sandbox.investors.balances(investor.id).cash, '0.00', 'held at once')
    t.throws(() => sandbox.transfers.withdraw(investor.id, { amount: '1', method: 'ach' }), {
      code: 'BLUM-422-001',
    })
    sandbox.transfers.fail(withdrawal.id, 'bank_rejected')
    t.match(withdrawal, { status: 'failed', failure_reason: 'bank_rejected' })
    t.equal(sandbox.investors.balances(investor.id).cash, '100010.00', 'refunded')
    t.throws(() => sandbox.transfers.complete(withdrawal.id), { code: 'BLUM-422-004' })
    t.same(names(), [
      'transfer.deposit.initiated',
      'transfer.deposit.completed',
      'transfer.withdrawal.initiated',
      'transfer.withdrawal.failed',
    ])
  },
)

t.test('documents are approved, or rejected with a reason when told to', async (t) => {
  const { sandbox, investor, names } = setup()
  t.teardown(() => sandbox.close())
  const file = { filename: 'p.jpg', size: 3, content_type: 'image/jpeg' }
  t.match(
    sandbox.documents.submit({
      investor_id: investor.id,
      document_type: 'passport',
      purpose: 'identity_verification',
      file,
    }),
    { id: /^doc_/, status: 'approved' },
  )
  sandbox.documents.rejectNext('expired')
  t.match(
    sandbox.documents.submit({
      investor_id: investor.id,
      document_type: 'passport',
      purpose: 'identity_verification',
      file,
    }),
    { status: 'rejected', rejection_reason: 'expired' },
  )
  t.same(names(), ['document.approved', 'document.rejected'])
})

t.test(
  'trigger emits any catalog event with sample data and overrides, and unknown names too',
  async (t) => {
    const { sandbox } = setup()
    t.teardown(() => sandbox.close())
    t.match(sandbox.trigger('order.filled', { symbol: 'TSLA' }), {
      id: /^evt_/,
      event: 'order.filled',
      data: { status: 'filled', symbol: 'TSLA', id: /^ord_/ },
    })
    t.match(sandbox.trigger('transfer.withdrawal.failed').data, {
      object: 'withdrawal',
      status: 'failed',
    })
    t.match(sandbox.trigger('payment.created', { amount: '1' }, { custom: true }).data, {
      amount: '1',
    })
  },
)

t.test('reset forgets everything', async (t) => {
  const { sandbox, investor } = setup()
  t.teardown(() => sandbox.close())
  sandbox.transfers.deposit(investor.id, { amount: '1', method: 'ach' })
  sandbox.reset()
  t.equal(sandbox.state.investors.size, 0)
  t.equal(sandbox.events().length, 0)
  t.equal(sandbox.clock.pendingTimers(), 0)
})
