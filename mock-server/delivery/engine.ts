/**
 * Pushes every emitted event to the webhooks subscribed to it, the way Bluum does.
 *
 * One delivery per (webhook, event). Every attempt sends the same bytes with the same `evt_` id as
 * `webhook-id`, a fresh `webhook-timestamp` and a signature per live secret. A non-2xx answer, a
 * timeout or a connection error is retried on Bluum's ladder (1 min, 5 min, 30 min, 2 h, 8 h
 * between attempts: 6 attempts over about 10.6 h), with `Retry-After` on 429/503 taking the
 * ladder's place; `410 Gone` disables the webhook; an exhausted delivery is parked for replay.
 * All waiting happens on the sandbox clock, so an `advance('11h')` replays the whole ladder at once.
 * At most `maxConcurrentAttempts` attempts are on the wire at a time; the others wait their turn in
 * the order they fell due, so retries that fall due together run side by side and one endpoint
 * still sees its attempts start in due order.
 *
 * `webhook-timestamp` is wall time, never sandbox time: the receiver checks it against its own
 * clock (5 minutes of tolerance), and a sandbox clock sped up (`--time-scale 60`) or advanced
 * (`POST /v1/sandbox/clock/advance`) would otherwise make every later delivery fail verification.
 */
import type { Clock, TimerHandle } from '../core/clock.js'
import type { SavedRun } from '../core/state-file.js'
import { NotFoundError, SandboxInvalidOptionError, StateConflictError } from '../core/errors.js'
import {
  eventPayload,
  isoSeconds,
  matchesSubscription,
  type EventBus,
  type SandboxEvent,
} from '../core/event-bus.js'
import { createId } from '../core/ids.js'
import { createAttemptSlots } from './attempt-slots.js'
import { deliveryPhase, type DeliveryPhase } from './phase.js'
import { signedHeaders } from './signer.js'
import {
  maxRecordedBodyBytes,
  type AttemptResponse,
  type Delivery,
  type DeliveryAttempt,
  type SandboxState,
  type Webhook,
  type WebhookFaults,
} from '../core/state.js'
import { cutBody, type DeliveryResponse, type DeliveryTransport } from './transport.js'

/** Bluum's documented retry ladder: waits between attempts, ms. */
export const bluumRetryScheduleMs: readonly number[] = Object.freeze([
  60_000, 300_000, 1_800_000, 7_200_000, 28_800_000,
])

export interface DeliveryEngineOptions {
  /** Waits between attempts, ms of sandbox time; one retry per entry. Default Bluum's ladder. */
  retryScheduleMs: readonly number[]
  /** Per-attempt timeout, wall ms. Default 30000. */
  timeoutMs: number
  /** Upper bound on an honoured `Retry-After`, ms. Default 86400000 (24 h). */
  maxRetryAfterMs: number
  /** With the reorder fault, how long a lone event is held before release, ms. Default 1000. */
  reorderWindowMs: number
  /** `user-agent` header of deliveries. Default `'Bluum-Sandbox-Webhooks/1.0'`. */
  userAgent: string
  /** Attempts on the wire at once, over all webhooks; more wait in due order. Default 64. */
  maxConcurrentAttempts: number
  /**
   * The clock whose time goes into `webhook-timestamp`, unix ms. Default wall time (`Date.now`),
   * whatever the sandbox clock says, so receivers keep their real tolerance check. Pin it in a
   * test that needs a fixed timestamp, or skew it to test the receiver's tolerance.
   */
  signingClock: () => number
}

export const defaultDeliveryOptions: Readonly<DeliveryEngineOptions> = Object.freeze({
  retryScheduleMs: bluumRetryScheduleMs,
  timeoutMs: 30_000,
  maxRetryAfterMs: 86_400_000,
  reorderWindowMs: 1_000,
  userAgent: 'Bluum-Sandbox-Webhooks/1.0',
  maxConcurrentAttempts: 64,
  signingClock: () => Date.now(),
})

/**
 * Called after every attempt (including fault-injected duplicates), once the engine has decided
 * what follows: `delivery.status` and `next_attempt_at` already say delivered, parked or when.
 */
export type AttemptListener = (delivery: Delivery, attempt: DeliveryAttempt) => void

/** Which deliveries {@link DeliveryEngine.list} returns; every field set narrows the list. */
export interface DeliveryFilter {
  webhookId?: string
  /** The engine's status: pending, delivered, parked, cancelled. */
  status?: Delivery['status']
  /** The phase people filter by: pending, failing, delivered, parked, cancelled. */
  phase?: DeliveryPhase
  /** An event name or a subscription pattern (`order.*`, `transfer.*`, `*`). */
  event?: string
}

