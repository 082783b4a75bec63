/**
 * Options of the plugin: one defaults object, one `resolveOptions()` that checks everything
 * once at `register` and returns a fully-required internal shape for the request path.
 */
import { InvalidOptionError } from './errors.js'
import { createMemoryStore, DEFAULT_MAX_ENTRIES } from './memory-store.js'
import { DEFAULT_TOLERANCE_SECONDS } from './signature.js'
import type { BluumInbox } from './inbox.js'
import type { DedupeStore } from './store.js'
import {
  resolveTelemetryOptions,
  type BluumTelemetryOptions,
  type ResolvedTelemetryOptions,
} from './telemetry.js'
import { createStandardWebhooksVerifier, type BluumVerifier } from './verifier.js'

/** Options of `fastify.register(bluumWebhooks, options)`. */
export interface BluumWebhooksOptions {
  /** The webhook's `whsec_` secret, or a list during a rotation. Required unless `verifier` is set. */
  secret?: string | readonly string[]
  /** Route of the webhook endpoint. Default `/webhooks/bluum`. */
  path?: string
  /** Accepted clock difference with the sender, both directions, in seconds. Default 300. */
  toleranceSeconds?: number
  /** Replaces the default Standard Webhooks verification. Default: built from `secret`. */
  verifier?: BluumVerifier
  /** Where deliveries are claimed and recorded. Default: an in-memory store of `maxEntries`. */
  store?: DedupeStore
  /** Bound of the default memory store, in completed keys. Default 100 000. */
  maxEntries?: number
  /** How long a processed event is remembered, in ms. Default 24 h (Bluum retries for ~10.6 h). */
  dedupeTtlMs?: number
  /** How long a claim blocks other deliveries of the same event, in ms; renewed while handlers run. Default 120 000. */
  leaseMs?: number
  /** Answer 503 if handlers are still running after this many ms. Default 10 000 (Bluum waits 30 s). */
  ackTimeoutMs?: number
  /** Largest accepted payload, in bytes. Default 1 048 576. */
  bodyLimit?: number
  /** Clock in unix milliseconds, for tests. Default `Date.now`. */
  now?: () => number
  /**
   * A durable inbox (`createPostgresInbox` from `fastify-bluum-webhooks/postgres`) that replaces
   * `store`: deliveries are deduped, and handlers run or queued, in the database. Default none.
   */
  inbox?: BluumInbox
  /**
   * Delivery telemetry beyond the diagnostics channels (which are always published to their
   * subscribers): `{ openTelemetry: true }` for spans and metrics. Default none.
   */
  telemetry?: BluumTelemetryOptions
}

/** The defaults, frozen. */
export const defaultOptions = Object.freeze({
  path: '/webhooks/bluum',
  toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
  maxEntries: DEFAULT_MAX_ENTRIES,
  dedupeTtlMs: 24 * 60 * 60 * 1000,
  leaseMs: 120_000,
  ackTimeoutMs: 10_000,
  bodyLimit: 1024 * 1024,
})

/** The checked options the request path uses. */
export interface ResolvedOptions {
  readonly path: string
  readonly verifier: BluumVerifier
  readonly store: DedupeStore
  /** True when the plugin created the store, so `onClose` closes it. */
  readonly ownsStore: boolean
  readonly dedupeTtlMs: number
  readonly leaseMs: number
  readonly ackTimeoutMs: number
  readonly bodyLimit: number
  readonly now: () => number
  readonly inbox: BluumInbox | undefined
  readonly telemetry: ResolvedTelemetryOptions
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionError(name, `expected a positive integer, received ${String(value)}`)
  }
  return value
}

/** Checks options once, at `register`; every defect is a coded error. */
export function resolveOptions(options: BluumWebhooksOptions = {}): ResolvedOptions {
  const path = options.path ?? defaultOptions.path
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new InvalidOptionError(
      'path',
      `expected a route starting with "/", received ${String(path)}`,
    )
  }
  const toleranceSeconds = positiveInteger(
    'toleranceSeconds',
    options.toleranceSeconds,
    defaultOptions.toleranceSeconds,
  )
  const maxEntries = positiveInteger('maxEntries', options.maxEntries, defaultOptions.maxEntries)
  const dedupeTtlMs = positiveInteger(
    'dedupeTtlMs',
    options.dedupeTtlMs,
    defaultOptions.dedupeTtlMs,
  )
  const leaseMs = positiveInteger('leaseMs', options.leaseMs, defaultOptions.leaseMs)
  const ackTimeoutMs = positiveInteger(
    'ackTimeoutMs',
    options.ackTimeoutMs,
    defaultOptions.ackTimeoutMs,
  )
  const bodyLimit = positiveInteger('bodyLimit', options.bodyLimit, defaultOptions.bodyLimit)
  if (ackTimeoutMs >= leaseMs) {
    // Otherwise a retry could take the lease over while the first delivery still runs.
    throw new InvalidOptionError(
      'ackTimeoutMs',
      `must be shorter than leaseMs (${leaseMs}), received ${ackTimeoutMs}`,
    )
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new InvalidOptionError('now', 'expected a function returning unix milliseconds')
  }
  const now = options.now ?? Date.now

  let verifier = options.verifier
  if (verifier !== undefined) {
    if (typeof verifier?.verify !== 'function') {
      throw new InvalidOptionError('verifier', 'expected an object with a verify(input) method')
    }
  } else {
    if (options.secret === undefined) {
      throw new InvalidOptionError(
        'secret',
        'required: pass the webhook secret (whsec_...) returned when the webhook was created, or a custom verifier',
      )
    }
    verifier = createStandardWebhooksVerifier({ secret: options.secret, toleranceSeconds })
  }

  const store = options.store ?? createMemoryStore({ maxEntries, now })
  for (const method of ['claim', 'complete', 'release'] as const) {
    if (typeof store[method] !== 'function') {
      throw new InvalidOptionError('store', `expected a dedupe store with a ${method}() method`)
    }
  }
  // renew() is optional (a store without it lets long handlers lose their claim), but a store
  // that has something else under that name would fail on the first long handler, not here.
  if (store.renew !== undefined && typeof store.renew !== 'function') {
    throw new InvalidOptionError('store', 'expected renew, when present, to be a method')
  }
  const inbox = options.inbox
  if (inbox !== undefined) {
    for (const method of ['attach', 'start', 'accept', 'close'] as const) {
      if (typeof inbox?.[method] !== 'function') {
        throw new InvalidOptionError('inbox', `expected an inbox with an ${method}() method`)
      }
    }
    if (options.store !== undefined) {
      throw new InvalidOptionError(
        'store',
        'pass either `store` or `inbox`: the inbox dedupes deliveries in its own tables',
      )
    }
  }
  return {
    inbox,
    telemetry: resolveTelemetryOptions(options.telemetry),
    path,
    verifier,
    store,
    ownsStore: options.store === undefined,
    dedupeTtlMs,
    leaseMs,
    ackTimeoutMs,
    bodyLimit,
    now,
  }
}
