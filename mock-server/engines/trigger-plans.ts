/**
 * Every catalog event as the requests that cause it, the way the Stripe CLI's trigger fixtures
 * describe `stripe trigger`: a triggered `order.filled` is "create the investor, deposit what the
 * buy costs, place a market order". The trigger service (`triggers.ts`) runs a plan's steps through
 * the engines the API runs (`trigger-requests.ts`), silently, then emits the one event asked for.
 * Nothing here restates an engine's rules: whether an order fills, rests or is rejected, whether
 * an e-mail is taken or a funding source belongs to the investor, is the engines' answer, and a
 * plan only says which outcome its event stands for.
 *
 * A step names its request (Bluum's documented route, or a sandbox control under
 * `/v1/sandbox/`), says when it is needed and builds its body from the event's data and what
 * earlier steps made, each kept under the step's name (Stripe's `${customer:id}`).
 */
import { Type, type TSchema } from '@sinclair/typebox'
import type { BluumEventName } from '../../plugin/catalog.js'
import {
  decimalPattern,
  formatCents,
  formatPrice,
  formatQuantity,
  toCents,
  toNumber,
} from '../core/decimal.js'
import { createId } from '../core/ids.js'
import { orderStatusOfEvent } from '../core/order-events.js'
import { sampleFundingSourceRequest } from '../core/sample-requests.js'
import type { Investor, Order, OrderStatus, Resource, SandboxState } from '../core/state.js'

/** The requests a plan can make: Bluum's documented routes and the sandbox's own controls. */
export type TriggerRequest =
  | 'POST /v1/investors'
  | 'PATCH /v1/investors/{investor_id}'
  | 'POST /v1/investors/{investor_id}/funding-sources'
  | 'POST /v1/investors/{investor_id}/deposits'
  | 'POST /v1/investors/{investor_id}/withdrawals'
  | 'POST /v1/investors/{investor_id}/orders'
  | 'POST /v1/investors/{investor_id}/orders/{order_id}/cancel'
  | 'POST /v1/documents'
  | 'POST /v1/sandbox/transfers/{transfer_id}/complete'
  | 'POST /v1/sandbox/transfers/{transfer_id}/fail'
  | 'POST /v1/sandbox/documents/reject-next'
  /** Partial-fill mode's first half, on the order the plan placed (no route does only this). */
  | 'sandbox: fill half of the resting order'

/** What the engines can tell a plan while it runs, without changing anything. */
export interface TriggerReads {
  readonly state: SandboxState
  /**
   * The simulated price of a symbol; undefined for one the sandbox does not list (the order route
   * then answers why, 404 or 422, when the plan places the order).
   */
  price(symbol: string): number | undefined
  /** Cash minus what resting buys hold, cents. */
  buyingPowerCents(investorId: string): number
  /** Shares held minus what resting sells hold. */
  freeShares(investorId: string, symbol: string): number
}

/** One trigger while its plan runs. */
export interface TriggerRun {
  readonly event: BluumEventName
  /** The event's data: the sample with the caller's overrides over it, already checked. */
  readonly data: Readonly<Record<string, unknown>>
  /** What the caller sent as `data`. */
  readonly overrides: Readonly<Record<string, unknown>>
  /** The investor the data names (`investor_id`, `account_id`, or `id` for `account.updated`). */
  readonly ownerId: string | undefined
  /** What each step made, by step name; `investor` is there from the start when it exists. */
  readonly made: Record<string, Resource | undefined>
  readonly read: TriggerReads
}

export interface TriggerStep {
  /** Where its result is kept in `run.made`, for later steps and the event. */
  readonly name: string
  readonly request: TriggerRequest
  /** Why the plan needs it, in words (the docs' table shows it). */
  readonly why: string
  /** Runs the step only when this holds. Default always. */
  readonly when?: (run: TriggerRun) => boolean
  /** The path parameters. */
  readonly params?: (run: TriggerRun) => Record<string, string>
  /** The request body. */
  readonly body?: (run: TriggerRun) => Record<string, unknown>
  /**
   * How the sandbox runs the request, beyond its body: `id` to create the investor under,
   * `kycMode` to create it in, `price` to fill at (put back afterwards).
   */
  readonly options?: (run: TriggerRun) => TriggerStepOptions
  /**
   * Data fields to name for errors of this request whose `param` is a field of a body the plan
   * built (the funding deposit's `amount` is the order's `quantity`); `''` for an error without
   * one. Any other error names `data.<its param>`.
   */
  readonly blame?: Readonly<Record<string, string>>
}

