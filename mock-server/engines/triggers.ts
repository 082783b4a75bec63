/**
 * The sandbox's `trigger` control, like `stripe trigger`: emit any catalog event, with `data`
 * overrides, and have the resources behind it exist afterwards, consistent with it.
 *
 * Each event's plan (`trigger-plans/`) lists the requests that cause it, and they run through
 * the engines the API runs (`trigger-requests.ts`): a triggered `order.filled` is a market order
 * the order engine placed and filled (so GET answers it and the position moved), a
 * `transfer.deposit.completed` a deposit the transfer engine completed (so the balance holds it).
 * What an event needs first (its investor, cash for a buy or a withdrawal, shares for a sell) is
 * made the same way, but silently: one trigger emits exactly one event, the one asked for. Those
 * prerequisites stay in the state like any other resource.
 *
 * The data is checked first: overrides against the event's catalog schema (the same TypeBox
 * declaration receivers validate with, so the sandbox never emits an event the app would refuse
 * and the delivery engine retry for hours), then against the bodies of the requests the plan
 * makes; the first failure names its JSON path in `param`. Fields the engines compute (`id`,
 * `status`, `filled_quantity`, ...) cannot be overridden; other unknown fields are kept on the
 * stored resource too, so what GET answers is what was emitted. Whatever the engines then refuse
 * (an untradable symbol, a taken e-mail, a funding source of another investor) is their own
 * answer, with its `param` named `data.<field>`; an outcome that is not the event (an order.filled
 * that would rest, an order.rejected the investor can pay for) is a 400 naming the field to
 * change. Either way the state is put back from a snapshot taken before the first request
 * (`state-snapshot.ts`), so a refused trigger changes nothing.
 */
import { bluumEventCatalog, bluumEventNames, isBluumEventName } from '../../plugin/catalog.js'
import type { TSchema } from '@sinclair/typebox'
import type { Clock } from '../core/clock.js'
import { firstSchemaError } from '../core/compiled-schema.js'
import { decimalPattern } from '../core/decimal.js'
import {
  InternalError,
  MissingFieldError,
  StateConflictError,
  ValidationError,
  isBluumApiError,
  withParam,
} from '../core/errors.js'
import type { EventBus, SandboxEvent } from '../core/event-bus.js'
import { sampleEventData } from '../core/sample-events.js'
import { takeSnapshot } from '../core/state-snapshot.js'
import type { Resource, SandboxState } from '../core/state.js'
import type { DocumentService } from './documents.js'
import type { InvestorService } from './investors.js'
import type { OrderEngine } from './orders.js'
import type { TransferEngine } from './transfers.js'
import {
  triggerPlans,
  type Misfire,
  type TriggerPlan,
  type TriggerReads,
  type TriggerRun,
  type TriggerStep,
  type TriggerStepOptions,
} from './trigger-plans/index.js'
import { triggerRequests, type TriggerEngines } from './trigger-requests.js'
import { copyJson } from '../core/resource.js'

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

