import t from 'tap'
import { bluumEventNames, createEventRouter, type AnyBluumEvent } from '../plugin/index.js'
import { buildApp, deliver } from './helpers/app.js'
import { orderFilled, signedDelivery } from './helpers/sign.js'

const silent = { info() {}, warn() {}, error() {} }
const context = { log: silent, deliveryId: 'evt_1' }
const event = (name: string): AnyBluumEvent => ({ event: name, timestamp: 't', data: { id: 'x' } })

/** Which catalog events reach a handler registered for `pattern`. */
async function reached(pattern: Parameters<ReturnType<typeof createEventRouter>['api']['on']>[0]) {
  const router = createEventRouter()
  const names: string[] = []
  router.api.on(pattern, (e) => void names.push(e.event))
  for (const name of bluumEventNames) await router.dispatch(event(name), context)
  return names
}

t.test('patterns match exact names, lists and prefix wildcards', async (t) => {
  t.same(await reached('order.filled'), ['order.filled'])
  t.same(await reached(['order.filled', 'order.canceled']), ['order.filled', 'order.canceled'])
  t.same(await reached('order.*'), [
    'order.accepted',
    'order.partially_filled',
    'order.filled',
    'order.canceled',
    'order.rejected',
  ])
  t.same(await reached('transfer.*'), [
    'transfer.deposit.initiated',
    'transfer.deposit.completed',
    'transfer.deposit.failed',
    'transfer.withdrawal.initiated',
    'transfer.withdrawal.completed',
    'transfer.withdrawal.failed',
  ])
  t.same(await reached('transfer.deposit.*'), [
    'transfer.deposit.initiated',
    'transfer.deposit.completed',
    'transfer.deposit.failed',
  ])
  t.same(await reached(['order.filled', 'order.*']), await reached('order.*'), 'no double run')
})

t.test('bad patterns are coded errors at registration, and register nothing', async (t) => {
  const router = createEventRouter()
  const cases: Array<[unknown, RegExp]> = [
    ['*', /use bluum\.onAny/],
    ['order', /matches no event/],
    ['order.fill', /matches no event/],
    ['ORDER.*', /expected an event name/],
    ['order.*.x', /expected an event name/],
    ['payout.*', /matches no event/],
  ]
  for (const [pattern, message] of cases) {
    t.throws(() => router.api.on(pattern as 'order.filled', () => {}), {
      code: 'BLUUM_INVALID_EVENT_PATTERN',
      message,
    })
  }
  let runs = 0
  t.throws(() => router.api.on(['order.filled', 'nope' as 'order.filled'], () => void runs++))
  await router.dispatch(event('order.filled'), context)
  t.equal(runs, 0, 'a list with one bad pattern registered nothing')
})

t.test('onAny sees every event; unknown names reach onAny only', async (t) => {
  const router = createEventRouter()
  const named: string[] = []
  const any: string[] = []
  router.api.on('order.*', (e) => void named.push(e.event))
  router.api.onAny((e) => void any.push(e.event))
  await router.dispatch(event('order.filled'), context)
  await router.dispatch(event('order.expired'), context)
  t.same(named, ['order.filled'], 'a wildcard never matches a name outside the catalog')
  t.same(any, ['order.filled', 'order.expired'])
})

t.test('an event the catalog does not know is acknowledged with 200 and logged', async (t) => {
  const app = await buildApp(t)
  const any: string[] = []
  let named = 0
  app.bluum.on('order.*', () => void named++)
  app.bluum.onAny((e) => void any.push(e.event))
  const res = await deliver(
    app,
    signedDelivery({ body: { event: 'payout.created', timestamp: 't', data: { id: 'po_1' } } }),
  )
  t.same(res.json(), { received: true })
  t.same(any, ['payout.created'])
  t.equal(named, 0)
})

t.test('handlers get the typed event and a context with logger and delivery id', async (t) => {
  const app = await buildApp(t)
  app.bluum.on('order.filled', async (e, ctx) => {
    t.equal(e.data.symbol, 'AAPL')
    t.equal(ctx.deliveryId, 'evt_ctx')
    t.type(ctx.log.info, 'function')
  })
  const res = await deliver(app, signedDelivery({ body: orderFilled(), id: 'evt_ctx' }))
  t.equal(res.statusCode, 200)
})

t.test('on/onAny/onError chain, and fastify.bluum exposes no dispatch', async (t) => {
  const app = await buildApp(t)
  t.equal(
    app.bluum
      .on('order.filled', () => {})
      .onAny(() => {})
      .onError(() => {}),
    app.bluum,
  )
  t.notOk('dispatch' in app.bluum)
})

t.test('investorIdOf reads investor_id, else the legacy account_id', async (t) => {
  const { investorIdOf } = await import('../plugin/index.js')
  t.equal(investorIdOf({ investor_id: 'inv_1', account_id: 'inv_2' }), 'inv_1')
  t.equal(investorIdOf({ account_id: 'inv_2' }), 'inv_2')
  t.equal(investorIdOf({}), undefined)
})

t.test(
  'dispatch is synchronous when no handler returns a promise, and keeps failures in handler order',
  async (t) => {
    const router = createEventRouter()
    const ran: string[] = []
    router.api.on('order.filled', () => void ran.push('a'))
    router.api.onAny(() => void ran.push('any'))
    const result = router.dispatch(event('order.filled'), context)
    t.same(result, [], 'a plain array: nothing to wait for')
    t.same(ran, ['a', 'any'])

    const failing = createEventRouter()
    const first = new Error('sync throw')
    const second = new Error('async rejection')
    failing.api.on('order.filled', async () => {
      throw second
    })
    failing.api.onAny(() => {
      throw first
    })
    const mixed = failing.dispatch(event('order.filled'), context)
    t.ok(mixed instanceof Promise, 'a handler returned a promise: the caller waits')
    t.same(await mixed, [second, first], 'in registration order, whichever failed first')

    const syncOnly = createEventRouter()
    syncOnly.api.on('order.filled', () => {
      throw first
    })
    t.same(syncOnly.dispatch(event('order.filled'), context), [first])
  },
)
