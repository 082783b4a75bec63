/** The sandbox's signer against frozen known-answer vectors computed with node:crypto directly. */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { generateWebhookSecret, signatureHeader, signEntry } from '../mock-server/index.js'
import { signatureEntry } from './helpers/sign.js'

interface Vector {
  secret: string
  id: string
  timestamp: number
  body: string
  signature: string
}

const vectors = JSON.parse(
  readFileSync(new URL('./fixtures/signature-vectors.json', import.meta.url), 'utf8'),
) as Vector[]

/** Header spellings the plugin refuses, with the answer each gets (see signature.test.ts). */
const headerVectors = JSON.parse(
  readFileSync(new URL('./fixtures/signature-header-vectors.json', import.meta.url), 'utf8'),
) as {
  vector: string
  cases: Array<{ when: string; headers: Record<string, string | string[]>; status: number }>
}

/** The only spelling of a v1 entry the plugin accepts: padded base64 of 32 bytes, nothing else. */
const CANONICAL_ENTRY = /^v1,[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/

t.test('the vectors file keeps its shape', async (t) => {
  t.ok(vectors.length >= 3)
  for (const v of vectors)
    t.same(Object.keys(v).sort(), ['body', 'id', 'secret', 'signature', 'timestamp'])
})

t.test('signs every known-answer vector', async (t) => {
  for (const v of vectors)
    t.equal(signEntry(v.secret, v.id, v.timestamp, v.body), v.signature, v.id)
})

t.test("matches Standard Webhooks' published example", async (t) => {
  t.equal(
    signEntry(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    ),
    'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  )
})

t.test('during a rotation the header carries one space-separated entry per secret', async (t) => {
  const [a, b] = [generateWebhookSecret(), generateWebhookSecret()]
  const header = signatureHeader([a, b], 'evt_1', 1700000000, '{}')
  t.same(header.split(' '), [
    signatureEntry(a, 'evt_1', 1700000000, '{}'),
    signatureEntry(b, 'evt_1', 1700000000, '{}'),
  ])
})

t.test('new secrets are whsec_ + base64 of 32 random bytes', async (t) => {
  const secret = generateWebhookSecret()
  t.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
  t.equal(Buffer.from(secret.slice(6), 'base64').length, 32)
  t.not(secret, generateWebhookSecret())
})

t.test("signs the header vectors' base canonically, never in a refused spelling", async (t) => {
  const base = vectors.find((v) => v.id === headerVectors.vector)
  t.ok(base, 'the header vectors name a shared vector')
  if (!base) return
  const header = signatureHeader([base.secret], base.id, base.timestamp, base.body)
  t.equal(header, base.signature)
  t.match(header, CANONICAL_ENTRY)
  for (const c of headerVectors.cases) {
    const sent = c.headers['webhook-signature']
    if (c.status === 200 || sent === undefined) continue
    // A list is one header per value: the sandbox sends one header, a single string.
    t.not(header, Array.isArray(sent) ? sent.join(', ') : sent, c.when)
  }
})

t.test('every entry it signs, one secret or a rotation pair, is canonical', async (t) => {
  for (let i = 0; i < 64; i++) {
    const secrets =
      i % 2 ? [generateWebhookSecret(), generateWebhookSecret()] : [generateWebhookSecret()]
    const header = signatureHeader(secrets, `evt_${i}`, 1_700_000_000 + i, `{"n":${i}}`)
    t.notMatch(header, /, /, 'never a ", " (the plugin reads it as a repeated header)')
    for (const entry of header.split(' ')) t.match(entry, CANONICAL_ENTRY)
  }
})
