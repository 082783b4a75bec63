/**
 * Texts the sandbox keeps for its life are stored once and flat (timestamps, deposit codes, the
 * answers of attempts): what this checks is that the copying and sharing never change a value.
 * Whether V8 holds a string flat is not observable from JavaScript; the heap per triggered event
 * is measured by bench/sandbox-heap.ts.
 */
import t from 'tap'
import { createSandbox, type DeliveryResponse } from '../mock-server/index.js'
import { isoSeconds } from '../mock-server/core/event-bus.js'
import { flatString } from '../mock-server/core/flat-string.js'

t.test('isoSeconds formats each second right, however the seconds alternate', async (t) => {
  const now = Date.UTC(2026, 6, 1, 15, 10, 0, 750)
  const week = 7 * 24 * 3600 * 1000
  // A deposit stamps now and its expiry in turn; a third second pushes the oldest out.
  const order = [now, now + week, now, now + week, now + 1000, now, now - 1000, now + week]
  for (const ms of order) {
    t.equal(isoSeconds(ms), new Date(ms).toISOString().slice(0, 19) + 'Z', `${ms}`)
  }
  t.equal(isoSeconds(Date.UTC(-1, 0, 1)), '-000001-01-01T00:00:00Z', 'an extended year')
  t.equal(isoSeconds(Date.UTC(10_000, 0, 1, 0, 0, 1)), '+010000-01-01T00:00:01Z', 'past 9999')
  t.equal(isoSeconds(0), '1970-01-01T00:00:00Z', 'the epoch')
})

t.test('flatString gives back the same text, whatever it holds', async (t) => {
  const texts = [
    '',
    'wlt_01j9x8m2k7qpzwv3t5r6y8n0ab',
    `Include reference code "${'BLUUM-'}${'8ZD39X1Q'}" in your transfer memo.`,
    'café ÿ',
    'naïve € 日本',
    'lone \ud800 surrogate',
    '😀 emoji',
  ]
  for (const text of texts) t.equal(flatString(text), text, JSON.stringify(text))
  const long = 'x'.repeat(100)
  t.equal(flatString(long.slice(10, 60)), 'x'.repeat(50), 'a slice')
  for (const length of [255, 256, 257, 1000]) {
    const text = 'é'.repeat(length - 1) + 'z'
    t.equal(flatString(text), text, `${length} Latin-1 characters (past the scratch buffer too)`)
  }
  t.equal(flatString('a'.repeat(300)), 'a'.repeat(300), 'then a short one again')
})

t.test('each attempt keeps its own answer, past the bound of shared texts', async (t) => {
  // A receiver answering 1 100 distinct short headers and bodies (more than the 1 024 shared
  // texts kept), one long header, and repeats of the same ones.
  let n = 0
  const transport = {
    async send(): Promise<DeliveryResponse> {
      n++
      return {
        status: 200,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'x-seq': `seq-${n}`,
          'x-long': `${'l'.repeat(80)}-${n}`,
          'x-list': ['a', `b-${n}`],
          'x-absent': undefined,
        },
        body: n % 2 === 0 ? `{"n":${n}}` : '{"received":true}',
      }
    },
  }
  const sandbox = createSandbox({ transport })
  t.teardown(() => sandbox.close())
  sandbox.webhooks.create({ name: 'all', url: 'http://127.0.0.1:9/hook', eventTypeNames: ['*'] })
  for (let i = 0; i < 1_100; i++) sandbox.trigger('custom.kept', { i }, { custom: true })
  await sandbox.idle()
  const attempts = [...sandbox.state.deliveries.values()].flatMap((d) => d.attempts)
  t.equal(attempts.length, 1_100, 'one attempt each')
  const wrong = attempts.filter((attempt) => {
    const seq = Number(attempt.response!.headers['x-seq']!.toString().slice(4))
    const headers = attempt.response!.headers
    return (
      headers['content-type'] !== 'application/json; charset=utf-8' ||
      headers['x-long'] !== `${'l'.repeat(80)}-${seq}` ||
      JSON.stringify(headers['x-list']) !== JSON.stringify(['a', `b-${seq}`]) ||
      'x-absent' in headers ||
      attempt.response!.body !== (seq % 2 === 0 ? `{"n":${seq}}` : '{"received":true}')
    )
  })
  t.same(wrong, [], 'every attempt holds the headers and body its own answer carried')
  t.equal(new Set(attempts.map((a) => a.response!.headers['x-seq'])).size, 1_100, 'all distinct')
})

t.test('a delivery keeps every attempt, the first and the retries', async (t) => {
  let calls = 0
  const sandbox = createSandbox({
    transport: {
      async send(): Promise<DeliveryResponse> {
        calls++
        return { status: calls < 3 ? 500 : 200, headers: {}, body: `attempt ${calls}` }
      },
    },
    clock: 'virtual',
  })
  t.teardown(() => sandbox.close())
  sandbox.webhooks.create({ name: 'all', url: 'http://127.0.0.1:9/hook', eventTypeNames: ['*'] })
  sandbox.trigger('custom.retried', {}, { custom: true })
  await sandbox.idle()
  const [delivery] = [...sandbox.state.deliveries.values()]
  t.same(
    delivery!.attempts.map((a) => [a.attempt, a.status_code, a.response?.body]),
    [[1, 500, 'attempt 1']],
    'the first attempt',
  )
  await sandbox.clock.advance('1h') // Bluum's ladder: retries after 1 and 5 more minutes
  t.same(
    delivery!.attempts.map((a) => [a.attempt, a.status_code, a.response?.body]),
    [
      [1, 500, 'attempt 1'],
      [2, 500, 'attempt 2'],
      [3, 200, 'attempt 3'],
    ],
    'then its retries, in order, on the same record',
  )
  t.equal(delivery!.status, 'delivered')
})

t.test('a logged event delivered again is sent as the same bytes', async (t) => {
  const sandbox = createSandbox({
    transport: { send: async () => ({ status: 200, headers: {}, body: '' }) },
  })
  t.teardown(() => sandbox.close())
  const webhook = sandbox.webhooks.create({
    name: 'all',
    url: 'http://127.0.0.1:9/hook',
    eventTypeNames: ['*'],
  })
  sandbox.trigger('order.filled', { metadata: { '2': 'two', b: 'bee', a: [1, 2.5, null] } })
  await sandbox.idle()
  const logged = sandbox.events().find((e) => e.event === 'order.filled')!
  const first = [...sandbox.state.deliveries.values()].find((d) => d.event_id === logged.id)!
  const again = sandbox.deliveries.deliverTo(logged, webhook.id)
  t.not(again.id, first.id, 'a new delivery')
  t.equal(again.payload, first.payload, 'the bytes of the first')
  t.same(JSON.parse(again.payload).data.metadata, { '2': 'two', b: 'bee', a: [1, 2.5, null] })
})