export interface TriggerStepOptions {
  id?: string
  kycMode?: SandboxState['kycMode']
  price?: number
}

/** Why a plan's outcome is not its event: the data field to fix, and what to do. */
export interface Misfire {
  field: string
  why: string
  /** 409 instead of 400: the data is fine, the resource it names is in the wrong state. */
  conflict?: boolean
}

export interface TriggerPlan {
  /**
   * The request body the event's data must make, checked before anything runs (decimal strings,
   * enums, lengths). Its fields are the ones the requests take; any other data field is kept on
   * the stored resource, so GET answers what the event carried.
   */
  readonly input?: TSchema
  /** Data fields the sandbox sets for this event besides its domain's (refused as overrides). */
  readonly computed?: readonly string[]
  readonly steps: readonly TriggerStep[]
  /**
   * What the event carries: the resource a step made (`made`), which must end in `status`; or,
   * with `heard`, the event the engines emitted while the plan ran (a compliance workflow is not a
   * stored resource). `misfire` explains an outcome that is not the event.
   */
  readonly emits:
    | { made: string; status?: string; misfire?: (run: TriggerRun, status: string) => Misfire }
    | { heard: true; misfire: (run: TriggerRun) => Misfire }
}

// ------------------------------------------------------------------------------------------------
// Inputs: the request bodies the data must make.

const Decimal = Type.String({ pattern: decimalPattern })
const OptionalNullable = (schema: TSchema) => Type.Optional(Type.Union([schema, Type.Null()]))
const Literals = (values: readonly string[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description === undefined ? {} : { description },
  )
const Metadata = Type.Optional(Type.Record(Type.String(), Type.Unknown()))

const orderFields = {
  symbol: Type.String({ minLength: 1, maxLength: 12 }),
  side: Literals(['buy', 'sell']),
  type: Literals(['market', 'limit', 'stop', 'stop_limit', 'trailing_stop']),
  time_in_force: Literals(['day', 'gtc', 'opg', 'cls', 'ioc', 'fok']),
  quantity: OptionalNullable(Decimal),
  notional: OptionalNullable(Decimal),
  limit_price: OptionalNullable(Decimal),
  stop_price: OptionalNullable(Decimal),
  /** The fill price of a triggered fill (the simulated price is put back afterwards). */
  average_price: OptionalNullable(
    Type.String({
      pattern: `^(?=.*[1-9])${decimalPattern.slice(1)}`,
      description: 'a price above 0 such as "178.50"',
    }),
  ),
  client_order_id: OptionalNullable(Type.String({ maxLength: 128 })),
  metadata: Metadata,
}

/** What `POST /v1/investors/{investor_id}/orders` takes, as it sits in an order's data. */
const OrderInput = Type.Object(orderFields)

/** A triggered `order.rejected` is a buy: Bluum refuses a sell of shares not held up front. */
const RejectedOrderInput = Type.Object({
  ...orderFields,
  side: Literals(
    ['buy'],
    'a buy beyond buying power (a sell of shares not held is refused at request time with BLUM-422-004 and emits no event)',
  ),
})

/** What the deposit and withdrawal routes take (and the fail control's reason). */
const TransferInput = Type.Object({
  amount: Decimal,
  currency: Type.String({ pattern: '^[A-Za-z]{3}$' }),
  method: Literals(['ach', 'manual_bank_transfer', 'wire']),
  funding_source_id: OptionalNullable(Type.String({ maxLength: 64 })),
  failure_reason: OptionalNullable(Type.String({ maxLength: 200 })),
  metadata: Metadata,
})

/** What `POST /v1/documents` takes (and the reject-next control's reason). */
const DocumentInput = Type.Object({
  document_type: Type.String({ minLength: 1, maxLength: 100 }),
  purpose: Type.String({ minLength: 1, maxLength: 100 }),
  rejection_reason: OptionalNullable(Type.String({ maxLength: 500 })),
  metadata: Metadata,
})

/** What `POST /v1/investors` needs of a profile. */
const InvestorInput = Type.Object({
  first_name: Type.String({ minLength: 1, maxLength: 200 }),
  last_name: Type.String({ minLength: 1, maxLength: 200 }),
  email: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', maxLength: 254 }),
  metadata: Metadata,
})

/** What a compliance workflow event may carry that the KYC review takes. */
const KycInput = Type.Object({
  reason: OptionalNullable(Type.String({ maxLength: 500 })),
})

// ------------------------------------------------------------------------------------------------
// Reading the data.

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)
const investorOf = (run: TriggerRun) => run.made.investor as Investor
const orderOf = (run: TriggerRun) => run.made.order as Order | undefined

