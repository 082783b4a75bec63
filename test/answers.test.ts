/**
 * The answers module alone: each answer's status, body and log line, the same whichever path
 * (store pipeline, route, inbox) gives it.
 */
import t from 'tap'
import {
  ackTimedOut,
  answerBody,
  answerStatus,
  duplicate,
  handlersFailed,
  inboxDatabaseFailed,
  inFlight,
  logHandlersFailed,
  processed,
  queued,
  rejected,
  storeUnavailable,
} from '../plugin/answers.js'
import { SignatureMismatchError } from '../plugin/errors.js'
import type { DeliveryAnswer } from '../plugin/types.js'

function recordingLog() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = []
  const at =
    (level: string) =>
    (obj: object, msg?: string): void =>
      void lines.push({ level, obj: obj as Record<string, unknown>, ...(msg && { msg }) })
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } }
}

const fields = { deliveryId: 'evt_1', event: 'order.filled', secretIndex: 0 }

/** [answer, made with, status, code (undefined for a 200), body fragment, log level, log message]. */
const table: Array<
  [
    string,
    (log: ReturnType<typeof recordingLog>['log']) => DeliveryAnswer,
    number,
    string | undefined,
    RegExp,
    string,
    RegExp,
  ]
> = [
  [
    'processed',
    (log) => processed(log, fields),
    200,
    undefined,
    /^\{"received":true\}$/,
    'info',
    /processed/,
  ],
  [
    'queued',
    (log) => queued(log, fields, 2),
    200,
    undefined,
    /^\{"received":true\}$/,
    'info',
    /queued/,
  ],
  [
    'duplicate',
    (log) => duplicate(log, fields),
    200,
    undefined,
    /^\{"received":true,"duplicate":true\}$/,
    'info',
    /duplicate/,
  ],
  [
    'rejected',
    (log) => rejected(log, new SignatureMismatchError()),
    401,
    'BLUUM_SIGNATURE_MISMATCH',
    /"statusCode":401,"code":"BLUUM_SIGNATURE_MISMATCH","error":"Unauthorized"/,
    'warn',
    /rejected: No signature matches/,
  ],
  [
    'in flight',
    (log) => inFlight(log, fields),
    409,
    'BLUUM_DELIVERY_IN_FLIGHT',
    /"error":"Conflict"/,
    'info',
    /409/,
  ],
  [
    'store unavailable',
    (log) =>
      storeUnavailable(log, 'evt_1', Object.assign(new Error('down'), { code: 'ECONNREFUSED' })),
    503,
    'BLUUM_STORE_UNAVAILABLE',
    /unreachable \(ECONNREFUSED\)/,
    'error',
    /dedupe store unreachable/,
  ],
  [
    'inbox database failed',
    (log) =>
      inboxDatabaseFailed(log, fields, Object.assign(new Error('conflict'), { code: '40001' }), 60),
    503,
    'BLUUM_STORE_UNAVAILABLE',
    /database failed \(40001\): nothing of this delivery committed/,
    'warn',
    /inbox database failed/,
  ],
  [
    'ack timeout',
    (log) => ackTimedOut(log, fields, 10_000),
    503,
    'BLUUM_ACK_TIMEOUT',
    /after 10000 ms/,
    'info',
    /acknowledgement deadline/,
  ],
]

for (const [name, make, status, code, body, level, message] of table) {
  t.test(`${name}: ${status}${code ? ` ${code}` : ''}, one ${level} line`, async (t) => {
    const { lines, log } = recordingLog()
    const answer = make(log)
    t.equal(answerStatus(answer), status)
    t.match(answerBody(answer), body)
    if (code !== undefined) t.match(answer, { ok: false, error: { code } })
    t.equal(lines.length, 1)
    t.match(lines[0], { level, msg: message })
  })
}

t.test(
  'a 500 for failed handlers; the failure is logged apart, with its first error',
  async (t) => {
    const { lines, log } = recordingLog()
    const first = new Error('boom')
    logHandlersFailed(log, fields, [first, new Error('again')], 'its transaction was rolled back')
    t.match(lines, [
      {
        level: 'error',
        obj: { err: first, failures: 2, deliveryId: 'evt_1', event: 'order.filled' },
        msg: 'bluum handler failed; its transaction was rolled back',
      },
    ])
    const answer = handlersFailed('evt_1', 2)
    t.equal(answerStatus(answer), 500)
    t.match(JSON.parse(answerBody(answer)), {
      statusCode: 500,
      code: 'BLUUM_HANDLER_FAILED',
      error: 'Internal Server Error',
      message: /2 handler\(s\) failed/,
    })
  },
)

t.test('the successes are shared frozen answers: nothing is allocated per delivery', async (t) => {
  const { log } = recordingLog()
  t.equal(processed(log, fields), processed(log, fields))
  t.ok(Object.isFrozen(duplicate(log, fields)))
})

t.test("the inbox database's 503 carries its Retry-After, unless it is 0", async (t) => {
  const { log } = recordingLog()
  t.match(inboxDatabaseFailed(log, fields, null, 60), { ok: false, retryAfterSeconds: 60 })
  t.notOk('retryAfterSeconds' in inboxDatabaseFailed(log, fields, null, 0), 'none at 0')
  t.notOk('retryAfterSeconds' in storeUnavailable(log, 'evt_1', null), 'not the dedupe store')
})
