/**
 * Every option is checked once, at `register` (and at creation for the stores): a coded error
 * that names the option, what is expected and what came; an unknown key is refused with the
 * nearest known name. The README's options tables are checked against the code's lists.
 */
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'
import t from 'tap'
import bluumWebhooks, {
  createMemoryStore,
  defaultOptions,
  type BluumWebhooksOptions,
} from '../plugin/index.js'
import { pluginOptionNames } from '../plugin/options.js'
import {
  createRedisStore,
  redisStoreDefaults,
  redisStoreOptionNames,
} from '../plugin/redis-store.js'
import { buildApp, deliver } from './helpers/app.js'
import { orderFilled, randomSecret, signedDelivery, TEST_SECRET } from './helpers/sign.js'

const store = {
  claim: async () => ({ status: 'done' }) as const,
  complete: async () => true,
  release: async () => true,
}
const inbox = {
  mode: 'queue' as const,
  attach: async () => {},
  start: async () => {},
  accept: async () => ({ ok: true, outcome: 'queued' }) as const,
  close: async () => {},
}

/** [what, options (the secret is added unless given), code, message fragment]. */
const rejected: Array<[string, Record<string, unknown>, string, RegExp]> = [
  ['no secret', { secret: undefined }, 'BLUUM_INVALID_OPTION', /"secret": required/],
  [
    'a number as secret',
    { secret: 42 },
    'BLUUM_INVALID_OPTION',
    /"secret": expected a "whsec_\.\.\." string, or a non-empty list of them, received the number 42/,
  ],
  [
    'an empty list of secrets',
    { secret: [] },
    'BLUUM_INVALID_OPTION',
    /"secret": .*received an array of 0 items/,
  ],
  [
    'a list holding a non-string secret',
    { secret: [TEST_SECRET, null] },
    'BLUUM_INVALID_OPTION',
    /"secret": .*received an array of 2 items/,
  ],
  ['a secret with a newline', { secret: TEST_SECRET + '\n' }, 'BLUUM_INVALID_SECRET', /whitespace/],
  ['a raw base64 secret', { secret: TEST_SECRET.slice(6) }, 'BLUUM_INVALID_SECRET', /whsec_/],
  [
    'a path without slash',
    { path: 'hooks' },
    'BLUUM_INVALID_OPTION',
    /"path": expected a route starting with "\/", received the string "hooks"/,
  ],
  [
    'a path that is not a string',
    { path: ['/a'] },
    'BLUUM_INVALID_OPTION',
    /"path": .*received an array of 1 item$/,
  ],
  [
    'a negative tolerance',
    { toleranceSeconds: -1 },
    'BLUUM_INVALID_OPTION',
    /"toleranceSeconds": expected a positive integer of seconds, received the number -1/,
  ],
  [
    'a tolerance given as a string',
    { toleranceSeconds: '300' },
    'BLUUM_INVALID_OPTION',
    /"toleranceSeconds": .*received the string "300"/,
  ],
  [
    'a fractional body limit',
    { bodyLimit: 1.5 },
    'BLUUM_INVALID_OPTION',
    /"bodyLimit": expected a positive integer of bytes, received the number 1.5/,
  ],
  ['an infinite body limit', { bodyLimit: Infinity }, 'BLUUM_INVALID_OPTION', /"bodyLimit"/],
  ['a zero bound', { maxEntries: 0 }, 'BLUUM_INVALID_OPTION', /"maxEntries": .*the number 0/],
  [
    'a bound beside a store of its own',
    { maxEntries: 10, store },
    'BLUUM_INVALID_OPTION',
    /"maxEntries": bounds the default memory store only/,
  ],
  ['a NaN TTL', { dedupeTtlMs: NaN }, 'BLUUM_INVALID_OPTION', /"dedupeTtlMs": .*received NaN/],
  ['a lease as null', { leaseMs: null }, 'BLUUM_INVALID_OPTION', /"leaseMs": .*received null/],
  [
    'an ack deadline past the lease',
    { ackTimeoutMs: 5000, leaseMs: 5000 },
    'BLUUM_INVALID_OPTION',
    /"ackTimeoutMs": expected a value shorter than leaseMs \(5000\), received the number 5000/,
  ],
  ['a zero ack deadline', { ackTimeoutMs: 0 }, 'BLUUM_INVALID_OPTION', /"ackTimeoutMs"/],
  [
    'a store without claim',
    { store: {} },
    'BLUUM_INVALID_OPTION',
    /"store": expected an object with the methods claim\(\), complete\(\), release\(\).*claim is undefined/,
  ],
  [
    'a store that is a string',
    { store: 'redis' },
    'BLUUM_INVALID_OPTION',
    /"store": .*received the string "redis"/,
  ],
  [
    'a store whose renew is not a method',
    { store: { ...store, renew: 'yes' } },
    'BLUUM_INVALID_OPTION',
    /"store": .*renew, when present, must be a method, and is the string "yes"/,
  ],
  [
    'a verifier without verify',
    { verifier: {} },
    'BLUUM_INVALID_OPTION',
    /"verifier": expected an object with the methods verify\(\)/,
  ],
  [
    'a clock that is not a function',
    { now: 5 },
    'BLUUM_INVALID_OPTION',
    /"now": expected a function, received the number 5/,
  ],
  [
    'an inbox without accept',
    { inbox: { ...inbox, accept: undefined } },
    'BLUUM_INVALID_OPTION',
    /"inbox": .*accept is undefined/,
  ],
  [
    'an inbox without a mode',
    { inbox: { ...inbox, mode: undefined } },
    'BLUUM_INVALID_OPTION',
    /"inbox\.mode": expected "transactional" or "queue", received undefined/,
  ],
  [
    'an inbox beside a store',
    { inbox, store },
    'BLUUM_INVALID_OPTION',
    /"store": pass either `store` or `inbox`/,
  ],
  [
    'telemetry that is not an object',
    { telemetry: 'yes' },
    'BLUUM_INVALID_OPTION',
    /"telemetry": expected an object of options, received the string "yes"/,
  ],
  [
    'a misspelt telemetry key',
    { telemetry: { openTelemtry: true } },
    'BLUUM_INVALID_OPTION',
    /"telemetry\.openTelemtry": not an option of fastify-bluum-webhooks; did you mean "openTelemetry"\?/,
  ],
  [
    'a misspelt provider key',
    { telemetry: { openTelemetry: { tracer: {} } } },
    'BLUUM_INVALID_OPTION',
    /"telemetry\.openTelemetry\.tracer": .*did you mean "tracerProvider"\?/,
  ],
  [
    'a misspelt option',
    { pathh: '/hooks' },
    'BLUUM_INVALID_OPTION',
    /"pathh": not an option of fastify-bluum-webhooks; did you mean "path"\?/,
  ],
  [
    'an option in the wrong case',
    { Secret: TEST_SECRET },
    'BLUUM_INVALID_OPTION',
    /"Secret": .*did you mean "secret"\?/,
  ],
  [
    'an option shortened',
    { lease: 1000 },
    'BLUUM_INVALID_OPTION',
    /"lease": .*did you mean "leaseMs"\?/,
  ],
  [
    'an option like no other',
    { retries: 3 },
    'BLUUM_INVALID_OPTION',
    /"retries": not an option of fastify-bluum-webhooks; the options are secret, path, /,
  ],
  [
    "Fastify's register prefix, which a fastify-plugin plugin never gets",
    { prefix: '/v1' },
    'BLUUM_INVALID_OPTION',
    /"prefix": .*give the full route as `path`/,
  ],
]

