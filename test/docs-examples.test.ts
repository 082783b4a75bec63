/**
 * The code the docs pages show, run. Each `// #region NAME` below is the text of a page's block
 * marked `<!-- snippet: test/docs-examples.test.ts#NAME -->` (test/readme.test.ts compares
 * them), and the test around it proves the block does what its page says. Regions that import
 * sit at the top level, as a reader would paste them into a module; the others run inside their
 * test. The attempt lines of docs/sandbox.md are compared with the CLI's own rendering.
 */
import Fastify from 'fastify'
import t from 'tap'
import bluumWebhooks, { type AnyBluumEvent } from 'fastify-bluum-webhooks'
import { formatAttempt } from '../mock-server/cli/attempt-line.js'
import type { AttemptActivity } from '../mock-server/api/stream.js'
import { documentedBlocks } from './helpers/doc-blocks.js'
import { orderFilled, randomSecret, signedDelivery, TEST_SECRET } from './helpers/sign.js'

/** What a prom-client Counter would count, by label set. */
const counted: Array<Record<string, string | undefined>> = []
const deliveries = {
  inc: (labels: Record<string, string | undefined>) => void counted.push(labels),
}

// #region delivery-channel
import diagnostics_channel from 'node:diagnostics_channel'
import { bluumChannels, type BluumDeliveryMessage } from 'fastify-bluum-webhooks'

diagnostics_channel
  .tracingChannel<unknown, BluumDeliveryMessage>(bluumChannels.delivery)
  .subscribe({
    start() {},
    end() {},
    asyncStart() {},
    error() {},
    // deliveries: a prom-client Counter, say
    asyncEnd: (m) => deliveries.inc({ event: m.event ?? 'unknown', outcome: m.outcome }),
  })
// #endregion

const secret = randomSecret()
const app = Fastify()
t.teardown(() => app.close())
await app.register(bluumWebhooks, { secret })
const filled: string[] = []
app.bluum.on('order.filled', async (event) => void filled.push(event.data.symbol))

// #region inject
import { buildEvent, signBluumWebhook } from 'fastify-bluum-webhooks/testing'

const event = buildEvent('order.filled', { symbol: 'MSFT' }) // typed from the catalog
const res = await app.inject({
  method: 'POST',
  url: '/webhooks/bluum',
  ...signBluumWebhook({ event, secret }),
})
// #endregion

t.test('inject: a built, signed event is verified and handled', async (t) => {
  t.same([res.statusCode, res.json()], [200, { received: true }])
  t.same(filled, ['MSFT'])
})

t.test('the delivery channel counts each delivery by event and outcome', async (t) => {
  t.same(counted, [{ event: 'order.filled', outcome: 'processed' }])
  const forged = await app.inject({
    method: 'POST',
    url: '/webhooks/bluum',
    ...signBluumWebhook({ event, secret: randomSecret() }),
  })
  t.equal(forged.statusCode, 401)
  t.same(counted.at(-1), { event: 'unknown', outcome: 'rejected' }, 'refused before it is read')
})

// #region msw-in-process
import { setupServer } from 'msw/node'
import { createSandbox } from 'fastify-bluum-webhooks/sandbox'
import { createBluumHandlers } from 'fastify-bluum-webhooks/sandbox/msw'

const sandbox = createSandbox() // virtual clock: await sandbox.clock.advance('2h'), or .runAll()
const server = setupServer(...createBluumHandlers(sandbox)) // https://sandbox.api.bluumfinance.com/v1
server.listen()
// #endregion
t.teardown(async () => {
  server.close()
  await sandbox.close()
})

t.test("msw in-process: fetch to Bluum's sandbox URL is answered by the sandbox", async (t) => {
  const answer = await fetch('https://sandbox.api.bluumfinance.com/v1/webhooks/event-types', {
    headers: {
      authorization: `Basic ${Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')}`,
    },
  })
  t.equal(answer.status, 200)
  t.match(JSON.stringify(await answer.json()), 'order.filled')
})

t.test('a custom verifier replaces the signature check, its failures answered', async (t) => {
  const bluumScheme = 'shared-token'
  const checkBluumScheme = (rawBody: Buffer, headers: Record<string, unknown>, now: number) =>
    rawBody.length > 0 && headers['bluum-signature'] === bluumScheme && now > 0
  const app = Fastify()
  t.teardown(() => app.close())
  // #region custom-verifier
  await app.register(bluumWebhooks, {
    verifier: {
      verify: ({ rawBody, headers, now }) =>
        checkBluumScheme(rawBody, headers, now)
          ? { ok: true, webhookId: String(headers['bluum-event-id']) }
          : {
              ok: false,
              error: Object.assign(new Error('bad signature'), {
                code: 'MY_CODE',
                statusCode: 401,
              }),
            },
    },
  })
  // #endregion
  let runs = 0
  app.bluum.on('order.filled', () => void runs++)
  const send = (signature: string) =>
    app.inject({
      method: 'POST',
      url: '/webhooks/bluum',
      headers: {
        'content-type': 'application/json',
        'bluum-event-id': 'evt_custom_1',
        'bluum-signature': signature,
      },
      payload: JSON.stringify(orderFilled()),
    })
  t.same((await send(bluumScheme)).json(), { received: true })
  t.same((await send(bluumScheme)).json(), { received: true, duplicate: true }, 'keyed by its id')
  const refused = await send('forged')
  t.match([refused.statusCode, refused.json()], [401, { code: 'MY_CODE' }])
  t.equal(runs, 1)
})

