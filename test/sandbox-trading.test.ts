/** Orders, transfers and documents: what each does to state and which events it emits. */
import t from 'tap'
import {
  createSandbox,
  sampleFundingSourceRequest,
  sampleInvestorRequest,
} from '../mock-server/index.js'

function setup(options: Parameters<typeof createSandbox>[0] = {}) {
  const sandbox = createSandbox({
    transport: { send: async () => ({ status: 200, headers: {}, body: '' }) },
    initialCash: '100000.00',
    ...options,
  })
  const investor = sandbox.investors.create(sampleInvestorRequest({ email: 'a@b.co' }))
  const names = () =>
    sandbox
      .events()
      .map((e) => e.event)
      .filter((n) => !n.startsWith('account.') && !n.startsWith('kyc.'))
  return { sandbox, investor, names }
}
const market = { symbol: 'AAPL', side: 'buy', type: 'market', time_in_force: 'day' } as const

/** What the wallet and positions routes show of an investor's money. */
function balances(sandbox: ReturnType<typeof createSandbox>, investorId: string) {
  const wallet = sandbox.investors.wallet(investorId)
  return {
    cash: wallet.balance,
    buying_power: wallet.buying_power,
    positions: sandbox.orders.positions(investorId),
  }
}

t.test('creating an investor approves KYC at once and emits account.created', async (t) => {
  const { sandbox, investor } = setup()
  t.teardown(() => sandbox.close())
  t.match(investor, {
    id: /^inv_/,
    object: 'investor',
    status: 'onboarding',
    livemode: false,
    metadata: {},
  })
  t.notOk('tax_id' in investor, 'the tax id is never shown')
  t.match(sandbox.investors.resource(investor.id), { status: 'active', account_number: /^\d{9}$/ })
  t.same(
    sandbox.events().map((e) => e.event),
    ['account.created', 'kyc.verification.approved', 'account.updated'],
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
  t.match(balances(sandbox, investor.id), {
    cash: '98215.00',
    positions: [{ symbol: 'AAPL', quantity: '10', average_cost_basis: '178.50' }],
  })
  const sell = sandbox.orders.place(investor.id, { ...market, side: 'sell', quantity: '4' })
  t.equal(sell.status, 'filled')
  t.match(balances(sandbox, investor.id), {
    cash: '98929.00',
    positions: [{ quantity: '6' }],
  })
})

t.test('insufficient buying power fails the order with order.rejected', async (t) => {
  const { sandbox, investor, names } = setup({ initialCash: '100.00' })
  t.teardown(() => sandbox.close())
  t.match(sandbox.orders.place(investor.id, { ...market, quantity: '1' }), {
    status: 'failed',
    failure_reason: 'insufficient_buying_power',
  })
  t.same(names(), ['order.rejected'])
})

t.test('selling more than the position is 422 BLUM-422-004, with no order stored', async (t) => {
  const { sandbox, investor, names } = setup()
  t.teardown(() => sandbox.close())
  sandbox.orders.place(investor.id, { ...market, quantity: '2' })
  sandbox.orders.place(investor.id, {
    ...market,
    side: 'sell',
    type: 'limit',
    time_in_force: 'gtc',
    quantity: '1',
    limit_price: '500.00',
  })
  t.throws(() => sandbox.orders.place(investor.id, { ...market, side: 'sell', quantity: '2' }), {
    code: 'BLUM-422-004',
    message: /selling 2 of 'AAPL', 1 available/,
  })
  t.equal(sandbox.state.orders.size, 2)
  t.same(names(), ['order.accepted', 'order.filled', 'order.accepted'])
})

t.test('a symbol the sandbox does not list is 404 BLUM-404-003, not a made-up price', async (t) => {
  const { sandbox, investor, names } = setup()
  t.teardown(() => sandbox.close())
  t.throws(() => sandbox.orders.place(investor.id, { ...market, symbol: 'NOPE', quantity: '1' }), {
    code: 'BLUM-404-003',
    param: 'symbol',
  })
  sandbox.orders.setPrice('NOPE', 12.5)
  t.match(sandbox.orders.place(investor.id, { ...market, symbol: 'NOPE', quantity: '1' }), {
    status: 'filled',
    average_price: '12.50',
  })
  t.same(names(), ['order.accepted', 'order.filled'])
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
    balances(sandbox, investor.id).buying_power,
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
  t.throws(() => sandbox.orders.cancel(investor.id, other.id), { code: 'BLUM-409-003' })
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
  const deposit = sandbox.transfers.deposit(investor.id, { amount: '500', method: 'wire' })
  t.match(deposit, { id: /^dep_/, status: 'pending', amount: '500.00', currency: 'USD' })
  await sandbox.clock.advance('1s')
  t.equal(deposit.status, 'processing')
  await sandbox.clock.advance('2s')
  t.match(deposit, { status: 'completed', completed_at: /Z$/ })
  t.equal(balances(sandbox, investor.id).cash, '100500.00')
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
    t.match(deposit, {
      method_details: {
        referenceCode: /^BLUUM-[A-Z0-9]{8}$/,
        bankDetails: { routingNumber: /^\d{9}$/, instructions: /reference code/ },
      },
    })
    await sandbox.clock.advance('1d')
    t.equal(deposit.status, 'pending')
    sandbox.transfers.complete(deposit.id)
    const source = sandbox.transfers.addFundingSource(investor.id, sampleFundingSourceRequest())
    const withdrawal = sandbox.transfers.withdraw(investor.id, {
      amount: '100010.00',
      method: 'manual_bank_transfer',
      funding_source_id: source.id,
    })
    t.match(withdrawal, {
      funding_source_id: source.id,
      destination_details: { bankName: 'Chase Bank', accountMask: '****5678' },
    })
    t.equal(balances(sandbox, investor.id).cash, '0.00', 'held at once')
    t.throws(
      () =>
        sandbox.transfers.withdraw(investor.id, {
          amount: '1',
          method: 'ach',
          funding_source_id: source.id,
        }),
      { code: 'BLUM-422-005' },
    )
    sandbox.transfers.fail(withdrawal.id, 'bank_rejected')
    t.match(withdrawal, { status: 'failed', failure_reason: 'bank_rejected' })
    t.equal(balances(sandbox, investor.id).cash, '100010.00', 'refunded')
    t.throws(() => sandbox.transfers.complete(withdrawal.id), { code: 'BLUM-409-003' })
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
      purpose: 'KYC',
      file,
    }),
    {
      document_id: /^doc_/,
      owner_type: 'investor',
      owner_id: investor.id.slice(4),
      status: 'accepted',
      file_name: 'p.jpg',
      mime_type: 'image/jpeg',
      file_size: 3,
    },
  )
  sandbox.documents.rejectNext('expired')
  t.match(
    sandbox.documents.submit({
      investor_id: investor.id,
      document_type: 'passport',
      purpose: 'KYC',
      file,
    }),
    { status: 'rejected', rejection_reason: 'expired' },
  )
  t.same(names(), ['document.approved', 'document.rejected'])
  t.equal(sandbox.investors.get(investor.id).kyc_status, 'approved', 'an approved KYC stays')
  t.same(
    sandbox.documents.list({ status: 'rejected' }).map((d) => d.rejection_reason),
    ['expired'],
  )
})

