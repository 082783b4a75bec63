/**
 * The in-process face: app code calling the Bluum sandbox URL with global fetch reaches the
 * sandbox through msw, while the sandbox's own deliveries bypass msw and reach a real receiver.
 */
import Fastify from 'fastify'
import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import t from 'tap'
import {
  BLUUM_SANDBOX_BASE_URL,
  createBluumHandlers,
  createSandbox,
  sampleInvestorRequest,
} from '../mock-server/index.js'
import { signatureEntry } from './helpers/sign.js'

const authorization =
  'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

/** The "app code": a tiny Bluum client over global fetch. */
const bluum = async (
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) => {
  const response = await fetch(BLUUM_SANDBOX_BASE_URL + path, {
    method,
    headers: { authorization, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as any,
  }
}

t.test('fetch to the sandbox URL is served in-process; deliveries go around msw', async (t) => {
  const sandbox = createSandbox()
  const server = setupServer(...createBluumHandlers(sandbox))
  // 'error' proves the delivery below never passes through msw: an unhandled request would fail.
  server.listen({ onUnhandledRequest: 'error' })
  const receiver = Fastify()
  const got: { signed: boolean; event: string }[] = []
  receiver.post('/hook', async (request) => {
    const h = request.headers as Record<string, string>
    const raw = JSON.stringify(request.body)
    got.push({
      signed: h['webhook-signature']!.startsWith('v1,') && raw.length > 0,
      event: (request.body as any).event,
    })
    return { ok: true }
  })
  const address = await receiver.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => {
    server.close()
    await receiver.close()
    await sandbox.close()
  })

  const webhook = await bluum('POST', '/webhooks', {
    name: 'app',
    url: `${address}/hook`,
    eventTypeNames: ['account.created'],
  })
  t.equal(webhook.status, 201)
  const investor = await bluum(
    'POST',
    '/investors',
    sampleInvestorRequest({ email: 'ada@example.com' }),
  )
  t.equal(investor.status, 201)
  await sandbox.idle()
  t.same(got, [{ signed: true, event: 'account.created' }])

  const list = await bluum('GET', '/investors?limit=1')
  t.match(list.body, {
    object: 'list',
    url: '/v1/investors',
    has_more: false,
    data: [{ id: investor.body.id }],
  })
  const missing = await bluum('GET', '/does/not/exist')
  t.match(missing, { status: 404, body: { error: { code: 'BLUM-404-002' } } })
  const openapi = await fetch(`${BLUUM_SANDBOX_BASE_URL}/openapi.json`).then(
    (r) => r.json() as Promise<any>,
  )
  t.equal(openapi.openapi, '3.1.0')
  t.ok(openapi.paths['/v1/webhooks/{webhook_id}'].patch)
})

t.test('a test can override one answer with server.use(..., once)', async (t) => {
  const sandbox = createSandbox()
  const server = setupServer(...createBluumHandlers(sandbox))
  server.listen({ onUnhandledRequest: 'error' })
  t.teardown(async () => {
    server.close()
    await sandbox.close()
  })
  server.use(
    http.get(
      `${BLUUM_SANDBOX_BASE_URL}/webhooks`,
      () =>
        HttpResponse.json(
          { error: { type: 'api_error', code: 'BLUM-500-001', message: 'down' } },
          { status: 500 },
        ),
      { once: true },
    ),
  )
  t.equal((await bluum('GET', '/webhooks')).status, 500)
  t.equal((await bluum('GET', '/webhooks')).status, 200)
})

t.test('the signature a receiver gets verifies with an independent signer', async (t) => {
  const sandbox = createSandbox({
    transport: {
      send: async (req) => (captured.push(req), { status: 200, headers: {}, body: '' }),
    },
  })
  const captured: { headers: Record<string, string>; body: string }[] = []
  const server = setupServer(...createBluumHandlers(sandbox, { baseUrl: 'http://bluum.local/v1' }))
  server.listen({ onUnhandledRequest: 'error' })
  t.teardown(async () => {
    server.close()
    await sandbox.close()
  })
  const created = await fetch('http://bluum.local/v1/webhooks', {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'x', url: 'http://r.test/', eventTypeNames: ['document.*'] }),
  }).then((r) => r.json() as Promise<{ secret: string }>)
  sandbox.trigger('document.rejected', { rejection_reason: 'blurry' })
  await sandbox.idle()
  const [req] = captured
  const h = req!.headers
  t.equal(
    h['webhook-signature'],
    signatureEntry(created.secret, h['webhook-id']!, Number(h['webhook-timestamp']), req!.body),
  )
  t.equal(h['content-type'], 'application/json')
  t.match(JSON.parse(req!.body), {
    id: h['webhook-id'],
    event: 'document.rejected',
    timestamp: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    data: { rejection_reason: 'blurry' },
  })
})
