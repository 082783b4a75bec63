/**
 * Fidelity to Bluum's published documentation, through the Fastify face: every catalogued event
 * comes from a documented request (a magic value where Bluum documents no way to cause it, never
 * a sandbox control), the engines hold the values the answers show, filters filter and refuse a
 * malformed value with the catalog's code, lists page as documented, and what Bluum does not
 * document is accepted with a `Bluum-Sandbox-Warning` (or refused in strict mode).
 */
import t from 'tap'
import { bluumEventNames } from '../plugin/catalog.js'
import {
  createSandbox,
  createSandboxServer,
  sampleFundingSourceRequest,
  sampleInvestorRequest,
} from '../mock-server/index.js'
import { eventCauses } from '../mock-server/contract/index.js'

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
  const call = async (
    method: string,
    url: string,
    body?: unknown,
    idempotent = false,
    auth = authorization,
  ) => {
    const response = await server.inject({
      method: method as 'POST',
      url: `/v1${url}`,
      headers: {
        authorization: auth,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(idempotent ? { 'idempotency-key': `key-${++keys}` } : {}),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    })
    return {
      status: response.statusCode,
      warning: response.headers['bluum-sandbox-warning'],
      body: response.json() as any,
    }
  }
  /** A new investor with a manual funding source and `cash` deposited (a settled wire). */
  const funded = async (cash = '1000.00', email = `i${keys}@example.com`) => {
    const id = (await call('POST', '/investors', sampleInvestorRequest({ email }))).body.id
    const fs = (
      await call('POST', `/investors/${id}/funding-sources/connect`, sampleFundingSourceRequest())
    ).body.id
    if (cash !== '0')
      await call('POST', `/investors/${id}/deposits`, { amount: cash, method: 'wire' }, true)
    await call('POST', '/sandbox/clock/advance', { duration: '3s' })
    return { id: id as string, fs: fs as string }
  }
  return { sandbox, server, call, funded }
}

const market = { symbol: 'AAPL', side: 'buy', type: 'market', time_in_force: 'day' }

async function upload(
  server: ReturnType<typeof createSandboxServer>,
  fields: Record<string, string>,
) {
  const form = new FormData()
  form.append('document', new Blob([Buffer.from('jpeg')], { type: 'image/jpeg' }), 'id.jpg')
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  const request = new Request('http://x/', { method: 'POST', body: form })
  const response = await server.inject({
    method: 'POST',
    url: '/v1/documents',
    headers: { authorization, 'content-type': request.headers.get('content-type')! },
    payload: Buffer.from(await request.arrayBuffer()),
  })
  return { status: response.statusCode, body: response.json() as any }
}

