/**
 * What each request of a trigger plan does: the engine call its API route makes, with the same
 * arguments. One table, so a plan's step runs exactly what `POST /v1/investors/{id}/orders` runs,
 * errors included, minus the HTTP parts (authentication, idempotency, body parsing).
 */
import type { Resource, SandboxState } from '../core/state.js'
import { documentResource, type DocumentService } from './documents.js'
import type { CreateInvestorInput, InvestorService } from './investors.js'
import type { OrderEngine, PlaceOrderInput } from './orders.js'
import type { ConnectInput, TransferEngine, TransferInput } from './transfers.js'
import type { TriggerRequest, TriggerStepOptions } from './trigger-plans/index.js'

/** The engines a trigger runs its requests through. */
export interface TriggerEngines {
  state: SandboxState
  investors: InvestorService
  orders: OrderEngine
  transfers: TransferEngine
  documents: DocumentService
}

type Body = Record<string, unknown>
type Params = Record<string, string>
type Run = (
  engines: TriggerEngines,
  params: Params,
  body: Body,
  options: TriggerStepOptions,
) => Resource | undefined

/** An API answer (an investor as the API shows it) as a run keeps it. */
const asResource = (answer: { id?: unknown }) => answer as unknown as Resource

/** Runs `work` with one sandbox setting changed, then puts it back. */
function withSetting<K extends 'kycMode' | 'partialFills', T>(
  state: SandboxState,
  key: K,
  value: SandboxState[K] | undefined,
  work: () => T,
): T {
  if (value === undefined) return work()
  const previous = state[key]
  state[key] = value
  try {
    return work()
  } finally {
    state[key] = previous
  }
}

/** Runs `work` while `symbol` has the simulated price `price`, then puts the price back. */
function atPrice<T>(state: SandboxState, symbol: string, price: number | undefined, work: () => T) {
  if (price === undefined) return work()
  const previous = state.prices.get(symbol)
  state.prices.set(symbol, price)
  try {
    return work()
  } finally {
    if (previous === undefined) state.prices.delete(symbol)
    else state.prices.set(symbol, previous)
  }
}

/** Every request a plan may make, as its route runs it. */
export const triggerRequests: Readonly<Record<TriggerRequest, Run>> = Object.freeze({
  'POST /v1/investors': ({ state, investors }, _params, body, options) =>
    withSetting(state, 'kycMode', options.kycMode, () =>
      asResource(
        investors.create(
          body as unknown as CreateInvestorInput,
          options.id === undefined ? {} : { id: options.id },
        ),
      ),
    ),
  'PATCH /v1/sandbox/investors/{investor_id}': ({ investors }, params, body) =>
    asResource(investors.update(params.investor_id!, body)),
  'POST /v1/investors/{investor_id}/funding-sources/connect': ({ transfers }, params, body) => {
    const connected = transfers.connect(params.investor_id!, body as unknown as ConnectInput)
    return Array.isArray(connected) ? connected[0] : connected
  },
  'POST /v1/investors/{investor_id}/deposits': ({ transfers }, params, body) =>
    transfers.deposit(params.investor_id!, body as unknown as TransferInput),
  'POST /v1/investors/{investor_id}/withdrawals': ({ transfers }, params, body) =>
    transfers.withdraw(params.investor_id!, body as unknown as TransferInput),
  'POST /v1/investors/{investor_id}/orders': ({ state, orders }, params, body, options) =>
    atPrice(state, String(body.symbol), options.price, () =>
      orders.place(params.investor_id!, body as unknown as PlaceOrderInput),
    ),
  'POST /v1/investors/{investor_id}/orders/{order_id}/cancel': ({ orders }, params) =>
    orders.cancel(params.investor_id!, params.order_id!),
  'POST /v1/documents': ({ documents }, _params, body) => {
    const document = documents.submit({
      investor_id: String(body.investor_id),
      document_type: String(body.document_type),
      ...(body.purpose === undefined ? {} : { purpose: String(body.purpose) }),
      // The upload a trigger stands for: a small PDF.
      file: { filename: 'sample.pdf', size: 1024, content_type: 'application/pdf' },
      ...(body.metadata ? { metadata: body.metadata as Record<string, unknown> } : {}),
    })
    // What the route answers: the flat resource, its id named `document_id`.
    return documentResource(document) as unknown as Resource
  },
  'POST /v1/sandbox/transfers/{transfer_id}/complete': ({ transfers }, params) =>
    transfers.complete(params.transfer_id!),
  'POST /v1/sandbox/transfers/{transfer_id}/fail': ({ transfers }, params, body) =>
    transfers.fail(params.transfer_id!, typeof body.reason === 'string' ? body.reason : undefined),
  'POST /v1/sandbox/documents/reject-next': ({ documents }, _params, body) => {
    documents.rejectNext(typeof body.reason === 'string' ? body.reason : undefined)
    return undefined
  },
  'sandbox: fill half of the resting order': ({ orders }, params, body) =>
    orders.fillPart(params.order_id!, Number(body.quantity), Number(body.price)),
})
