/**
 * Generated requests against every route of the sandbox: no answer is a 5xx, and the state stays
 * readable afterwards (every list answers 200, no NaN or Infinity anywhere in it).
 *
 * Requests come from the OpenAPI document the sandbox publishes (built from the same route table
 * the dispatcher runs): bodies and queries are drawn from each route's JSON Schema, then some are
 * mutated (a field replaced by any JSON, a number string of hundreds of digits, a zero, deep
 * nesting) and some are plain random JSON; path parameters are ids that exist, or junk (broken
 * percent-encoding, over-long ids). Seeded, so every run sends the same requests.
 */
import { Blob } from 'node:buffer'
import Fastify from 'fastify'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import {
  createApi,
  createInjectTransport,
  createOpenApiDocument,
  createSandbox,
  createSandboxServer,
  type Sandbox,
} from '../mock-server/index.js'

const authorization =
  'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

type JsonSchema = {
  type?: string
  anyOf?: JsonSchema[]
  const?: unknown
  pattern?: string
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  patternProperties?: Record<string, JsonSchema>
  format?: string
}

interface Operation {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  path: string
  params: string[]
  query?: JsonSchema
  body?: JsonSchema
  multipart: boolean
}

/** A request the generators produce, before ids are filled in. */
interface Draft {
  op: Operation
  params: (string | { pick: number })[]
  query: Record<string, string>
  body: unknown
  rawBody?: string
  contentType?: string
}

/** An arbitrary of values that satisfy `schema` (most of the time: patterns are sampled, not proved). */
function fromSchema(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => fromSchema(s, depth)))
  if ('const' in schema) return fc.constant(schema.const)
  switch (schema.type) {
    case 'string':
      if (schema.format === 'date-time')
        return fc.date({ noInvalidDate: true }).map((d) => d.toISOString())
      if (schema.pattern)
        return fc
          .stringMatching(new RegExp(schema.pattern))
          .filter(
            (s) => s.length <= (schema.maxLength ?? 200) && s.length >= (schema.minLength ?? 0),
          )
      return fc.string({
        minLength: schema.minLength ?? 0,
        maxLength: Math.min(schema.maxLength ?? 30, 30),
      })
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1_000_000 })
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true })
    case 'boolean':
      return fc.boolean()
    case 'array':
      return fc.array(schema.items ? fromSchema(schema.items, depth + 1) : fc.jsonValue(), {
        minLength: schema.minItems ?? 0,
        maxLength: 3,
      })
    case 'object': {
      if (!schema.properties)
        return depth > 2
          ? fc.constant({})
          : fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), {
              maxKeys: 3,
            })
      const required = new Set(schema.required ?? [])
      const entries = Object.entries(schema.properties)
      return fc.record(Object.fromEntries(entries.map(([k, s]) => [k, fromSchema(s, depth + 1)])), {
        requiredKeys: entries.map(([k]) => k).filter((k) => required.has(k)),
      })
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

/** Values that break decimals, ranges and nesting: what measured 5xx and broken state came from. */
const nasty: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 33, max: 300 }).map(deep) },
  { weight: 3, arbitrary: fc.integer({ min: 16, max: 400 }).map((n) => '9'.repeat(n)) },
  { weight: 2, arbitrary: fc.constantFrom('0', '0.00', '0.0000000001', '1e309', '-1', '') },
  { weight: 1, arbitrary: fc.constantFrom(1e308, -1, null, Number.MAX_SAFE_INTEGER) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((s) => s + '%') },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
)

/** An object nested `levels` deep: parses fine, and once stored broke every answer printing it. */
function deep(levels: number): unknown {
  let value: unknown = {}
  for (let i = 0; i < levels; i++) value = { a: value }
  return value
}

/** A body from the schema with one field replaced, or dropped, or an unknown one added. */
function mutated(schema: JsonSchema): fc.Arbitrary<unknown> {
  return fc
    .tuple(fromSchema(schema), fc.nat(), nasty, fc.constantFrom('replace', 'drop', 'add'))
    .map(([value, index, bad, how]) => {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return bad
      const copy = { ...(value as Record<string, unknown>) }
      const keys = Object.keys(schema.properties ?? {})
      const key = keys.length ? keys[index % keys.length]! : 'x'
      if (how === 'drop') delete copy[key]
      else if (how === 'add') copy[`x${index % 7}`] = bad
      else copy[key] = bad
      return copy
    })
}

const junkParam = fc.oneof(
  fc.constant('%ZZ'),
  fc.constant('%E0%A4%A'),
  fc.constant('a'.repeat(300)),
  fc.constant('inv_' + 'x'.repeat(61)),
  fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s) || 'x'),
)

