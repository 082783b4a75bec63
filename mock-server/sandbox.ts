/**
 * `createSandbox()`: the one core both faces (msw handlers, Fastify server) mount.
 *
 * Holds the state, the clock and the engines, and wires them: services emit events on the bus,
 * the delivery engine listens to the bus. Nothing here imports Fastify or msw.
 */
import { createClock, type Clock } from './core/clock.js'
import { toCents } from './core/decimal.js'
import {
  createDeliveryEngine,
  defaultDeliveryOptions,
  resolveFaults,
  type DeliveryEngine,
} from './delivery/engine.js'
import {
  createStateWriter,
  readStateFile,
  restoreState,
  snapshotState,
  type StateWriter,
} from './core/state-file.js'
import { createDocumentService, type DocumentService } from './engines/documents.js'
import { SandboxInvalidOptionError } from './core/errors.js'
import {
  createEventBus,
  type EventBus,
  type EventListener,
  type SandboxEvent,
} from './core/event-bus.js'
import { createInvestorService, type InvestorService } from './engines/investors.js'
import { createApiKeyService, type ApiKeyService } from './engines/api-keys.js'
import { createComplianceService, type ComplianceService } from './engines/compliance.js'
import { createRequestLog, type RequestLog } from './core/request-log.js'
import { createOrderEngine, type OrderEngine } from './engines/orders.js'
import { clearState, createState, type SandboxState } from './core/state.js'
import { createTransferEngine, type TransferEngine } from './engines/transfers.js'
import { createTriggerService, type TriggerOptions } from './engines/triggers.js'
import { createHttpTransport } from './delivery/transport-http.js'
import type { DeliveryTransport } from './delivery/transport.js'
import { createWebhookService, type WebhookService } from './engines/webhooks.js'

import { DEFAULT_SANDBOX_API_KEY, DEFAULT_SANDBOX_API_SECRET } from './core/credentials.js'
export { DEFAULT_SANDBOX_API_KEY, DEFAULT_SANDBOX_API_SECRET }
/** Bluum's documented sandbox base URL, the one the msw face answers by default. */
export const BLUUM_SANDBOX_BASE_URL = 'https://sandbox.api.bluumfinance.com/v1'

/** An extra key pair limited to one investor; it gets 403 on webhook management. */
export interface InvestorKey {
  apiKey: string
  apiSecret: string
  /** The investor it may act for; omit for a key that may act for none. */
  investorId?: string
}

