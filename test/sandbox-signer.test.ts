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