function draftsFor(op: Operation): fc.Arbitrary<Draft> {
  const params = fc.tuple(
    ...op.params.map(() =>
      fc.oneof(
        { weight: 4, arbitrary: fc.nat().map((n) => ({ pick: n })) },
        { weight: 1, arbitrary: junkParam },
      ),
    ),
  )
  const query = op.query
    ? fc.oneof(
        fromSchema(op.query),
        fc.dictionary(
          fc.constantFrom('limit', 'offset', 'status', 'x', '__proto__'),
          fc.oneof(fc.string({ maxLength: 6 }), nasty),
        ),
      )
    : fc.constant({})
  const body = op.body
    ? fc.oneof(
        { weight: 6, arbitrary: fromSchema(op.body) },
        { weight: 3, arbitrary: mutated(op.body) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
      )
    : fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }))
  // Mostly none: one request in ten has a raw body that is not the JSON above, or a wrong type.
  const raw = fc.oneof(
    { weight: 8, arbitrary: fc.constant(null) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{"a":',
        '\u0000\u00ff',
        '{"__proto__":{"x":1}}',
        '['.repeat(5000),
      ),
    },
    // A valid body with one extra field nested up to 20000 levels: written as text, since
    // JSON.stringify itself overflows on such a value (which is how it broke the sandbox).
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          op.body ? fromSchema(op.body) : fc.constant({}),
          fc.integer({ min: 33, max: 20_000 }),
        )
        .map(([value, levels]) => {
          const nested = `${'['.repeat(levels)}${']'.repeat(levels)}`
          const text = JSON.stringify(value) ?? '{}'
          return text.startsWith('{}')
            ? `{"x":${nested}}`
            : text.startsWith('{')
              ? `{"x":${nested},${text.slice(1)}`
              : nested
        }),
    },
  )
  const contentType = fc.oneof(
    { weight: 9, arbitrary: fc.constant(null) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=utf-8',
      ),
    },
  )
  return fc.record({ params, query, body, raw, contentType }).map((d) => ({
    op,
    params: d.params,
    query: Object.fromEntries(
      Object.entries((d.query ?? {}) as Record<string, unknown>).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : (JSON.stringify(v) ?? ''),
      ]),
    ),
    body: d.body,
    ...(d.raw === null ? {} : { rawBody: d.raw }),
    ...(d.contentType === null ? {} : { contentType: d.contentType }),
  }))
}

/** Every operation of the OpenAPI document, with its schemas. */
function operations(sandbox: Sandbox): Operation[] {
  // Not reset: it would empty the state the run ends by reading (reset is tested on its own).
  const doc = createOpenApiDocument(createApi(sandbox), { serverUrl: 'http://127.0.0.1/v1' }) as {
    paths: Record<string, Record<string, any>>
  }
  const out: Operation[] = []
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (path.endsWith('/sandbox/reset')) continue
      const parameters = (op.parameters ?? []) as {
        name: string
        in: string
        required: boolean
        schema: JsonSchema
      }[]
      const queryParams = parameters.filter((p) => p.in === 'query')
      const content = op.requestBody?.content ?? {}
      out.push({
        method: method.toUpperCase() as Operation['method'],
        path,
        params: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        ...(queryParams.length
          ? {
              query: {
                type: 'object',
                properties: Object.fromEntries(queryParams.map((p) => [p.name, p.schema])),
                required: queryParams.filter((p) => p.required).map((p) => p.name),
              },
            }
          : {}),
        ...(content['application/json'] ? { body: content['application/json'].schema } : {}),
        ...(content['multipart/form-data'] ? { body: content['multipart/form-data'].schema } : {}),
        multipart: Boolean(content['multipart/form-data']),
      })
    }
  }
  return out
}

/** Ids that exist, by the parameter that names them, so most requests reach a resource. */
function knownIds(sandbox: Sandbox, name: string): string[] {
  const { state } = sandbox
  const ids: Record<string, () => string[]> = {
    investor_id: () => [...state.investors.keys()],
    account_id: () => [...state.investors.keys()],
    order_id: () => [...state.orders.keys()],
    transfer_id: () => [...state.deposits.keys(), ...state.withdrawals.keys()],
    document_id: () => [...state.documents.keys()],
    webhook_id: () => [...state.webhooks.keys()],
    delivery_id: () => [...state.deliveries.keys()],
    symbol: () => ['AAPL', 'TSLA', 'zzz'],
  }
  return ids[name]?.() ?? []
}

