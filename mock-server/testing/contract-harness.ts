/**
 * A contract-testing harness: the app under test and a sandbox, wired the way production wires
 * them. The app's `fetch` calls to Bluum land in the sandbox (msw), the sandbox registers the
 * app's webhook URL and delivers signed events into the app (inject, or real HTTP), and a
 * virtual clock runs Bluum's retry ladder in milliseconds.
 */
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { importOptionalPeer } from '../../plugin/optional-peer.js'
import type { BluumEventPattern } from '../../plugin/event-pattern.js'
import type { PostgresInbox } from '../../plugin/postgres/inbox.js'
import type { InboxTask } from '../../plugin/postgres/operations.js'
import { parseDuration, type Duration } from '../core/duration.js'
import {
  HarnessInjectedFailureError,
  HarnessInvalidOptionError,
  HarnessNotAcknowledgedError,
  HarnessNotProcessedError,
  HarnessUnsettledError,
} from '../core/errors.js'
import {
  BLUUM_SANDBOX_BASE_URL,
  createSandbox,
  type Sandbox,
  type SandboxOptions,
} from '../sandbox.js'
import type { Delivery, DeliveryAttempt, Transfer, Webhook, WebhookFaults } from '../core/state.js'
import { receiverError } from '../delivery/receiver-error.js'
import { createInjectTransport } from '../delivery/transport-inject.js'
import { createHttpTransport } from '../delivery/transport-http.js'

/** What the harness hands to the app factory. */
export interface ContractEnvironment {
  /** The `whsec_` secret of the webhook the harness registered: pass it to the plugin. */
  webhookSecret: string
  /** Bluum's API base URL as the app should call it (intercepted in-process). */
  bluumBaseUrl: string
  /** Tenant-wide sandbox credentials (HTTP Basic). */
  apiKey: string
  apiSecret: string
}

export interface ContractHarnessOptions {
  /** Builds the app under test from the harness's environment. */
  app: (env: ContractEnvironment) => FastifyInstance | Promise<FastifyInstance>
  /** The app's webhook route. Default `/webhooks/bluum`. */
  path?: string
  /** What the webhook subscribes to. Default `['*']` (everything). */
  eventTypeNames?: string[]
  /** `'inject'` delivers in-process with no port; `'http'` listens on 127.0.0.1. Default `'inject'`. */
  transport?: 'inject' | 'http'
  /** Faults injected into every delivery: `duplicates`, `reorder`, `delayMs`. Default none. */
  faults?: Partial<WebhookFaults>
  /** Added to `webhook-timestamp`, ms, to test the app's tolerance. Default 0. */
  clockSkewMs?: number
  /** Base URL the msw handlers answer. Default `https://sandbox.api.bluumfinance.com/v1`. */
  baseUrl?: string
  /** Start an msw server with the sandbox's handlers. Default true (one harness per process at a time). */
  msw?: boolean
  /** Further sandbox options (credentials, prices, retry schedule...). The clock is always virtual. */
  sandbox?: Omit<SandboxOptions, 'clock' | 'transport' | 'signingClock'>
}

/**
 * Types other entry points fill in. `fastify-bluum-webhooks/sandbox/msw` (the one entry point that
 * needs msw) adds `handler: HttpHandler`, so this module's declarations never import msw and
 * `fastify-bluum-webhooks/testing` type-checks in a project without it.
 */
export interface ContractHarnessTypes {}

/**
 * The harness's msw handlers: msw's `HttpHandler[]` once the program imports
 * `fastify-bluum-webhooks/sandbox/msw`, `unknown[]` without it.
 */
export type HarnessHandlers = ContractHarnessTypes extends { handler: infer H } ? H[] : unknown[]

/** One attempt, with the event it carried. */
export type HarnessAttempt = DeliveryAttempt & { event: string; eventId: string }