/** The order's symbol as the engine will store it. */
const symbolOf = (run: TriggerRun) => String(run.data.symbol).trim().toUpperCase()

/** The fill price the data asks for, when it overrides the sample's. */
function fillPriceOf(run: TriggerRun): number | undefined {
  const asked = text(run.data.average_price)
  return asked !== undefined && run.overrides.average_price !== undefined
    ? toNumber(asked)
    : undefined
}

const needsLimit = (type: unknown) => type === 'limit' || type === 'stop_limit'
const needsStop = (type: unknown) => type === 'stop' || type === 'stop_limit'
const restingStatus = (status: OrderStatus | undefined) =>
  status === 'open' || status === 'partial' || status === 'cancelled'

/**
 * The order the event's data describes, as the order route takes it. An order that must rest
 * (accepted, partially filled, cancelled) and names no limit or stop gets one 10 % on the side of
 * the price that keeps it resting.
 */
function orderBody(run: TriggerRun): Record<string, unknown> {
  const data = run.data
  const symbol = symbolOf(run)
  const buy = data.side === 'buy'
  // An unlisted symbol gets a placeholder: the order route refuses the symbol itself.
  const away = (below: boolean) =>
    formatPrice(Math.max(0.01, (run.read.price(symbol) ?? 1) * (below ? 0.9 : 1.1)))
  const limit =
    run.overrides.limit_price !== undefined
      ? text(run.overrides.limit_price)
      : needsLimit(data.type)
        ? (text(data.limit_price) ?? away(buy))
        : undefined
  const stop =
    run.overrides.stop_price !== undefined
      ? text(run.overrides.stop_price)
      : needsStop(data.type)
        ? away(!buy)
        : undefined
  const body: Record<string, unknown> = {
    symbol,
    side: data.side,
    type: data.type,
    time_in_force: data.time_in_force,
  }
  // Assigned, not spread in: this runs several times per triggered order.
  if (typeof data.quantity === 'string') body.quantity = data.quantity
  if (typeof data.notional === 'string') body.notional = data.notional
  if (limit !== undefined) body.limit_price = limit
  if (stop !== undefined) body.stop_price = stop
  if (typeof data.client_order_id === 'string') body.client_order_id = data.client_order_id
  if (data.metadata) body.metadata = copied(data.metadata as Record<string, unknown>)
  return body
}

/** A copy the stored resource can keep, whatever the caller does with its own object later. */
const copied = (value: Record<string, unknown>) =>
  Object.keys(value).length === 0 ? {} : (JSON.parse(JSON.stringify(value)) as typeof value)

/** Shares the order is for (a notional buy: at the simulated price). */
function quantityOf(run: TriggerRun): number {
  const quantity = text(run.data.quantity)
  if (quantity !== undefined) return toNumber(quantity)
  const notional = text(run.data.notional)
  const price = run.read.price(symbolOf(run))
  return notional === undefined || price === undefined ? 0 : toNumber(notional) / price
}

/**
 * What a buy of `quantity` costs at most, cents: at the highest of its limit, stop and price; 0 for
 * an unlisted symbol (nothing to fund: the order is refused).
 */
function buyCostCents(run: TriggerRun, quantity: number): number {
  const price = run.read.price(symbolOf(run))
  if (price === undefined) return 0
  const body = orderBody(run)
  const at = Math.max(
    fillPriceOf(run) ?? 0,
    Number(body.limit_price ?? 0),
    Number(body.stop_price ?? 0),
    price,
  )
  return Math.ceil(quantity * at * 100) + 1
}

/** Shares a sell needs beyond what the investor holds free. */
function sharesShort(run: TriggerRun): number {
  if (run.data.side !== 'sell') return 0
  const free = run.read.freeShares(investorOf(run).id, symbolOf(run))
  return Math.max(0, quantityOf(run) - Math.max(0, free))
}

/** Cents a buy (or the market buy that covers a sell) needs beyond the investor's buying power. */
function orderShortfallCents(run: TriggerRun): number {
  const price = run.read.price(symbolOf(run))
  const cost =
    run.data.side === 'buy'
      ? buyCostCents(run, quantityOf(run))
      : sharesShort(run) > 0 && price !== undefined
        ? Math.ceil(sharesShort(run) * price * 100) + 1
        : 0
  return cost === 0 ? 0 : cost - run.read.buyingPowerCents(investorOf(run).id)
}

