/**
 * The lookups the engines make on every request (who holds an e-mail, what an investor's resting
 * orders hold) come from indexes, not scans: they agree with a scan of the whole state after
 * creates, updates, orders, cancels, fills, resets, reloads and resources gone from the state.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import t from 'tap'
import { createSandbox, type Sandbox } from '../mock-server/index.js'
import { toCents } from '../mock-server/core/decimal.js'
import { investorWithEmail } from '../mock-server/core/state-indexes.js'

const duplicate = { statusCode: 409, code: 'BLUM-409-001', param: 'email' }
const profile = (email: string) => ({ first_name: 'A', last_name: 'B', email })
// Bluum's investors start with no cash; these tests trade from a funded start.
const initialCash = '100000.00'
const quiet = () => ({ send: async () => ({ status: 200, headers: {}, body: '' }) })

/** Cash the resting buys of `investorId` hold, from a scan of every order. */
function scannedReservation(sandbox: Sandbox, investorId: string): number {
  let cents = 0
  for (const order of sandbox.state.orders.values()) {
    if (order.investor_id !== investorId || order.side !== 'buy') continue
    if (!['pending', 'open', 'partial'].includes(order.status)) continue
    const remaining = Number(order.remaining_quantity ?? order.quantity ?? 0)
    cents += toCents(
      remaining *
        Number(order.limit_price ?? order.stop_price ?? sandbox.orders.price(order.symbol)),
    )
  }
  return cents
}

/** A resting buy: 10 AAPL, limit `price`, good till cancelled. */
const limitBuy = (sandbox: Sandbox, investorId: string, price: string) =>
  sandbox.orders.place(investorId, {
    symbol: 'AAPL',
    side: 'buy',
    type: 'limit',
    time_in_force: 'gtc',
    quantity: '10',
    limit_price: price,
  })

/** True when the resting-order index lists exactly the orders a scan finds resting. */
function restingIndexMatchesScan(sandbox: Sandbox): boolean {
  const indexed = [...sandbox.state.indexes.restingOrders.values()].flat().sort()
  const scanned = [...sandbox.state.orders.values()]
    .filter((order) => ['pending', 'open', 'partial'].includes(order.status))
    .map((order) => order.id)
    .sort()
  return indexed.join() === scanned.join()
}

/** The investor holding `email`, from a scan of every investor. */
const scannedHolder = (sandbox: Sandbox, email: string) =>
  [...sandbox.state.investors.values()].find((investor) => investor.email === email)?.id

t.test('an e-mail belongs to one investor at a time: updates, a reset, a reload', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bluum-indexes-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'state.json')
  const first = createSandbox({ stateFile: file, transport: quiet(), initialCash })
  const ada = first.investors.create(profile('ada@example.com'))
  t.throws(() => first.investors.create(profile('ADA@example.com ')), duplicate, 'taken')
  first.investors.update(ada.id, { email: 'lovelace@example.com' })
  t.ok(first.investors.create(profile('ada@example.com')), 'the old e-mail is free again')
  t.throws(
    () => first.investors.create(profile('lovelace@example.com')),
    duplicate,
    'the new one is taken',
  )
  t.throws(
    () => first.investors.update(ada.id, { email: 'ada@example.com' }),
    duplicate,
    'an update to a taken e-mail is refused',
  )
  t.equal(first.investors.get(ada.id).email, 'lovelace@example.com', 'and changes nothing')
  await first.close()

  const second = createSandbox({ stateFile: file, transport: quiet(), initialCash })
  t.teardown(() => second.close())
  t.throws(
    () => second.investors.create(profile('lovelace@example.com')),
    duplicate,
    'a reloaded sandbox knows who holds which e-mail',
  )
  second.reset()
  t.ok(second.investors.create(profile('lovelace@example.com')), 'a reset frees every e-mail')
})

t.test('buying power counts the resting buys: placed, filled, cancelled, reloaded', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bluum-indexes-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'state.json')
  const first = createSandbox({ stateFile: file, transport: quiet(), initialCash })
  const investor = first.investors.create(profile('ada@example.com'))
  const buyingPower = (sandbox: Sandbox) =>
    String(sandbox.investors.wallet(investor.id).buying_power)
  const limit = (price: string) => limitBuy(first, investor.id, price)
  t.equal(buyingPower(first), '100000.00')
  const low = limit('150.00')
  const lower = limit('140.00')
  t.equal(buyingPower(first), '97100.00', 'two resting buys hold 1500 + 1400')
  first.orders.cancel(investor.id, low.id)
  t.equal(buyingPower(first), '98600.00', 'a cancelled buy holds nothing')
  await first.close()

  const second = createSandbox({ stateFile: file, transport: quiet(), initialCash })
  t.teardown(() => second.close())
  t.equal(buyingPower(second), '98600.00', 'a reloaded sandbox holds the same')
  second.orders.setPrice('AAPL', 139)
  t.equal(second.orders.get(investor.id, lower.id).status, 'filled')
  t.equal(buyingPower(second), '98610.00', 'a filled buy holds nothing: it paid 1390')
})