for (const [name, options, code, message] of rejected) {
  t.test(`register fails with ${code} for ${name}, and adds no route`, async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await t.rejects(
      async () => {
        await app.register(bluumWebhooks, {
          secret: TEST_SECRET,
          ...options,
        } as BluumWebhooksOptions)
        await app.ready()
      },
      { code, message },
    )
    t.notOk(app.hasDecorator('bluum'), 'no fastify.bluum')
    t.notOk(app.hasRoute({ method: 'POST', url: '/webhooks/bluum' }), 'no webhook route')
  })
}

t.test('a secret that is not a string is described, never quoted', async (t) => {
  const secretLike = 'whsec_' + 'x'.repeat(40)
  const app = Fastify()
  t.teardown(() => app.close())
  const error = await (async () => {
    await app.register(bluumWebhooks, { secret: { value: secretLike } as never })
    await app.ready()
  })().catch((e: Error) => e)
  t.match(error, { code: 'BLUUM_INVALID_OPTION', message: /received an object$/ })
  t.notMatch((error as Error).message, 'xxxxxxxx')
})

/** [what, options, message fragment]: createMemoryStore refuses these with BLUUM_INVALID_OPTION. */
const memoryStoreRejected: Array<[string, unknown, RegExp]> = [
  ['options that are not an object', 5, /"options": expected an object of options/],
  ['a zero bound', { maxEntries: 0 }, /"maxEntries": expected a positive integer/],
  ['a bound as a string', { maxEntries: '10' }, /received the string "10"/],
  ['a clock that is not a function', { now: Date.now() }, /"now": expected a function/],
  [
    'a misspelt bound',
    { maxEntry: 10 },
    /"maxEntry": not an option of createMemoryStore; did you mean "maxEntries"\?/,
  ],
]
for (const [name, options, message] of memoryStoreRejected) {
  t.test(`createMemoryStore refuses ${name} with BLUUM_INVALID_OPTION`, async (t) => {
    t.throws(() => createMemoryStore(options as never), { code: 'BLUUM_INVALID_OPTION', message })
  })
}

