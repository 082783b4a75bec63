/**
 * The state file without a server: a round trip that resumes a retry ladder where it stopped,
 * coalesced writes, atomic replacement, and the coded load errors.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  createSandbox,
  type DeliveryRequest,
  type DeliveryResponse,
  type DeliveryTransport,
} from '../mock-server/index.js'
import {
  createStateWriter,
  snapshotState,
  STATE_FILE_VERSION,
  writeFileAtomic,
  type StateSnapshot,
} from '../mock-server/core/state-file.js'
import { createState } from '../mock-server/core/state.js'

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'bluum-state-unit-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function failing(): DeliveryTransport & { requests: DeliveryRequest[] } {
  const requests: DeliveryRequest[] = []
  return {
    requests,
    async send(request): Promise<DeliveryResponse> {
      requests.push(request)
      return { status: 500, headers: {}, body: '' }
    },
  }
}

t.test(
  'a reloaded sandbox resumes a failing delivery at its place in the ladder, with the same secret',
  async (t) => {
    const file = join(tempDir(t), 'state.json')
    const first = failing()
    const a = createSandbox({ stateFile: file, transport: first, initialCash: '1000.00' })
    const webhook = a.webhooks.create({ name: 'w', url: 'http://r.test/h', eventTypeNames: ['*'] })
    const investor = a.investors.create({ first_name: 'A', last_name: 'B', email: 'a@b.co' })
    a.orders.place(investor.id, {
      symbol: 'AAPL',
      side: 'buy',
      type: 'market',
      time_in_force: 'day',
      quantity: '2',
    })
    await a.idle()
    await a.clock.advance('90s') // every delivery: attempt 1 at 0, attempt 2 at 1 min
    const before = a.deliveries.list({ webhookId: webhook.id })
    t.ok(before.length > 0)
    t.ok(before.every((d) => d.status === 'pending' && d.attempts.length === 2))
    await a.close()

    const second = failing()
    const b = createSandbox({ stateFile: file, transport: second })
    t.teardown(() => b.close())
    t.equal(b.webhooks.get(webhook.id).secret, webhook.secret, 'same secret')
    t.match(b.orders.positions(investor.id), [{ symbol: 'AAPL', quantity: '2' }])
    t.equal(b.clock.pendingTimers(), before.length, 'one pending retry per delivery')
    await b.clock.advance('11h')
    const after = b.deliveries.list({ webhookId: webhook.id })
    t.ok(
      after.every((d) => d.status === 'parked' && d.attempts.length === 6),
      'four more attempts each (not a fresh ladder of six), then parked',
    )
    t.equal(second.requests.length, before.length * 4)
  },
)

t.test('writes are coalesced: a burst of changes is one write, flush writes at once', async (t) => {
  const file = join(tempDir(t), 'state.json')
  let snapshots = 0
  const writer = createStateWriter({
    path: file,
    delayMs: 30,
    snapshot: () => {
      snapshots += 1
      return snapshotState({ state: createState(), events: [], timers: [], runs: [], nowMs: 0 })
    },
  })
  for (let i = 0; i < 500; i++) writer.schedule()
  t.equal(snapshots, 0, 'nothing written synchronously')
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(snapshots, 1, 'one write for 500 changes')
  writer.schedule()
  await writer.flush()
  t.equal(snapshots, 2, 'flush wrote the pending change at once')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(snapshots, 2, 'and the timer it replaced did not write again')
  t.match(JSON.parse(readFileSync(file, 'utf8')) as StateSnapshot, {
    format: 'bluum-sandbox-state',
    version: STATE_FILE_VERSION,
  })
})

t.test('an atomic write that fails leaves the previous file and no temporary file', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'state.json')
  await writeFileAtomic(file, 'first')
  // A directory where the rename must land: the write fails after the temp file was written.
  const blocked = join(dir, 'blocked')
  mkdirSync(join(blocked, 'child'), { recursive: true })
  await t.rejects(writeFileAtomic(blocked, 'second'), { code: 'BLUUM_SANDBOX_STATE_FILE_WRITE' })
  await t.rejects(writeFileAtomic(join(dir, 'missing', 'state.json'), 'x'), {
    code: 'BLUUM_SANDBOX_STATE_FILE_WRITE',
  })
  t.equal(readFileSync(file, 'utf8'), 'first')
  t.same(readdirSync(dir).sort(), ['blocked', 'state.json'])
})

t.test(
  'createSandbox refuses a file it cannot load, with a code, and leaves it as it was',
  async (t) => {
    const dir = tempDir(t)
    const valid = {
      format: 'bluum-sandbox-state',
      version: 1,
      saved_at: '2026-01-01T00:00:00.000Z',
      clock: { now_ms: 0, wall_ms: 0 },
      state: {},
      events: [],
      timers: [],
      runs: [],
    }
    const table: [string, string, string, RegExp][] = [
      ['truncated', JSON.stringify(valid).slice(0, 60), 'CORRUPT', /not valid JSON/],
      ['empty', '', 'CORRUPT', /not valid JSON/],
      ['not JSON', 'webhooks: yes', 'CORRUPT', /not valid JSON/],
      ['no clock', JSON.stringify({ ...valid, clock: 1 }), 'CORRUPT', /"clock" lacks now_ms/],
      [
        'a list that is not',
        JSON.stringify({ ...valid, runs: {} }),
        'CORRUPT',
        /"runs" is not a list/,
      ],
      [
        'a resource under another id',
        JSON.stringify({ ...valid, state: { webhooks: { $map: [['wh_1', { id: 'wh_2' }]] } } }),
        'CORRUPT',
        /webhooks\['wh_1'\] is not a resource with that id/,
      ],
      [
        'a map that is not',
        JSON.stringify({ ...valid, state: { investors: [] } }),
        'CORRUPT',
        /state.investors is not a map/,
      ],
      ['version 0', JSON.stringify({ ...valid, version: 0 }), 'CORRUPT', /"version" is 0/],
      ['foreign JSON', '{"compilerOptions":{}}', 'FOREIGN', /"format" is null/],
      ['a JSON array', '[1,2,3]', 'FOREIGN', /JSON array/],
      ['another format', '{"format":"x"}', 'FOREIGN', /"format" is "x"/],
      [
        'a newer version',
        JSON.stringify({ ...valid, version: 99 }),
        'VERSION',
        /version 99, newer/,
      ],
    ]
    for (const [name, content, code, message] of table) {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.json`)
      writeFileSync(file, content)
      t.throws(
        () => createSandbox({ stateFile: file }),
        { code: `BLUUM_SANDBOX_STATE_FILE_${code}`, message },
        name,
      )
      t.equal(readFileSync(file, 'utf8'), content, `${name}: untouched`)
    }
    t.same(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file was written',
    )
    t.throws(() => createSandbox({ stateFile: dir }), {
      code: 'BLUUM_SANDBOX_STATE_FILE_UNREADABLE',
    })
    const fresh = createSandbox({ stateFile: join(dir, 'new.json') })
    t.equal(fresh.state.webhooks.size, 0, 'a missing file is a fresh start')
    await fresh.close()
    t.match(JSON.parse(readFileSync(join(dir, 'new.json'), 'utf8')), {
      version: STATE_FILE_VERSION,
    })
  },
)

t.test(
  "a version 1 file's succeeded deliveries load as delivered, the status every filter takes",
  async (t) => {
    const dir = tempDir(t)
    const file = join(dir, 'v1.json')
    const delivery = (id: string, status: string) => ({
      id,
      object: 'webhook_delivery',
      webhook_id: 'wh_1',
      event_id: `evt_${id}`,
      event: 'order.filled',
      status,
      failure_reason: null,
      attempts: [],
      next_attempt_at: null,
      created: 0,
      createdMs: 0,
      payload: '{}',
    })
    writeFileSync(
      file,
      JSON.stringify({
        format: 'bluum-sandbox-state',
        version: 1,
        saved_at: '2026-01-01T00:00:00.000Z',
        clock: { now_ms: 0, wall_ms: 0 },
        state: {
          deliveries: {
            $map: [
              ['dlv_1', delivery('dlv_1', 'succeeded')],
              ['dlv_2', delivery('dlv_2', 'parked')],
            ],
          },
        },
        events: [],
        timers: [],
        runs: [],
      }),
    )
    const sandbox = createSandbox({ stateFile: file })
    t.teardown(() => sandbox.close())
    t.same(
      sandbox.deliveries.list().map((d) => [d.id, d.status]),
      [
        ['dlv_2', 'parked'],
        ['dlv_1', 'delivered'],
      ],
    )
    t.same(
      sandbox.deliveries.list({ phase: 'delivered' }).map((d) => d.id),
      ['dlv_1'],
    )
  },
)
