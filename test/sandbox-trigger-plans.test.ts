/**
 * Triggers as data: every catalog event is a plan of requests the API itself serves, run through
 * the same engines; a trigger refused halfway (the engines already created an investor, funded it,
 * filled an order) leaves the state exactly as it was, from a snapshot, not from checks made
 * beforehand; and what a trigger leaves behind agrees with the event it emitted.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { createApi, createSandbox, type Sandbox } from '../mock-server/index.js'
import { JournaledMap } from '../mock-server/core/journaled-map.js'
import { snapshotState } from '../mock-server/core/state-file.js'
import { triggerPlans } from '../mock-server/engines/trigger-plans/index.js'

// Bluum's investors start with no cash; these tests trade from a funded start.
const initialCash = '100000.00'
const quiet = () => ({ send: async () => ({ status: 200, headers: {}, body: '' }) })

/** Everything a state file would keep, with the save's own wall-clock fields left out. */
function wholeState(sandbox: Sandbox): string {
  const {
    saved_at: _at,
    clock,
    ...rest
  } = snapshotState({
    state: sandbox.state,
    events: sandbox.events(),
    timers: [...sandbox.transfers.savedTimers(), ...sandbox.orders.savedTimers()],
    runs: sandbox.deliveries.savedRuns(),
    nowMs: sandbox.clock.now(),
  })
  return JSON.stringify({ ...rest, now: clock.now_ms, timers: sandbox.clock.pendingTimers() })
}

t.test(
  'every request of every plan is a route the API serves, or a named sandbox step',
  async (t) => {
    const sandbox = createSandbox({ transport: quiet(), initialCash })
    t.teardown(() => sandbox.close())
    const api = createApi(sandbox)
    for (const [event, plan] of Object.entries(triggerPlans)) {
      t.ok(plan.steps.length > 0, `${event} has steps`)
      for (const step of plan.steps) {
        if (step.request.startsWith('sandbox: ')) continue
        const [method, path] = step.request.split(' ') as [string, string]
        const concrete = path.replace(/^\/v1/, '').replace(/\{[a-z_]+\}/g, 'x_1')
        t.ok(api.match(method, concrete), `${event}: ${step.request} is served`)
      }
    }
  },
)

