import t from 'tap'
import { createMemoryStore, type DedupeStore } from '../plugin/index.js'
import { buildApp, deliver } from './helpers/app.js'
import { orderFilled, randomSecret, signedDelivery, TEST_SECRET } from './helpers/sign.js'

/** A store that records every call, to prove a rejected delivery changed nothing. */
function spyStore(inner: DedupeStore = createMemoryStore()) {
  const calls: string[] = []
  const store: DedupeStore = {
    claim: (key, lease) => (calls.push('claim'), inner.claim(key, lease)),
    complete: (key, token, ttl) => (calls.push('complete'), inner.complete(key, token, ttl)),
    release: (key, token) => (calls.push('release'), inner.release(key, token)),
  }
  return { store, calls }
}

const now = Math.floor(Date.now() / 1000)
const valid = () => signedDelivery({ body: orderFilled() })
const withHeaders = (headers: Record<string, string | undefined>) => {
  const d = valid()
  const merged = Object.fromEntries(
    Object.entries({ ...d.headers, ...headers }).filter(([, v]) => v !== undefined),
  ) as Record<string, string>
  return { ...d, headers: merged }
}

// Every row of the contract's answer table where no handler may run.
const rows: Array<{
  when: string
  delivery: () => { headers: Record<string, string>; payload: string }
  status: number
  code: string
  message?: RegExp
}> = [
  {
    when: 'the signature headers are missing',
    delivery: () => withHeaders({ 'webhook-signature': undefined, 'webhook-id': undefined }),
    status: 400,
    code: 'BLUUM_MISSING_SIGNATURE_HEADERS',
    message: /webhook-id, webhook-signature/,
  },
  {
    when: 'the timestamp header is not unix seconds',
    delivery: () => withHeaders({ 'webhook-timestamp': 'yesterday' }),
    status: 400,
    code: 'BLUUM_INVALID_SIGNATURE_HEADER',
  },
  {
    when: 'the signature was made with another secret',
    delivery: () => signedDelivery({ body: orderFilled(), secret: randomSecret() }),
    status: 401,
    code: 'BLUUM_SIGNATURE_MISMATCH',
    message: /proxy or a JSON parser/,
  },
  {
    when: 'the body was changed after signing',
    delivery: () => {
      const d = valid()
      return { ...d, payload: d.payload.replace('AAPL', 'MSFT') }
    },
    status: 401,
    code: 'BLUUM_SIGNATURE_MISMATCH',
  },
  {
    when: 'the timestamp is stale',
    delivery: () => signedDelivery({ body: orderFilled(), timestamp: now - 301 }),
    status: 401,
    code: 'BLUUM_TIMESTAMP_STALE',
  },
  {
    when: 'the timestamp is in the future',
    delivery: () => signedDelivery({ body: orderFilled(), timestamp: now + 600 }),
    status: 401,
    code: 'BLUUM_TIMESTAMP_FUTURE',
  },
  {
    when: 'the content type is not JSON',
    delivery: () => withHeaders({ 'content-type': 'application/x-www-form-urlencoded' }),
    status: 415,
    code: 'BLUUM_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    when: 'the content type is missing',
    delivery: () => withHeaders({ 'content-type': undefined }),
    status: 415,
    code: 'BLUUM_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    when: 'the signed body is not JSON',
    delivery: () => signedDelivery({ body: '{"event":' }),
    status: 400,
    code: 'BLUUM_INVALID_JSON',
  },
  {
    when: 'the signed body carries a __proto__ key',
    delivery: () =>
      signedDelivery({
        body: '{"event":"order.filled","timestamp":"t","data":{},"__proto__":{"admin":true}}',
      }),
    status: 400,
    code: 'BLUUM_INVALID_JSON',
  },
  {
    when: 'the signed body carries a constructor.prototype key',
    delivery: () =>
      signedDelivery({
        body: '{"event":"order.filled","timestamp":"t","data":{"constructor":{"prototype":{"x":1}}}}',
      }),
    status: 400,
    code: 'BLUUM_INVALID_JSON',
  },
  {
    when: 'the envelope has no event name',
    delivery: () => signedDelivery({ body: { timestamp: 't', data: {} } }),
    status: 400,
    code: 'BLUUM_INVALID_ENVELOPE',
    message: /event/,
  },
  {
    when: 'the envelope data is not an object',
    delivery: () => signedDelivery({ body: { event: 'order.filled', timestamp: 't', data: [] } }),
    status: 400,
    code: 'BLUUM_INVALID_ENVELOPE',
  },
  {
    when: 'a catalog event lacks a required data field',
    delivery: () =>
      signedDelivery({ body: { ...orderFilled(), data: { id: 'ord_1', side: 'buy' } } }),
    status: 400,
    code: 'BLUUM_INVALID_ENVELOPE',
    message: /data of order\.filled at \/symbol/,
  },
  {
    when: 'a catalog event has a field of the wrong type',
    delivery: () => signedDelivery({ body: orderFilled({ side: 'hold' }) }),
    status: 400,
    code: 'BLUUM_INVALID_ENVELOPE',
  },
  {
    when: 'the body is over the limit',
    delivery: () => signedDelivery({ body: orderFilled({ note: 'x'.repeat(2048) }) }),
    status: 413,
    code: 'BLUUM_BODY_TOO_LARGE',
  },
]

for (const row of rows) {
  t.test(`answers ${row.status} ${row.code} when ${row.when}`, async (t) => {
    const { store, calls } = spyStore()
    const app = await buildApp(t, { store, bodyLimit: 1024 })
    let handled = 0
    app.bluum.on('order.filled', () => void handled++)
    app.bluum.onAny(() => void handled++)

    const res = await deliver(app, row.delivery())
    t.equal(res.statusCode, row.status)
    const body = res.json()
    t.match(body, { statusCode: row.status, code: row.code, message: row.message ?? /./ })
    t.notMatch(res.body, TEST_SECRET.slice(6), 'the answer never carries the secret')
    t.equal(handled, 0, 'no handler ran')
    t.same(calls, [], 'the dedupe store was not touched')

    // Losing nothing: the valid delivery still goes through afterwards.
    const ok = await deliver(app, valid())
    t.equal(ok.statusCode, 200)
  })
}

t.test(
  'answers 503 BLUUM_STORE_UNAVAILABLE when the store rejects, and runs nothing',
  async (t) => {
    const failing: DedupeStore = {
      claim: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
      },
      complete: async () => t.fail('complete must not be called'),
      release: async () => t.fail('release must not be called'),
    }
    const app = await buildApp(t, { store: failing })
    let handled = 0
    app.bluum.on('order.filled', () => void handled++)
    const res = await deliver(app, valid())
    t.equal(res.statusCode, 503)
    t.match(res.json(), { code: 'BLUUM_STORE_UNAVAILABLE', message: /ECONNREFUSED/ })
    t.equal(handled, 0)
  },
)

t.test('accepts application/json with a charset parameter', async (t) => {
  const app = await buildApp(t)
  const res = await deliver(app, withHeaders({ 'content-type': 'application/json; charset=utf-8' }))
  t.equal(res.statusCode, 200)
})

t.test('the host app keeps its own JSON parsing and routes', async (t) => {
  const app = await buildApp(t)
  app.post('/api/echo', async (request) => ({ parsed: request.body }))
  const res = await app.inject({ method: 'POST', url: '/api/echo', payload: { a: 1 } })
  t.same(res.json(), { parsed: { a: 1 } }, 'the raw-body parser is scoped to the webhook route')
  const webhook = await deliver(app, valid())
  t.equal(webhook.statusCode, 200)
})