t.test('routing: one event, a list, a domain, everything, and the failures', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(bluumWebhooks, { secret: TEST_SECRET })
  const calls: string[] = []
  const failures: string[] = []
  let n = 0
  const handler = (event: AnyBluumEvent) => void calls.push(`${++n}:${event.event}`)
  // #region routing
  app.bluum.on('order.filled', handler) // one event
  app.bluum.on(['order.filled', 'order.canceled'], handler) // a list
  app.bluum.on('order.*', handler) // a domain
  app.bluum.on('transfer.*', handler) // also the three-segment transfer.deposit.* names
  app.bluum.on('transfer.deposit.*', handler)
  app.bluum.onAny(handler) // everything, including names the catalog does not know yet
  app.bluum.onError((error, event, context) => {}) // error.errors holds every handler failure of the delivery
  // #endregion
  app.bluum.onError((error) => void failures.push(...error.errors.map((e: Error) => e.message)))
  const deliver = (body: object) => {
    const d = signedDelivery({ body })
    return app.inject({
      method: 'POST',
      url: '/webhooks/bluum',
      headers: d.headers,
      payload: d.payload,
    })
  }
  t.equal((await deliver(orderFilled())).statusCode, 200)
  t.equal(calls.length, 4, 'order.filled: by name, in the list, by domain, and onAny')
  calls.length = 0
  const custom = { event: 'order.future_event', timestamp: '2026-07-01T15:10:00Z', data: {} }
  t.same((await deliver(custom)).json(), { received: true }, 'an unknown name is acknowledged')
  t.equal(calls.length, 1, 'and reaches onAny alone')
  app.bluum.on('order.filled', () => {
    throw new Error('first')
  })
  app.bluum.on('order.filled', () => {
    throw new Error('second')
  })
  t.equal((await deliver(orderFilled())).statusCode, 500)
  t.same(failures, ['first', 'second'], 'every failure of the delivery, in one AggregateError')
})

t.test(
  "docs/sandbox.md's attempt lines are the CLI's, for a refused then accepted delivery",
  async (t) => {
    const [sample] = documentedBlocks('docs/sandbox.md', import.meta.url)
    // The receiver's answer to a delivery signed with a secret it does not have: the plugin's own.
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(bluumWebhooks, { secret: TEST_SECRET })
    const forged = signedDelivery({ body: orderFilled(), secret: randomSecret() })
    const refused = await app.inject({
      method: 'POST',
      url: '/webhooks/bluum',
      headers: forged.headers,
      payload: forged.payload,
    })

    const previousZone = process.env.TZ
    process.env.TZ = 'UTC' // the sample's times are clock times in the machine's zone
    t.teardown(() => {
      if (previousZone === undefined) delete process.env.TZ
      else process.env.TZ = previousZone
    })
    const activity = (
      attempt: number,
      at: string,
      status: number,
      body: string,
      ms: number,
    ): AttemptActivity => ({
      delivery_id: 'dlv_1',
      webhook_id: 'wh_1',
      event: 'order.filled',
      event_id: 'evt_01j9x8m2k7qpzwv3t5r6y8n0ab',
      attempt: {
        attempt,
        attempted_at: at,
        webhook_timestamp: Date.parse(at) / 1000,
        status_code: status,
        duration_ms: ms,
        error: status === 200 ? null : `HTTP ${status}`,
        succeeded: status === 200,
        fault: null,
        request: null,
        response: { status, headers: {}, body, body_truncated: false, body_bytes: body.length },
        connection_error: null,
      },
      phase: status === 200 ? 'delivered' : 'failing',
      next_attempt_at: status === 200 ? null : '2026-07-01T15:11:02.000Z',
      parked: false,
      failure_reason: null,
    })
    const rendered = [
      formatAttempt(activity(1, '2026-07-01T15:10:02.000Z', 401, refused.body, 4), {
        format: 'text',
        colour: false,
      }),
      formatAttempt(activity(2, '2026-07-01T15:11:02.000Z', 200, '{"received":true}', 3), {
        format: 'text',
        colour: false,
      }),
    ]
      .join('\n')
      .split('\n')
    const shown = sample!.code.trimEnd().split('\n')
    t.equal(shown.length, rendered.length, 'as many lines as the CLI prints')
    for (const [i, line] of shown.entries()) {
      // The page cuts the receiver's long message with an ellipsis.
      if (line.endsWith(' …')) t.equal(rendered[i]!.slice(0, line.length - 2), line.slice(0, -2))
      else t.equal(rendered[i], line)
    }
  },
)
