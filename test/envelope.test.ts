import t from 'tap'
import { parseEnvelope } from '../plugin/envelope.js'

const envelope = (extra: string) =>
  `{"id":"evt_1","event":"order.filled","timestamp":"2026-07-01T15:10:00Z",` +
  `"data":{"id":"ord_1","symbol":"AAPL","side":"buy","status":"filled"${extra}}}`

const poisoned = [
  { what: 'a literal __proto__ key', body: envelope(',"__proto__":{"admin":true}') },
  {
    what: 'a __proto__ key spelled with \\u escapes',
    body: envelope(',"\\u005f_proto__":{"x":1}'),
  },
  {
    what: 'a literal constructor.prototype key',
    body: envelope(',"constructor":{"prototype":{}}'),
  },
  {
    what: 'a constructor key spelled with \\u escapes',
    body: envelope(',"constr\\u0075ctor":{"prototype":{"x":1}}'),
  },
]

for (const { what, body } of poisoned) {
  t.test(`refuses a body with ${what} as invalid JSON`, async (t) => {
    const parsed = parseEnvelope(Buffer.from(body))
    t.equal(parsed.ok, false)
    if (!parsed.ok) t.equal(parsed.error.code, 'BLUUM_INVALID_JSON')
    t.equal(({} as Record<string, unknown>).admin, undefined, 'no prototype was touched')
  })
}

const accepted = [
  { what: 'a plain body', body: envelope('') },
  {
    what: '"constructor" and "__proto__" as values, not keys',
    body: envelope(',"note":"constructor __proto__"'),
  },
  { what: 'a \\u escape in a value', body: envelope(',"note":"caf\\u00e9"') },
  { what: 'a byte-order mark', body: '\ufeff' + envelope('') },
]

for (const { what, body } of accepted) {
  t.test(`accepts ${what}`, async (t) => {
    const parsed = parseEnvelope(Buffer.from(body))
    t.equal(parsed.ok, true)
    if (parsed.ok) t.match(parsed.event, { event: 'order.filled', data: { symbol: 'AAPL' } })
  })
}

t.test('order metadata of any shape passes; metadata that is not an object does not', async (t) => {
  t.equal(parseEnvelope(Buffer.from(envelope(',"metadata":{"a":1,"b":[2]}'))).ok, true)
  const parsed = parseEnvelope(Buffer.from(envelope(',"metadata":"x"')))
  t.equal(parsed.ok, false)
  if (!parsed.ok) t.equal(parsed.error.code, 'BLUUM_INVALID_ENVELOPE')
})