/** The request a draft becomes once its ids are picked from the current state. */
function build(sandbox: Sandbox, draft: Draft) {
  let index = 0
  const path = draft.op.path.replace(/\{([A-Za-z0-9_]+)\}/g, (_m, name: string) => {
    const param = draft.params[index++]!
    if (typeof param === 'string') return param
    const ids = knownIds(sandbox, name)
    return ids.length ? encodeURIComponent(ids[param.pick % ids.length]!) : 'inv_missing'
  })
  const search = new URLSearchParams(draft.query).toString()
  const headers: Record<string, string> = { authorization }
  if (draft.op.method === 'POST' && /(deposits|withdrawals|orders)$/.test(path))
    headers['idempotency-key'] = `k${Math.random()}`
  let body: string | FormData | undefined
  // fetch sends no body on a GET; the other methods get one whatever their route declares.
  if (draft.op.method === 'GET') body = undefined
  else if (draft.rawBody !== undefined) body = draft.rawBody
  else if (
    draft.op.multipart &&
    draft.body &&
    typeof draft.body === 'object' &&
    !Array.isArray(draft.body)
  ) {
    const form = new FormData()
    for (const [k, v] of Object.entries(draft.body as Record<string, unknown>)) {
      if (k === 'document')
        form.set(k, new Blob(['%PDF-1.4 sample']) as unknown as globalThis.Blob, 'id.pdf')
      else form.set(k, typeof v === 'string' ? v : JSON.stringify(v))
    }
    const investors = knownIds(sandbox, 'investor_id')
    if (investors.length && form.get('investor_id') === null) form.set('investor_id', investors[0]!)
    body = form
  } else if (draft.body !== undefined) body = JSON.stringify(draft.body)
  if (typeof body === 'string') headers['content-type'] = draft.contentType ?? 'application/json'
  return { method: draft.op.method, url: `${path}${search ? `?${search}` : ''}`, headers, body }
}

/** Throws when any number in the state is not finite, or a decimal field holds NaN/Infinity. */
function assertFinite(value: unknown, where = 'state'): void {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`${where} is ${value}`)
  if (value instanceof Map) for (const [k, v] of value) assertFinite(v, `${where}.${String(k)}`)
  else if (value instanceof Set) return
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) assertFinite(v, `${where}.${k}`)
}

const decimalFields =
  /^(amount|quantity|notional|limit_price|stop_price|filled_quantity|remaining_quantity|average_price|cash|buying_power|average_cost)$/

function assertDecimalsReadable(value: unknown, where = 'answer'): void {
  if (Array.isArray(value)) value.forEach((v, i) => assertDecimalsReadable(v, `${where}[${i}]`))
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (decimalFields.test(k) && typeof v === 'string' && !/^-?\d+(\.\d+)?$/.test(v))
        throw new Error(`${where}.${k} is ${JSON.stringify(v)}`)
      assertDecimalsReadable(v, `${where}.${k}`)
    }
  }
}

async function setup(t: { teardown(fn: () => unknown): void }) {
  // Deliveries go to an in-process receiver: a generated webhook URL must never reach the network.
  const receiver = Fastify()
  receiver.all('/*', async () => ({}))
  // Rate limiting off, so no 429 hides what a request would have answered.
  const sandbox = createSandbox({
    transport: createInjectTransport(receiver),
    rateLimitPerSecond: 0,
  })
  const seed = sandbox.investors.create({
    first_name: 'Seed',
    last_name: 'Investor',
    email: 'seed@example.com',
  })
  sandbox.orders.place(seed.id, {
    symbol: 'AAPL',
    side: 'buy',
    type: 'limit',
    time_in_force: 'gtc',
    quantity: '1',
    limit_price: '100',
  })
  sandbox.transfers.deposit(seed.id, { amount: '10.00', method: 'manual_bank_transfer' })
  sandbox.webhooks.create({ name: 'w', url: 'http://receiver.local/hook', eventTypeNames: ['*'] })
  t.teardown(async () => {
    await sandbox.close()
    await receiver.close()
  })
  return { sandbox, ops: operations(sandbox) }
}

/** After the run: every list answers 200 with readable decimals, and the state holds only finite numbers. */
async function assertReadable(
  t: Test,
  sandbox: Sandbox,
  call: (method: string, url: string) => Promise<{ status: number; body: unknown }>,
) {
  assertFinite(sandbox.state)
  t.pass('no NaN or Infinity in the state')
  const lists = [
    '/v1/investors',
    '/v1/webhooks',
    '/v1/webhooks/event-types',
    '/v1/sandbox/events',
    '/v1/sandbox/clock',
  ]
  for (const id of sandbox.state.investors.keys()) {
    for (const sub of [
      'orders',
      'deposits',
      'withdrawals',
      'wallets',
      'positions',
      'funding-sources',
    ])
      lists.push(`/v1/investors/${id}/${sub}?limit=100`)
    lists.push(`/v1/trading/accounts/${id}/orders?limit=100`)
  }
  for (const id of sandbox.state.webhooks.keys())
    lists.push(`/v1/sandbox/webhooks/${id}/deliveries?limit=100`)
  const failures: string[] = []
  for (const url of lists) {
    const answer = await call('GET', url)
    if (answer.status !== 200) failures.push(`${url} → ${answer.status}`)
    assertDecimalsReadable(answer.body, url)
  }
  t.same(failures, [], `every one of ${lists.length} list routes answers 200`)
  t.doesNotThrow(() => JSON.stringify(sandbox.events()), 'every event serialises')
}

