/**
 * The sandbox's `trigger` control, like `stripe trigger`: emit any catalog event, with `data`
 * overrides, and have the resources behind it exist afterwards, consistent with it.
 *
 * The event is produced by the real engines, not written by hand: a triggered `order.filled` is a
 * market order the order engine placed and filled (so GET answers it and the position moved), a
 * `transfer.deposit.completed` is a deposit the transfer engine completed (so the balance holds
 * it), a `document.*` a document the document service reviewed. What an event needs first (its
 * investor, cash for a buy or a withdrawal, shares for a sell) is created the same way, but
 * silently: one trigger emits exactly one event, the one asked for. Those prerequisites stay in
 * the state like any other resource (an investor, a completed manual deposit, a filled buy).
 *
 * Every check runs before anything is created, so a refused trigger (400/404/409/422) leaves the
 * state as it was. Overrides are checked against the event's catalog schema (the same TypeBox
 * declaration receivers validate with), so the sandbox never emits an event the app would refuse
 * and the delivery engine retry for hours; the first failure names its JSON path in `param`.
 * Fields the engines compute (`id`, `status`, `filled_quantity`, ...) cannot be overridden; other
 * unknown fields are kept on the stored resource too, so what GET answers is what was emitted.
 */
import { Type, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { bluumEventCatalog, bluumEventNames, isBluumEventName } from '../../plugin/catalog.js'
import type { Clock } from '../core/clock.js'
import { decimalPattern, formatPrice, formatQuantity, toCents, toNumber } from '../core/decimal.js'
import {
  AssetNotTradableError,
  DuplicateResourceError,
  MissingFieldError,
  ValidationError,
  withParam,
} from '../core/errors.js'
import type { EventBus, SandboxEvent } from '../core/event-bus.js'
import { orderStatusOfEvent } from '../core/order-events.js'
import { sampleEventData } from '../core/sample-events.js'
import type { Investor, Order, SandboxState } from '../core/state.js'
import { documentResource, type DocumentService } from './documents.js'
import type { InvestorService } from './investors.js'
import type { OrderEngine, PlaceOrderInput } from './orders.js'
import type { TransferEngine } from './transfers.js'
import { sampleFundingSourceRequest } from '../core/sample-requests.js'

/** Options of one trigger. */
export interface TriggerOptions {
  /**
   * Emit a name outside Bluum's catalog (to exercise a receiver's catch-all), with the sample
   * data and the overrides as they are; no resource is created. Default false: such a name is a 400.
   */
  custom?: boolean
}

export interface TriggerService {
  /** Emits `name` with its resources built by the engines; throws Bluum's coded errors. */
  trigger(name: string, overrides?: Record<string, unknown>, options?: TriggerOptions): SandboxEvent
}

export interface TriggerServiceDeps {
  state: SandboxState
  clock: Clock
  bus: EventBus
  investors: InvestorService
  orders: OrderEngine
  transfers: TransferEngine
  documents: DocumentService
  /** Cash a new investor starts with, cents (a rejected buy must cost more). */
  initialCashCents: number
}

/** Ids a trigger may create an investor under when the override names one that does not exist. */
const investorIdPattern = /^inv_[A-Za-z0-9_]{1,60}$/

/** Fields the engines set, per domain: an override cannot contradict what happened. */
const computed: Record<string, ReadonlySet<string>> = {
  account: new Set(['object', 'created', 'livemode', 'status', 'kyc_status']),
  order: new Set([
    'id',
    'object',
    'created',
    'livemode',
    'status',
    'filled_quantity',
    'remaining_quantity',
    'submitted_at',
    'filled_at',
    'cancelled_at',
  ]),
  transfer: new Set(['id', 'object', 'created', 'livemode', 'status', 'completed_at']),
  document: new Set([
    'document_id',
    'object',
    'owner_type',
    'owner_id',
    'status',
    'uploaded_at',
    'file_name',
    'mime_type',
    'file_size',
  ]),
  kyc: new Set(['object', 'status', 'workflow_status']),
}

/**
 * The `data` a trigger of `name` accepts as it is: the sample without what the engines compute
 * (ids, statuses, fill times) or create (the investor, its funding source). The inspector's
 * trigger form starts from it, so sending the form unchanged always works.
 */
export function triggerSampleData(name: string, nowMs: number): Record<string, unknown> {
  const sample = sampleEventData(name, nowMs)
  if (!isBluumEventName(name)) return {}
  const left = new Set([
    ...(computed[name.split('.')[0]!] ?? []),
    'id',
    'created',
    'livemode',
    'investor_id',
    'account_id',
    'funding_source_id',
  ])
  return Object.fromEntries(Object.entries(sample).filter(([key]) => !left.has(key)))
}

const Decimal = Type.String({ pattern: decimalPattern })
const OptionalNullable = (schema: TSchema) => Type.Optional(Type.Union([schema, Type.Null()]))
const Literals = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)))