/** Throws Bluum's 400 for the first place `value` breaks `schema`, named `data.<path>`. */
function check(schema: TSchema, value: unknown): void {
  const error = firstSchemaError(schema, value)
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

/**
 * What a schema wants, in words: what its `x-expected` says (a plan's input explains itself), the
 * enum's values, a decimal string, or its type.
 */
function expected(schema: TSchema): string {
  const options = (schema.anyOf as TSchema[] | undefined) ?? [schema]
  const explained = [schema, ...options].find((o) => typeof o['x-expected'] === 'string')
  if (explained) return String(explained['x-expected'])
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

/** The coded error of an outcome that is not the event asked for. */
function misfired({ field, why, conflict }: Misfire): Error {
  if (!conflict) return bad(field, why)
  return withParam(new StateConflictError(`Cannot trigger this event: ${why}.`), `data.${field}`)
}

/**
 * Names an engine's error after the data field it is about: `data.<param>`, or what the step
 * says its own fields stand for (the funding deposit's `amount` is the order's `quantity`).
 */
function aboutData(error: unknown, step: TriggerStep, built: boolean): unknown {
  if (!isBluumApiError(error)) return error
  const param = (error as { param?: unknown }).param
  const own = typeof param === 'string' ? param : ''
  const renamed = built ? step.blame?.[own] : undefined
  if (renamed !== undefined) return withParam(error, `data.${renamed}`)
  return own === '' ? error : withParam(error, `data.${own}`)
}

/** The data fields a plan's requests take (the others are kept on the resource). */
function usedFields(plan: TriggerPlan, domain: string): Set<string> {
  const properties = (plan.input as { properties?: Record<string, unknown> } | undefined)
    ?.properties
  return new Set([
    'investor_id',
    ...Object.keys(properties ?? {}),
    ...(computed[domain] ?? []),
    ...(plan.computed ?? []),
  ])
}

const usedByPlan = new Map<string, Set<string>>(
  Object.entries(triggerPlans).map(([name, plan]) => [name, usedFields(plan, name.split('.')[0]!)]),
)

/** Creates the trigger over the sandbox's engines. */
export function createTriggerService(deps: TriggerServiceDeps): TriggerService {
  const { state, clock, bus, orders } = deps
  const engines: TriggerEngines = deps

  const read: TriggerReads = {
    state,
    price(symbol) {
      try {
        return orders.price(symbol)
      } catch {
        return undefined
      }
    },
    buyingPowerCents: (investorId) =>
      (state.cashCents.get(investorId) ?? 0) - orders.reservedCents(investorId),
    freeShares: (investorId, symbol) =>
      (state.positions.get(investorId)?.get(symbol)?.quantity ?? 0) -
      orders.reservedShares(investorId, symbol),
  }

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

  /** Runs one step's request through the engines and keeps what it made. */
  function runStep(step: TriggerStep, run: TriggerRun): void {
    if (step.when && !step.when(run)) return
    let params: Record<string, string>
    let body: Record<string, unknown>
    let options: TriggerStepOptions
    try {
      params = step.params?.(run) ?? {}
      body = step.body?.(run) ?? {}
      options = step.options?.(run) ?? {}
    } catch (error) {
      throw aboutData(error, step, false)
    }
    let made: Resource | undefined
    try {
      made = triggerRequests[step.request](engines, params, body, options)
    } catch (error) {
      throw aboutData(error, step, true)
    }
    if (made !== undefined) run.made[step.name] = made
  }

  /** Runs the plan's steps, muted; returns the event's data, or throws why it cannot be had. */
  function runPlan(plan: TriggerPlan, run: TriggerRun): Record<string, unknown> {
    const emits = plan.emits
    const heard: SandboxEvent[] = []
    // Only a plan that emits what it heard has the muted events built (ids, JSON copies).
    bus.muted(
      () => {
        for (const step of plan.steps) runStep(step, run)
      },
      'heard' in emits ? (event) => heard.push(event) : undefined,
    )
    if ('heard' in emits) {
      let event: SandboxEvent | undefined
      for (const candidate of heard) if (candidate.event === run.event) event = candidate
      if (event === undefined) throw misfired(emits.misfire(run))
      return event.data
    }
    const resource = run.made[emits.made] as (Resource & { status?: string }) | undefined
    // A plan whose last step was skipped made nothing to emit: a bug of the plan, not the caller's.
    if (resource === undefined) throw new InternalError()
    if (emits.status !== undefined && resource.status !== emits.status)
      throw misfired(emits.misfire!(run, String(resource.status)))
    return resource as unknown as Record<string, unknown>
  }

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
      const plan = triggerPlans[name]
      const domain = name.split('.')[0]!
      let fixed: Record<string, unknown> | undefined
      for (const key of [...(computed[domain] ?? []), ...(plan.computed ?? [])]) {
        if (overrides[key] === undefined) continue
        // A computed field may be sent as the sample has it (a form sent back unchanged).
        fixed ??= sampleEventData(name, clock.now())
        if (key !== 'id' && JSON.stringify(overrides[key]) === JSON.stringify(fixed[key])) continue
        throw bad(
          key,
          `${key} is set by the sandbox when it produces ${name}; leave it out of data`,
        )
      }
      const owner =
        domain === 'account'
          ? name === 'account.updated'
            ? ownerOf(overrides, 'id')
            : undefined
          : ownerOf(overrides)
      const named = domain === 'account' || owner === undefined ? {} : { investor_id: owner }
      const data = sampleEventData(name, clock.now(), { ...overrides, ...named })
      check(bluumEventCatalog[name].data, data)
      if (plan.input) check(plan.input, data)

      const existing = owner === undefined ? undefined : state.investors.get(owner)
      const run: TriggerRun = {
        event: name,
        data,
        overrides: { ...overrides, ...named },
        ownerId: owner,
        made: { investor: existing },
        read,
      }
      const snapshot = takeSnapshot(state, { investorIds: existing ? [existing.id] : [] })
      // Partial-fill mode would split a triggered fill in two and emit the second half later; the
      // rejections queued for the next real upload are not the trigger's to take.
      const { partialFills } = state
      const queued = state.documentRejections.splice(0)
      state.partialFills = false
      let resource: Record<string, unknown>
      try {
        resource = runPlan(plan, run)
      } catch (error) {
        snapshot.restore()
        throw error
      } finally {
        state.partialFills = partialFills
        state.documentRejections.splice(0, state.documentRejections.length, ...queued)
      }
      snapshot.keep()
      const keep = usedByPlan.get(name)!
      const emitted = 'heard' in plan.emits ? { ...resource } : resource
      // Data the requests do not take lands on the resource, so GET shows it too.
      if (domain !== 'account')
        for (const [key, value] of Object.entries(overrides))
          if (!keep.has(key)) emitted[key] = copyJson(value)
      return bus.emitAny(name, emitted)
    },
  }
}