export interface SandboxOptions {
  /** Tenant-wide API key. Default `'bluum_sandbox_key'`. */
  apiKey?: string
  /** Secret of `apiKey`. Default `'bluum_sandbox_secret'`. */
  apiSecret?: string
  /** Investor-scoped key pairs. Default none. */
  investorKeys?: InvestorKey[]
  /** A clock, or which kind to create. Default `'virtual'` (tests advance it). */
  clock?: Clock | 'virtual' | 'real'
  /** Real clock only: sandbox ms per wall ms (60 turns a 1 min retry into 1 s). Default 1. */
  timeScale?: number
  /** How deliveries reach receivers. Default real HTTP via `node:http` (msw never sees it). */
  transport?: DeliveryTransport
  /** Waits between delivery attempts, ms. Default Bluum's `[1 min, 5 min, 30 min, 2 h, 8 h]`. */
  retryScheduleMs?: readonly number[]
  /** Per-attempt delivery timeout, wall ms. Default 30000. */
  deliveryTimeoutMs?: number
  /**
   * Delivery attempts on the wire at once, over all webhooks; the others wait their turn in the
   * order they fell due (so one endpoint sees its attempts start in due order). Default 64.
   */
  maxConcurrentDeliveries?: number
  /** How long a rotated-out secret keeps signing, ms. Default 86400000 (24 h). */
  rotationOverlapMs?: number
  /** Requests per second per API key before 429; 0 turns the limit off. Default 0. */
  rateLimitPerSecond?: number
  /** How long an Idempotency-Key is remembered, ms. Default 86400000 (24 h). */
  idempotencyTtlMs?: number
  /**
   * Cash every new investor starts with, a decimal string in USD. Default `'0.00'`: as in Bluum, an
   * investor has what its deposits brought.
   */
  initialCash?: string
  /** ACH/wire: sandbox ms from creation to `processing`. Default 1000. */
  achProcessingMs?: number
  /** ACH/wire: sandbox ms from creation to `completed`. Default 3000. */
  achCompletionMs?: number
  /** Partial-fill mode: sandbox ms between the two halves of a fill. Default 1000. */
  partialFillDelayMs?: number
  /** Start in partial-fill mode. Default false. */
  partialFills?: boolean
  /** Keep NYSE hours (09:30-16:00 New York, Mon-Fri): outside them only `gtc` orders are taken. Default false (always open). */
  marketHours?: boolean
  /** `'instant'`: KYC approves at creation; `'document'`: investors trade once a `KYC` document is approved. Default `'instant'`. */
  kycMode?: 'instant' | 'document'
  /**
   * Refuse a request field Bluum does not document with 400 `BLUM-400-001`. Default false: such a
   * field is ignored and the answer names it in a `Bluum-Sandbox-Warning` header (Bluum may accept
   * it). The CLI's `--strict`.
   */
  strict?: boolean
  /** Simulated starting prices by symbol. Default a small built-in table. */
  prices?: Record<string, number | string>
  /**
   * Clock for `webhook-timestamp`, unix ms. Default wall time (`Date.now()`), whatever the sandbox
   * clock says, so receivers keep their real 5-minute tolerance check after the sandbox clock was
   * sped up or advanced. Set it only to pin or skew the timestamp in a test.
   */
  signingClock?: () => number
  /**
   * A JSON file that keeps the state across restarts: webhooks with their secrets, investors,
   * orders, transfers, documents, balances, deliveries and pending timers. Loaded at creation (a
   * missing file is a fresh start; a corrupt or foreign one throws `BLUUM_SANDBOX_STATE_FILE_*`
   * and is left untouched), saved atomically after changes and on `close()`. It contains webhook
   * secrets: it is written with mode 0600. Default none (in memory only).
   */
  stateFile?: string
  /** With `stateFile`: wall ms between a change and its (coalesced) save. Default 250. */
  stateWriteDelayMs?: number
}

/** What `reset()` keeps. */
export interface ResetOptions {
  /**
   * Keep webhook registrations (id, URL, subscriptions, secret), as Bluum's sandbox does across
   * its nightly resets; their faults and deliveries are dropped either way. `false` drops them too,
   * except the pinned `--forward-to` webhook of the CLI. Default true.
   */
  keepWebhooks?: boolean
}

/** {@link SandboxOptions} with every field resolved. */
export interface ResolvedSandboxOptions {
  apiKey: string
  apiSecret: string
  investorKeys: InvestorKey[]
  retryScheduleMs: readonly number[]
  deliveryTimeoutMs: number
  maxConcurrentDeliveries: number
  rotationOverlapMs: number
  rateLimitPerSecond: number
  idempotencyTtlMs: number
  initialCash: string
  achProcessingMs: number
  achCompletionMs: number
  partialFillDelayMs: number
  partialFills: boolean
  marketHours: boolean
  kycMode: 'instant' | 'document'
  strict: boolean
  prices: Record<string, number>
}