/** The plans in words, as docs/sandbox-triggers.md lists them. */
function describePlans(): string {
  const lines: string[] = []
  for (const [event, plan] of Object.entries(triggerPlans)) {
    lines.push(`**\`${event}\`**`, '')
    plan.steps.forEach((step, i) => lines.push(`${i + 1}. \`${step.request}\`: ${step.why}`))
    const emits = plan.emits
    const outcome =
      'heard' in emits
        ? 'Emits the event the review emitted.'
        : `Emits the ${emits.made}${emits.status ? `, which must end \`${emits.status}\`` : ''}.`
    lines.push('', outcome, '')
  }
  return lines.join('\n').trim()
}

t.test('docs/sandbox-triggers.md lists every plan as it is', async (t) => {
  const doc = readFileSync(new URL('../docs/sandbox-triggers.md', import.meta.url), 'utf8')
  const listed = /<!-- trigger-plans:start -->([\s\S]*)<!-- trigger-plans:end -->/.exec(doc)?.[1]
  t.equal(
    listed?.trim(),
    describePlans(),
    'paste the expected text between the trigger-plans markers when a plan changes',
  )
})

t.test(
  'refused halfway through its plan, a trigger leaves the whole state as it was',
  async (t) => {
    const sandbox = createSandbox({ transport: quiet(), initialCash })
    t.teardown(() => sandbox.close())
    sandbox.webhooks.create({ name: 'all', url: 'http://127.0.0.1:9/hook', eventTypeNames: ['*'] })
    const holder = sandbox.investors.create({
      first_name: 'A',
      last_name: 'B',
      email: 'taken@example.com',
    })
    const rich = sandbox.investors.create({
      first_name: 'R',
      last_name: 'C',
      email: 'r@example.com',
    })
    sandbox.orders.place(rich.id, {
      symbol: 'AAPL',
      side: 'buy',
      type: 'market',
      time_in_force: 'day',
      quantity: '3',
    })
    sandbox.orders.place(rich.id, {
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      time_in_force: 'gtc',
      quantity: '2',
      limit_price: '100.00',
    })
    const othersSource = sandbox.transfers.addFundingSource(holder.id, {
      bank_name: 'B',
      account_holder_name: 'A B',
      account_number: '000111222333',
    })
    sandbox.orders.setTradable('TSLA', false)
    sandbox.documents.rejectNext('queued by the user')
    await sandbox.idle()

    const rows: {
      name: string
      event: string
      data: Record<string, unknown>
      status: number
      code: string
      param: string
    }[] = [
      {
        name: 'an order.rejected the investor can pay for (it filled, then was undone)',
        event: 'order.rejected',
        data: { investor_id: rich.id, quantity: '1' },
        status: 400,
        code: 'BLUM-400-001',
        param: 'data.quantity',
      },
      {
        name: 'an order.filled whose limit rests (a new investor was made and funded)',
        event: 'order.filled',
        data: { type: 'limit', limit_price: '1.00', time_in_force: 'gtc' },
        status: 400,
        code: 'BLUM-400-001',
        param: 'data.limit_price',
      },
      {
        name: 'an order.accepted that is immediate-or-cancel',
        event: 'order.accepted',
        data: { investor_id: rich.id, time_in_force: 'ioc' },
        status: 400,
        code: 'BLUM-400-001',
        param: 'data.time_in_force',
      },
      {
        name: 'a sell of an untradable symbol (the covering buy is refused)',
        event: 'order.filled',
        data: { investor_id: 'inv_new_one', side: 'sell', symbol: 'TSLA' },
        status: 422,
        code: 'BLUM-422-003',
        param: 'data.symbol',
      },
      {
        name: 'a symbol the sandbox does not list',
        event: 'order.filled',
        data: { symbol: 'NOPE' },
        status: 404,
        code: 'BLUM-404-003',
        param: 'data.symbol',
      },
      {
        name: "a withdrawal to another investor's funding source (after funding it)",
        event: 'transfer.withdrawal.completed',
        data: { investor_id: rich.id, amount: '500000.00', funding_source_id: othersSource.id },
        status: 404,
        code: 'BLUM-404-001',
        param: 'data.funding_source_id',
      },
      {
        name: 'an account.updated to an e-mail another investor holds (its investor was made)',
        event: 'account.updated',
        data: { id: 'inv_brand_new', email: 'taken@example.com' },
        status: 409,
        code: 'BLUM-409-001',
        param: 'data.email',
      },
      {
        name: 'a kyc.verification.approved for an investor already approved',
        event: 'kyc.verification.approved',
        data: { investor_id: rich.id },
        status: 409,
        code: 'BLUM-409-003',
        param: 'data.investor_id',
      },
      {
        name: 'a kyc.verification.rejected for an approved investor (after its document)',
        event: 'kyc.verification.rejected',
        data: { investor_id: rich.id },
        status: 409,
        code: 'BLUM-409-003',
        param: 'data.investor_id',
      },
    ]
    for (const row of rows) {
      const before = wholeState(sandbox)
      t.throws(
        () => sandbox.trigger(row.event, row.data),
        { statusCode: row.status, code: row.code, param: row.param },
        row.name,
      )
      await sandbox.idle()
      t.equal(wholeState(sandbox), before, `${row.name}: the state is as it was`)
    }
    t.same(sandbox.state.documentRejections, ['queued by the user'], "the user's queue is intact")
  },
)

t.test('a triggered document leaves the rejections queued for the next real upload', async (t) => {
  const sandbox = createSandbox({ transport: quiet(), initialCash })
  t.teardown(() => sandbox.close())
  sandbox.documents.rejectNext('glare')
  t.equal(sandbox.trigger('document.approved').data.status, 'accepted')
  t.match(sandbox.trigger('document.rejected', { rejection_reason: 'blurry' }).data, {
    status: 'rejected',
    rejection_reason: 'blurry',
  })
  const investor = sandbox.investors.create({ first_name: 'A', last_name: 'B', email: 'a@b.co' })
  const upload = sandbox.documents.submit({
    investor_id: investor.id,
    document_type: 'passport',
    file: { filename: 'id.pdf', size: 10, content_type: 'application/pdf' },
  })
  t.match(upload, { status: 'rejected', rejection_reason: 'glare' })
})

t.test('KYC events come from a KYC review, and the investor agrees with them', async (t) => {
  const sandbox = createSandbox({ transport: quiet(), initialCash })
  t.teardown(() => sandbox.close())
  const rejected = sandbox.trigger('kyc.verification.rejected', { reason: 'identity_mismatch' })
  t.match(rejected.data, { status: 'declined', workflow_status: 'REJECTED' })
  const investor = sandbox.investors.get(String(rejected.data.investor_id))
  t.match(investor, { kyc_status: 'rejected', status: 'awaiting_documents' })
  t.match(sandbox.documents.list({ investor_id: investor.id }), [
    { purpose: 'kyc', status: 'rejected', rejection_reason: 'identity_mismatch' },
  ])
  t.equal(sandbox.events().length, 1, 'one event, the one asked for')

  const approved = sandbox.trigger('kyc.verification.approved', { investor_id: investor.id })
  t.match(approved.data, { status: 'approved', investor_id: investor.id })
  t.match(sandbox.investors.get(investor.id), { kyc_status: 'approved', status: 'active' })
  t.equal(sandbox.events().length, 2)
})

t.test(
  'a journaled map rolls back every set, delete and clear since its journal started',
  async (t) => {
    const map = new JournaledMap<string, number>()
    map.set('a', 1).set('b', 2).set('c', 3)
    map.startJournal()
    map.set('a', 10)
    map.set('a', 11)
    map.delete('b')
    map.set('d', 4)
    map.set('b', 20)
    map.clear()
    map.set('e', 5)
    map.rollBack()
    t.same(
      [...map].sort(),
      [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ],
      'as it was',
    )
    map.set('f', 6)
    map.rollBack()
    t.equal(map.get('f'), 6, 'a write after the rollback is not journaled')
    map.startJournal()
    map.set('g', 7)
    map.stopJournal()
    map.rollBack()
    t.equal(map.get('g'), 7, 'kept writes stay')
  },
)
