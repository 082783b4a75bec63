import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import t from 'tap'
import { createMemoryStore, type DedupeStore } from '../plugin/index.js'
import { buildApp, deliver, listen, postRaw } from './helpers/app.js'
import {
  orderFilled,
  randomSecret,
  signatureEntry,
  signedDelivery,
  TEST_SECRET,
} from './helpers/sign.js'

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

t.test(
  'answers 503 BLUUM_STORE_UNAVAILABLE when a synchronous store throws, and runs nothing',
  async (t) => {
    const calls: string[] = []
    const failing: DedupeStore = {
      claim: () => {
        calls.push('claim')
        throw Object.assign(new Error('store is closed'), { code: 'ESTORECLOSED' })
      },
      complete: () => (calls.push('complete'), true),
      release: () => (calls.push('release'), true),
    }
    const app = await buildApp(t, { store: failing })
    let handled = 0
    app.bluum.on('order.filled', () => void handled++)
    const res = await deliver(app, valid())
    t.equal(res.statusCode, 503)
    t.match(res.json(), { code: 'BLUUM_STORE_UNAVAILABLE', message: /ESTORECLOSED/ })
    t.equal(handled, 0)
    t.same(calls, ['claim'], 'neither completed nor released')
  },
)

t.test(
  'a completion a synchronous store throws on is retried within the lease, and the event runs once',
  async (t) => {
    const inner = createMemoryStore()
    let completions = 0
    const store: DedupeStore = {
      claim: (key, lease) => inner.claim(key, lease),
      complete: (key, token, ttl) => {
        if (++completions === 1) throw new Error('store busy')
        return inner.complete(key, token, ttl)
      },
      release: (key, token) => inner.release(key, token),
    }
    const app = await buildApp(t, { store, leaseMs: 30_000 })
    let handled = 0
    app.bluum.on('order.filled', () => void handled++)
    const delivery = valid()
    const first = await deliver(app, delivery)
    t.same(first.json(), { received: true })
    while (completions < 2) await new Promise((resolve) => setTimeout(resolve, 10))
    const repeat = await deliver(app, delivery)
    t.same(repeat.json(), { received: true, duplicate: true }, 'the retried completion landed')
    t.equal(handled, 1)
  },
)