// ------------------------------------------------------------------------------------------------
// Steps shared by several plans.

/** The investor the event names (created under that id when it does not exist), or a new one. */
const investorStep = (kycMode?: SandboxState['kycMode']): TriggerStep => ({
  name: 'investor',
  request: 'POST /v1/investors',
  why:
    kycMode === 'document'
      ? 'the investor the data names, or a new one, awaiting KYC (as in `document` KYC mode)'
      : 'the investor the data names, or a new one',
  when: (run) => run.made.investor === undefined,
  body: (run) => ({
    first_name: 'Ada',
    last_name: 'Lovelace',
    email: `ada+${(run.ownerId ?? createId('inv')).toLowerCase()}@example.com`,
  }),
  options: (run) => ({
    ...(run.ownerId === undefined ? {} : { id: run.ownerId }),
    ...(kycMode === undefined ? {} : { kycMode }),
  }),
})

/** A completed manual deposit of `cents`, as a sandbox user would fund an account. */
const fundingSteps = (
  shortfallCents: (run: TriggerRun) => number,
  why: string,
  field: string,
): TriggerStep[] => [
  {
    name: 'funding',
    request: 'POST /v1/investors/{investor_id}/deposits',
    why,
    when: (run) => shortfallCents(run) > 0,
    params: (run) => ({ investor_id: investorOf(run).id }),
    body: (run) => ({
      amount: formatCents(shortfallCents(run)),
      method: 'manual_bank_transfer',
      description: 'Funding for a triggered event',
    }),
    blame: { amount: field, '': field },
  },
  {
    name: 'funded',
    request: 'POST /v1/sandbox/transfers/{transfer_id}/complete',
    why: 'the funding deposit completes (when one was made)',
    when: (run) => run.made.funding !== undefined,
    params: (run) => ({ transfer_id: run.made.funding!.id }),
    blame: { '': field },
  },
]

const orderSteps = (event: BluumEventName): TriggerStep[] => {
  const status = orderStatusOfEvent(event)!
  const rejected = status === 'failed'
  return [
    investorStep(),
    ...(rejected
      ? []
      : [
          ...fundingSteps(
            orderShortfallCents,
            'buying power for the buy (or for the shares a sell needs), when it falls short',
            'quantity',
          ),
          {
            name: 'shares',
            request: 'POST /v1/investors/{investor_id}/orders',
            why: 'a market buy of the shares a sell needs, when the investor holds too few',
            when: (run) => sharesShort(run) > 0,
            params: (run) => ({ investor_id: investorOf(run).id }),
            body: (run) => ({
              symbol: symbolOf(run),
              side: 'buy',
              type: 'market',
              time_in_force: 'day',
              quantity: formatQuantity(sharesShort(run)),
            }),
          } satisfies TriggerStep,
        ]),
    {
      name: 'order',
      request: 'POST /v1/investors/{investor_id}/orders',
      why: rejected
        ? 'the order, beyond the buying power: accepted, then rejected'
        : 'the order the event is about',
      params: (run) => ({ investor_id: investorOf(run).id }),
      body: orderBody,
      options: (run) => {
        const price = status === 'filled' ? fillPriceOf(run) : undefined
        return price === undefined ? {} : { price }
      },
    },
    ...(status === 'partial'
      ? [
          {
            name: 'fill',
            request: 'sandbox: fill half of the resting order',
            why: 'half the order fills, at data.average_price or its limit',
            when: (run) => orderOf(run)?.status === 'open',
            params: (run) => ({ order_id: orderOf(run)!.id }),
            body: (run) => {
              const limit = orderOf(run)!.limit_price
              return {
                quantity: quantityOf(run) / 2,
                price:
                  fillPriceOf(run) ??
                  (limit === null ? run.read.price(symbolOf(run))! : Number(limit)),
              }
            },
          } satisfies TriggerStep,
        ]
      : []),
    ...(status === 'cancelled'
      ? [
          {
            name: 'cancel',
            request: 'POST /v1/investors/{investor_id}/orders/{order_id}/cancel',
            why: 'the resting order is cancelled',
            when: (run) => orderOf(run)?.status === 'open',
            params: (run) => ({ investor_id: investorOf(run).id, order_id: orderOf(run)!.id }),
          } satisfies TriggerStep,
        ]
      : []),
  ]
}

