/** Sandbox controls over HTTP, faults (duplicates, reordering, delay), and the inject transport. */
import Fastify from 'fastify'
import t from 'tap'
import {
  createInjectTransport,
  createSandbox,
  createSandboxServer,
  sampleInvestorRequest,
} from '../mock-server/index.js'

const authorization =
  'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

async function setup(t: { teardown(fn: () => unknown): void }) {
  const receiver = Fastify()
  const got: { id: string; event: string }[] = []
  receiver.post('/hook', async (request) => {
    got.push({
      id: request.headers['webhook-id'] as string,
      event: (request.body as { event: string }).event,
    })
    return {}
  })
  const sandbox = createSandbox({
    transport: createInjectTransport(receiver),
    initialCash: '100000.00',
  })
  const server = createSandboxServer(sandbox)
  t.teardown(async () => {
    await server.close()
    await receiver.close()
    await sandbox.close()
  })
  const call = async (method: string, url: string, body?: unknown) => {
    const response = await server.inject({
      method: method as 'POST',
      url: `/v1${url}`,
      headers: {
        authorization,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    })
    return { status: response.statusCode, body: response.json() as any }
  }
  const webhook = (
    await call('POST', '/webhooks', {
      name: 'x',
      url: 'http://app.local/hook',
      eventTypeNames: ['*'],
    })
  ).body
  return { sandbox, server, call, got, webhook }
}

t.test('trigger, set a price, complete a transfer and advance the clock over HTTP', async (t) => {
  const { sandbox, call, got } = await setup(t)
  const triggered = await call('POST', '/sandbox/trigger', {
    event: 'kyc.verification.rejected',
    data: { reason: 'x' },
  })
  t.match(triggered, {
    status: 201,
    body: { object: 'event', event: 'kyc.verification.rejected', data: { status: 'declined' } },
  })
  // Bluum's compliance workflow has no reason field: the reason is the KYC document's.
  const kycDocument = [...sandbox.state.documents.values()].find(
    (d) => d.investor_id === triggered.body.data.investor_id,
  )
  t.equal(kycDocument?.rejection_reason, 'x')
  const investor = (await call('POST', '/investors', sampleInvestorRequest())).body
  const order = (
    await call('POST', `/investors/${investor.id}/orders`, {
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      time_in_force: 'gtc',
      quantity: '1',
      limit_price: '150',
    })
  ).body
  t.equal(order.status, 'open')
  await call('POST', '/sandbox/prices/aapl', { price: '149.99' })
  t.equal((await call('GET', `/investors/${investor.id}/orders/${order.id}`)).body.status, 'filled')
  const dep = await call('POST', `/investors/${investor.id}/deposits`, {
    amount: '5',
    method: 'manual_bank_transfer',
  })
  t.equal(dep.status, 400, 'deposits need an Idempotency-Key')
  sandbox.transfers.deposit(investor.id, { amount: '5', method: 'wire' })
  const clock = await call('POST', '/sandbox/clock/advance', { duration: '3s' })
  t.match(clock, { status: 200, body: { kind: 'virtual', pending_timers: 0 } })
  await sandbox.idle()
  t.ok(got.some((g) => g.event === 'transfer.deposit.completed'))
  t.ok(got.some((g) => g.event === 'order.filled'))
  t.equal(
    (await call('POST', '/sandbox/clock/advance', { duration: 'soon' })).body.error.code,
    'BLUM-400-003',
  )
  t.equal((await call('POST', '/sandbox/reset')).status, 200)
  t.equal(sandbox.state.webhooks.size, 1, 'webhook registrations survive a reset')
  t.equal(sandbox.state.investors.size, 0)
  t.equal((await call('POST', '/sandbox/reset', { keep_webhooks: false })).status, 200)
  t.equal(sandbox.state.webhooks.size, 0, 'keep_webhooks: false drops them')
})

t.test('duplicate fault: every attempt is followed by identical copies', async (t) => {
  const { sandbox, call, got, webhook } = await setup(t)
  t.match(await call('POST', `/sandbox/webhooks/${webhook.id}/faults`, { duplicates: 2 }), {
    status: 200,
    body: { duplicates: 2 },
  })
  const event = sandbox.trigger('order.filled')
  await sandbox.idle()
  t.same(
    got.map((g) => g.id),
    [event.id, event.id, event.id],
  )
  const deliveries = (await call('GET', `/sandbox/webhooks/${webhook.id}/deliveries`)).body.data
  t.same(
    deliveries[0].attempts.map((a: any) => a.fault),
    [null, 'duplicate', 'duplicate'],
  )
})

t.test('reorder fault: held events are released newest first', async (t) => {
  const { sandbox, call, got, webhook } = await setup(t)
  await call('POST', `/sandbox/webhooks/${webhook.id}/faults`, { reorder: true })
  sandbox.trigger('order.accepted')
  sandbox.trigger('order.filled')
  await sandbox.idle()
  t.same(
    got.map((g) => g.event),
    ['order.filled', 'order.accepted'],
  )
  sandbox.trigger('order.canceled')
  await sandbox.idle()
  t.equal(got.length, 2, 'a lone event waits for the window')
  await sandbox.clock.advance('1s')
  t.equal(got.at(-1)?.event, 'order.canceled')
})

t.test('delay fault: the first attempt waits on the clock', async (t) => {
  const { sandbox, call, got, webhook } = await setup(t)
  await call('POST', `/sandbox/webhooks/${webhook.id}/faults`, { delay: '30s' })
  sandbox.trigger('order.filled')
  await sandbox.idle()
  t.equal(got.length, 0)
  await sandbox.clock.advance('30s')
  t.equal(got.length, 1)
  await call('DELETE', `/sandbox/webhooks/${webhook.id}/faults`)
  sandbox.trigger('order.filled')
  await sandbox.idle()
  t.equal(got.length, 2)
})

t.test('deliveries API: list attempts, replay one and replay failed since', async (t) => {
  const { sandbox, call, webhook } = await setup(t)
  await call('PATCH', `/webhooks/${webhook.id}`, { url: 'http://app.local/missing' })
  sandbox.trigger('order.filled')
  await sandbox.clock.advance('11h')
  const [parked] = (await call('GET', `/sandbox/webhooks/${webhook.id}/deliveries?status=parked`))
    .body.data
  t.match(parked, { status: 'parked', failure_reason: 'exhausted' })
  t.equal(parked.attempts.length, 6)
  t.ok(
    parked.attempts.every((a: any) => a.status_code === 404 && typeof a.duration_ms === 'number'),
  )
  await call('PATCH', `/webhooks/${webhook.id}`, { url: 'http://app.local/hook' })
  const replayed = await call(
    'POST',
    `/sandbox/webhooks/${webhook.id}/deliveries/${parked.id}/replay`,
  )
  t.equal(replayed.status, 202)
  await sandbox.idle()
  t.equal(
    (await call('GET', `/sandbox/webhooks/${webhook.id}/deliveries`)).body.data[0].status,
    'delivered',
  )
  await call('PATCH', `/webhooks/${webhook.id}`, { url: 'http://app.local/missing' })
  sandbox.trigger('order.canceled')
  await sandbox.clock.advance('11h')
  await call('PATCH', `/webhooks/${webhook.id}`, { url: 'http://app.local/hook' })
  const all = await call('POST', `/sandbox/webhooks/${webhook.id}/deliveries/replay`, {
    since: new Date(sandbox.clock.now() - 12 * 3600_000).toISOString(),
  })
  t.match(all, { status: 202, body: { data: [{ event: 'order.canceled' }] } })
  t.equal(
    (await call('POST', `/sandbox/webhooks/${webhook.id}/deliveries/dlv_nope/replay`)).status,
    404,
  )
})

t.test('multipart document upload through the Fastify face', async (t) => {
  const { server, call, sandbox } = await setup(t)
  const investor = (await call('POST', '/investors', sampleInvestorRequest())).body
  sandbox.documents.rejectNext('glare')
  const form = new FormData()
  form.append('document', new Blob([Buffer.from('jpeg')], { type: 'image/jpeg' }), 'id.jpg')
  form.append('document_type', 'passport')
  form.append('purpose', 'KYC')
  form.append('investor_id', investor.id)
  form.append('metadata', JSON.stringify({ side: 'front' }))
  const upload = async (body: FormData) => {
    const request = new Request('http://x/', { method: 'POST', body })
    return server.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: { authorization, 'content-type': request.headers.get('content-type')! },
      payload: Buffer.from(await request.arrayBuffer()),
    })
  }
  const response = await upload(form)
  t.equal(response.statusCode, 201)
  t.match(response.json(), {
    document_id: /^doc_/,
    status: 'rejected',
    rejection_reason: 'glare',
    purpose: 'kyc',
    owner_type: 'investor',
    owner_id: investor.id.slice(4),
    file_name: 'id.jpg',
    mime_type: 'image/jpeg',
    file_size: 4,
    metadata: { side: 'front' },
  })
  const listed = await call('GET', `/documents?investor_id=${investor.id}&status=REJECTED`)
  t.same(
    listed.body.data.map((d: any) => d.document_id),
    [response.json().document_id],
  )
  t.same((await call('GET', '/documents?status=ACCEPTED')).body.data, [])
  form.set('purpose', 'identity_verification')
  const before = sandbox.state.documents.size
  t.match((await upload(form)).json(), {
    error: { code: 'BLUM-400-004', param: 'purpose', message: /one of KYC, KYB/ },
  })
  form.set('purpose', 'KYC')
  form.set('metadata', 'not json')
  t.match((await upload(form)).json(), { error: { code: 'BLUM-400-003', param: 'metadata' } })
  t.equal(sandbox.state.documents.size, before, 'no document stored by a failed upload')
  const missing = await server.inject({
    method: 'POST',
    url: '/v1/documents',
    headers: { authorization, 'content-type': 'application/json' },
    payload: '{}',
  })
  t.match(missing.json(), { error: { code: 'BLUM-400-001', message: /multipart\/form-data/ } })
})

t.test(
  'the server serves its OpenAPI document and 404s unknown routes in the envelope',
  async (t) => {
    const { server } = await setup(t)
    const doc = (await server.inject('/openapi.json')).json()
    t.equal(doc.openapi, '3.1.0')
    t.ok(
      doc.paths['/v1/investors/{investor_id}/deposits'].post.parameters.some(
        (p: any) => p.name === 'Idempotency-Key' && p.required,
      ),
    )
    t.ok(doc.paths['/v1/documents'].post.requestBody.content['multipart/form-data'])
    const missing = await server.inject({ method: 'GET', url: '/v2/nothing' })
    t.equal(missing.statusCode, 404)
    t.match(missing.json(), { error: { code: 'BLUM-404-002', type: 'not_found_error' } })
  },
)
