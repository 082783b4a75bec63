/**
 * Attempt records: every attempt keeps the request it sent and what came back (status, headers,
 * the first 64 KiB of the body, duration) or the connection error; one delivery is readable on its
 * own, and deliveries of every webhook are listed by phase and event. Over real HTTP: the sandbox
 * server and a receiver running the plugin both listen on 127.0.0.1.
 */
import type { AddressInfo } from 'node:net'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import bluumWebhooks from '../plugin/index.js'
import {
  createInjectTransport,
  createSandbox,
  createSandboxServer,
  generateWebhookSecret,
  type Sandbox,
} from '../mock-server/index.js'
import { maxRecordedBodyBytes } from '../mock-server/core/state.js'

const authorization =
  'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

async function listen(t: Test, app: FastifyInstance): Promise<string> {
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

/** A sandbox (virtual clock, real HTTP deliveries) behind its own server on 127.0.0.1. */
async function startSandbox(t: Test, options: Parameters<typeof createSandbox>[0] = {}) {
  const sandbox = createSandbox(options)
  t.teardown(() => sandbox.close())
  const base = (await listen(t, createSandboxServer(sandbox))) + '/v1'
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(base + path, {
      method,
      headers: {
        authorization,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: response.status, body: (await response.json()) as any }
  }
  return { sandbox, base, api }
}

/** A plugin app verifying `secret` at /webhooks/bluum. */
async function startReceiver(t: Test, secret: string): Promise<string> {
  const app = Fastify()
  await app.register(bluumWebhooks, { secret })
  app.bluum.onAny(async () => undefined)
  return (await listen(t, app)) + '/webhooks/bluum'
}

async function createWebhook(api: Awaited<ReturnType<typeof startSandbox>>['api'], url: string) {
  const created = await api('POST', '/webhooks', { name: 'r', url, eventTypeNames: ['*'] })
  return created.body as { id: string; secret: string }
}

t.test(
  "a rejected attempt keeps the request sent and the receiver's diagnosing answer, never the secret",
  async (t) => {
    const { sandbox, api } = await startSandbox(t)
    // The receiver verifies with another secret: the plugin answers 401 and says why.
    const url = await startReceiver(t, generateWebhookSecret())
    const webhook = await createWebhook(api, url)
    const triggered = await api('POST', '/sandbox/trigger', { event: 'order.filled' })
    t.equal(triggered.status, 201)
    await sandbox.idle()

    const [listed] = (await api('GET', `/sandbox/webhooks/${webhook.id}/deliveries`)).body.data
    const one = await api('GET', `/sandbox/webhooks/${webhook.id}/deliveries/${listed.id}`)
    t.equal(one.status, 200)
    const delivery = one.body
    t.match(delivery, {
      id: listed.id,
      object: 'webhook_delivery',
      event: 'order.filled',
      event_id: triggered.body.id,
      status: 'failing',
      phase: 'failing',
      next_attempt_at: new Date(sandbox.clock.now() + 60_000).toISOString(),
    })
    const [attempt] = delivery.attempts
    t.match(attempt, {
      attempt: 1,
      status_code: 401,
      error: 'HTTP 401',
      succeeded: false,
      connection_error: null,
      request: {
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/json',
          'webhook-id': triggered.body.id,
          'webhook-timestamp': String(attempt.webhook_timestamp),
          'webhook-signature': /^v1,/,
          'user-agent': 'Bluum-Sandbox-Webhooks/1.0',
        },
      },
      response: {
        status: 401,
        headers: { 'content-type': /application\/json/ },
        body_truncated: false,
      },
    })
    t.type(attempt.duration_ms, 'number')
    t.same(JSON.parse(attempt.request.body), {
      id: triggered.body.id,
      event: 'order.filled',
      timestamp: triggered.body.timestamp,
      data: triggered.body.data,
    })
    const answer = JSON.parse(attempt.response.body)
    t.match(answer, { code: 'BLUUM_SIGNATURE_MISMATCH', message: /secret/ })
    t.equal(attempt.response.body_bytes, Buffer.byteLength(attempt.response.body))
    t.notMatch(JSON.stringify(delivery), webhook.secret, 'the secret appears nowhere')
    t.notMatch(JSON.stringify(delivery), webhook.secret.slice('whsec_'.length))
  },
)

t.test('a connection error is recorded with its code and message, and no response', async (t) => {
  const { sandbox, api } = await startSandbox(t)
  // A port that was just closed: nothing listens there any more.
  const gone = Fastify()
  await gone.listen({ port: 0, host: '127.0.0.1' })
  const port = (gone.server.address() as AddressInfo).port
  await gone.close()
  const webhook = await createWebhook(api, `http://127.0.0.1:${port}/hook`)
  await api('POST', '/sandbox/trigger', { event: 'account.created' })
  await sandbox.idle()
  const [delivery] = (await api('GET', `/sandbox/webhooks/${webhook.id}/deliveries`)).body.data
  t.match(delivery.attempts[0], {
    status_code: null,
    response: null,
    error: /^ECONNREFUSED: /,
    connection_error: { code: 'ECONNREFUSED', message: /ECONNREFUSED/ },
    request: { url: `http://127.0.0.1:${port}/hook` },
  })
})

t.test('the answer body is kept up to 64 KiB and marked truncated past it', async (t) => {
  const size = maxRecordedBodyBytes + 1000
  // Two-byte characters across the cut: the kept text must not end in half a character.
  const big = 'é'.repeat(size / 2)
  const app = Fastify()
  app.post('/big', async (_request, reply) => reply.code(500).type('text/plain').send(big))
  app.post('/small', async (_request, reply) => reply.code(500).type('text/plain').send('no'))
  const base = await listen(t, app)

  for (const transport of ['http', 'inject'] as const) {
    t.test(`over the ${transport} transport`, async (t) => {
      const sandbox: Sandbox = createSandbox(
        transport === 'inject' ? { transport: createInjectTransport(app) } : {},
      )
      t.teardown(() => sandbox.close())
      const hooks = ['big', 'small'].map((path) =>
        sandbox.webhooks.create({ name: path, url: `${base}/${path}`, eventTypeNames: ['*'] }),
      )
      sandbox.trigger('account.created')
      await sandbox.idle()
      const [bigOne] = sandbox.deliveries.list({ webhookId: hooks[0]!.id })
      const response = bigOne!.attempts[0]!.response!
      t.equal(response.body_truncated, true)
      t.equal(response.body_bytes, Buffer.byteLength(big))
      t.ok(Buffer.byteLength(response.body) <= maxRecordedBodyBytes)
      t.ok(
        Buffer.byteLength(response.body) > maxRecordedBodyBytes - 2,
        'cut at most a character short',
      )
      t.ok(big.startsWith(response.body), 'a prefix, no replacement character')
      const [smallOne] = sandbox.deliveries.list({ webhookId: hooks[1]!.id })
      t.match(smallOne!.attempts[0]!.response, { body: 'no', body_truncated: false, body_bytes: 2 })
    })
  }
})

t.test('one delivery: unknown ids answer Bluum 404 envelopes, nothing changes', async (t) => {
  const { sandbox, api } = await startSandbox(t)
  const url = await startReceiver(t, generateWebhookSecret())
  const a = await createWebhook(api, url)
  const b = await createWebhook(api, url)
  await api('POST', '/sandbox/trigger', { event: 'account.created' })
  await sandbox.idle()
  const [ofA] = (await api('GET', `/sandbox/webhooks/${a.id}/deliveries`)).body.data
  const before = JSON.stringify(sandbox.deliveries.list())
  const rows = [
    { path: `/sandbox/webhooks/${a.id}/deliveries/dlv_nope`, param: 'delivery_id' },
    { path: `/sandbox/webhooks/${b.id}/deliveries/${ofA.id}`, param: 'delivery_id' },
    { path: `/sandbox/webhooks/wh_nope/deliveries/${ofA.id}`, param: 'webhook_id' },
  ]
  rows.push({ path: '/sandbox/deliveries/dlv_nope', param: 'delivery_id' })
  const byId = await api('GET', `/sandbox/deliveries/${ofA.id}`)
  t.match(byId, { status: 200, body: { id: ofA.id, webhook_id: a.id, attempts: [{ attempt: 1 }] } })
  for (const row of rows) {
    const answer = await api('GET', row.path)
    t.equal(answer.status, 404, row.path)
    t.match(answer.body, {
      error: { type: 'not_found_error', code: 'BLUM-404-001', param: row.param },
    })
  }
  t.equal(JSON.stringify(sandbox.deliveries.list()), before, 'no delivery changed')
})

t.test(
  'GET /v1/sandbox/deliveries lists every webhook newest first, by phase, event and webhook',
  async (t) => {
    const { sandbox, api, base: sandboxBase } = await startSandbox(t)
    const app = Fastify()
    app.post('/ok', async () => ({}))
    app.post('/down', async (_request, reply) => reply.code(503).send({}))
    const base = await listen(t, app)
    const ok = await createWebhook(api, `${base}/ok`)
    const down = await createWebhook(api, `${base}/down`)
    await api('POST', '/sandbox/trigger', { event: 'account.created' })
    await api('POST', '/sandbox/trigger', { event: 'order.filled' })
    await sandbox.idle()

    const all = (await api('GET', '/sandbox/deliveries')).body
    t.equal(all.object, 'list')
    t.same(
      all.data.map((d: any) => d.event),
      ['order.filled', 'order.filled', 'account.created', 'account.created'],
      'newest first',
    )
    const failing = (await api('GET', '/sandbox/deliveries?status=failing')).body.data
    t.ok(failing.length === 2 && failing.every((d: any) => d.webhook_id === down.id))
    const delivered = (await api('GET', '/sandbox/deliveries?status=delivered')).body.data
    t.ok(delivered.length === 2 && delivered.every((d: any) => d.webhook_id === ok.id))
    t.same((await api('GET', '/sandbox/deliveries?status=parked')).body.data, [])

    await sandbox.clock.advance('11h')
    const parked = (await api('GET', `/sandbox/deliveries?status=parked&event=order.filled`)).body
      .data
    t.match(parked, [{ webhook_id: down.id, event: 'order.filled', phase: 'parked' }])
    t.equal(parked[0].attempts.length, 6)
    const byWildcard = (await api('GET', `/sandbox/deliveries?event=order.*&webhook_id=${ok.id}`))
      .body.data
    t.match(byWildcard, [{ webhook_id: ok.id, event: 'order.filled', phase: 'delivered' }])

    const rows = [
      { query: 'status=done', status: 400, param: 'status' },
      { query: 'event=Order%20Filled', status: 400, param: 'event' },
      { query: 'webhook_id=wh_nope', status: 404, param: 'webhook_id' },
    ]
    for (const row of rows) {
      const answer = await api('GET', `/sandbox/deliveries?${row.query}`)
      t.equal(answer.status, row.status, row.query)
      t.match(answer.body, {
        error: { code: new RegExp(`^BLUM-${row.status}-`), param: row.param },
      })
    }
    const anonymous = await fetch(`${sandboxBase}/sandbox/deliveries`)
    t.equal(anonymous.status, 401)
    t.match(await anonymous.json(), { error: { code: 'BLUM-401-001' } })
  },
)

t.test(
  'attempt records persist in the state file; a file saved before them still loads',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bluum-attempts-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const file = join(dir, 'state.json')
    const app = Fastify()
    app.post('/hook', async (_request, reply) => reply.code(500).send({ why: 'down' }))
    const url = (await listen(t, app)) + '/hook'

    const first = createSandbox({ stateFile: file })
    const webhook = first.webhooks.create({ name: 'w', url, eventTypeNames: ['*'] })
    first.trigger('account.created')
    await first.idle()
    await first.close()

    const second = createSandbox({ stateFile: file })
    const [delivery] = second.deliveries.list({ webhookId: webhook.id })
    t.match(delivery!.attempts[0], {
      request: { url, headers: { 'webhook-signature': /^v1,/ } },
      response: { status: 500, body: '{"why":"down"}' },
      connection_error: null,
    })
    await second.close()

    // The same file as an older sandbox wrote it: attempts without request, response, connection_error.
    const saved = JSON.parse(readFileSync(file, 'utf8'))
    for (const [, d] of saved.state.deliveries.$map)
      for (const a of d.attempts) {
        delete a.request
        delete a.response
        delete a.connection_error
      }
    writeFileSync(file, JSON.stringify(saved))
    const third = createSandbox({ stateFile: file })
    t.teardown(() => third.close())
    const server = createSandboxServer(third)
    const old = await server.inject({
      url: `/v1/sandbox/webhooks/${webhook.id}/deliveries/${delivery!.id}`,
      headers: { authorization },
    })
    t.equal(old.statusCode, 200)
    t.match(old.json().attempts[0], {
      status_code: 500,
      request: null,
      response: null,
      connection_error: null,
    })
    await server.close()
  },
)