t.test(
  'a synchronous store with handlers that return promises: each handler runs once, the repeat is a duplicate',
  async (t) => {
    const app = await buildApp(t, { store: createMemoryStore() })
    const ran: string[] = []
    app.bluum.on('order.filled', async () => {
      await new Promise((resolve) => setImmediate(resolve))
      ran.push('async')
    })
    app.bluum.on('order.*', () => void ran.push('sync'))
    const delivery = valid()
    t.same((await deliver(app, delivery)).json(), { received: true })
    t.same((await deliver(app, delivery)).json(), { received: true, duplicate: true })
    t.same(ran.sort(), ['async', 'sync'])
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

// Over real HTTP: what `inject` cannot send faithfully. A header listed twice goes on two lines
// and the server's Node joins it (or, for content-type, keeps the first); bodies are raw bytes.
type Pairs = Array<[string, string]>

/** The headers of a delivery as pairs, with some replaced; an array sends one line per value. */
function pairs(
  headers: Record<string, string>,
  replaced: Record<string, string | string[] | undefined> = {},
): Pairs {
  const merged: Record<string, string | string[] | undefined> = { ...headers, ...replaced }
  return Object.entries(merged).flatMap(([name, value]) =>
    value === undefined ? [] : [value].flat().map((v): [string, string] => [name, v]),
  )
}

/** A signed order.filled whose symbol is the given bytes: the signature holds, the text does not. */
function signedBytes(symbol: Buffer) {
  const [before, after] = JSON.stringify(orderFilled()).split('AAPL')
  const payload = Buffer.concat([Buffer.from(before!), symbol, Buffer.from(after!)])
  const id = `evt_bytes_${symbol.toString('hex')}`
  const timestamp = Math.floor(Date.now() / 1000)
  const headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureEntry(TEST_SECRET, id, timestamp, payload),
  }
  return { headers: pairs(headers), payload }
}

const httpRows: Array<{
  when: string
  request: () => { headers: Pairs; payload: Buffer | string }
  status: number
  code: string
  message?: RegExp
}> = [
  ...[
    'json',
    'application/',
    'application/json, text/plain',
    'text/plain',
    'application/jsonx',
  ].map((type) => ({
    when: `the content type is ${JSON.stringify(type)}`,
    request: () => {
      const d = valid()
      return { headers: pairs(d.headers, { 'content-type': type }), payload: d.payload }
    },
    status: 415,
    code: 'BLUUM_UNSUPPORTED_MEDIA_TYPE',
    message: new RegExp(`received ${JSON.stringify(type).replace(/[/]/g, '\\/')}`),
  })),
  {
    when: 'a body comes without a content type',
    request: () => {
      const d = valid()
      return { headers: pairs(d.headers, { 'content-type': undefined }), payload: d.payload }
    },
    status: 415,
    code: 'BLUUM_UNSUPPORTED_MEDIA_TYPE',
    message: /received none/,
  },
  {
    when: 'a body over the limit is not JSON (refused before it is read)',
    request: () => {
      const d = signedDelivery({ body: orderFilled({ note: 'x'.repeat(2048) }) })
      return { headers: pairs(d.headers, { 'content-type': 'text/plain' }), payload: d.payload }
    },
    status: 415,
    code: 'BLUUM_UNSUPPORTED_MEDIA_TYPE',
  },
  ...['br', 'gzip', 'GZIP', 'deflate', 'identity, gzip'].map((encoding) => ({
    when: `the plain signed body is labelled content-encoding ${JSON.stringify(encoding)}`,
    request: () => {
      const d = valid()
      return { headers: pairs(d.headers, { 'content-encoding': encoding }), payload: d.payload }
    },
    status: 415,
    code: 'BLUUM_UNSUPPORTED_CONTENT_ENCODING',
    message: /Bluum does not compress[^]*a proxy/,
  })),
  {
    when: 'the body is gzip-compressed after signing',
    request: () => {
      const d = valid()
      return {
        headers: pairs(d.headers, { 'content-encoding': 'gzip' }),
        payload: gzipSync(d.payload),
      }
    },
    status: 415,
    code: 'BLUUM_UNSUPPORTED_CONTENT_ENCODING',
  },
  {
    when: 'content-encoding is sent twice, identity then gzip',
    request: () => {
      const d = valid()
      return {
        headers: pairs(d.headers, { 'content-encoding': ['identity', 'gzip'] }),
        payload: d.payload,
      }
    },
    status: 415,
    code: 'BLUUM_UNSUPPORTED_CONTENT_ENCODING',
  },
  {
    when: 'the signed body holds a byte sequence that is not UTF-8',
    request: () => signedBytes(Buffer.from([0xc3, 0x28])),
    status: 400,
    code: 'BLUUM_INVALID_JSON',
    message: /not valid UTF-8/,
  },
  {
    when: 'the signed body holds an overlong UTF-8 encoding',
    request: () => signedBytes(Buffer.from([0xc0, 0xaf])),
    status: 400,
    code: 'BLUUM_INVALID_JSON',
  },
  {
    when: 'the signed body holds an encoded surrogate',
    request: () => signedBytes(Buffer.from([0xed, 0xa0, 0x80])),
    status: 400,
    code: 'BLUUM_INVALID_JSON',
  },
  {
    when: 'two webhook-signature headers each carry a valid signature',
    request: () => {
      const d = valid()
      const signature = d.headers['webhook-signature']!
      return {
        headers: pairs(d.headers, { 'webhook-signature': [signature, signature] }),
        payload: d.payload,
      }
    },
    status: 400,
    code: 'BLUUM_INVALID_SIGNATURE_HEADER',
    message: /webhook-signature arrived more than once/,
  },
]

for (const row of httpRows) {
  t.test(`over HTTP, answers ${row.status} ${row.code} when ${row.when}`, async (t) => {
    const { store, calls } = spyStore()
    const app = await buildApp(t, { store, bodyLimit: 1024 })
    let handled = 0
    app.bluum.on('order.filled', () => void handled++)
    app.bluum.onAny(() => void handled++)
    const url = (await listen(app)) + '/webhooks/bluum'

    const { headers, payload } = row.request()
    const res = await postRaw(url, headers, payload)
    t.equal(res.status, row.status)
    t.match(res.json(), { statusCode: row.status, code: row.code, message: row.message ?? /./ })
    t.equal(handled, 0, 'no handler ran')
    t.same(calls, [], 'the dedupe store was not touched')

    const d = valid()
    const ok = await postRaw(url, pairs(d.headers), d.payload)
    t.equal(ok.status, 200, 'a valid delivery still goes through')
    t.equal(handled, 2)
  })
}

t.test('over HTTP, JSON with parameters and an identity coding are accepted', async (t) => {
  const app = await buildApp(t)
  let handled = 0
  app.bluum.on('order.filled', () => void handled++)
  const url = (await listen(app)) + '/webhooks/bluum'
  const accepted: Array<Record<string, string>> = [
    { 'content-type': 'application/json; charset=utf-8' },
    { 'content-type': 'Application/JSON' },
    { 'content-encoding': 'identity' },
    { 'content-encoding': 'IDENTITY' },
  ]
  for (const replaced of accepted) {
    const d = valid()
    const res = await postRaw(url, pairs(d.headers, replaced), d.payload)
    t.equal(res.status, 200, JSON.stringify(replaced))
  }
  t.equal(handled, accepted.length)
})

// The header vectors shared with the verifier, helper and sandbox tests, sent over HTTP on the
// vector's own clock: a list is the header sent on two lines, joined by the server's Node.
const headerVectors = JSON.parse(
  readFileSync(new URL('./fixtures/signature-header-vectors.json', import.meta.url), 'utf8'),
) as {
  vector: string
  cases: Array<{
    when: string
    headers: Record<string, string | string[]>
    status: number
    code: string | null
  }>
}
const base = (
  JSON.parse(
    readFileSync(new URL('./fixtures/signature-vectors.json', import.meta.url), 'utf8'),
  ) as Array<{ secret: string; id: string; timestamp: number; body: string; signature: string }>
).find((v) => v.id === headerVectors.vector)!

for (const c of headerVectors.cases) {
  t.test(`over HTTP, the header vector "${c.when}" answers ${c.status}`, async (t) => {
    const { store, calls } = spyStore()
    const app = await buildApp(t, { secret: base.secret, store, now: () => base.timestamp * 1000 })
    let handled = 0
    app.bluum.onAny(() => void handled++)
    const url = (await listen(app)) + '/webhooks/bluum'
    const headers = {
      'content-type': 'application/json',
      'webhook-id': base.id,
      'webhook-timestamp': String(base.timestamp),
      'webhook-signature': base.signature,
    }
    const res = await postRaw(url, pairs(headers, c.headers), base.body)
    t.equal(res.status, c.status)
    if (c.status === 200) {
      t.equal(handled, 1, 'the handlers ran once')
      t.same(calls, ['claim', 'complete'])
      return
    }
    t.match(res.json(), { statusCode: c.status, code: c.code })
    t.equal(handled, 0, 'no handler ran')
    t.same(calls, [], 'the dedupe store was not touched')
    const ok = await postRaw(url, pairs(headers), base.body)
    t.equal(ok.status, 200, 'the same delivery, sent as signed, still goes through')
  })
}
