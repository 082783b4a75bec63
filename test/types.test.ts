/**
 * Type tests: `npm test` type-checks this file, so every `@ts-expect-error` line below must
 * really be an error (an unused directive fails the check). Wrong code must not compile.
 */
import Fastify from 'fastify'
import t from 'tap'
import bluumWebhooks, {
  createEventRouter,
  type AnyBluumEvent,
  type BluumEvent,
  type MatchingEvents,
} from '../plugin/index.js'

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <T extends true>(value?: T) => value

// Wildcards narrow to the matching catalog names, three-segment names included.
assertType<
  Equal<
    MatchingEvents<'transfer.deposit.*'>,
    `transfer.deposit.${'initiated' | 'completed' | 'failed'}`
  >
>()
assertType<Equal<MatchingEvents<'order.filled'>, 'order.filled'>>()
assertType<
  Equal<
    Extract<MatchingEvents<'transfer.*'>, `transfer.withdrawal.${string}`>,
    `transfer.withdrawal.${'initiated' | 'completed' | 'failed'}`
  >
>()

async function typedUsage() {
  const app = Fastify()
  await app.register(bluumWebhooks, { secret: 'whsec_x' })

  app.bluum.on('order.filled', async (event, context) => {
    const symbol: string = event.data.symbol
    const side: 'buy' | 'sell' = event.data.side
    const price: string | null | undefined = event.data.average_price
    const id: string = context.deliveryId
    // @ts-expect-error decimals are strings, never numbers
    const quantity: number = event.data.filled_quantity
    // @ts-expect-error an order has no amount
    void event.data.amount.length
    void [symbol, side, price, id, quantity]
  })

  app.bluum.on('transfer.*', async (event) => {
    assertType<Equal<typeof event.event, MatchingEvents<'transfer.*'>>>()
    const amount: string = event.data.amount
    // @ts-expect-error a transfer has no symbol
    void event.data.symbol
    void amount
  })

  app.bluum.on(['order.filled', 'document.approved'], async (event) => {
    if (event.event === 'document.approved') {
      const status: string = event.data.status
      void status
    } else {
      const symbol: string = event.data.symbol
      void symbol
    }
  })

  app.bluum.onAny(async (event: AnyBluumEvent) => {
    const name: string = event.event
    void name
  })
  app.bluum.onError(async (error, event) => {
    const all: unknown[] = error.errors
    void [all, event.event]
  })

  // @ts-expect-error not an event of the catalog
  app.bluum.on('order.fill', async () => {})
  // @ts-expect-error '*' is onAny's job
  app.bluum.on('*', async () => {})
  // @ts-expect-error no such domain
  app.bluum.on('payout.*', async () => {})
  // @ts-expect-error a wildcard must end the pattern
  app.bluum.on('transfer.*.completed', async () => {})
  // @ts-expect-error the handler's payload follows the name it was registered for
  app.bluum.on('order.filled', async (event: BluumEvent<'transfer.deposit.completed'>) => event)
  // @ts-expect-error secret must be a string or a list of strings
  await app.register(bluumWebhooks, { secret: 42 })
  // @ts-expect-error unknown option
  await app.register(bluumWebhooks, { secret: 'whsec_x', tolerance: 5 })
}

const router = createEventRouter()
router.api.on('account.created', (event) => {
  const email: string | undefined = event.data.email
  void email
})

t.test('type tests compile (checked by tsc in npm test)', async (t) => {
  t.type(typedUsage, 'function')
})