t.test(
  'in document KYC mode a KYC document decides the investor: kyc.* then account.updated',
  async (t) => {
    const { sandbox } = setup({ kycMode: 'document' })
    t.teardown(() => sandbox.close())
    const file = { filename: 'p.jpg', size: 3, content_type: 'image/jpeg' }
    const pending = sandbox.investors.create(sampleInvestorRequest({ email: 'p@b.co' }))
    t.match(pending, { status: 'onboarding' })
    t.match(sandbox.investors.get(pending.id), { status: 'onboarding', kyc_status: 'pending' })
    t.throws(() => sandbox.orders.place(pending.id, { ...market, quantity: '1' }), {
      code: 'BLUM-403-002',
    })
    const since = sandbox.events().length
    sandbox.documents.rejectNext('blurry')
    const doc = { investor_id: pending.id, document_type: 'passport', purpose: 'KYC', file }
    sandbox.documents.submit(doc)
    t.match(sandbox.investors.get(pending.id), {
      kyc_status: 'rejected',
      status: 'awaiting_documents',
    })
    sandbox.documents.submit(doc)
    t.match(sandbox.investors.get(pending.id), { kyc_status: 'approved', status: 'active' })
    t.same(
      sandbox
        .events()
        .slice(since)
        .map((e) => e.event),
      [
        'document.rejected',
        'kyc.verification.rejected',
        'account.updated',
        'document.approved',
        'kyc.verification.approved',
        'account.updated',
      ],
    )
    t.match(sandbox.events().find((e) => e.event === 'kyc.verification.rejected')!.data, {
      id: /^cw_/,
      object: 'compliance_workflow',
      investor_id: pending.id,
      workflow_status: 'REJECTED',
      status: 'declined',
      checks: [{ type: 'identity_verification', status: 'failed' }, { type: 'screening' }],
    })
    t.equal(sandbox.orders.place(pending.id, { ...market, quantity: '1' }).status, 'filled')
  },
)

t.test('a document over 10 MB is 400 BLUM-400-008 and is not stored', async (t) => {
  const { sandbox, investor, names } = setup()
  t.teardown(() => sandbox.close())
  const file = { filename: 'scan.pdf', size: 10 * 1024 * 1024 + 1, content_type: 'application/pdf' }
  t.throws(
    () => sandbox.documents.submit({ investor_id: investor.id, document_type: 'passport', file }),
    { code: 'BLUM-400-008', statusCode: 400, param: 'document' },
  )
  t.equal(sandbox.state.documents.size, 0)
  t.same(names(), [])
})