/** What the order engine takes, as it sits in an order's `data` (stricter than the catalog). */
const OrderInput = Type.Object({
  symbol: Type.String({ minLength: 1, maxLength: 12 }),
  side: Literals(['buy', 'sell']),
  type: Literals(['market', 'limit', 'stop', 'stop_limit', 'trailing_stop']),
  time_in_force: Literals(['day', 'gtc', 'opg', 'cls', 'ioc', 'fok']),
  quantity: OptionalNullable(Decimal),
  notional: OptionalNullable(Decimal),
  limit_price: OptionalNullable(Decimal),
  stop_price: OptionalNullable(Decimal),
  average_price: OptionalNullable(Decimal),
  client_order_id: OptionalNullable(Type.String({ maxLength: 128 })),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
})

/** What the transfer engine takes. */
const TransferInput = Type.Object({
  amount: Decimal,
  currency: Type.String({ pattern: '^[A-Za-z]{3}$' }),
  method: Literals(['ach', 'manual_bank_transfer', 'wire']),
  funding_source_id: OptionalNullable(Type.String({ maxLength: 64 })),
  failure_reason: OptionalNullable(Type.String({ maxLength: 200 })),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
})

/** What the document service takes. */
const DocumentInput = Type.Object({
  document_type: Type.String({ minLength: 1, maxLength: 100 }),
  purpose: Type.String({ minLength: 1, maxLength: 100 }),
  rejection_reason: OptionalNullable(Type.String({ maxLength: 500 })),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
})

/** What the investor service takes. */
const InvestorInput = Type.Object({
  first_name: Type.String({ minLength: 1, maxLength: 200 }),
  last_name: Type.String({ minLength: 1, maxLength: 200 }),
  email: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', maxLength: 254 }),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
})

/** Throws Bluum's 400 for the first place `value` breaks `schema`, named `data.<path>`. */
function check(schema: TSchema, value: unknown): void {
  const error = Value.Errors(schema, value).First()
  if (!error) return
  const param = ['data', ...error.path.split('/').filter(Boolean)].join('.')
  if (error.value === undefined) throw withParam(new MissingFieldError(param), param)
  const got = JSON.stringify(error.value) ?? String(error.value)
  throw withParam(
    new ValidationError(
      `Invalid value for '${param}': expected ${expected(error.schema)}; got ${got.length > 60 ? `${got.slice(0, 60)}…` : got}`,
    ),
    param,
  )
}

/** What a schema wants, in words: the enum's values, a decimal string, or TypeBox's own message. */
function expected(schema: TSchema): string {
  const options = (schema.anyOf as TSchema[] | undefined) ?? [schema]
  const consts = options.filter((o) => 'const' in o).map((o) => JSON.stringify(o.const))
  if (consts.length > 0) return `one of ${consts.join(', ')}`
  const words = options.map((o) =>
    o.pattern === decimalPattern
      ? 'a decimal string such as "10.50" (at most 15 digits before the point and 9 after)'
      : o.type === 'null'
        ? 'null'
        : `a ${String(o.type ?? 'value')}${o.pattern ? ` matching ${o.pattern}` : ''}${o.maxLength !== undefined ? ` of at most ${o.maxLength} characters` : ''}`,
  )
  return words.join(' or ')
}

const bad = (field: string, why: string) => {
  const param = `data.${field}`
  return withParam(new ValidationError(`Invalid value for '${param}': ${why}`), param)
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)