export interface DeliveryEngine {
  /** Deliveries, newest first, optionally for one webhook, status, phase and/or event name. */
  list(filter?: DeliveryFilter): Delivery[]
  get(deliveryId: string): Delivery | undefined
  /** Sends one delivery again from the start of the ladder (same event id and bytes). */
  replay(deliveryId: string): Delivery
  /** Replays every parked delivery created at or after `sinceMs` (sandbox time). */
  replayFailed(filter: { webhookId?: string; sinceMs?: number }): Delivery[]
  /**
   * Runs a waiting delivery's next attempt at once, without moving the clock; the ladder goes on
   * from there. 409 unless a retry (or a delayed first attempt) is waiting on the clock.
   */
  retryNow(deliveryId: string): Delivery
  /**
   * Delivers `event` to one webhook only, whatever it subscribes to (a test send): a delivery like
   * any other, with its retries. 409 when the webhook is inactive.
   */
  deliverTo(event: SandboxEvent, webhookId: string): Delivery
  /** Calls `listener` after each attempt; returns an unsubscribe function. */
  onAttempt(listener: AttemptListener): () => void
  /** Replaces the transport, e.g. to inject into an app created after the sandbox. */
  setTransport(transport: DeliveryTransport): void
  readonly transport: DeliveryTransport
  /** Stops pending retries of a deleted webhook. */
  cancelForWebhook(webhookId: string, reason: string): void
  /** The secrets that sign right now: the current one, then those still in their overlap. */
  liveSecrets(webhook: Webhook): string[]
  /** Drops every delivery and timer. */
  reset(): void
  /** Where every pending delivery stands in its ladder, to save it. */
  savedRuns(): SavedRun[]
  /**
   * Re-arms the pending deliveries of a loaded state: each retry at its saved due time (at once
   * when that has passed), an attempt that was in flight or held at once.
   */
  resume(runs: readonly SavedRun[]): void
}

interface Run {
  attemptInRun: number
  timer: TimerHandle | undefined
  /** An attempt is on the wire: its answer is not recorded yet. */
  inFlight: boolean
}

export interface DeliveryEngineDeps {
  state: SandboxState
  clock: Clock
  bus: EventBus
  transport: DeliveryTransport
  options?: Partial<DeliveryEngineOptions>
}