export interface ContractHarness {
  readonly sandbox: Sandbox
  readonly app: FastifyInstance
  readonly env: ContractEnvironment
  /** The webhook registered for the app. */
  readonly webhook: Webhook
  /**
   * The msw handlers, to mount in your own msw server when `msw: false` (typed as msw's
   * `HttpHandler[]` where `fastify-bluum-webhooks/sandbox/msw` is imported, `unknown[]` elsewhere).
   */
  readonly handlers: HarnessHandlers
  /** Calls the sandbox API with the tenant credentials; resolves `{ status, body }`. */
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>
  /**
   * Gives an investor cash, as in Bluum an investor starts with none: a wire deposit of `amount`
   * (default `'10000.00'`), settled at once (`transfer.deposit.initiated`, then `completed`).
   * Resolves the deposit.
   */
  fund(investorId: string, amount?: string): Promise<Transfer>
  /** Replaces the webhook's faults (duplicates, reorder, delayMs). */
  setFaults(faults: Partial<WebhookFaults>): void
  /** Makes deliveries matching `pattern` fail in the app `times` times (a throwing handler). */
  failHandler(pattern: BluumEventPattern | readonly BluumEventPattern[], times: number): void
  /** Sets the skew added to `webhook-timestamp`, ms. */
  skewClock(ms: number): void
  /** Deliveries to the app, oldest first, optionally of one event name. */
  deliveries(event?: string): Delivery[]
  /** Every attempt, oldest first, optionally of one event name. */
  attempts(event?: string): HarnessAttempt[]
  /**
   * Runs the sandbox clock until `count` distinct events named `event` were acknowledged (2xx),
   * retrying on Bluum's ladder as needed; rejects when nothing is left to retry.
   */
  waitForAcknowledged(
    event: string,
    options?: { count?: number; within?: Duration },
  ): Promise<Delivery[]>
  /**
   * With a Postgres inbox in queue mode, an acknowledgement only means "queued": this waits for
   * {@link waitForAcknowledged}, then (in real time, the workers' clock) until every task of
   * those deliveries is done. Resolves the deliveries; rejects with `BLUUM_HARNESS_NOT_PROCESSED`
   * when a task is dead or `timeoutMs` passes with tasks still pending. In transactional mode an
   * acknowledged event is already processed, so it resolves at once.
   * @example
   * const inbox = createPostgresInbox({ pglite, mode: 'queue' }) // the one the app registered
   * harness.sandbox.trigger('transfer.deposit.completed')
   * await harness.waitForProcessed('transfer.deposit.completed', { inbox })
   */
  waitForProcessed(
    event: string,
    options: {
      /** The inbox the app registered (anything with its `list()`). Required. */
      inbox: Pick<PostgresInbox, 'list'>
      /** Distinct events to wait for. Default 1. */
      count?: number
      /** Sandbox time allowed for the acknowledgements (the retry ladder). Default `'48h'`. */
      within?: Duration
      /** Real time allowed for the tasks after the acknowledgements, in ms. Default 30 000. */
      timeoutMs?: number
    },
  ): Promise<Delivery[]>
  /** Runs the clock until no retry, settlement or other timer is left (the whole ladder). */
  runLadder(options?: { within?: Duration }): Promise<void>
  /** Deliveries not acknowledged: pending, parked or cancelled. */
  unsettled(): Delivery[]
  /** Throws `BLUUM_HARNESS_UNSETTLED` if any delivery is unacknowledged or parked. */
  expectSettled(): void
  close(): Promise<void>
}

const DEFAULT_WITHIN = '48h'

function describeAttempts(deliveries: Delivery[]): string {
  const lines = deliveries.flatMap((d) =>
    d.attempts.map((a) => {
      const answered = a.succeeded ? undefined : receiverError(a.response?.body)
      const why = answered
        ? ` ${answered.code}${answered.message ? ` (${answered.message})` : ''}`
        : ''
      return `${d.event} #${a.attempt} → ${a.status_code ?? a.error}${why}`
    }),
  )
  return lines.length ? lines.join('; ') : 'none'
}

/** Tasks per `list()` page while waiting for tasks. */
const TASK_PAGE = 1000

/**
 * Every task of `event` not done yet, read page after page: a window of the newest tasks would
 * miss an older one behind them and call the event processed. The pages go by task id, not by
 * state, so a task that changes state while they are read (taken, given back for a retry) is
 * still read exactly once.
 */