export const sandboxDefaults = Object.freeze({
  apiKey: DEFAULT_SANDBOX_API_KEY,
  apiSecret: DEFAULT_SANDBOX_API_SECRET,
  retryScheduleMs: defaultDeliveryOptions.retryScheduleMs,
  deliveryTimeoutMs: defaultDeliveryOptions.timeoutMs,
  maxConcurrentDeliveries: defaultDeliveryOptions.maxConcurrentAttempts,
  rotationOverlapMs: 86_400_000,
  rateLimitPerSecond: 0,
  idempotencyTtlMs: 86_400_000,
  initialCash: '0.00',
  achProcessingMs: 1_000,
  achCompletionMs: 3_000,
  partialFillDelayMs: 1_000,
  partialFills: false,
  stateWriteDelayMs: 250,
  marketHours: false,
  kycMode: 'instant' as 'instant' | 'document',
  strict: false,
})

export interface Sandbox {
  readonly options: ResolvedSandboxOptions
  readonly clock: Clock
  readonly state: SandboxState
  readonly bus: EventBus
  readonly webhooks: WebhookService
  readonly investors: InvestorService
  readonly orders: OrderEngine
  readonly transfers: TransferEngine
  readonly documents: DocumentService
  readonly compliance: ComplianceService
  readonly apiKeys: ApiKeyService
  readonly deliveries: DeliveryEngine
  /** Every API request answered, with the undocumented fields each one ignored. */
  readonly requestLog: RequestLog
  /** Calls `listener` for every emitted event; returns an unsubscribe function. */
  onEvent(listener: EventListener): () => void
  /** Every event emitted so far, oldest first. */
  events(): readonly SandboxEvent[]
  /**
   * Emits one catalog event, like `stripe trigger`: `overrides` (checked against the event's
   * catalog schema) go over sample data, and the engines build the resources behind it, silently
   * creating what it needs first (its investor, funding, shares). A name outside the catalog
   * needs `{ custom: true }`. Throws Bluum's coded 400/404/409/422 errors, with no state changed.
   */
  trigger(name: string, overrides?: Record<string, unknown>, options?: TriggerOptions): SandboxEvent
  /** Resolves once every delivery in flight has finished its current attempt. */
  idle(): Promise<void>
  /**
   * Forgets investors, orders, transfers, documents, deliveries, events and timers, and brings the
   * clock back where it started (wall time now; a virtual clock's fixed `startMs`). Webhook
   * registrations stay unless `keepWebhooks: false`. Options and subscribers stay.
   */
  reset(options?: ResetOptions): void
  /** Notes a change made outside the engines' events (the API calls it): schedules a save. */
  changed(): void
  /** With `stateFile`: writes the state now; resolves when it is on disk. Otherwise a no-op. */
  save(): Promise<void>
  /**
   * Stops the clock, waits for deliveries in flight, saves the state file (with the pending timers
   * still in it) and frees the default transport.
   */
  close(): Promise<void>
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new SandboxInvalidOptionError(name, `expected a number >= 0, got ${value}`)
  return value
}

