import Fastify from 'fastify'
import t from 'tap'
import bluumWebhooks, { defaultOptions, type BluumWebhooksOptions } from '../plugin/index.js'
import { buildApp, deliver } from './helpers/app.js'
import { orderFilled, randomSecret, signedDelivery, TEST_SECRET } from './helpers/sign.js'

const rejected: Array<[string, BluumWebhooksOptions, string, RegExp]> = [
  ['no secret', {}, 'BLUUM_INVALID_OPTION', /"secret": required/],
  ['a secret with a newline', { secret: TEST_SECRET + '\n' }, 'BLUUM_INVALID_SECRET', /whitespace/],
  ['a raw base64 secret', { secret: TEST_SECRET.slice(6) }, 'BLUUM_INVALID_SECRET', /whsec_/],
  ['a path without slash', { secret: TEST_SECRET, path: 'hooks' }, 'BLUUM_INVALID_OPTION', /path/],
  [
    'a negative tolerance',
    { secret: TEST_SECRET, toleranceSeconds: -1 },
    'BLUUM_INVALID_OPTION',
    /toleranceSeconds/,
  ],
  [
    'a fractional body limit',
    { secret: TEST_SECRET, bodyLimit: 1.5 },
    'BLUUM_INVALID_OPTION',
    /bodyLimit/,
  ],
  [
    'an ack deadline past the lease',
    { secret: TEST_SECRET, ackTimeoutMs: 5000, leaseMs: 5000 },
    'BLUUM_INVALID_OPTION',
    /shorter than leaseMs/,
  ],
  [
    'a store without claim',
    { secret: TEST_SECRET, store: {} as never },
    'BLUUM_INVALID_OPTION',
    /claim\(\)/,
  ],
  [
    'a store whose renew is not a method',
    {
      secret: TEST_SECRET,
      store: {
        claim: async () => ({ status: 'done' }) as const,
        complete: async () => true,
        release: async () => true,
        renew: 'yes' as never,
      },
    },
    'BLUUM_INVALID_OPTION',
    /renew, when present/,
  ],
  [
    'a verifier without verify',
    { secret: TEST_SECRET, verifier: {} as never },
    'BLUUM_INVALID_OPTION',
    /verify\(input\)/,
  ],
  [
    'a clock that is not a function',
    { secret: TEST_SECRET, now: 5 as never },
    'BLUUM_INVALID_OPTION',
    /now/,
  ],
]

for (const [name, options, code, message] of rejected) {
  t.test(`register fails with ${code} for ${name}`, async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await t.rejects(
      async () => {
        await app.register(bluumWebhooks, options)
        await app.ready()
      },
      { code, message },
    )
  })
}

t.test('the defaults are frozen and documented values', async (t) => {
  t.ok(Object.isFrozen(defaultOptions))
  t.match(defaultOptions, {
    path: '/webhooks/bluum',
    toleranceSeconds: 300,
    dedupeTtlMs: 86_400_000,
    ackTimeoutMs: 10_000,
    bodyLimit: 1_048_576,
  })
  t.ok(defaultOptions.dedupeTtlMs > 10.6 * 3600 * 1000, 'the TTL outlasts Bluum retry ladder')
})

t.test('path, tolerance and a list of secrets are honoured', async (t) => {
  const oldSecret = randomSecret()
  const app = await buildApp(t, {
    path: '/hooks/bluum',
    secret: [TEST_SECRET, oldSecret],
    toleranceSeconds: 10,
  })
  app.bluum.on('order.filled', () => {})
  const viaOld = signedDelivery({ body: orderFilled(), secret: oldSecret })
  t.equal((await deliver(app, viaOld, '/hooks/bluum')).statusCode, 200)
  t.equal((await deliver(app, viaOld, '/webhooks/bluum')).statusCode, 404)
  const stale = signedDelivery({
    body: orderFilled(),
    timestamp: Math.floor(Date.now() / 1000) - 11,
  })
  t.equal((await deliver(app, stale, '/hooks/bluum')).statusCode, 401)
})

t.test('the log says which secret matched and never prints a secret or signature', async (t) => {
  const lines: string[] = []
  const app = Fastify({
    logger: { level: 'debug', stream: { write: (line: string) => void lines.push(line) } },
  })
  t.teardown(() => app.close())
  const oldSecret = randomSecret()
  await app.register(bluumWebhooks, { secret: [TEST_SECRET, oldSecret] })
  const good = signedDelivery({ body: orderFilled(), secret: oldSecret })
  await deliver(app, good)
  await deliver(app, signedDelivery({ body: orderFilled(), secret: randomSecret() }))
  const log = lines.join('\n')
  t.match(log, /"secretIndex":1/)
  t.match(log, /BLUUM_SIGNATURE_MISMATCH/)
  for (const secret of [TEST_SECRET, oldSecret]) t.notMatch(log, secret.slice(6, 30))
  t.notMatch(log, good.headers['webhook-signature']!.slice(3, 30))
})

t.test('the store is closed with the app', async (t) => {
  let closed = 0
  const app = await buildApp(t, {
    store: {
      claim: async () => ({ status: 'done' }) as const,
      complete: async () => true,
      release: async () => true,
      close: async () => void closed++,
    },
  })
  await app.close()
  t.equal(closed, 1)
})
