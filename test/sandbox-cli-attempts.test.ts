/**
 * The running `bluum-sandbox` prints one line per delivery attempt: time, event, evt_ id, the
 * status with the receiver's error code (or the connection error), the duration, the next retry
 * or "parked"; `--log-format json` prints JSON lines, `--quiet` none, colour only on a terminal.
 * The CLI in-process over real HTTP, a real receiver running the plugin on 127.0.0.1.
 */
import t from 'tap'
import { formatAttempt, shouldColour } from '../mock-server/cli/attempt-line.js'
import { generateWebhookSecret } from '../mock-server/index.js'
import { eventually, startCli, startReceiver } from './helpers/sandbox-cli.js'

const ansi = /\u001b\[/

/** A sandbox forwarding to a plugin app that verifies another secret: every attempt is a 401. */
async function failingSetup(t: Parameters<typeof startCli>[0], args: string[] = [], env = {}) {
  const receiver = await startReceiver(t, generateWebhookSecret())
  const cli = await startCli(t, ['--forward-to', receiver.url, ...args], env)
  const event = (await cli.api('POST', '/sandbox/trigger', { event: 'order.filled' })).body
  const attempts = async () => {
    const list = (await cli.api('GET', '/sandbox/deliveries')).body.data as {
      event_id: string
      attempts: unknown[]
    }[]
    return list.find((d) => d.event_id === event.id)?.attempts.length ?? 0
  }
  return { cli, event, attempts }
}

t.test(
  "each attempt prints a line with the receiver's code, then parked after the ladder",
  async (t) => {
    const { cli, event } = await failingSetup(t)
    const first = new RegExp(
      `^\\d\\d:\\d\\d:\\d\\d  order\\.filled  ${event.id}  #1  → 401 BLUUM_SIGNATURE_MISMATCH  \\d+ ms  · retry at \\d\\d:\\d\\d:\\d\\d$`,
      'm',
    )
    await cli.waitFor((out) => first.test(out))
    t.match(cli.stdout(), first)
    // The receiver's diagnosis follows on its own line.
    t.match(cli.stdout(), new RegExp(`${event.id}  #1  .*\\n {10}↳ \\S.*secret`))
    await cli.api('POST', '/sandbox/clock/advance', { duration: '11h' })
    const last = new RegExp(
      `${event.id}  #6  → 401 BLUUM_SIGNATURE_MISMATCH .*· parked \\(exhausted\\)$`,
      'm',
    )
    await cli.waitFor((out) => last.test(out))
    t.match(cli.stdout(), last)
    t.equal(cli.stdout().match(new RegExp(event.id, 'g'))?.length, 6, 'one line per attempt')
    t.notMatch(cli.stdout(), ansi, 'no colour when stdout is not a terminal')
    t.equal(await cli.stop(), 0)
  },
)

t.test('a connection error prints its code instead of a status', async (t) => {
  // The plugin app is closed before anything is sent: its port refuses connections.
  const receiver = await startReceiver(t, generateWebhookSecret())
  await receiver.app.close()
  const cli = await startCli(t, ['--forward-to', receiver.url])
  const event = (await cli.api('POST', '/sandbox/trigger', { event: 'account.created' })).body
  const line = new RegExp(`account\\.created  ${event.id}  #1  → ECONNREFUSED  \\d+ ms  · retry at`)
  await cli.waitFor((out) => line.test(out))
  t.match(cli.stdout(), line)
})

t.test(
  '--log-format json prints the banner and every attempt as one JSON object per line',
  async (t) => {
    const { cli, event } = await failingSetup(t, ['--log-format', 'json'])
    await cli.waitFor((out) => out.includes(event.id))
    const lines = cli
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    t.match(lines[0], {
      type: 'listening',
      url: cli.base,
      api_key: 'bluum_sandbox_key',
      webhook_secret: /^whsec_/,
    })
    t.match(
      lines.find((l) => l.event_id === event.id),
      {
        type: 'attempt',
        event: 'order.filled',
        delivery_id: /^dlv_/,
        attempt: 1,
        status: 401,
        receiver_code: 'BLUUM_SIGNATURE_MISMATCH',
        error: null,
        succeeded: false,
        phase: 'failing',
        parked: false,
        next_attempt_at: /^\d{4}-/,
      },
    )
    t.type(lines.find((l) => l.event_id === event.id).duration_ms, 'number')
  },
)

t.test('--quiet prints the banner and no attempt line', async (t) => {
  const { cli, event, attempts } = await failingSetup(t, ['--quiet'])
  t.equal(await eventually(attempts, (n) => n >= 1), 1, 'the attempt happened')
  // The line would be written before the delivery list shows the attempt: none came.
  t.notMatch(cli.stdout(), event.id)
  t.match(cli.stdout(), 'Time scale')
})

t.test('colour: FORCE_COLOR turns it on off a terminal; NO_COLOR wins', async (t) => {
  const coloured = await failingSetup(t, [], { FORCE_COLOR: '1' })
  await coloured.cli.waitFor((out) => out.includes(coloured.event.id))
  t.match(coloured.cli.stdout(), ansi)
  const plain = await failingSetup(t, [], { FORCE_COLOR: '1', NO_COLOR: '1' })
  await plain.cli.waitFor((out) => out.includes(plain.event.id))
  t.notMatch(plain.cli.stdout(), ansi)
})

t.test('shouldColour: a terminal without NO_COLOR, nothing else', async (t) => {
  const rows = [
    { isTTY: true, env: {}, colour: true },
    { isTTY: true, env: { NO_COLOR: '1' }, colour: false },
    { isTTY: true, env: { NO_COLOR: '' }, colour: true },
    { isTTY: false, env: {}, colour: false },
    { isTTY: undefined, env: {}, colour: false },
    { isTTY: false, env: { FORCE_COLOR: '1' }, colour: true },
    { isTTY: true, env: { FORCE_COLOR: '0' }, colour: false },
  ]
  for (const row of rows)
    t.equal(shouldColour({ isTTY: row.isTTY as boolean }, row.env), row.colour, JSON.stringify(row))
})

t.test('a delivered attempt and a parked one, formatted', async (t) => {
  const base = {
    delivery_id: 'dlv_1',
    webhook_id: 'wh_1',
    event: 'order.filled',
    event_id: 'evt_1',
    failure_reason: null,
    next_attempt_at: null,
    attempt: {
      attempt: 1,
      attempted_at: '2026-07-01T15:10:00.000Z',
      webhook_timestamp: 1,
      status_code: 200,
      duration_ms: 7,
      error: null,
      succeeded: true,
      fault: null,
      request: null,
      response: { status: 200, headers: {}, body: '{}', body_truncated: false, body_bytes: 2 },
      connection_error: null,
    },
  }
  const delivered = formatAttempt(
    { ...base, phase: 'delivered', parked: false },
    { format: 'text', colour: false },
  )
  t.match(delivered, /order\.filled  evt_1  #1  → 200  7 ms  · delivered$/)
  const parked = formatAttempt(
    {
      ...base,
      phase: 'parked',
      parked: true,
      failure_reason: 'gone',
      attempt: {
        ...base.attempt,
        status_code: 410,
        succeeded: false,
        response: { ...base.attempt.response, status: 410, body: 'gone' },
      },
    },
    { format: 'text', colour: true },
  )
  t.match(parked, /410.*parked \(gone\)/)
  t.match(parked, ansi)
  t.equal(parked.split('\n').length, 1, 'a body that names no code adds no line')

  const refused = formatAttempt(
    {
      ...base,
      phase: 'failing',
      parked: false,
      next_attempt_at: '2026-07-01T15:11:00.000Z',
      attempt: {
        ...base.attempt,
        status_code: null,
        succeeded: false,
        response: null,
        connection_error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' },
      },
    },
    { format: 'json', colour: true },
  )
  t.match(JSON.parse(refused), {
    status: null,
    error: { code: 'ECONNREFUSED' },
    receiver_code: null,
    next_attempt_at: '2026-07-01T15:11:00.000Z',
  })
  t.notMatch(refused, ansi, 'json is never coloured')
  const diagnosed = formatAttempt(
    {
      ...base,
      phase: 'failing',
      parked: false,
      next_attempt_at: '2026-07-01T15:11:00.000Z',
      attempt: {
        ...base.attempt,
        status_code: 401,
        succeeded: false,
        response: {
          ...base.attempt.response,
          status: 401,
          body: '{"code":"BLUUM_TIMESTAMP_FUTURE","message":"The timestamp is 600 s ahead:\\n check the clock"}',
        },
      },
    },
    { format: 'text', colour: false },
  )
  t.match(
    diagnosed,
    /→ 401 BLUUM_TIMESTAMP_FUTURE  7 ms  · retry at \d\d:\d\d:\d\d\n {10}↳ The timestamp is 600 s ahead: check the clock$/,
  )
})