/** [what, options, message fragment]: createRedisStore refuses these, before any connection. */
const redisStoreRejected: Array<[string, unknown, RegExp]> = [
  ['options that are not an object', 'redis://x', /"options": expected an object of options/],
  [
    'a misspelt url',
    { uri: 'redis://127.0.0.1:1' },
    /"uri": not an option of createRedisStore; did you mean "url"\?/,
  ],
  [
    'a misspelt timeout',
    { url: 'redis://127.0.0.1:1', commandTimeout: 5 },
    /"commandTimeout": .*did you mean "commandTimeoutMs"\?/,
  ],
  [
    'a url that is a number',
    { url: 6379 },
    /"url": expected a string starting with redis:\/\/ or rediss:\/\/, received the number 6379/,
  ],
  ['a client without defineCommand', { client: {} }, /"client": .*defineCommand is undefined/],
  [
    'a prefix that is a number',
    { url: 'redis://127.0.0.1:1', keyPrefix: 42 },
    /"keyPrefix": expected a string, received the number 42/,
  ],
]
for (const [name, options, message] of redisStoreRejected) {
  t.test(`createRedisStore refuses ${name} with BLUUM_REDIS_INVALID_OPTION`, async (t) => {
    t.throws(() => createRedisStore(options as never), {
      code: 'BLUUM_REDIS_INVALID_OPTION',
      message,
    })
  })
}

t.test('a Redis URL is never quoted back: it may carry a password', async (t) => {
  const error = (() => {
    try {
      createRedisStore({ url: 'http://user:hunter2@redis.internal:6379' })
    } catch (e) {
      return e as Error
    }
  })()
  t.match(error, {
    code: 'BLUUM_REDIS_INVALID_OPTION',
    message: /received a string of \d+ characters/,
  })
  t.notMatch(error?.message, 'hunter2')
})

/** The rows of the first table after `heading` in a markdown file: [first cell, second cell]. */
function tableAfter(file: string, heading: string): Array<[string, string]> {
  const text = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')
  const start = text.indexOf(`\n${heading}\n`)
  if (start === -1) throw new Error(`${file} has no heading ${heading}`)
  const lines = text.slice(start).split('\n')
  const first = lines.findIndex((line) => line.startsWith('|'))
  const rows: Array<[string, string]> = []
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break
    const [name, value] = line
      .split('|')
      .slice(1, 3)
      .map((cell) => cell.trim())
    rows.push([name!.replace(/`/g, ''), value!.replace(/`/g, '')])
  }
  return rows
}

t.test(
  "the README's options table lists every option and default, in the code's order",
  async (t) => {
    const rows = tableAfter('README.md', '### Options')
    t.same(
      rows.map(([name]) => name),
      pluginOptionNames,
    )
    const defaults = new Map(rows)
    for (const [name, value] of Object.entries(defaultOptions)) {
      t.match(
        defaults.get(name),
        new RegExp(`^${String(value)}( |$)`),
        `${name} defaults to ${value}`,
      )
    }
  },
)

t.test(
  "docs/redis.md's options table lists every createRedisStore option and default",
  async (t) => {
    const rows = tableAfter('docs/redis.md', '### Options')
    t.same(rows.map(([name]) => name).sort(), [...redisStoreOptionNames].sort())
    const defaults = new Map(rows)
    for (const [name, value] of Object.entries(redisStoreDefaults)) {
      t.equal(
        defaults.get(name)?.replace(/^'(.*)'$/, '$1'),
        String(value),
        `${name} defaults to ${value}`,
      )
    }
  },
)

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