/** Why an order ended in `got` rather than the status its event stands for. */
function orderMisfire(event: BluumEventName) {
  const wanted = orderStatusOfEvent(event)!
  return (run: TriggerRun, got: string): Misfire => {
    const type = run.data.type
    const price = formatPrice(run.read.price(symbolOf(run)) ?? 0)
    if (wanted === 'failed')
      return {
        field: 'quantity',
        why: 'a triggered order.rejected buy must cost more than the buying power of its investor',
      }
    if (restingStatus(wanted) && got === 'cancelled')
      return {
        field: 'time_in_force',
        why: `a triggered ${event} order must rest: use day or gtc, not ${String(run.data.time_in_force)}`,
      }
    if (restingStatus(wanted))
      return {
        field: type === 'market' ? 'type' : needsLimit(type) ? 'limit_price' : 'stop_price',
        why: `a triggered ${event} order must rest open, but it would fill at once at the simulated price ${price}; use a limit or stop price that does not cross it`,
      }
    return {
      field: type === 'market' ? 'quantity' : needsLimit(type) ? 'limit_price' : 'type',
      why: `a triggered order.filled must fill at once, but it ended ${got} at the simulated price ${price}; use a market order (set its price with data.average_price) or a limit that crosses the price`,
    }
  }
}

const orderPlan = (event: BluumEventName): TriggerPlan => ({
  input: orderStatusOfEvent(event) === 'failed' ? RejectedOrderInput : OrderInput,
  steps: orderSteps(event),
  emits: { made: 'order', status: orderStatusOfEvent(event)!, misfire: orderMisfire(event) },
})

/** The funding source a transfer names, or a new one linked to the investor as a real flow would. */
const fundingSourceStep: TriggerStep = {
  name: 'fundingSource',
  request: 'POST /v1/investors/{investor_id}/funding-sources',
  why: 'a bank account for the transfer, unless the data names one (which must then exist)',
  when: (run) => run.overrides.funding_source_id === undefined,
  params: (run) => ({ investor_id: investorOf(run).id }),
  body: () => sampleFundingSourceRequest(),
}

const transferPlan = (
  kind: 'deposit' | 'withdrawal',
  step: 'initiated' | 'completed' | 'failed',
): TriggerPlan => ({
  input: TransferInput,
  steps: [
    investorStep(),
    ...(kind === 'withdrawal'
      ? fundingSteps(
          (run) => toCents(String(run.data.amount)) - run.read.buyingPowerCents(investorOf(run).id),
          'cash to withdraw, when the investor has too little',
          'amount',
        )
      : []),
    fundingSourceStep,
    {
      name: 'transfer',
      request:
        kind === 'deposit'
          ? 'POST /v1/investors/{investor_id}/deposits'
          : 'POST /v1/investors/{investor_id}/withdrawals',
      why: `the ${kind} the event is about`,
      params: (run) => ({ investor_id: investorOf(run).id }),
      body: (run) => {
        const named = text(run.data.funding_source_id)
        const source =
          run.made.fundingSource?.id ??
          (run.overrides.funding_source_id === undefined ? undefined : named)
        return {
          amount: String(run.data.amount),
          currency: String(run.data.currency),
          method: run.data.method,
          ...(source === undefined ? {} : { funding_source_id: source }),
          ...(run.data.metadata
            ? { metadata: copied(run.data.metadata as Record<string, unknown>) }
            : {}),
        }
      },
    },
    ...(step === 'completed'
      ? [
          {
            name: 'settled',
            request: 'POST /v1/sandbox/transfers/{transfer_id}/complete',
            why: `the ${kind} completes`,
            params: (run) => ({ transfer_id: run.made.transfer!.id }),
          } satisfies TriggerStep,
        ]
      : []),
    ...(step === 'failed'
      ? [
          {
            name: 'settled',
            request: 'POST /v1/sandbox/transfers/{transfer_id}/fail',
            why: `the ${kind} fails, with data.failure_reason`,
            params: (run) => ({ transfer_id: run.made.transfer!.id }),
            body: (run) => {
              const reason = text(run.data.failure_reason)
              return reason === undefined ? {} : { reason }
            },
          } satisfies TriggerStep,
        ]
      : []),
  ],
  emits: {
    made: 'transfer',
    status: step === 'initiated' ? 'pending' : step,
  },
})

const documentUpload = (why: string, body: (run: TriggerRun) => Record<string, unknown>) =>
  ({
    name: 'document',
    request: 'POST /v1/documents',
    why,
    body,
  }) satisfies TriggerStep

