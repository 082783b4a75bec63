/**
 * `GET /v1/sandbox/stream`: server-sent events of new events and of every delivery attempt (with
 * the next retry time, or parked), keepalive comments, the auth of the other sandbox routes, and
 * a server that closes cleanly with streams open. Over real HTTP on 127.0.0.1, with a receiver
 * running the plugin.
 */
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import bluumWebhooks from '../plugin/index.js'
import {
  createSandbox,
  createSandboxServer,
  generateWebhookSecret,
  type Sandbox,
} from '../mock-server/index.js'
import { readSse } from './helpers/sse.js'

const basic = (key: string, secret: string) =>
  'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64')
const authorization = basic('bluum_sandbox_key', 'bluum_sandbox_secret')

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

async function setup(t: Test, keepaliveMs = 60_000) {
  const sandbox: Sandbox = createSandbox({
    investorKeys: [{ apiKey: 'inv_key', apiSecret: 'inv_secret' }],
  })
  const server = createSandboxServer(sandbox, { streamKeepaliveMs: keepaliveMs })
  t.teardown(async () => {
    await server.close()
    await sandbox.close()
  })
  const base = (await listen(server)) + '/v1'
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
  const stream = async (query = '') => {
    const response = await fetch(`${base}/sandbox/stream${query}`, { headers: { authorization } })
    t.equal(response.status, 200)
    t.match(response.headers.get('content-type'), /^text\/event-stream/)
    const reader = readSse(response)
    t.teardown(() => reader.cancel().catch(() => undefined))
    return reader
  }
  return { sandbox, server, base, api, stream }
}

/** A plugin app that verifies another secret than the sandbox signs with: every attempt is a 401. */
async function wrongSecretReceiver(t: Test): Promise<string> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(bluumWebhooks, { secret: generateWebhookSecret() })
  app.bluum.onAny(async () => undefined)
  return (await listen(app)) + '/webhooks/bluum'
}

t.test(
  'a new event, each attempt with its next retry time, and the parking attempt arrive live',
  async (t) => {
    const { sandbox, api, stream } = await setup(t)
    const url = await wrongSecretReceiver(t)
    const webhook = (await api('POST', '/webhooks', { name: 'r', url, eventTypeNames: ['*'] })).body
    const sse = await stream()
    const triggered = (await api('POST', '/sandbox/trigger', { event: 'order.filled' })).body

    const event = await sse.next((f) => f.event === 'event')
    t.same(JSON.parse(event.data), {
      id: triggered.id,
      event: 'order.filled',
      timestamp: triggered.timestamp,
      data: triggered.data,
    })
    const first = JSON.parse((await sse.next((f) => f.event === 'attempt')).data)
    t.match(first, {
      delivery_id: /^dlv_/,
      webhook_id: webhook.id,
      event: 'order.filled',
      event_id: triggered.id,
      phase: 'failing',
      parked: false,
      next_attempt_at: new Date(sandbox.clock.now() + 60_000).toISOString(),
      attempt: {
        attempt: 1,
        status_code: 401,
        request: { url, headers: { 'webhook-id': triggered.id } },
        response: { status: 401, body: /BLUUM_SIGNATURE_MISMATCH/ },
      },
    })

    await api('POST', '/sandbox/clock/advance', { duration: '11h' })
    const last = JSON.parse(
      (await sse.next((f) => f.event === 'attempt' && JSON.parse(f.data).attempt.attempt === 6))
        .data,
    )
    t.match(last, {
      delivery_id: first.delivery_id,
      phase: 'parked',
      parked: true,
      next_attempt_at: null,
      failure_reason: 'exhausted',
    })
    const attempts = sse.frames.filter((f) => f.event === 'attempt')
    t.equal(attempts.length, 6, 'one frame per attempt')
  },
)

t.test('?webhook_id keeps the attempts of one webhook; events are all sent', async (t) => {
  const { sandbox, api, stream } = await setup(t)
  const url = await wrongSecretReceiver(t)
  const a = (await api('POST', '/webhooks', { name: 'a', url, eventTypeNames: ['*'] })).body
  await api('POST', '/webhooks', { name: 'b', url, eventTypeNames: ['*'] })
  const sse = await stream(`?webhook_id=${a.id}`)
  await api('POST', '/sandbox/trigger', { event: 'account.created' })
  await sandbox.idle()
  await api('POST', '/sandbox/trigger', { event: 'order.filled' })
  await sandbox.idle()
  // Frames arrive in order: once the second event's attempt is here, the first's are too.
  await sse.next((f) => f.event === 'attempt' && JSON.parse(f.data).event === 'order.filled')
  const attempts = sse.frames.filter((f) => f.event === 'attempt').map((f) => JSON.parse(f.data))
  t.same(
    attempts.map((x) => [x.webhook_id, x.event]),
    [
      [a.id, 'account.created'],
      [a.id, 'order.filled'],
    ],
  )
  t.equal(sse.frames.filter((f) => f.event === 'event').length, 2)
})

t.test('an idle stream gets keepalive comments', async (t) => {
  const { stream } = await setup(t, 20)
  const sse = await stream()
  await sse.next((f) => f.event === 'comment' && f.data === 'keepalive')
  t.ok(sse.frames.some((f) => f.event === 'comment' && f.data === 'bluum-sandbox stream'))
})

t.test('refused streams answer Bluum envelopes and open nothing', async (t) => {
  const { sandbox, base } = await setup(t)
  const rows: {
    name: string
    headers: Record<string, string>
    query: string
    status: number
    code: string | RegExp
  }[] = [
    { name: 'no credentials', headers: {}, query: '', status: 401, code: 'BLUM-401-001' },
    {
      name: 'wrong secret',
      headers: { authorization: basic('bluum_sandbox_key', 'nope') },
      query: '',
      status: 401,
      code: 'BLUM-401-003',
    },
    {
      name: 'investor-scoped key',
      headers: { authorization: basic('inv_key', 'inv_secret') },
      query: '',
      status: 403,
      code: 'BLUM-403-001',
    },
    {
      name: 'unknown webhook',
      headers: { authorization },
      query: '?webhook_id=wh_nope',
      status: 404,
      code: 'BLUM-404-001',
    },
    {
      name: 'empty webhook_id',
      headers: { authorization },
      query: '?webhook_id=',
      status: 400,
      code: /^BLUM-400-00\d$/,
    },
  ]
  for (const row of rows) {
    const response = await fetch(`${base}/sandbox/stream${row.query}`, { headers: row.headers })
    t.equal(response.status, row.status, row.name)
    t.match(response.headers.get('content-type'), /^application\/json/, row.name)
    t.match(await response.json(), { error: { code: row.code } }, row.name)
  }
  // Nothing subscribed: an event now reaches no stream (none is open), and the sandbox is unchanged.
  t.equal(sandbox.events().length, 0)
})

t.test('closing the server ends open streams instead of waiting for them', async (t) => {
  const sandbox = createSandbox()
  t.teardown(() => sandbox.close())
  const server = createSandboxServer(sandbox)
  const base = (await listen(server)) + '/v1'
  const readers = await Promise.all(
    [1, 2].map(async () =>
      readSse(await fetch(`${base}/sandbox/stream`, { headers: { authorization } })),
    ),
  )
  await Promise.all(readers.map((r) => r.next((f) => f.event === 'comment')))
  await server.close()
  await Promise.all(readers.map((r) => r.ended))
  t.pass('server closed and both streams ended')
  // After close, a new event writes to no stream (an ended one would throw on write).
  sandbox.trigger('account.created')
  t.equal(sandbox.events().length, 1)
})