/** Creates the trigger over the sandbox's engines. */
export function createTriggerService(deps: TriggerServiceDeps): TriggerService {
  const { state, clock, bus, investors, orders, transfers, documents } = deps

  /** The investor an event names (`investor_id`, or the legacy `account_id`), checked, not created. */
  function ownerOf(overrides: Record<string, unknown>, field?: 'id'): string | undefined {
    const named = field
      ? [['id', overrides.id] as const]
      : ([
          ['investor_id', overrides.investor_id],
          ['account_id', overrides.account_id],
        ] as const)
    let owner: string | undefined
    for (const [key, value] of named) {
      if (value === undefined) continue
      if (typeof value !== 'string' || !investorIdPattern.test(value))
        throw bad(key, `expected an investor id such as "inv_…" (at most 64 characters)`)
      if (owner !== undefined && owner !== value)
        throw bad(key, `names another investor than investor_id ("${owner}")`)
      owner = value
    }
    return owner
  }

  /** The investor `id`, existing or created now (silently), under that id when one was named. */
  function ensureInvestor(id: string | undefined): Investor {
    const existing = id === undefined ? undefined : state.investors.get(id)
    if (existing) return existing
    const answer = investors.create({
      first_name: 'Ada',
      last_name: 'Lovelace',
      email: `ada+${(id ?? created_suffix()).toLowerCase()}@example.com`,
    })
    const created = investors.get(answer.id as string)
    if (id === undefined) return created
    // Re-keyed by hand: the investor service always makes its own ids.
    const cash = state.cashCents.get(created.id) ?? 0
    state.investors.delete(created.id)
    state.cashCents.delete(created.id)
    const workflow = created.compliance_workflow_id
      ? state.complianceWorkflows.get(created.compliance_workflow_id)
      : undefined
    if (workflow) workflow.investor_id = id
    created.id = id
    state.investors.set(id, created)
    state.cashCents.set(id, cash)
    return created
  }

  let counter = 0
  function created_suffix(): string {
    counter += 1
    return `${clock.now().toString(36)}${counter.toString(36)}`
  }

  /** Tops the investor's buying power up to `cents` with a completed manual deposit (silently). */
  function fund(investorId: string, cents: number): void {
    const available = (state.cashCents.get(investorId) ?? 0) - orders.reservedCents(investorId)
    if (available >= cents) return
    const deposit = transfers.deposit(investorId, {
      amount: formatPrice((cents - available) / 100),
      method: 'manual_bank_transfer',
      description: 'Funding for a triggered event',
    })
    transfers.complete(deposit.id)
  }

  /** Overrides that are not engine input land on the stored resource, so GET shows them too. */
  function keep(
    resource: Record<string, unknown>,
    overrides: Record<string, unknown>,
    used: ReadonlySet<string>,
  ): void {
    for (const [key, value] of Object.entries(overrides)) {
      if (!used.has(key)) resource[key] = structuredClone(value)
    }
  }

  function planOrder(
    name: string,
    data: Record<string, unknown>,
    overrides: Record<string, unknown>,
  ): () => Record<string, unknown> {
    const status = orderStatusOfEvent(name)!
    check(OrderInput, data)
    const symbol = String(data.symbol).trim().toUpperCase()
    if (!/^[A-Z][A-Z0-9.]{0,11}$/.test(symbol) || state.untradable.has(symbol))
      throw withParam(new AssetNotTradableError(symbol), 'data.symbol')
    const side = data.side as Order['side']
    const type = data.type as Order['type']
    const price = orders.price(symbol)
    const quantityText = text(data.quantity)
    const notionalText = text(data.notional)
    if (quantityText !== undefined && notionalText !== undefined)
      throw bad('notional', 'send either quantity or notional, never both')
    if (quantityText === undefined && notionalText === undefined)
      throw withParam(new MissingFieldError('data.quantity'), 'data.quantity')
    if (notionalText !== undefined && (type !== 'market' || side !== 'buy'))
      throw bad('notional', 'notional is only accepted on market buys')
    const quantity =
      quantityText !== undefined ? toNumber(quantityText) : toNumber(notionalText!) / price
    if (!(quantity > 0))
      throw bad(quantityText !== undefined ? 'quantity' : 'notional', 'expected a value above 0')

    // Resting orders get a limit (and stop) on the side of the price that keeps them resting.
    const rest = status === 'open' || status === 'partial' || status === 'cancelled'
    const needsLimit = type === 'limit' || type === 'stop_limit'
    const needsStop = type === 'stop' || type === 'stop_limit'
    const away = (below: boolean) => formatPrice(Math.max(0.01, price * (below ? 0.9 : 1.1)))
    const limitText =
      overrides.limit_price !== undefined
        ? text(overrides.limit_price)
        : needsLimit
          ? (text(data.limit_price) ?? away(side === 'buy'))
          : undefined
    const stopText =
      overrides.stop_price !== undefined
        ? text(overrides.stop_price)
        : needsStop
          ? away(side === 'sell')
          : undefined
    if (needsLimit && limitText === undefined)
      throw withParam(new MissingFieldError('data.limit_price'), 'data.limit_price')
    if (needsStop && stopText === undefined)
      throw withParam(new MissingFieldError('data.stop_price'), 'data.stop_price')
    const limit = limitText === undefined ? undefined : toNumber(limitText)
    const stop = stopText === undefined ? undefined : toNumber(stopText)
    const buy = side === 'buy'
    const limitOk = limit === undefined || (buy ? price <= limit : price >= limit)
    const stopHit = stop === undefined || (buy ? price >= stop : price <= stop)
    const fillsAtOnce =
      type === 'market' ||
      ((type === 'limit' || type === 'stop' || type === 'stop_limit') && limitOk && stopHit)
    if (rest && (type === 'market' || fillsAtOnce))
      throw bad(
        type === 'market' ? 'type' : needsLimit ? 'limit_price' : 'stop_price',
        `a triggered ${name} order must rest open, but it would fill at once at the simulated price ${formatPrice(price)}; use a limit or stop price that does not cross it`,
      )
    if (status === 'filled' && type !== 'market')
      throw bad(
        'type',
        'a triggered order.filled is a market order, filled at once; set its price with data.average_price',
      )
    // "0.00" is what an order shows before any fill (the sample's value): no fill price asked.
    const fillPrice =
      text(data.average_price) !== undefined &&
      overrides.average_price !== undefined &&
      overrides.average_price !== '0.00'
        ? toNumber(text(data.average_price)!)
        : undefined
    if (fillPrice !== undefined && !(fillPrice > 0))
      throw bad('average_price', 'expected a price above 0')
    const owner = text(overrides.investor_id)
    const known = owner === undefined ? undefined : state.investors.get(owner)
    if (status === 'failed') {
      // Bluum refuses a sell of shares not held at request time (BLUM-422-004, no event); only a
      // buy beyond buying power is accepted and then rejected.
      if (!buy)
        throw bad(
          'side',
          'a triggered order.rejected is a buy beyond buying power; a sell of shares not held is refused at request time with BLUM-422-004 and emits no event',
        )
      const available = known
        ? (state.cashCents.get(known.id) ?? 0) - orders.reservedCents(known.id)
        : deps.initialCashCents
      if (buy && toCents(quantity * (limit ?? stop ?? price)) <= available)
        throw bad(
          'quantity',
          'a triggered order.rejected buy must cost more than the buying power of its investor',
        )
    }
    if (rest && (data.time_in_force === 'ioc' || data.time_in_force === 'fok'))
      throw bad(
        'time_in_force',
        `a triggered ${name} order must rest: use day or gtc, not ${String(data.time_in_force)}`,
      )
    // Computed now, so an order too large to pay for is refused before anything is created.
    const at = fillPrice ?? limit ?? price
    const costCents = toCents(quantity * Math.max(at, limit ?? 0, stop ?? 0, price)) + 1
    const input: PlaceOrderInput = {
      symbol,
      side,
      type,
      time_in_force: data.time_in_force as PlaceOrderInput['time_in_force'],
      ...(quantityText !== undefined ? { quantity: quantityText } : { notional: notionalText! }),
      ...(limitText !== undefined ? { limit_price: limitText } : {}),
      ...(stopText !== undefined ? { stop_price: stopText } : {}),
      ...(text(data.client_order_id) !== undefined
        ? { client_order_id: text(data.client_order_id)! }
        : {}),
      ...(data.metadata
        ? { metadata: structuredClone(data.metadata as Record<string, unknown>) }
        : {}),
    }
    const used = new Set([
      'investor_id',
      'symbol',
      'side',
      'type',
      'time_in_force',
      'quantity',
      'notional',
      'limit_price',
      'stop_price',
      'average_price',
      'client_order_id',
      'metadata',
    ])
    return () => {
      const investor = ensureInvestor(ownerOf(overrides))
      if (buy && status !== 'failed') fund(investor.id, costCents)
      if (!buy && status !== 'failed') {
        const held = state.positions.get(investor.id)?.get(symbol)?.quantity ?? 0
        const free = held - orders.reservedShares(investor.id, symbol)
        if (free < quantity) {
          const shares = quantity - Math.max(0, free)
          fund(investor.id, toCents(shares * price) + 1)
          orders.place(investor.id, {
            symbol,
            side: 'buy',
            type: 'market',
            time_in_force: 'day',
            quantity: formatQuantity(shares),
          })
        }
      }
      const previousPrice = state.prices.get(symbol)
      if (fillPrice !== undefined && status === 'filled') state.prices.set(symbol, fillPrice)
      let order: Order
      try {
        order = orders.place(investor.id, input)
      } finally {
        if (fillPrice !== undefined && status === 'filled') {
          if (previousPrice === undefined) state.prices.delete(symbol)
          else state.prices.set(symbol, previousPrice)
        }
      }
      if (status === 'partial') orders.fillPart(order.id, quantity / 2, fillPrice ?? at)
      if (status === 'cancelled') orders.cancel(investor.id, order.id)
      keep(
        order as unknown as Record<string, unknown>,
        overrides,
        new Set([...used, ...computed.order!]),
      )
      return order as unknown as Record<string, unknown>
    }
  }

  function planTransfer(
    name: string,
    data: Record<string, unknown>,
    overrides: Record<string, unknown>,
  ): () => Record<string, unknown> {
    check(TransferInput, data)
    const [, kind, step] = name.split('.') as [string, 'deposit' | 'withdrawal', string]
    const cents = toCents(String(data.amount))
    if (cents <= 0) throw bad('amount', 'expected an amount of at least 0.01')
    const input = {
      amount: String(data.amount),
      currency: String(data.currency),
      method: data.method as 'ach' | 'manual_bank_transfer' | 'wire',
      ...(text(data.funding_source_id) !== undefined
        ? { funding_source_id: text(data.funding_source_id)! }
        : {}),
      ...(data.metadata
        ? { metadata: structuredClone(data.metadata as Record<string, unknown>) }
        : {}),
    }
    const used = new Set([
      'investor_id',
      'amount',
      'currency',
      'method',
      'funding_source_id',
      'metadata',
      'failure_reason',
    ])
    return () => {
      const investor = ensureInvestor(ownerOf(overrides))
      if (kind === 'withdrawal') {
        const cash = state.cashCents.get(investor.id) ?? 0
        if (cash < cents) fund(investor.id, cents + orders.reservedCents(investor.id))
      }
      // The sample names a funding source of its own: link one to the investor (as a real flow
      // would) unless the caller chose an id, which must then exist.
      const sourceId = input.funding_source_id
      const linked =
        sourceId !== undefined &&
        transfers.listFundingSources(investor.id).some((source) => source.id === sourceId)
      const withSource =
        linked || overrides.funding_source_id !== undefined
          ? input
          : {
              ...input,
              funding_source_id: transfers.addFundingSource(
                investor.id,
                sampleFundingSourceRequest(),
              ).id,
            }
      const transfer =
        kind === 'deposit'
          ? transfers.deposit(investor.id, withSource)
          : transfers.withdraw(investor.id, withSource)
      if (step === 'completed') transfers.complete(transfer.id)
      if (step === 'failed') transfers.fail(transfer.id, text(data.failure_reason) ?? undefined)
      keep(
        transfer as unknown as Record<string, unknown>,
        overrides,
        new Set([...used, ...computed.transfer!]),
      )
      return transfer as unknown as Record<string, unknown>
    }
  }

  function planDocument(
    name: string,
    data: Record<string, unknown>,
    overrides: Record<string, unknown>,
  ): () => Record<string, unknown> {
    check(DocumentInput, data)
    const rejected = name === 'document.rejected'
    const used = new Set([
      'investor_id',
      'document_type',
      'purpose',
      'rejection_reason',
      'metadata',
    ])
    return () => {
      const investor = ensureInvestor(ownerOf(overrides))
      // The queue of rejections the sandbox was told about stays for the next real upload.
      const queued = state.documentRejections.splice(0)
      if (rejected)
        state.documentRejections.push(
          text(data.rejection_reason) ?? 'The document is unreadable or expired.',
        )
      try {
        const document = documents.submit({
          investor_id: investor.id,
          document_type: String(data.document_type),
          purpose: String(data.purpose),
          file: { filename: 'sample.pdf', size: 1024, content_type: 'application/pdf' },
          ...(data.metadata
            ? { metadata: structuredClone(data.metadata as Record<string, unknown>) }
            : {}),
        })
        const resource = documentResource(document)
        keep(resource, overrides, new Set([...used, ...computed.document!]))
        return resource
      } finally {
        state.documentRejections.length = 0
        state.documentRejections.push(...queued)
      }
    }
  }

  function planAccount(
    name: string,
    data: Record<string, unknown>,
    overrides: Record<string, unknown>,
  ): () => Record<string, unknown> {
    check(InvestorInput, data)
    const email = String(data.email).trim().toLowerCase()
    const targetId = name === 'account.updated' ? ownerOf(overrides, 'id') : undefined
    if (name === 'account.created' && overrides.id !== undefined)
      throw bad('id', 'a triggered account.created investor gets a new id; leave id out')
    for (const existing of state.investors.values()) {
      if (existing.email === email && existing.id !== targetId)
        throw withParam(
          new DuplicateResourceError(
            `An investor with email '${email}' already exists (${existing.id}).`,
          ),
          'data.email',
        )
    }
    const {
      id: _id,
      object: _o,
      created: _c,
      livemode: _l,
      status: _s,
      kyc_status: _k,
      ...profile
    } = overrides
    return () => {
      if (name === 'account.created') {
        return investors.create({
          ...profile,
          first_name: String(data.first_name),
          last_name: String(data.last_name),
          email,
        }) as unknown as Record<string, unknown>
      }
      const investor = ensureInvestor(targetId)
      // An update is the profile fields written over the investor, as an update route would.
      Object.assign(
        investor,
        structuredClone(profile),
        overrides.email === undefined ? {} : { email },
      )
      return investors.resource(investor.id)
    }
  }

  function planKyc(
    name: string,
    data: Record<string, unknown>,
    overrides: Record<string, unknown>,
  ): () => Record<string, unknown> {
    return () => {
      const investor = ensureInvestor(ownerOf(overrides))
      // The compliance workflow is not a stored resource of the sandbox: its investor is.
      return { ...data, investor_id: investor.id }
    }
  }

  const planners = {
    account: planAccount,
    order: planOrder,
    transfer: planTransfer,
    document: planDocument,
    kyc: planKyc,
  } as const

  return {
    trigger(name, overrides = {}, options = {}) {
      if (!isBluumEventName(name)) {
        if (!options.custom) {
          throw withParam(
            new ValidationError(
              `Invalid value for '${'event'}': ` +
                `expected an event of Bluum's catalog (${bluumEventNames.join(', ')}); got ${JSON.stringify(name)}. To emit a name outside the catalog (a receiver's catch-all), send "custom": true`,
            ),
            'event',
          )
        }
        return bus.emitAny(name, sampleEventData(name, clock.now(), overrides))
      }
      const domain = name.split('.')[0] as keyof typeof planners
      const fixed = sampleEventData(name, clock.now())
      for (const key of computed[domain] ?? []) {
        if (overrides[key] === undefined) continue
        if (key !== 'id' && JSON.stringify(overrides[key]) === JSON.stringify(fixed[key])) continue
        throw bad(
          key,
          `${key} is set by the sandbox when it produces ${name}; leave it out of data`,
        )
      }
      const owner = domain === 'account' ? undefined : ownerOf(overrides)
      const data = sampleEventData(name, clock.now(), {
        ...overrides,
        ...(owner === undefined ? {} : { investor_id: owner }),
      })
      check(bluumEventCatalog[name].data, data)
      const run = planners[domain](name, data, {
        ...overrides,
        ...(owner === undefined ? {} : { investor_id: owner }),
      })
      const partialFills = state.partialFills
      const resource = bus.muted(() => {
        // Partial-fill mode would split a triggered fill in two, and emit the second half later.
        state.partialFills = false
        try {
          return run()
        } finally {
          state.partialFills = partialFills
        }
      })
      return bus.emitAny(name, resource)
    },
  }
}
