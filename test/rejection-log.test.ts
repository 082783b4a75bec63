/**
 * A rejected delivery's warn log line carries the diagnosis (what was expected, the likely
 * cause), not only the code, and never the secret or the signature. Read from the app's real
 * logger stream, over real HTTP.
 */
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import t from 'tap'
import bluumWebhooks from '../plugin/index.js'
import { listen, postRaw } from './helpers/app.js'
import { orderFilled, randomSecret, signedDelivery, TEST_SECRET } from './helpers/sign.js'

const now = Math.floor(Date.now() / 1000)

const rows: Array<{
  when: string
  delivery: () => { headers: Record<string, string>; payload: string }
  status: number
  code: string
  diagnosis: RegExp
}> = [
  {
    when: 'the signature was made with another secret',
    delivery: () => signedDelivery({ body: orderFilled(), secret: randomSecret() }),
    status: 401,
    code: 'BLUUM_SIGNATURE_MISMATCH',
    diagnosis: /No signature matches the payload\. Likely causes: a proxy or a JSON parser/,
  },
  {
    when: 'the timestamp is in the future',
    delivery: () => signedDelivery({ body: orderFilled(), timestamp: now + 600 }),
    status: 401,
    code: 'BLUUM_TIMESTAMP_FUTURE',
    diagnosis:
      /seconds in the future, beyond the tolerance of 300 seconds\. Check this server clock/,
  },
  {
    when: 'the signature header has no v1 entry',
    delivery: () => {
      const d = signedDelivery({ body: orderFilled() })
      return { ...d, headers: { ...d.headers, 'webhook-signature': 'v2,abc=' } }
    },
    status: 400,
    code: 'BLUUM_INVALID_SIGNATURE_HEADER',
    diagnosis: /webhook-signature has no "v1," entry/,
  },
  {
    when: 'the content-type is not JSON (refused in onRequest)',
    delivery: () => {
      const d = signedDelivery({ body: orderFilled() })
      return { ...d, headers: { ...d.headers, 'content-type': 'text/plain' } }
    },
    status: 415,
    code: 'BLUUM_UNSUPPORTED_MEDIA_TYPE',
    diagnosis: /Expected content-type application\/json, received "text\/plain"/,
  },
  {
    when: 'the body is over the limit (refused while reading)',
    delivery: () => signedDelivery({ body: orderFilled({ note: 'x'.repeat(4096) }) }),
    status: 413,
    code: 'BLUUM_BODY_TOO_LARGE',
    diagnosis: /exceeds the limit of 1024 bytes \(option bodyLimit\)/,
  },
]

for (const row of rows) {
  t.test(`the warn line says why when ${row.when}`, async (t) => {
    const lines: Array<Record<string, unknown>> = []
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)))
        done()
      },
    })
    const app = Fastify({ logger: { level: 'warn', stream } })
    t.teardown(() => app.close())
    await app.register(bluumWebhooks, { secret: TEST_SECRET, bodyLimit: 1024 })
    let runs = 0
    app.bluum.onAny(() => void runs++)
    const base = await listen(app)
    const delivery = row.delivery()
    const answer = await postRaw(
      `${base}/webhooks/bluum`,
      Object.entries(delivery.headers),
      delivery.payload,
    )
    t.equal(answer.status, row.status)
    t.equal(runs, 0, 'no handler ran')

    const warned = lines.filter((l) => l.level === 40)
    t.equal(warned.length, 1, 'one warn line')
    const [line] = warned
    t.equal(line?.code, row.code, 'the code, as a field')
    t.equal(line?.statusCode, row.status)
    t.match(line?.msg, /^bluum delivery rejected: /)
    t.match(line?.msg, row.diagnosis, 'the diagnosis, in the message')
    t.equal(
      line?.msg,
      `bluum delivery rejected: ${answer.json().message}`,
      'as the sender reads it',
    )

    const text = JSON.stringify(lines)
    const key = TEST_SECRET.slice('whsec_'.length)
    t.notOk(text.includes(key), 'never the secret')
    const signature = delivery.headers['webhook-signature'] as string
    t.notOk(text.includes(signature.slice(3)), 'never the signature')
  })
}