/** Creates the delivery engine and subscribes it to `bus`. */
export function createDeliveryEngine(deps: DeliveryEngineDeps): DeliveryEngine {
  const { state, clock, bus } = deps
  const options: DeliveryEngineOptions = { ...defaultDeliveryOptions, ...deps.options }
  if (!Number.isSafeInteger(options.maxConcurrentAttempts) || options.maxConcurrentAttempts < 1)
    throw new SandboxInvalidOptionError(
      'maxConcurrentAttempts',
      `expected an integer >= 1, got ${options.maxConcurrentAttempts}`,
    )
  const slots = createAttemptSlots(options.maxConcurrentAttempts)
  let transport = deps.transport
  const runs = new Map<string, Run>()
  const listeners = new Set<AttemptListener>()
  const reorderBuffers = new Map<string, { held: Delivery[]; timer: TimerHandle | undefined }>()
  // Bumped by reset(): attempts in flight across a reset must not touch the new state.
  let generation = 0

  bus.subscribe((event) => {
    for (const webhook of state.webhooks.values()) {
      if (webhook.status !== 'active') continue
      if (!webhook.event_type_names.some((name) => matchesSubscription(name, event.event))) continue
      start(event, webhook)
    }
  })

  function start(event: SandboxEvent, webhook: Webhook): Delivery {
    const now = clock.now()
    const delivery: Delivery = {
      id: createId('dlv'),
      object: 'webhook_delivery',
      webhook_id: webhook.id,
      event_id: event.id,
      event: event.event,
      status: 'pending',
      failure_reason: null,
      attempts: [],
      next_attempt_at: null,
      created: Math.floor(now / 1000),
      createdMs: now,
      // Serialised once: every attempt signs and sends these exact bytes.
      payload: eventPayload(event),
    }
    state.deliveries.set(delivery.id, delivery)
    runs.set(delivery.id, { attemptInRun: 0, timer: undefined, inFlight: false })
    if (webhook.faults.reorder) hold(delivery, webhook)
    else if (webhook.faults.delayMs > 0) schedule(delivery, webhook.faults.delayMs)
    else clock.track(attempt(delivery))
    return delivery
  }

  /** Reorder fault: collect first attempts and release them newest first, one after another. */
  function hold(delivery: Delivery, webhook: Webhook): void {
    const buffer = reorderBuffers.get(webhook.id) ?? { held: [], timer: undefined }
    reorderBuffers.set(webhook.id, buffer)
    buffer.held.push(delivery)
    const release = async () => {
      clock.clearTimer(buffer.timer)
      reorderBuffers.delete(webhook.id)
      for (const held of buffer.held.reverse()) await attempt(held)
    }
    if (buffer.held.length >= 2) clock.track(release())
    else buffer.timer = clock.setTimer(options.reorderWindowMs + webhook.faults.delayMs, release)
  }

  function schedule(delivery: Delivery, delayMs: number): void {
    const run = runs.get(delivery.id)
    if (!run) return
    const at = clock.now() + delayMs
    delivery.next_attempt_at = isoMillis(at)
    run.timer = clock.setTimer(delayMs, () => attempt(delivery))
  }

  function finish(delivery: Delivery, status: Delivery['status'], reason: string | null): void {
    delivery.status = status
    delivery.failure_reason = reason
    delivery.next_attempt_at = null
    const run = runs.get(delivery.id)
    if (run) clock.clearTimer(run.timer)
    runs.delete(delivery.id)
  }

  function liveSecrets(webhook: Webhook): string[] {
    if (webhook.previousSecrets.length === 0) return [webhook.secret]
    const now = clock.now()
    webhook.previousSecrets = webhook.previousSecrets.filter((s) => s.expiresAtMs > now)
    return [webhook.secret, ...webhook.previousSecrets.map((s) => s.secret)]
  }

  async function send(
    delivery: Delivery,
    webhook: Webhook,
    fault: DeliveryAttempt['fault'],
  ): Promise<{ response?: DeliveryResponse; record: DeliveryAttempt }> {
    const nowMs = clock.now()
    const timestamp = Math.floor(options.signingClock() / 1000)
    const headers: Record<string, string> = signedHeaders(
      liveSecrets(webhook),
      delivery.event_id,
      timestamp,
      delivery.payload,
    )
    headers['user-agent'] = options.userAgent
    const request = { method: 'POST' as const, url: webhook.url, headers, body: delivery.payload }
    const started = performance.now()
    let response: DeliveryResponse | undefined
    let connectionError: DeliveryAttempt['connection_error'] = null
    try {
      response = await transport.send({
        url: webhook.url,
        headers,
        body: delivery.payload,
        timeoutMs: options.timeoutMs,
      })
    } catch (caught) {
      connectionError = describeConnectionError(caught)
    }
    const status = response?.status ?? null
    const succeeded = status !== null && status >= 200 && status < 300
    let error: string | null = null
    if (connectionError)
      error = `${connectionError.code}: ${connectionError.message}`.replace(/: $/, '')
    else if (!succeeded) error = `HTTP ${status}`
    const record: DeliveryAttempt = {
      attempt: delivery.attempts.length + 1,
      attempted_at: isoMillis(nowMs),
      webhook_timestamp: timestamp,
      status_code: status,
      duration_ms: Math.round(performance.now() - started),
      error,
      succeeded,
      fault,
      // Written out, not `{ ...request, headers }`: a property after a spread is slow on Node 20.
      request: {
        method: request.method,
        url: request.url,
        headers: { ...request.headers },
        body: request.body,
      },
      response: response ? recordResponse(response) : null,
      connection_error: connectionError,
    }
    // The first attempt gets an array of its size: a push into the empty one grows a store of 17
    // slots, ~120 bytes that most deliveries (one attempt) keep for the sandbox's life.
    if (delivery.attempts.length === 0) delivery.attempts = [record]
    else delivery.attempts.push(record)
    return response ? { response, record } : { record }
  }

  /** Tells the attempt listeners, once the engine has decided what comes next (retry, park). */
  function notify(delivery: Delivery, records: readonly DeliveryAttempt[]): void {
    for (const record of records) for (const listener of [...listeners]) listener(delivery, record)
  }

  function retryAfterMs(response: DeliveryResponse | undefined): number | undefined {
    if (!response || (response.status !== 429 && response.status !== 503)) return undefined
    const raw = response.headers['retry-after']
    const value = Array.isArray(raw) ? raw[0] : raw
    if (!value) return undefined
    let ms: number
    if (/^\d+$/.test(value.trim())) ms = Number(value.trim()) * 1000
    else {
      const date = Date.parse(value)
      if (Number.isNaN(date)) return undefined
      ms = Math.max(0, date - clock.now())
    }
    return Math.min(ms, options.maxRetryAfterMs)
  }

  /** One attempt, once a slot is free (see `maxConcurrentAttempts`). */
  function attempt(delivery: Delivery): Promise<void> {
    return slots.run(() => attemptNow(delivery))
  }

  async function attemptNow(delivery: Delivery): Promise<void> {
    const run = runs.get(delivery.id)
    if (!run || delivery.status !== 'pending') return
    run.timer = undefined
    delivery.next_attempt_at = null
    const webhook = state.webhooks.get(delivery.webhook_id)
    if (!webhook) return finish(delivery, 'cancelled', 'webhook_deleted')
    if (webhook.status !== 'active') return finish(delivery, 'parked', 'webhook_inactive')
    const started = generation
    run.attemptInRun += 1
    run.inFlight = true
    const records: DeliveryAttempt[] = []
    let outcome: Awaited<ReturnType<typeof send>>
    try {
      outcome = await send(delivery, webhook, null)
      records.push(outcome.record)
      for (let copy = 0; copy < webhook.faults.duplicates; copy++)
        records.push((await send(delivery, webhook, 'duplicate')).record)
    } finally {
      run.inFlight = false
    }
    // A reset while on the wire: the delivery belongs to a state that no longer exists.
    if (started !== generation) return
    if (delivery.status === 'pending') decide(delivery, webhook, run, outcome)
    // Listeners see the delivery as decided: its next_attempt_at set, or parked, or succeeded.
    notify(delivery, records)
  }

  /** After an attempt: delivered, parked (410 or ladder exhausted), or the next retry scheduled. */
  function decide(
    delivery: Delivery,
    webhook: Webhook,
    run: Run,
    { response, record }: Awaited<ReturnType<typeof send>>,
  ): void {
    if (record.succeeded) return finish(delivery, 'delivered', null)
    if (response?.status === 410) {
      // 410 Gone is the receiver saying "this endpoint is retired": stop sending to it at all.
      webhook.status = 'inactive'
      webhook.disabled_reason = `The endpoint answered 410 Gone at ${record.attempted_at}.`
      return finish(delivery, 'parked', 'gone')
    }
    if (run.attemptInRun > options.retryScheduleMs.length)
      return finish(delivery, 'parked', 'exhausted')
    schedule(delivery, retryAfterMs(response) ?? options.retryScheduleMs[run.attemptInRun - 1]!)
  }

  function restart(delivery: Delivery): void {
    const webhook = state.webhooks.get(delivery.webhook_id)
    if (!webhook)
      throw new StateConflictError(
        `Webhook '${delivery.webhook_id}' was deleted; its deliveries cannot be replayed.`,
      )
    if (webhook.status !== 'active') {
      throw new StateConflictError(
        `Webhook '${webhook.id}' is inactive; reactivate it (PATCH status "active") before replaying.`,
      )
    }
    delivery.status = 'pending'
    delivery.failure_reason = null
    runs.set(delivery.id, { attemptInRun: 0, timer: undefined, inFlight: false })
    clock.track(attempt(delivery))
  }

  return {
    list(filter = {}) {
      return [...state.deliveries.values()]
        .filter(
          (d) =>
            (filter.webhookId === undefined || d.webhook_id === filter.webhookId) &&
            (filter.status === undefined || d.status === filter.status) &&
            (filter.phase === undefined || deliveryPhase(d) === filter.phase) &&
            (filter.event === undefined || matchesSubscription(filter.event, d.event)),
        )
        .reverse()
    },
    get: (id) => state.deliveries.get(id),
    replay(deliveryId) {
      const delivery = state.deliveries.get(deliveryId)
      if (!delivery) throw new NotFoundError('delivery', deliveryId)
      if (delivery.status === 'pending') {
        throw new StateConflictError(
          `Delivery '${deliveryId}' is still pending; it can be replayed once it was delivered or parked.`,
        )
      }
      restart(delivery)
      return delivery
    },
    replayFailed({ webhookId, sinceMs = 0 }) {
      const parked = [...state.deliveries.values()].filter(
        (d) =>
          d.status === 'parked' &&
          d.createdMs >= sinceMs &&
          (webhookId === undefined || d.webhook_id === webhookId),
      )
      for (const delivery of parked) restart(delivery)
      return parked
    },
    retryNow(deliveryId) {
      const delivery = state.deliveries.get(deliveryId)
      if (!delivery) throw new NotFoundError('delivery', deliveryId)
      const run = runs.get(deliveryId)
      if (delivery.status !== 'pending' || !run || run.timer === undefined || run.inFlight) {
        throw new StateConflictError(
          `Delivery '${deliveryId}' has no retry waiting (it is ${deliveryPhase(delivery)}${run?.inFlight ? ', an attempt is on the wire' : ''}); only a failing delivery can be retried now.`,
        )
      }
      clock.clearTimer(run.timer)
      run.timer = undefined
      clock.track(attempt(delivery))
      return delivery
    },
    deliverTo(event, webhookId) {
      const webhook = state.webhooks.get(webhookId)
      if (!webhook) throw new NotFoundError('webhook', webhookId)
      if (webhook.status !== 'active') {
        throw new StateConflictError(
          `Webhook '${webhookId}' is inactive; reactivate it (PATCH status "active") before sending to it.`,
        )
      }
      return start(event, webhook)
    },
    onAttempt(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    setTransport(next) {
      transport = next
    },
    get transport() {
      return transport
    },
    cancelForWebhook(webhookId, reason) {
      for (const delivery of state.deliveries.values()) {
        if (delivery.webhook_id === webhookId && delivery.status === 'pending')
          finish(delivery, 'cancelled', reason)
      }
    },
    liveSecrets,
    reset() {
      generation += 1
      for (const run of runs.values()) clock.clearTimer(run.timer)
      for (const buffer of reorderBuffers.values()) clock.clearTimer(buffer.timer)
      runs.clear()
      reorderBuffers.clear()
    },
    savedRuns() {
      return [...runs.entries()].map(([deliveryId, run]) => ({
        delivery_id: deliveryId,
        // An attempt cut off by a stop never recorded its answer: it runs again on resume.
        attempts_in_run: run.inFlight ? run.attemptInRun - 1 : run.attemptInRun,
        due_at_ms: run.timer?.at ?? null,
      }))
    },
    resume(saved) {
      const byId = new Map(saved.map((run) => [run.delivery_id, run]))
      for (const delivery of state.deliveries.values()) {
        if (delivery.status !== 'pending' || runs.has(delivery.id)) continue
        const run = byId.get(delivery.id)
        runs.set(delivery.id, {
          attemptInRun: run?.attempts_in_run ?? 0,
          timer: undefined,
          inFlight: false,
        })
        if (run?.due_at_ms != null) schedule(delivery, Math.max(0, run.due_at_ms - clock.now()))
        else clock.track(attempt(delivery))
      }
    },
  }
}

let lastMs = Number.NaN
let lastIso = ''

/** `new Date(ms).toISOString()`, formatted once for a run of attempts at the same sandbox ms. */
function isoMillis(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString()
    lastMs = ms
  }
  return lastIso
}