t.test('updating an investor emits account.updated with the new snapshot', async (t) => {
  const { sandbox, investor } = setup()
  t.teardown(() => sandbox.close())
  sandbox.investors.update(investor.id, { phone: '+14155550000', metadata: { tier: 'gold' } })
  t.match(sandbox.events().at(-1), {
    event: 'account.updated',
    data: { id: investor.id, phone: '+14155550000', metadata: { tier: 'gold' } },
  })
  sandbox.investors.create(sampleInvestorRequest({ email: 'taken@b.co' }))
  t.throws(() => sandbox.investors.update(investor.id, { email: 'Taken@b.co' }), {
    code: 'BLUM-409-001',
  })
})

t.test(
  'an ACH amount ending in .13 fails where it would complete: transfer.*.failed',
  async (t) => {
    const { sandbox, investor, names } = setup()
    t.teardown(() => sandbox.close())
    const source = sandbox.transfers.addFundingSource(investor.id, sampleFundingSourceRequest())
    const deposit = sandbox.transfers.deposit(investor.id, { amount: '500.13', method: 'wire' })
    const withdrawal = sandbox.transfers.withdraw(investor.id, {
      amount: '20.13',
      method: 'ach',
      funding_source_id: source.id,
    })
    t.equal(balances(sandbox, investor.id).cash, '99979.87', 'the withdrawal holds')
    await sandbox.clock.advance('3s')
    t.match(deposit, { status: 'failed', failure_reason: 'ach_return_insufficient_funds' })
    t.match(withdrawal, { status: 'failed', failure_reason: 'destination_account_closed' })
    t.equal(balances(sandbox, investor.id).cash, '100000.00', 'nothing credited, refunded')
    t.same(names(), [
      'transfer.deposit.initiated',
      'transfer.withdrawal.initiated',
      'transfer.deposit.failed',
      'transfer.withdrawal.failed',
    ])
  },
)

t.test('a pending deposit or withdrawal can be cancelled; a processing one cannot', async (t) => {
  const { sandbox, investor, names } = setup()
  t.teardown(() => sandbox.close())
  const source = sandbox.transfers.addFundingSource(investor.id, sampleFundingSourceRequest())
  const deposit = sandbox.transfers.deposit(investor.id, { amount: '5.00', method: 'wire' })
  const withdrawal = sandbox.transfers.withdraw(investor.id, {
    amount: '7.00',
    method: 'wire',
    funding_source_id: source.id,
  })
  t.match(sandbox.transfers.cancel('deposit', investor.id, deposit.id), {
    status: 'cancelled',
    completed_at: null,
  })
  await sandbox.clock.advance('1s')
  t.equal(withdrawal.status, 'processing')
  t.throws(() => sandbox.transfers.cancel('withdrawal', investor.id, withdrawal.id), {
    code: 'BLUM-409-003',
  })
  await sandbox.clock.advance('1d')
  t.equal(deposit.status, 'cancelled', 'its timers were cleared')
  const late = sandbox.transfers.withdraw(investor.id, {
    amount: '3.00',
    method: 'manual_bank_transfer',
    funding_source_id: source.id,
  })
  sandbox.transfers.cancel('withdrawal', investor.id, late.id)
  t.equal(balances(sandbox, investor.id).cash, '99993.00', 'the held amount is back')
  t.same(names(), [
    'transfer.deposit.initiated',
    'transfer.withdrawal.initiated',
    'transfer.withdrawal.completed',
    'transfer.withdrawal.initiated',
  ])
})

t.test('positions and the wallet value holdings at the simulated price', async (t) => {
  const { sandbox, investor } = setup()
  t.teardown(() => sandbox.close())
  sandbox.orders.place(investor.id, { ...market, quantity: '10' })
  sandbox.orders.setPrice('AAPL', 180)
  t.match(sandbox.orders.positions(investor.id), [
    {
      id: `pos_${investor.id.slice(4)}_aapl`,
      object: 'position',
      investor_id: investor.id,
      symbol: 'AAPL',
      class: 'equity',
      currency: 'USD',
      quantity: '10',
      average_cost_basis: '178.50',
      total_cost_basis: '1785.00',
      current_price: '180.00',
      market_value: '1800.00',
      unrealized_pl: '15.00',
      unrealized_pl_percent: '0.84',
    },
  ])
  t.match(sandbox.investors.wallet(investor.id), {
    id: `wlt_${investor.id.slice(4)}`,
    object: 'wallet',
    balance: '98215.00',
    cash_withdrawable: '98215.00',
    equity: '100015.00',
  })
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
  sandbox.transfers.deposit(investor.id, { amount: '1', method: 'wire' })
  sandbox.reset()
  t.equal(sandbox.state.investors.size, 0)
  t.equal(sandbox.events().length, 0)
  t.equal(sandbox.clock.pendingTimers(), 0)
})