t.test('every catalogued event comes from a documented request, none from a control', async (t) => {
  const { sandbox, server, call, funded } = await setup(t)
  const { id, fs } = await funded('1000.00')
  const created = new Set(sandbox.events().map((e) => e.event))
  t.ok(created.has('account.created') && created.has('account.updated'))
  t.ok(created.has('kyc.verification.approved'), 'KYC approves at once in the sandbox')
  t.equal(
    (
      await call(
        'PUT',
        `/investors/${id}/trusted-contact`,
        sampleInvestorRequest().trusted_contact ?? {
          first_name: 'Mary',
          last_name: 'Doe',
          email: 'mary@example.com',
          phone: '+15555550199',
        },
      )
    ).status,
    200,
  )

  // Orders: fill, partial fill (magic client_order_id), cancel, reject (beyond buying power).
  await call('POST', `/investors/${id}/orders`, { ...market, quantity: '1' })
  await call('POST', `/investors/${id}/orders`, {
    ...market,
    quantity: '2',
    client_order_id: 'sandbox_partial_fill',
  })
  await call('POST', '/sandbox/clock/advance', { duration: '1s' })
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
  await call('POST', `/investors/${id}/deposits`, { amount: '100.13', method: 'wire' }, true)
  const withdraw = (amount: string) =>
    call(
      'POST',
      `/investors/${id}/withdrawals`,
      { amount, method: 'ach', funding_source_id: fs },
      true,
    )
  await withdraw('10.00')
  await withdraw('10.13')
  await call('POST', '/sandbox/clock/advance', { duration: '3s' })

  // Documents: auto-approved, or rejected by the magic metadata; a declined identity check.
  t.match(await upload(server, { document_type: 'passport', investor_id: id }), {
    status: 201,
    body: { status: 'accepted' },
  })
  t.match(
    await upload(server, {
      document_type: 'passport',
      investor_id: id,
      metadata: JSON.stringify({ sandbox_rejection_reason: 'Document is blurry or illegible' }),
    }),
    {
      status: 201,
      body: { status: 'rejected', rejection_reason: 'Document is blurry or illegible' },
    },
  )
  const workflow = (await call('GET', `/investors/${id}/compliance`)).body.id
  t.match(
    await call('POST', `/investors/${id}/compliance/submit`, {
      workflow_id: workflow,
      check_type: 'identity_verification',
      provider_payload: { status: 'declined', inquiry_id: 'inq_1' },
    }),
    { status: 200, body: { status: 'failed', provider: 'persona-identity' } },
  )

  const emitted = new Set(sandbox.events().map((e) => e.event))
  t.same([...emitted].sort(), [...bluumEventNames].sort(), 'every catalog event, nothing else')
  const requests = sandbox.requestLog.list().map((r) => r.operation_id)
  for (const [event, causes] of Object.entries(eventCauses))
    t.ok(
      causes.some((c) => requests.includes(c.operationId)),
      `${event} comes from ${causes.map((c) => c.operationId).join(' or ')}`,
    )
  t.notOk(requests.includes('triggerEvent'), 'no trigger')
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

t.test('an investor starts with nothing: balances come from deposits and fills', async (t) => {
  const { call, funded } = await setup(t)
  const created = await call('POST', '/investors', sampleInvestorRequest())
  t.match(created, {
    status: 201,
    body: { status: 'onboarding', balance: '0.00', buying_power: '0.00', account_number: null },
  })
  t.notOk('tax_id' in created.body, 'the tax id is never echoed')
  t.notOk('kyc_status' in created.body)
  t.match((await call('GET', `/investors/${created.body.id}`)).body, {
    status: 'active',
    account_number: /^\d{9}$/,
    trading_type: 'cash',
  })
  const { id } = await funded('1000.00', 'rich@example.com')
  await call('POST', `/investors/${id}/orders`, {
    ...market,
    type: 'limit',
    time_in_force: 'gtc',
    quantity: '2',
    limit_price: '150.00',
  })
  await call('POST', `/investors/${id}/orders`, { ...market, quantity: '1' })
  t.match((await call('GET', `/investors/${id}`)).body, {
    balance: '821.50',
    buying_power: '521.50',
    cash_withdrawable: '521.50',
    last_equity: '1000.00',
  })
  t.match((await call('GET', `/investors/${id}/wallets`)).body.data, [
    {
      balance: '821.50',
      available_balance: '521.50',
      reserved_balance: '300.00',
      buying_power: '521.50',
      equity: '1000.00',
    },
  ])
  t.match((await call('GET', `/investors/${id}/positions`)).body.data, [
    { symbol: 'AAPL', quantity: '1', asset_id: 'asset_aapl', class: 'equity' },
  ])
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

t.test('filters filter, and a malformed filter is the catalog 400', async (t) => {
  const { call, funded } = await setup(t)
  const { id, fs } = await funded('500.00')
  await call('POST', `/investors/${id}/orders`, { ...market, quantity: '1' })
  await call('POST', `/investors/${id}/orders`, {
    ...market,
    type: 'limit',
    time_in_force: 'gtc',
    quantity: '1',
    limit_price: '100.00',
  })
  const statuses = async (query: string) =>
    (await call('GET', `/investors/${id}/orders${query}`)).body.data.map((o: any) => o.status)
  t.same(await statuses('?status=open'), ['open'], 'open: every order not final')
  t.same(await statuses('?status=filled'), ['filled'])
  t.same(await statuses('?symbol=MSFT'), [])
  t.match(await call('GET', `/investors/${id}/orders?status=done`), {
    status: 400,
    body: { error: { code: 'BLUM-400-004', param: 'status' } },
  })
  await call(
    'POST',
    `/investors/${id}/withdrawals`,
    { amount: '5.00', method: 'ach', funding_source_id: fs },
    true,
  )
  const today = (await call('GET', '/sandbox/clock')).body.now.slice(0, 10)
  const withdrawals = (query: string) => call('GET', `/investors/${id}/withdrawals${query}`)
  t.equal((await withdrawals(`?date_from=${today}&date_to=${today}`)).body.data.length, 1)
  t.equal((await withdrawals('?date_to=2000-01-01')).body.data.length, 0)
  t.equal((await withdrawals('?status=canceled')).body.data.length, 0)
  t.equal((await withdrawals('?method=wire')).body.data.length, 0)
  t.match(await withdrawals('?date_from=yesterday'), {
    status: 400,
    body: { error: { code: 'BLUM-400-003', param: 'date_from' } },
  })
  t.match(await withdrawals('?date_from=2026-02-01&date_to=2026-01-01'), {
    status: 400,
    body: { error: { code: 'BLUM-400-007', param: 'date_from' } },
  })
  t.match(await call('GET', `/investors/${id}/deposits?currency=US`), {
    status: 400,
    body: { error: { param: 'currency' } },
  })
})

t.test('documents: flat resource, owner and status in Bluum casing, cursor paging', async (t) => {
  const { server, call } = await setup(t)
  const id = (await call('POST', '/investors', sampleInvestorRequest())).body.id
  const ids: string[] = []
  for (let i = 0; i < 3; i++)
    ids.push(
      (await upload(server, { document_type: 'passport', purpose: 'KYC', investor_id: id })).body
        .document_id,
    )
  const tenant = await upload(server, { document_type: 'w9_form', purpose: 'TAX' })
  t.match(tenant.body, { owner_type: 'tenant', purpose: 'tax', status: 'accepted' })
  const page = await call('GET', `/documents?investor_id=${id}&limit=2`)
  t.same(
    page.body.data.map((d: any) => d.document_id),
    [ids[2], ids[1]],
  )
  t.equal(page.body.has_more, true)
  const next = await call('GET', `/documents?investor_id=${id}&limit=2&starting_after=${ids[1]}`)
  t.same(
    next.body.data.map((d: any) => d.document_id),
    [ids[0]],
  )
  t.equal(next.body.has_more, false)
  t.same(Object.keys(page.body).sort(), ['data', 'has_more'], 'no offset envelope')
  t.equal((await call('GET', '/documents?status=ACCEPTED&purpose=TAX')).body.data.length, 1)
  t.match(await call('GET', '/documents?starting_after=doc_nope'), {
    status: 400,
    body: { error: { code: 'BLUM-400-001', param: 'starting_after' } },
  })
  t.match(await call('GET', `/documents/${ids[0]}`), {
    status: 200,
    body: { document_id: ids[0], owner_type: 'investor', owner_id: id.slice(4) },
  })
})

t.test('funding sources: manual and Plaid (single-use token), update, disconnect', async (t) => {
  const { call } = await setup(t)
  const id = (await call('POST', '/investors', sampleInvestorRequest())).body.id
  const token = await call('POST', `/investors/${id}/funding-sources/plaid/link-token`, {
    enable_hosted_link: true,
  })
  t.match(token.body, { link_token: /^link-sandbox-/, hosted_link_url: /^https:/ })
  const plaid = await call('POST', `/investors/${id}/funding-sources/connect`, {
    type: 'plaid',
    public_token: 'public-sandbox-1234abcd',
  })
  t.match(plaid, { status: 201, body: { object: 'list', data: [{ id: /^fs_/, type: 'plaid' }] } })
  t.match(
    await call('POST', `/investors/${id}/funding-sources/connect`, {
      type: 'plaid',
      public_token: 'public-sandbox-1234abcd',
    }),
    { status: 400, body: { error: { code: 'BLUM-400-001', param: 'public_token' } } },
    'a public token is single-use',
  )
  const manual = await call(
    'POST',
    `/investors/${id}/funding-sources/connect`,
    sampleFundingSourceRequest(),
  )
  t.match(manual.body, { id: /^fs_/, mask: '5678', account_number: '****5678', type: 'manual' })
  t.match(
    await call('POST', `/investors/${id}/funding-sources/connect`, {
      type: 'manual',
      bank_name: 'X',
    }),
    { status: 400, body: { error: { code: 'BLUM-400-002', param: 'account_holder_name' } } },
  )
  t.same(
    (await call('GET', `/investors/${id}/funding-sources?type=plaid`)).body.data.map(
      (s: any) => s.id,
    ),
    [plaid.body.data[0].id],
  )
  t.match(
    await call('PATCH', `/investors/${id}/funding-sources/${manual.body.id}`, {
      bank_account_type: 'SAVINGS',
      swift_code: 'CHASUS33',
    }),
    { status: 200, body: { account_subtype: 'savings', swift_code: 'CHASUS33' } },
  )
  t.match(await call('DELETE', `/investors/${id}/funding-sources/${manual.body.id}`), {
    status: 200,
    body: { status: 'success' },
  })
  t.equal((await call('GET', `/investors/${id}/funding-sources`)).body.data.length, 1)
})

t.test(
  'a raw UUID where a prefixed id belongs is 400; an unknown prefixed id is 404',
  async (t) => {
    const { call } = await setup(t)
    t.match(await call('GET', '/investors/3d0b0e65-35d3-4dcd-8df7-10286ebb4b4b'), {
      status: 400,
      body: { error: { code: 'BLUM-400-003', param: 'investor_id' } },
    })
    t.match(await call('GET', '/investors/inv_nope'), {
      status: 404,
      body: { error: { code: 'BLUM-404-001', param: 'investor_id' } },
    })
  },
)

t.test(
  'a field Bluum does not document is ignored with a warning, or refused when strict',
  async (t) => {
    const { sandbox, call } = await setup(t)
    const body = sampleInvestorRequest({
      nickname: 'jd',
      address: { ...(sampleInvestorRequest().address as object), floor: 3 },
    })
    const warned = await call('POST', '/investors', body)
    t.equal(warned.status, 201)
    t.match(warned.warning, /^Ignored field\(s\) Bluum does not document: .*address\.floor/)
    t.match(warned.warning, /nickname/)
    t.notOk('nickname' in warned.body, 'an ignored field is not stored or echoed')
    t.match(sandbox.requestLog.list().at(-1), {
      operation_id: 'createInvestor',
      status: 201,
      warnings: [/nickname/],
    })
    t.match((await call('GET', '/sandbox/requests?warned=true')).body.data, [
      { path: '/v1/investors', warnings: [/nickname/] },
    ])
    t.notOk((await call('GET', '/investors')).warning, 'no warning without undocumented fields')
    t.match(await call('GET', '/investors?sort=asc'), { status: 200, warning: /sort/ })

    await call('PATCH', '/sandbox/settings', { strict: true })
    const before = sandbox.state.investors.size
    t.match(
      await call('POST', '/investors', sampleInvestorRequest({ email: 'x@y.co', nickname: 'x' })),
      {
        status: 400,
        body: { error: { code: 'BLUM-400-001', param: 'nickname', message: /strict/ } },
      },
    )
    t.equal(sandbox.state.investors.size, before, 'nothing created')
  },
)

t.test('documented optional fields are accepted, as Bluum example bodies are', async (t) => {
  const { call, funded } = await setup(t)
  const { id } = await funded('5000.00')
  t.match(
    await call('POST', `/investors/${id}/orders`, {
      ...market,
      quantity: '1',
      market: 'NASDAQ',
      wallet_currency: 'USD',
      isin: 'US0378331005',
      figi: 'BBG000B9XRY4',
      class: 'equity',
      country: 'us',
    }),
    { status: 201, warning: undefined, body: { status: 'filled', class: 'equity' } },
  )
  t.match(
    await call('POST', `/trading/accounts/${id}/orders`, {
      symbol: 'AAPL',
      qty: '5',
      side: 'buy',
      type: 'limit',
      time_in_force: 'day',
      limit_price: '175.00',
      client_order_id: 'limitorder123',
      commission: '1.00',
      commission_type: 'notional',
    }),
    { status: 201, warning: undefined, body: { status: 'accepted', commission: '1.00' } },
  )
  const webhook = await call('POST', '/webhooks', {
    url: 'https://your-app.com/webhooks/bluum',
    eventTypeNames: ['order.filled', 'transfer.deposit.completed', 'kyc.verification.approved'],
  })
  t.match(webhook, { status: 201, body: { id: /^wh_/, status: 'active', name: null } })
  t.match(await call('PATCH', `/webhooks/${webhook.body.id}`, { status: 'INACTIVE' }), {
    status: 200,
    body: { status: 'inactive' },
  })
  t.match(
    await call('POST', `/investors/${id}/deposits`, { amount: '10.00', method: 'card' }, true),
    { status: 201, body: { method: 'card' } },
  )
})

t.test('the legacy trading route answers in its own shape, and cancels by POST', async (t) => {
  const { call, funded } = await setup(t)
  const { id } = await funded('1000.00')
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
    'commission',
    'commission_type',
    'currency',
    'extended_hours',
    'filled_at',
    'filled_qty',
    'id',
    'limit_price',
    'qty',
    'reject_reason',
    'remaining_qty',
    'side',
    'status',
    'submitted_at',
    'symbol',
    'time_in_force',
    'type',
  ])
  t.match(resting.body, {
    status: 'accepted',
    qty: '3',
    filled_qty: '0',
    remaining_qty: '3',
    average_price: '0.00',
  })
  const listed = await call('GET', `/trading/accounts/${id}/orders?status=accepted`)
  t.ok(Array.isArray(listed.body), 'the legacy list is a bare array')
  t.same(
    listed.body.map((o: any) => o.id),
    [resting.body.id],
  )
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

t.test('compliance workflow, investor API keys, trusted contact, estimates', async (t) => {
  const { sandbox, call, funded } = await setup(t, { kycMode: 'document' })
  const { id } = await funded('0')
  const status = await call('GET', `/investors/${id}/compliance`)
  t.match(status.body, {
    object: 'compliance_workflow',
    workflow_status: 'IN_PROGRESS',
    status: 'running',
  })
  const workflow = await call('GET', `/investors/${id}/compliance/workflows/${status.body.id}`)
  t.match(workflow.body, {
    id: status.body.id,
    status: 'in_progress',
    checks: [{ status: 'pending' }, {}],
  })
  for (const check_type of ['identity_verification', 'screening'])
    await call('POST', `/investors/${id}/compliance/submit`, {
      workflow_id: status.body.id,
      check_type,
      provider_payload: { status: 'approved' },
    })
  t.match((await call('GET', `/investors/${id}`)).body, { status: 'active' })
  t.ok(sandbox.events().some((e) => e.event === 'kyc.verification.approved'))

  const key = await call('POST', `/investors/${id}/api-keys`, {
    name: 'Mobile app',
    environment: 'TEST',
  })
  t.match(key.body, { id: /^apk_/, account_id: id, status: 'active', secret_key: String })
  const own =
    'Basic ' + Buffer.from(`${key.body.public_key}:${key.body.secret_key}`).toString('base64')
  t.equal((await call('GET', `/investors/${id}`, undefined, false, own)).status, 200)
  t.equal((await call('GET', '/webhooks', undefined, false, own)).status, 403)
  t.notOk('secret_key' in (await call('GET', `/investors/${id}/api-keys`)).body.data[0])
  t.match(await call('POST', `/investors/${id}/api-keys/${key.body.id}/revoke`), {
    status: 200,
    body: { status: 'revoked' },
  })
  t.match(await call('GET', `/investors/${id}`, undefined, false, own), {
    status: 401,
    body: { error: { code: 'BLUM-401-003' } },
  })

  const contact = {
    first_name: 'Mary',
    last_name: 'Doe',
    email: 'mary@example.com',
    phone: '+15555550199',
  }
  t.match(await call('PUT', `/investors/${id}/trusted-contact`, contact), {
    status: 200,
    body: { object: 'trusted_contact', investor_id: id, ...contact },
  })
  t.match(sandbox.events().at(-1), { event: 'account.updated', data: { trusted_contact: contact } })
  t.match(await call('PUT', `/investors/${id}/trusted-contact`, { first_name: 'Mary' }), {
    status: 400,
    body: { error: { code: 'BLUM-400-002' } },
  })
  t.match(
    await call('POST', `/investors/${id}/order-estimates`, {
      symbol: 'AAPL',
      side: 'buy',
      type: 'market',
      quantity: '2',
    }),
    {
      status: 200,
      body: {
        object: 'order_estimate',
        estimated_price: '178.50',
        total_estimated_value: '357.00',
        errors: ['Insufficient buying power for this order.'],
      },
    },
  )
})

t.test('PATCH /sandbox/investors/{id} changes the profile and emits account.updated', async (t) => {
  const { sandbox, call } = await setup(t)
  const id = (await call('POST', '/investors', sampleInvestorRequest())).body.id
  const patched = await call('PATCH', `/sandbox/investors/${id}`, {
    address: { street: ['1 Main St'], city: 'Austin', state: 'TX', country: 'US' },
  })
  t.match(patched, { status: 200, body: { address: { city: 'Austin', unit: null } } })
  t.match(sandbox.events().at(-1), { event: 'account.updated', data: { id } })
  const before = sandbox.events().length
  t.match(await call('PATCH', `/sandbox/investors/${id}`, { phone: '555' }), {
    status: 400,
    body: { error: { code: 'BLUM-400-003', param: 'phone' } },
  })
  t.equal(sandbox.events().length, before, 'a rejected change emits nothing')
})

t.test('the OpenAPI document lists the documented routes and marks the inventions', async (t) => {
  const { server } = await setup(t)
  const paths = (await server.inject('/openapi.json')).json().paths
  for (const [path, method] of [
    ['/v1/investors/{investor_id}/trusted-contact', 'put'],
    ['/v1/investors/{investor_id}/positions', 'get'],
    ['/v1/investors/{investor_id}/funding-sources/connect', 'post'],
    ['/v1/investors/{investor_id}/deposits/{deposit_id}/cancel', 'post'],
    ['/v1/investors/{investor_id}/withdrawals/{withdrawal_id}/cancel', 'post'],
    ['/v1/investors/{investor_id}/order-estimates', 'post'],
    ['/v1/documents', 'get'],
    ['/v1/trading/accounts/{account_id}/orders/{order_id}/cancel', 'post'],
  ] as const) {
    t.ok(paths[path]?.[method], `${method.toUpperCase()} ${path}`)
    t.match(paths[path][method]['x-bluum-sources'], [/^https:\/\/docs\.bluumfinance\.com\//])
  }
  t.equal(paths['/v1/sandbox/reset'].post['x-sandbox-only'], true)
  for (const [path, methods] of Object.entries(paths) as [string, Record<string, any>][])
    for (const operation of Object.values(methods))
      if (!path.startsWith('/v1/sandbox/'))
        t.notOk(operation['x-sandbox-only'], `${path} is documented`)
  t.match(
    paths['/v1/investors/{investor_id}/withdrawals'].post.requestBody.content['application/json']
      .schema,
    { required: ['amount', 'method', 'funding_source_id'] },
  )
})
