import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { decodeSecrets, verifyBluumSignature } from '../plugin/signature.js'
import { randomSecret, signatureEntry, TEST_SECRET } from './helpers/sign.js'

// Known-answer vectors: the expected signature is computed here with node:crypto, not with any
// signer of the project, so the verifier is pinned to the contract and not to itself.
const vectors = [
  {
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestamp: 1614265330,
    body: '{"test": 2432232314}',
  },
  {
    secret: 'whsec_' + Buffer.alloc(32, 1).toString('base64'),
    id: 'evt_01j9x8m2k7qpzwv3t5r6y8n0ab',
    timestamp: 1782918600,
    body: '{"event":"order.filled","timestamp":"2026-07-01T15:10:00Z","data":{"id":"ord_1"}}',
  },
].map((v) => ({
  ...v,
  signature:
    'v1,' +
    createHmac('sha256', Buffer.from(v.secret.slice(6), 'base64'))
      .update(`${v.id}.${v.timestamp}.${v.body}`)
      .digest('base64'),
}))

t.test('the Standard Webhooks reference vector has its published signature', async (t) => {
  t.equal(vectors[0]!.signature, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
})

t.test('known-answer vectors verify, and any changed part fails', async (t) => {
  for (const v of vectors) {
    const headers = {
      'webhook-id': v.id,
      'webhook-timestamp': String(v.timestamp),
      'webhook-signature': v.signature,
    }
    const ok = verifyBluumSignature({
      payload: v.body,
      headers,
      secret: v.secret,
      nowSeconds: v.timestamp,
    })
    t.match(ok, { ok: true, webhookId: v.id, timestampSeconds: v.timestamp, secretIndex: 0 })
    const changes = {
      body: { payload: v.body + ' ', headers },
      id: { payload: v.body, headers: { ...headers, 'webhook-id': v.id + 'x' } },
      timestamp: {
        payload: v.body,
        headers: { ...headers, 'webhook-timestamp': String(v.timestamp + 1) },
      },
    }
    for (const [part, change] of Object.entries(changes)) {
      const result = verifyBluumSignature({ ...change, secret: v.secret, nowSeconds: v.timestamp })
      t.match(result, { ok: false, error: { code: 'BLUUM_SIGNATURE_MISMATCH' } }, `changed ${part}`)
    }
    const other = verifyBluumSignature({
      payload: v.body,
      headers,
      secret: randomSecret(),
      nowSeconds: v.timestamp,
    })
    t.match(other, { ok: false, error: { code: 'BLUUM_SIGNATURE_MISMATCH', statusCode: 401 } })
  }
})

t.test('the verifier checks the exact bytes, so a re-serialised body fails', async (t) => {
  const body = '{ "event": "order.filled", "data": {} }'
  const now = 1_800_000_000
  const headers = {
    'webhook-id': 'evt_1',
    'webhook-timestamp': String(now),
    'webhook-signature': signatureEntry(TEST_SECRET, 'evt_1', now, body),
  }
  const secret = TEST_SECRET
  t.ok(verifyBluumSignature({ payload: Buffer.from(body), headers, secret, nowSeconds: now }).ok)
  const reserialised = JSON.stringify(JSON.parse(body))
  const result = verifyBluumSignature({ payload: reserialised, headers, secret, nowSeconds: now })
  t.equal(result.ok, false)
  t.match(result, { error: { message: /proxy or a JSON parser changed the raw body/ } })
})

t.test('rotation: any matching entry or any configured secret passes', async (t) => {
  const now = 1_800_000_000
  const [oldSecret, newSecret] = [randomSecret(), randomSecret()]
  const body = '{}'
  const both = [newSecret, oldSecret].map((s) => signatureEntry(s, 'evt_r', now, body)).join(' ')
  const headers = (signature: string) => ({
    'webhook-id': 'evt_r',
    'webhook-timestamp': String(now),
    'webhook-signature': signature,
  })
  const cases = [
    { name: 'two entries, old secret configured', sig: both, secret: oldSecret, index: 0 },
    { name: 'two entries, new secret configured', sig: both, secret: newSecret, index: 0 },
    {
      name: 'one entry, second configured secret matches',
      sig: signatureEntry(oldSecret, 'evt_r', now, body),
      secret: [newSecret, oldSecret],
      index: 1,
    },
    {
      name: 'unknown versions are ignored beside a v1 match',
      sig: `v2,abc ${signatureEntry(newSecret, 'evt_r', now, body)}`,
      secret: newSecret,
      index: 0,
    },
  ]
  for (const c of cases) {
    const result = verifyBluumSignature({
      payload: body,
      headers: headers(c.sig),
      secret: c.secret,
      nowSeconds: now,
    })
    t.match(result, { ok: true, secretIndex: c.index }, c.name)
  }
})

t.test('timestamps outside the tolerance fail with distinct codes, both directions', async (t) => {
  const body = '{}'
  const now = 1_800_000_000
  const at = (timestamp: number, tolerance = 300) =>
    verifyBluumSignature({
      payload: body,
      headers: {
        'webhook-id': 'evt_t',
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureEntry(TEST_SECRET, 'evt_t', timestamp, body),
      },
      secret: TEST_SECRET,
      toleranceSeconds: tolerance,
      nowSeconds: now,
    })
  t.ok(at(now - 300).ok, 'exactly at the stale edge passes')
  t.ok(at(now + 300).ok, 'exactly at the future edge passes')
  t.match(at(now - 301), { ok: false, error: { code: 'BLUUM_TIMESTAMP_STALE', statusCode: 401 } })
  t.match(at(now + 301), { ok: false, error: { code: 'BLUUM_TIMESTAMP_FUTURE', statusCode: 401 } })
  t.match(at(now - 31, 30), { ok: false, error: { code: 'BLUUM_TIMESTAMP_STALE' } })
})

t.test('malformed or missing headers are coded 400s', async (t) => {
  const base = {
    'webhook-id': 'evt_h',
    'webhook-timestamp': '1800000000',
    'webhook-signature': 'v1,abc',
  }
  const cases: Array<[string, Record<string, string | undefined>, string]> = [
    ['no id', { ...base, 'webhook-id': undefined }, 'BLUUM_MISSING_SIGNATURE_HEADERS'],
    [
      'no timestamp',
      { ...base, 'webhook-timestamp': undefined },
      'BLUUM_MISSING_SIGNATURE_HEADERS',
    ],
    [
      'no signature',
      { ...base, 'webhook-signature': undefined },
      'BLUUM_MISSING_SIGNATURE_HEADERS',
    ],
    [
      'timestamp in ms',
      { ...base, 'webhook-timestamp': '1800000000000000' },
      'BLUUM_INVALID_SIGNATURE_HEADER',
    ],
    [
      'timestamp iso',
      { ...base, 'webhook-timestamp': '2026-07-01' },
      'BLUUM_INVALID_SIGNATURE_HEADER',
    ],
    [
      'entry without version',
      { ...base, 'webhook-signature': 'abc' },
      'BLUUM_INVALID_SIGNATURE_HEADER',
    ],
    [
      'too many entries',
      { ...base, 'webhook-signature': Array(11).fill('v1,a').join(' ') },
      'BLUUM_INVALID_SIGNATURE_HEADER',
    ],
    [
      'only unknown versions',
      { ...base, 'webhook-signature': 'v2,abc' },
      'BLUUM_INVALID_SIGNATURE_HEADER',
    ],
    [
      'a malformed header with a stale timestamp is malformed first',
      { ...base, 'webhook-timestamp': '1', 'webhook-signature': 'v2,abc' },
      'BLUUM_INVALID_SIGNATURE_HEADER',
    ],
  ]
  for (const [name, headers, code] of cases) {
    const result = verifyBluumSignature({
      payload: '{}',
      headers,
      secret: TEST_SECRET,
      nowSeconds: 1_800_000_000,
    })
    t.match(result, { ok: false, error: { code } }, name)
  }
  const missing = verifyBluumSignature({ payload: '{}', headers: {}, secret: TEST_SECRET })
  t.match(missing, {
    error: { message: /webhook-id, webhook-timestamp, webhook-signature/ },
  })
})

t.test('secrets are checked once, with a coded error that never echoes them', async (t) => {
  const good = TEST_SECRET
  const cases: Array<[string, unknown, RegExp]> = [
    ['trailing newline', good + '\n', /whitespace/],
    ['leading space', ' ' + good, /whitespace/],
    ['no prefix', good.slice(6), /does not start with "whsec_"/],
    ['not base64', 'whsec_***', /not base64/],
    ['too short', 'whsec_' + Buffer.alloc(8).toString('base64'), /decodes to 8 bytes/],
    ['empty list', [], /no secret/],
    ['not a string', [42], /is a number/],
  ]
  for (const [name, secret, message] of cases) {
    t.throws(() => decodeSecrets(secret as string), { code: 'BLUUM_INVALID_SECRET', message }, name)
    try {
      decodeSecrets(secret as string)
    } catch (err) {
      if (typeof secret === 'string' && secret.length > 10) {
        t.notMatch((err as Error).message, secret.trim().slice(6), `${name}: secret not echoed`)
      }
    }
  }
  t.equal(decodeSecrets([good, randomSecret(64)]).length, 2)
})

t.test('the shared known-answer vectors (also pinned by the sandbox signer) verify', async (t) => {
  const file = new URL('./fixtures/signature-vectors.json', import.meta.url)
  const shared = JSON.parse(readFileSync(file, 'utf8')) as Array<(typeof vectors)[number]>
  t.ok(shared.length >= 2)
  for (const v of shared) {
    const expected = createHmac('sha256', Buffer.from(v.secret.slice(6), 'base64'))
      .update(`${v.id}.${v.timestamp}.${v.body}`)
      .digest('base64')
    t.equal(v.signature, `v1,${expected}`, `${v.id}: the fixture itself is right`)
    const result = verifyBluumSignature({
      payload: Buffer.from(v.body, 'utf8'),
      headers: {
        'webhook-id': v.id,
        'webhook-timestamp': String(v.timestamp),
        'webhook-signature': v.signature,
      },
      secret: v.secret,
      nowSeconds: v.timestamp,
    })
    t.equal(result.ok, true, `${v.id}: the plugin verifies it`)
  }
})

interface HeaderCase {
  when: string
  headers: Record<string, string | string[]>
  status: number
  code: string | null
  decodesLeniently?: true
}

const headerVectors = JSON.parse(
  readFileSync(new URL('./fixtures/signature-header-vectors.json', import.meta.url), 'utf8'),
) as { vector: string; cases: HeaderCase[] }
const sharedVectors = JSON.parse(
  readFileSync(new URL('./fixtures/signature-vectors.json', import.meta.url), 'utf8'),
) as Array<(typeof vectors)[number]>
const headerBase = sharedVectors.find((v) => v.id === headerVectors.vector)!

function baseHeaders(v: typeof headerBase) {
  return {
    'webhook-id': v.id,
    'webhook-timestamp': String(v.timestamp),
    'webhook-signature': v.signature,
  }
}

t.test(
  'the header vectors: each variant gets its answer, as a list or joined by Node',
  async (t) => {
    t.ok(headerBase, 'the header vectors name a shared vector')
    t.ok(headerVectors.cases.length >= 15)
    for (const c of headerVectors.cases) {
      // Node's IncomingMessage joins a repeated unknown header with ", "; a bag may also hold a list.
      const joined = Object.fromEntries(
        Object.entries(c.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
      )
      const forms = Object.values(c.headers).some(Array.isArray) ? [c.headers, joined] : [joined]
      for (const form of forms) {
        const result = verifyBluumSignature({
          payload: Buffer.from(headerBase.body),
          headers: { ...baseHeaders(headerBase), ...form },
          secret: headerBase.secret,
          nowSeconds: headerBase.timestamp,
        })
        const shape = form === joined ? 'joined' : 'list'
        if (c.status === 200) t.match(result, { ok: true }, `${c.when} (${shape})`)
        else {
          t.match(
            result,
            { ok: false, error: { code: c.code, statusCode: c.status } },
            `${c.when} (${shape})`,
          )
        }
      }
    }
  },
)

t.test('the refused spellings are the ones a lenient base64 decoder accepts', async (t) => {
  const mac = Buffer.from(headerBase.signature.slice(3), 'base64')
  const lenient = headerVectors.cases.filter((c) => c.decodesLeniently)
  t.equal(lenient.length, 5)
  for (const c of lenient) {
    const value = c.headers['webhook-signature'] as string
    t.not(value, headerBase.signature)
    t.same(Buffer.from(value.slice(3), 'base64'), mac, `${c.when}: same bytes once decoded`)
    t.equal(c.status, 400, `${c.when}: refused all the same`)
  }
})

t.test(
  'of the 64 possible last characters, one verifies, three decode alike and are refused',
  async (t) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
    const b64 = headerBase.signature.slice(3)
    const mac = Buffer.from(b64, 'base64')
    const counts = { ok: 0, malformed: 0, mismatch: 0 }
    for (const last of alphabet) {
      const spelled = b64.slice(0, 42) + last + '='
      const result = verifyBluumSignature({
        payload: headerBase.body,
        headers: { ...baseHeaders(headerBase), 'webhook-signature': `v1,${spelled}` },
        secret: headerBase.secret,
        nowSeconds: headerBase.timestamp,
      })
      const sameBytes = Buffer.from(spelled, 'base64').equals(mac)
      if (spelled === b64) {
        t.equal(result.ok, true)
        counts.ok++
      } else if (sameBytes) {
        t.match(result, { error: { code: 'BLUUM_INVALID_SIGNATURE_HEADER' } }, `last "${last}"`)
        counts.malformed++
      } else {
        // Other bytes, canonically spelled: a plain mismatch, or refused if not canonical.
        const code = result.ok ? 'ok' : result.error.code
        t.ok(
          code === 'BLUUM_SIGNATURE_MISMATCH' || code === 'BLUUM_INVALID_SIGNATURE_HEADER',
          `last "${last}": ${code}`,
        )
        if (code === 'BLUUM_SIGNATURE_MISMATCH') counts.mismatch++
      }
    }
    // 16 last characters are canonical (the 2 unused bits zero): 1 is the MAC, 15 other MACs.
    t.same(counts, { ok: 1, malformed: 3, mismatch: 15 })
  },
)

t.test('the test helper signs every known-answer vector, canonically', async (t) => {
  for (const v of sharedVectors) {
    t.equal(signatureEntry(v.secret, v.id, v.timestamp, v.body), v.signature, v.id)
  }
  const refused = headerVectors.cases.filter((c) => c.status !== 200)
  for (const c of refused) {
    const value = c.headers['webhook-signature']
    if (typeof value === 'string') {
      t.not(
        signatureEntry(headerBase.secret, headerBase.id, headerBase.timestamp, headerBase.body),
        value,
        c.when,
      )
    }
  }
  for (let i = 0; i < 64; i++) {
    const entry = signatureEntry(randomSecret(), `evt_${i}`, 1_800_000_000 + i, `{"n":${i}}`)
    t.match(entry, /^v1,[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/)
  }
})