/** Validates options once and fills in the defaults. */
export function resolveSandboxOptions(options: SandboxOptions = {}): ResolvedSandboxOptions {
  const merged = { ...sandboxDefaults, ...stripUndefined(options) }
  // Basic auth splits `key:secret` on the first colon, so a key cannot contain one.
  if (!/^[^\s:]+$/.test(merged.apiKey)) {
    throw new SandboxInvalidOptionError(
      'apiKey',
      'expected a non-empty string without whitespace or colons',
    )
  }
  if (!/^\S+$/.test(merged.apiSecret)) {
    throw new SandboxInvalidOptionError(
      'apiSecret',
      'expected a non-empty string without whitespace',
    )
  }
  if (!/^\d+(\.\d+)?$/.test(merged.initialCash)) {
    throw new SandboxInvalidOptionError(
      'initialCash',
      `expected a decimal string like "100000.00", got ${JSON.stringify(merged.initialCash)}`,
    )
  }
  merged.retryScheduleMs.forEach((ms, i) => nonNegative(`retryScheduleMs[${i}]`, ms))
  if (!Number.isSafeInteger(merged.maxConcurrentDeliveries) || merged.maxConcurrentDeliveries < 1) {
    throw new SandboxInvalidOptionError(
      'maxConcurrentDeliveries',
      `expected an integer >= 1, got ${merged.maxConcurrentDeliveries}`,
    )
  }
  if (merged.kycMode !== 'instant' && merged.kycMode !== 'document') {
    throw new SandboxInvalidOptionError(
      'kycMode',
      `expected 'instant' or 'document', got ${JSON.stringify(merged.kycMode)}`,
    )
  }
  const prices: Record<string, number> = {}
  for (const [symbol, price] of Object.entries(options.prices ?? {})) {
    const value = Number(price)
    if (!(value > 0))
      throw new SandboxInvalidOptionError(
        `prices.${symbol}`,
        `expected a positive price, got ${price}`,
      )
    prices[symbol.toUpperCase()] = value
  }
  return {
    apiKey: merged.apiKey,
    apiSecret: merged.apiSecret,
    investorKeys: [...(options.investorKeys ?? [])],
    retryScheduleMs: Object.freeze([...merged.retryScheduleMs]),
    deliveryTimeoutMs: nonNegative('deliveryTimeoutMs', merged.deliveryTimeoutMs),
    maxConcurrentDeliveries: merged.maxConcurrentDeliveries,
    rotationOverlapMs: nonNegative('rotationOverlapMs', merged.rotationOverlapMs),
    rateLimitPerSecond: nonNegative('rateLimitPerSecond', merged.rateLimitPerSecond),
    idempotencyTtlMs: nonNegative('idempotencyTtlMs', merged.idempotencyTtlMs),
    initialCash: merged.initialCash,
    achProcessingMs: nonNegative('achProcessingMs', merged.achProcessingMs),
    achCompletionMs: nonNegative('achCompletionMs', merged.achCompletionMs),
    partialFillDelayMs: nonNegative('partialFillDelayMs', merged.partialFillDelayMs),
    partialFills: merged.partialFills,
    marketHours: merged.marketHours,
    kycMode: merged.kycMode,
    strict: merged.strict === true,
    prices,
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/**
 * Creates an in-memory Bluum sandbox.
 * @example
 * const sandbox = createSandbox()
 * const investor = sandbox.investors.create(sampleInvestorRequest())
 * await sandbox.clock.advance('2h')
 */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const resolved = resolveSandboxOptions(options)
  const writeDelayMs = nonNegative(
    'stateWriteDelayMs',
    options.stateWriteDelayMs ?? sandboxDefaults.stateWriteDelayMs,
  )
  // Read before anything else exists: a bad file stops creation with nothing started.
  const saved = options.stateFile === undefined ? undefined : readStateFile(options.stateFile)
  // A restarted sandbox resumes its clock where it stopped plus the wall time it was down, so saved
  // due times (a retry in 5 min, an ACH step in 3 s) keep their meaning; what fell due runs at once.
  const resumeAt = saved
    ? saved.clock.now_ms + Math.max(0, Date.now() - saved.clock.wall_ms)
    : undefined
  const clock =
    typeof options.clock === 'object'
      ? options.clock
      : createClock({
          kind: options.clock ?? 'virtual',
          ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
          ...(resumeAt === undefined ? {} : { startMs: resumeAt }),
        })
  const ownsTransport = options.transport === undefined
  const state = createState()
  const bus = createEventBus(clock)
  const deliveries = createDeliveryEngine({
    state,
    clock,
    bus,
    transport: options.transport ?? createHttpTransport(),
    options: {
      retryScheduleMs: resolved.retryScheduleMs,
      timeoutMs: resolved.deliveryTimeoutMs,
      maxConcurrentAttempts: resolved.maxConcurrentDeliveries,
      ...(options.signingClock ? { signingClock: options.signingClock } : {}),
    },
  })
  const orders = createOrderEngine({
    state,
    clock,
    bus,
    partialFillDelayMs: resolved.partialFillDelayMs,
    assertCanTrade: (investorId) => investors.assertApproved(investorId),
  })
  const compliance = createComplianceService({ state, clock, bus })
  const apiKeys = createApiKeyService({ state, clock })
  const requestLog = createRequestLog(clock)
  const investors = createInvestorService({
    state,
    clock,
    bus,
    compliance,
    initialCashCents: toCents(resolved.initialCash),
    reservedCents: orders.reservedCents,
    holdingsCents: orders.holdingsCents,
  })
  const transfers = createTransferEngine({
    state,
    clock,
    bus,
    processingAfterMs: resolved.achProcessingMs,
    completedAfterMs: resolved.achCompletionMs,
    reservedCents: orders.reservedCents,
  })
  const documents = createDocumentService({
    state,
    clock,
    bus,
    // A KYC document decides the investor's KYC only while it is not approved yet.
    onKycReviewed(investorId, decision, reason) {
      if (investors.get(investorId).kyc_status !== 'approved')
        investors.decideKyc(investorId, decision, reason)
    },
  })
  const triggers = createTriggerService({
    state,
    clock,
    bus,
    investors,
    orders,
    transfers,
    documents,
  })
  const webhooks = createWebhookService({
    state,
    clock,
    deliveries,
    rotationOverlapMs: resolved.rotationOverlapMs,
  })

  const seed = () => {
    for (const [symbol, price] of Object.entries(resolved.prices)) state.prices.set(symbol, price)
    state.partialFills = resolved.partialFills
    state.marketHours = resolved.marketHours
    state.kycMode = resolved.kycMode
    state.strict = resolved.strict
  }
  seed()
  const defaultTransport = deliveries.transport

  let writer: StateWriter | undefined
  if (options.stateFile !== undefined) {
    if (saved) {
      restoreState(state, saved.state)
      bus.restore(saved.events)
      transfers.resume(saved.timers)
      orders.resume(saved.timers)
      deliveries.resume(saved.runs)
    }
    writer = createStateWriter({
      path: options.stateFile,
      delayMs: writeDelayMs,
      snapshot: () =>
        snapshotState({
          state,
          events: bus.list(),
          timers: [...transfers.savedTimers(), ...orders.savedTimers()],
          runs: deliveries.savedRuns(),
          nowMs: clock.now(),
        }),
    })
    const schedule = () => writer?.schedule()
    bus.subscribe(schedule)
    deliveries.onAttempt(schedule)
    schedule()
  }
  const changed = () => writer?.schedule()
  let closing: Promise<void> | undefined

  return {
    options: resolved,
    clock,
    state,
    bus,
    webhooks,
    investors,
    orders,
    transfers,
    documents,
    compliance,
    apiKeys,
    deliveries,
    requestLog,
    onEvent: (listener) => bus.subscribe(listener),
    events: () => bus.list(),
    trigger: (name, overrides, options) => triggers.trigger(name, overrides, options),
    idle: () => clock.settle(),
    reset(resetOptions = {}) {
      const keepAll = resetOptions.keepWebhooks ?? true
      const kept = [...state.webhooks.values()].filter((w) => keepAll || w.pinned)
      deliveries.reset()
      clock.reset()
      clearState(state)
      bus.clear()
      requestLog.clear()
      seed()
      for (const webhook of kept) {
        webhook.faults = resolveFaults()
        state.webhooks.set(webhook.id, webhook)
      }
      changed()
    },
    changed,
    save: async () => writer?.flush(),
    close() {
      closing ??= (async () => {
        // Stop first: pending timers stay listed, so the final save keeps them for the next start.
        clock.stop()
        await clock.settle().catch(() => undefined)
        let saveError: unknown
        if (writer) await writer.flush().catch((error: unknown) => (saveError = error))
        deliveries.reset()
        clock.clearAll()
        if (ownsTransport) await defaultTransport.close?.()
        if (saveError !== undefined) throw saveError
      })()
      return closing
    },
  }
}
