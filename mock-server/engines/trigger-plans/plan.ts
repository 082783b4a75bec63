/**
 * The vocabulary of trigger plans: a plan is steps, a step is one request with its body, and a
 * run is what the steps made so far. Types only; the plans themselves are in this folder, one
 * file per domain, and `index.ts` holds the table.
 */
import type { TSchema } from '@sinclair/typebox'
import type { BluumEventName } from '../../../plugin/catalog.js'
import type { Resource, SandboxState } from '../../core/state.js'

/** The requests a plan can make: Bluum's documented routes and the sandbox's own controls. */
export type TriggerRequest =
  | 'POST /v1/investors'
  | 'PATCH /v1/sandbox/investors/{investor_id}'
  | 'POST /v1/investors/{investor_id}/funding-sources/connect'
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