async function unfinishedTasks(
  inbox: Pick<PostgresInbox, 'list'>,
  event: string,
): Promise<InboxTask[]> {
  const unfinished: InboxTask[] = []
  let page = await inbox.list({ event, limit: TASK_PAGE })
  for (;;) {
    for (const task of page) if (task.state !== 'done') unfinished.push(task)
    if (page.length < TASK_PAGE) return unfinished
    page = await inbox.list({ event, limit: TASK_PAGE, after: page.at(-1)!.id })
  }
}

/**
 * Starts a sandbox, builds the app, registers its webhook and wires both ways.
 * @example
 * const harness = await createContractHarness({ app: (env) => buildApp(env) })
 * t.teardown(() => harness.close())
 */
export async function createContractHarness(
  options: ContractHarnessOptions,
): Promise<ContractHarness> {
  if (typeof options.app !== 'function') {
    throw new HarnessInvalidOptionError('app', 'expected a function (env) => FastifyInstance')
  }
  const path = options.path ?? '/webhooks/bluum'
  if (!path.startsWith('/')) throw new HarnessInvalidOptionError('path', 'must start with "/"')
  const transportKind = options.transport ?? 'inject'
  if (transportKind !== 'inject' && transportKind !== 'http') {
    throw new HarnessInvalidOptionError('transport', 'expected "inject" or "http"')
  }
  let skewMs = options.clockSkewMs ?? 0
  // msw is an optional peer of the package, but the harness always needs it (the handlers are
  // built even with `msw: false`): checked before anything is created.
  const { setupServer } = await importOptionalPeer(() => import('msw/node'), {
    name: 'msw',
    feature: 'createContractHarness (fastify-bluum-webhooks/testing)',
    install: 'npm install --save-dev msw',
  })
  const { createBluumHandlers } = await import('../msw-handlers.js')
  const baseUrl = (options.baseUrl ?? BLUUM_SANDBOX_BASE_URL).replace(/\/$/, '')

  // Deliveries are signed with wall time (the sandbox's default), plus any skew the test asks for,
  // while retries wait on the virtual clock: the app keeps its real tolerance check.
  const sandbox = createSandbox({
    ...options.sandbox,
    clock: 'virtual',
    signingClock: () => Date.now() + skewMs,
    ...(transportKind === 'http' ? { transport: createHttpTransport() } : {}),
  })
  const handlers = createBluumHandlers(sandbox, { baseUrl })
  const server = options.msw === false ? undefined : setupServer(...handlers)
  // msw 3 renamed `onUnhandledRequest` to `onUnhandledFrame`; each major reads its own name.
  const unhandled = { onUnhandledRequest: 'bypass', onUnhandledFrame: 'bypass' } as const
  server?.listen(unhandled)

  // The webhook exists before the app, so the app is built with its secret, as in production.
  const webhook = sandbox.webhooks.create({
    name: 'contract-test',
    url: `http://127.0.0.1${path}`,
    eventTypeNames: options.eventTypeNames ?? ['*'],
  })
  const env: ContractEnvironment = {
    webhookSecret: webhook.secret,
    bluumBaseUrl: baseUrl,
    apiKey: sandbox.options.apiKey,
    apiSecret: sandbox.options.apiSecret,
  }
  let app: FastifyInstance
  try {
    app = await options.app(env)
    await app.ready()
    if (transportKind === 'http') {
      await app.listen({ host: '127.0.0.1', port: 0 })
      const { port } = app.server.address() as AddressInfo
      sandbox.webhooks.update(webhook.id, { url: `http://127.0.0.1:${port}${path}` })
    } else {
      sandbox.deliveries.setTransport(createInjectTransport(app))
    }
  } catch (err) {
    server?.close()
    await sandbox.close()
    throw err
  }
  if (options.faults) sandbox.webhooks.setFaults(webhook.id, options.faults)

  const authorization = 'Basic ' + Buffer.from(`${env.apiKey}:${env.apiSecret}`).toString('base64')

  function deliveries(event?: string): Delivery[] {
    return sandbox.deliveries
      .list({ webhookId: webhook.id })
      .filter((d) => event === undefined || d.event === event)
      .sort((a, b) => a.createdMs - b.createdMs)
  }

  const harness: ContractHarness = {
    sandbox,
    app,
    env,
    webhook,
    handlers,
    async fund(investorId, amount = '10000.00') {
      const deposit = sandbox.transfers.deposit(investorId, {
        amount,
        method: 'wire',
        description: 'Funded by the contract harness',
      })
      return sandbox.transfers.complete(deposit.id)
    },
    async api(method, apiPath, body) {
      const response = await fetch(`${baseUrl}${apiPath}`, {
        method,
        headers: {
          authorization,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(['POST', 'PATCH'].includes(method) ? { 'idempotency-key': crypto.randomUUID() } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await response.text()
      await sandbox.idle()
      return { status: response.status, body: text ? JSON.parse(text) : undefined }
    },
    setFaults(faults) {
      sandbox.webhooks.setFaults(webhook.id, {
        duplicates: 0,
        reorder: false,
        delayMs: 0,
        ...faults,
      })
    },
    failHandler(pattern, times) {
      if (!Number.isSafeInteger(times) || times < 1) {
        throw new HarnessInvalidOptionError('times', 'expected a positive integer')
      }
      let failed = 0
      const label = Array.isArray(pattern) ? pattern.join(', ') : String(pattern)
      app.bluum.on(pattern as BluumEventPattern, () => {
        if (failed < times) throw new HarnessInjectedFailureError(label, ++failed, times)
      })
    },
    skewClock(ms) {
      skewMs = ms
    },
    deliveries,
    attempts(event) {
      return deliveries(event).flatMap((d) =>
        d.attempts.map((a) => ({ ...a, event: d.event, eventId: d.event_id })),
      )
    },
    async waitForAcknowledged(event, waitOptions = {}) {
      const count = waitOptions.count ?? 1
      const limit = sandbox.clock.now() + parseDuration(waitOptions.within ?? DEFAULT_WITHIN)
      for (;;) {
        await sandbox.idle()
        const acked = deliveries(event).filter((d) => d.status === 'delivered')
        if (acked.length >= count) return acked
        if (!(await sandbox.clock.runNext(limit))) {
          throw new HarnessNotAcknowledgedError(
            count === 1 ? event : `${count} × ${event}`,
            describeAttempts(deliveries(event)),
          )
        }
      }
    },
    async waitForProcessed(event, processOptions) {
      const { inbox, timeoutMs = 30_000 } = processOptions ?? {}
      if (typeof inbox?.list !== 'function') {
        throw new HarnessInvalidOptionError('inbox', 'expected the inbox the app registered')
      }
      if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
        throw new HarnessInvalidOptionError('timeoutMs', 'expected an integer of ms >= 1')
      }
      const acked = await harness.waitForAcknowledged(event, {
        ...(processOptions.count === undefined ? {} : { count: processOptions.count }),
        ...(processOptions.within === undefined ? {} : { within: processOptions.within }),
      })
      // The inbox dedupes on webhook-id, which the sandbox sets to the event id.
      const ids = new Set(acked.map((d) => d.event_id))
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const open = (await unfinishedTasks(inbox, event)).filter((task) =>
          ids.has(task.deliveryId),
        )
        const dead = open.filter((task) => task.state === 'dead')
        if (dead.length > 0) {
          const detail = dead.map(
            (task) => `task ${task.id} (${task.handlerId}) dead: ${task.lastError}`,
          )
          throw new HarnessNotProcessedError(event, detail.join('; '))
        }
        if (open.length === 0) return acked
        if (Date.now() >= deadline) {
          const detail = open.map(
            (task) =>
              `task ${task.id} (${task.handlerId}) ${task.state} after ${task.attempts} attempt(s)`,
          )
          throw new HarnessNotProcessedError(event, `${detail.join('; ')} after ${timeoutMs} ms`)
        }
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    },
    async runLadder(ladderOptions = {}) {
      await sandbox.clock.runAll({ within: ladderOptions.within ?? DEFAULT_WITHIN })
    },
    unsettled() {
      return deliveries().filter((d) => d.status !== 'delivered')
    },
    expectSettled() {
      const open = harness.unsettled()
      if (open.length > 0) {
        const detail = open.map((d) => `${d.event} (${d.event_id}): ${d.status}`).join('; ')
        throw new HarnessUnsettledError(open.length, detail)
      }
    },
    async close() {
      server?.close()
      await app.close()
      await sandbox.close()
    },
  }
  return harness
}