t.test(
  'over real HTTP (Fastify face): no generated request answers a 5xx, and the state stays readable',
  async (t) => {
    const { sandbox, ops } = await setup(t)
    const server = createSandboxServer(sandbox, { bodyLimitBytes: 65_536 })
    await server.listen({ port: 0, host: '127.0.0.1' })
    t.teardown(() => server.close())
    const base = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`
    const call = async (
      method: string,
      url: string,
      init: { headers?: Record<string, string>; body?: string | FormData } = {},
    ) => {
      const response = await fetch(base + url, {
        method,
        headers: { authorization, ...init.headers },
        ...(init.body === undefined ? {} : { body: init.body }),
      })
      const text = await response.text()
      return {
        status: response.status,
        text,
        body: text ? (JSON.parse(text) as unknown) : undefined,
      }
    }
    const fivexx: string[] = []
    const statuses: Record<number, number> = {}
    let sent = 0
    let succeeded = 0
    await fc.assert(
      fc.asyncProperty(fc.oneof(...ops.map(draftsFor)), async (draft) => {
        const request = build(sandbox, draft)
        const answer = await call(request.method, request.url, {
          headers: request.headers,
          ...(request.body === undefined ? {} : { body: request.body }),
        })
        sent++
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1
        if (answer.status < 300) succeeded++
        if (answer.status >= 500)
          fivexx.push(
            `${request.method} ${request.url} → ${answer.status} ${answer.text.slice(0, 200)}`,
          )
        if (answer.status >= 400) {
          const error = (answer.body as { error?: { code?: string } }).error
          if (!error || !new RegExp(`^BLUM-${answer.status}-\\d{3}$`).test(error.code ?? ''))
            fivexx.push(
              `${request.method} ${request.url} → ${answer.status} not in Bluum's envelope: ${answer.text.slice(0, 200)}`,
            )
        }
        return fivexx.length === 0
      }),
      { seed: 20261127, numRuns: 300, endOnFailure: true },
    )
    t.same(fivexx, [], `no 5xx and every error in Bluum's envelope, over ${sent} requests`)
    t.ok(
      succeeded > sent / 10,
      `enough requests get past validation to reach the engines: ${JSON.stringify(statuses)}`,
    )
    await assertReadable(t, sandbox, call)
  },
)

t.test(
  'in process (the dispatcher): no generated request answers a 5xx, and the state stays readable',
  async (t) => {
    const { sandbox, ops } = await setup(t)
    const api = createApi(sandbox, '/v1', { bodyLimitBytes: 65_536 })
    const call = async (
      method: string,
      url: string,
      init: { headers?: Record<string, string>; body?: string | FormData } = {},
    ) => {
      const [path = '', search = ''] = url.split('?')
      let body: string | Uint8Array | undefined
      const headers: Record<string, string> = { authorization, ...init.headers }
      if (init.body instanceof FormData) {
        const encoded = new Request('http://x/', { method: 'POST', body: init.body })
        headers['content-type'] = encoded.headers.get('content-type')!
        body = new Uint8Array(await encoded.arrayBuffer())
      } else body = init.body
      const answer = await api.handle({
        method,
        path: path.slice(3),
        query: Object.fromEntries(new URLSearchParams(search)),
        headers,
        body,
      })
      // What a face would send: the body must serialise.
      const text = answer.body === undefined ? '' : JSON.stringify(answer.body)
      return { status: answer.status, text, body: answer.body }
    }
    const fivexx: string[] = []
    let sent = 0
    await fc.assert(
      fc.asyncProperty(fc.oneof(...ops.map(draftsFor)), async (draft) => {
        const request = build(sandbox, draft)
        const answer = await call(request.method, request.url, {
          headers: request.headers,
          ...(request.body === undefined ? {} : { body: request.body }),
        })
        sent++
        if (answer.status >= 500)
          fivexx.push(
            `${request.method} ${request.url} → ${answer.status} ${answer.text.slice(0, 200)}`,
          )
        return fivexx.length === 0
      }),
      { seed: 1127, numRuns: 2000, endOnFailure: true },
    )
    t.same(fivexx, [], `no 5xx over ${sent} requests`)
    await assertReadable(t, sandbox, call)
  },
)