const documentBody = (run: TriggerRun) => ({
  investor_id: investorOf(run).id,
  document_type: String(run.data.document_type),
  purpose: String(run.data.purpose),
  ...(run.data.metadata ? { metadata: copied(run.data.metadata as Record<string, unknown>) } : {}),
})

const rejectNext = (reason: (run: TriggerRun) => string | undefined): TriggerStep => ({
  name: 'rejection',
  request: 'POST /v1/sandbox/documents/reject-next',
  why: 'the next document is rejected, with the reason the data gives',
  body: (run) => {
    const given = reason(run)
    return given === undefined ? {} : { reason: given }
  },
})

const documentPlan = (rejected: boolean): TriggerPlan => ({
  input: DocumentInput,
  steps: [
    investorStep(),
    ...(rejected ? [rejectNext((run) => text(run.data.rejection_reason))] : []),
    documentUpload('the document the event is about, reviewed at once', documentBody),
  ],
  emits: { made: 'document', status: rejected ? 'rejected' : 'approved' },
})

/** KYC decisions come from a reviewed `KYC` document, as in `document` KYC mode. */
const kycPlan = (rejected: boolean): TriggerPlan => ({
  input: KycInput,
  steps: [
    // A new investor is approved at creation in `instant` mode (which emits the approval itself);
    // a rejection needs one still awaiting its review.
    investorStep(rejected ? 'document' : undefined),
    ...(rejected ? [rejectNext((run) => text(run.data.reason))] : []),
    {
      ...documentUpload('an identity document with purpose KYC: its review decides KYC', (run) => ({
        investor_id: investorOf(run).id,
        document_type: 'passport',
        purpose: 'KYC',
      })),
      when: (run) => investorOf(run).kyc_status !== 'approved' || rejected,
    },
  ],
  emits: {
    heard: true,
    misfire: (run: TriggerRun) => ({
      field: run.overrides.investor_id !== undefined ? 'investor_id' : 'account_id',
      why: `the KYC of ${investorOf(run).id} is already ${investorOf(run).kyc_status}, and KYC decisions here come from a KYC document reviewed while it is pending: name an investor whose KYC is pending, or none (a new one is made)`,
      conflict: true,
    }),
  },
})

const accountPlan = (updated: boolean): TriggerPlan => ({
  input: InvestorInput,
  ...(updated ? {} : { computed: ['id'] }),
  steps: updated
    ? [
        investorStep(),
        {
          name: 'update',
          request: 'PATCH /v1/investors/{investor_id}',
          why: 'the profile fields of the data written over the investor',
          params: (run) => ({ investor_id: investorOf(run).id }),
          body: (run) => profileOf(run.overrides),
        },
      ]
    : [
        {
          name: 'investor',
          request: 'POST /v1/investors',
          why: 'the investor the event is about, with the profile the data gives',
          body: (run) => ({
            ...profileOf(run.overrides),
            first_name: String(run.data.first_name),
            last_name: String(run.data.last_name),
            email: String(run.data.email),
          }),
        },
      ],
  emits: { made: 'investor' },
})

/** The fields of an investor's data a profile write takes: all but what the sandbox sets. */
function profileOf(overrides: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const {
    id: _id,
    object: _object,
    created: _created,
    livemode: _livemode,
    status: _status,
    kyc_status: _kyc,
    ...profile
  } = overrides
  return structuredClone(profile)
}

/** Every catalog event's plan. */
export const triggerPlans: Readonly<Record<BluumEventName, TriggerPlan>> = Object.freeze({
  'account.created': accountPlan(false),
  'account.updated': accountPlan(true),
  'order.accepted': orderPlan('order.accepted'),
  'order.partially_filled': orderPlan('order.partially_filled'),
  'order.filled': orderPlan('order.filled'),
  'order.canceled': orderPlan('order.canceled'),
  'order.rejected': orderPlan('order.rejected'),
  'transfer.deposit.initiated': transferPlan('deposit', 'initiated'),
  'transfer.deposit.completed': transferPlan('deposit', 'completed'),
  'transfer.deposit.failed': transferPlan('deposit', 'failed'),
  'transfer.withdrawal.initiated': transferPlan('withdrawal', 'initiated'),
  'transfer.withdrawal.completed': transferPlan('withdrawal', 'completed'),
  'transfer.withdrawal.failed': transferPlan('withdrawal', 'failed'),
  'document.approved': documentPlan(false),
  'document.rejected': documentPlan(true),
  'kyc.verification.approved': kycPlan(false),
  'kyc.verification.rejected': kycPlan(true),
})