t.test('the index forgets settled orders: filled, cancelled, triggered', async (t) => {
  const sandbox = createSandbox({ transport: quiet(), initialCash })
  t.teardown(() => sandbox.close())
  const ada = sandbox.investors.create(profile('ada@example.com'))
  const limit = (price: string) => limitBuy(sandbox, ada.id, price)
  const low = limit('150.00')
  const lower = limit('140.00')
  t.same(sandbox.state.indexes.restingOrders.get(ada.id), [low.id, lower.id], 'two resting')
  sandbox.orders.cancel(ada.id, low.id)
  t.same(sandbox.state.indexes.restingOrders.get(ada.id), [lower.id], 'the cancelled one is gone')
  sandbox.orders.setPrice('AAPL', 139)
  t.equal(sandbox.orders.get(ada.id, lower.id).status, 'filled')
  t.notOk(sandbox.state.indexes.restingOrders.has(ada.id), 'the filled one too, and its investor')
  // Each triggered order.filled makes an investor that is never looked up again.
  for (let i = 0; i < 20; i++) sandbox.trigger('order.filled')
  await sandbox.idle()
  t.equal(sandbox.state.orders.size, 22)
  t.equal(sandbox.state.indexes.restingOrders.size, 0, 'triggered fills leave no list behind')
})

t.test('what is gone from the state no longer counts, wherever it went', async (t) => {
  const sandbox = createSandbox({ transport: quiet(), initialCash })
  t.teardown(() => sandbox.close())
  const ada = sandbox.investors.create(profile('ada@example.com'))
  const order = limitBuy(sandbox, ada.id, '150.00')
  t.equal(sandbox.orders.reservedCents(ada.id), 150_000)
  sandbox.state.orders.delete(order.id)
  t.equal(sandbox.orders.reservedCents(ada.id), 0, 'an order removed from the state holds nothing')
  sandbox.state.investors.delete(ada.id)
  t.ok(sandbox.investors.create(profile('ada@example.com')), 'an investor removed frees its e-mail')
})

t.test('after any sequence of operations the indexes agree with a scan', async (t) => {
  const emails = ['a@x.co', 'b@x.co', 'c@x.co', 'd@x.co']
  const symbols = ['AAPL', 'TSLA']
  const op = fc.oneof(
    fc.record({ kind: fc.constant('create' as const), email: fc.constantFrom(...emails) }),
    fc.record({
      kind: fc.constant('update' as const),
      who: fc.nat(),
      email: fc.constantFrom(...emails),
    }),
    fc.record({
      kind: fc.constant('order' as const),
      who: fc.nat(),
      symbol: fc.constantFrom(...symbols),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      type: fc.constantFrom('market' as const, 'limit' as const),
      quantity: fc.integer({ min: 1, max: 400 }),
      limit: fc.integer({ min: 100, max: 300 }),
    }),
    fc.record({ kind: fc.constant('cancel' as const), which: fc.nat() }),
    fc.record({
      kind: fc.constant('price' as const),
      symbol: fc.constantFrom(...symbols),
      price: fc.integer({ min: 100, max: 300 }),
    }),
    fc.record({ kind: fc.constant('reset' as const) }),
  )
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
      const sandbox = createSandbox({ transport: quiet(), partialFills: true, initialCash })
      try {
        for (const step of ops) {
          const investors = [...sandbox.state.investors.values()]
          const orders = [...sandbox.state.orders.values()]
          try {
            if (step.kind === 'create') sandbox.investors.create(profile(step.email))
            else if (step.kind === 'update' && investors.length > 0)
              sandbox.investors.update(investors[step.who % investors.length]!.id, {
                email: step.email,
              })
            else if (step.kind === 'order' && investors.length > 0)
              sandbox.orders.place(investors[step.who % investors.length]!.id, {
                symbol: step.symbol,
                side: step.side,
                type: step.type,
                time_in_force: 'gtc',
                quantity: String(step.quantity),
                ...(step.type === 'limit' ? { limit_price: String(step.limit) } : {}),
              })
            else if (step.kind === 'cancel' && orders.length > 0) {
              const order = orders[step.which % orders.length]!
              sandbox.orders.cancel(order.investor_id, order.id)
            } else if (step.kind === 'price') sandbox.orders.setPrice(step.symbol, step.price)
            else if (step.kind === 'reset') sandbox.reset()
          } catch (error) {
            // Refusals (a taken e-mail, a sell of shares not held, a settled order) are answers.
            if (!/^BLUM-/.test(String((error as { code?: unknown }).code))) throw error
          }
          await sandbox.clock.advance('1s')
          // Checked before the reservations below read (and prune) the index.
          if (!restingIndexMatchesScan(sandbox)) return false
          for (const investor of sandbox.state.investors.values()) {
            if (
              sandbox.orders.reservedCents(investor.id) !== scannedReservation(sandbox, investor.id)
            )
              return false
          }
          for (const email of emails) {
            if (investorWithEmail(sandbox.state, email)?.id !== scannedHolder(sandbox, email))
              return false
          }
        }
        return true
      } finally {
        await sandbox.close()
      }
    }),
    { numRuns: 60 },
  )
  t.pass('reservations and e-mail holders matched a scan after every step of 60 sequences')
})