/** A transport's rejection as `{ code, message }`: Node's `ECONNREFUSED`, our timeout code, else the error's name. */
function describeConnectionError(caught: unknown): { code: string; message: string } {
  const err = caught as { code?: unknown; name?: unknown; message?: unknown }
  const code =
    typeof err?.code === 'string' && err.code
      ? err.code
      : typeof err?.name === 'string' && err.name
        ? err.name
        : 'Error'
  const message = typeof err?.message === 'string' ? err.message : String(caught)
  return { code, message }
}

/** Short texts of answers seen lately (header values, bodies): each kept once, not per attempt. */
const answerTexts = new Map<string, string>()
const maxInternedChars = 64
const maxInternedTexts = 1024

/**
 * One copy of a short text of an answer: 100 000 answers of `content-type: application/json` and
 * `{"received":true}` keep one string each, not one per attempt. The transports read header
 * values out of each answer's raw header block, so a value kept as received would also keep that
 * whole block alive. Bounded: cleared when full.
 */
function internAnswerText(text: string): string {
  if (text.length > maxInternedChars) return text
  const known = answerTexts.get(text)
  if (known !== undefined) return known
  if (answerTexts.size >= maxInternedTexts) answerTexts.clear()
  answerTexts.set(text, text)
  return text
}

/** The answer as an attempt keeps it: headers without empty values, the body cut to 64 KiB. */
function recordResponse(response: DeliveryResponse): AttemptResponse {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue
    headers[name.toLowerCase()] = typeof value === 'string' ? internAnswerText(value) : value
  }
  // A custom transport may hand back a whole body: the record keeps 64 KiB whatever it sends.
  const cut = cutBody(response.body, maxRecordedBodyBytes)
  return {
    status: response.status,
    headers,
    body: internAnswerText(cut.body),
    body_truncated: cut.truncated || response.bodyTruncated === true,
    body_bytes: response.bodyBytes ?? cut.bytes,
  }
}

/** Sandbox-control faults with every field set. */
export function resolveFaults(faults: Partial<WebhookFaults> = {}): WebhookFaults {
  return {
    duplicates: faults.duplicates ?? 0,
    reorder: faults.reorder ?? false,
    delayMs: faults.delayMs ?? 0,
  }
}

export { isoSeconds }
