/**
 * Options of the plugin: one defaults object, one `resolveOptions()` that checks every option
 * once at `register` (option-checks.ts) and returns a fully-required internal shape for the
 * request path. `pluginOptionNames` is the list the README's options table is checked against.
 */
import { InvalidOptionError } from './errors.js'
import type { BluumInbox } from './inbox.js'
import { createMemoryStore, DEFAULT_MAX_ENTRIES } from './memory-store.js'
import { createOptionChecker } from './option-checks.js'
import { DEFAULT_TOLERANCE_SECONDS } from './signature.js'
import type { DedupeStore } from './store.js'
import type { BluumTelemetryOptions, OpenTelemetryProviders } from './telemetry.js'
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

// Every key of BluumWebhooksOptions, once: the compiler refuses a key missing here or extra.
const optionKeys: Record<keyof BluumWebhooksOptions, true> = {
  secret: true,
  path: true,
  toleranceSeconds: true,
  verifier: true,
  store: true,
  maxEntries: true,
  dedupeTtlMs: true,
  leaseMs: true,
  ackTimeoutMs: true,
  bodyLimit: true,
  now: true,
  inbox: true,
  telemetry: true,
}

/** The plugin's option names, in the order the README's table lists them. */
export const pluginOptionNames = Object.freeze(
  Object.keys(optionKeys) as (keyof BluumWebhooksOptions)[],
)

/**
 * Keys of Fastify's `register` options that a plugin wrapped in fastify-plugin never sees
 * applied: said as such rather than "unknown".
 */
const fastifyRegisterKeys = {
  prefix:
    'Fastify applies no prefix to a plugin wrapped in fastify-plugin; give the full route as `path`',
  logLevel:
    'Fastify applies no logLevel to a plugin wrapped in fastify-plugin; set it on the app or a parent context',
  logSerializers:
    'Fastify applies no logSerializers to a plugin wrapped in fastify-plugin; set them on the app or a parent context',
}

/** The checked options the request path uses. */
export interface ResolvedOptions {
  readonly path: string
  readonly verifier: BluumVerifier
  readonly store: DedupeStore
  readonly dedupeTtlMs: number
  readonly leaseMs: number
  readonly ackTimeoutMs: number
  readonly bodyLimit: number
  readonly now: () => number
  readonly inbox: BluumInbox | undefined
  /** The OpenTelemetry providers when `telemetry.openTelemetry` is on, else undefined. */
  readonly openTelemetry: OpenTelemetryProviders | undefined
}

const check = createOptionChecker(InvalidOptionError, 'fastify-bluum-webhooks')

/** The options that are positive integers, with the unit their refusal names. */
const integerUnits = {
  toleranceSeconds: 'seconds',
  maxEntries: 'completed keys',
  dedupeTtlMs: 'milliseconds',
  leaseMs: 'milliseconds',
  ackTimeoutMs: 'milliseconds',
  bodyLimit: 'bytes',
} as const satisfies Partial<Record<keyof typeof defaultOptions, string>>

const STORE_METHODS = ['claim', 'complete', 'release'] as const
const INBOX_METHODS = ['attach', 'start', 'accept', 'close'] as const

/** Checks options once, at `register`; every defect is a coded error. */
export function resolveOptions(options: BluumWebhooksOptions = {}): ResolvedOptions {
  const given = check.knownKeys('options', options, pluginOptionNames, fastifyRegisterKeys)
  const path = check.string('path', given.path, defaultOptions.path, {
    test: /^\//,
    expected: 'a route starting with "/"',
  })
  const integer = (name: keyof typeof integerUnits) =>
    check.positiveInteger(name, given[name], defaultOptions[name], integerUnits[name])
  const toleranceSeconds = integer('toleranceSeconds')
  const maxEntries = integer('maxEntries')
  const dedupeTtlMs = integer('dedupeTtlMs')
  const leaseMs = integer('leaseMs')
  const ackTimeoutMs = integer('ackTimeoutMs')
  const bodyLimit = integer('bodyLimit')
  if (ackTimeoutMs >= leaseMs) {
    // Otherwise a retry could take the lease over while the first delivery still runs.
    check.fail('ackTimeoutMs', `a value shorter than leaseMs (${leaseMs})`, ackTimeoutMs)
  }
  const now = check.fn('now', given.now, Date.now)

  const secret = given.secret
  if (
    secret !== undefined &&
    typeof secret !== 'string' &&
    !(Array.isArray(secret) && secret.length > 0 && secret.every((s) => typeof s === 'string'))
  ) {
    // Described, never quoted: it is a secret.
    check.fail('secret', 'a "whsec_..." string, or a non-empty list of them', secret, true)
  }
  let verifier: BluumVerifier
  if (given.verifier !== undefined) {
    verifier = check.methods<BluumVerifier>('verifier', given.verifier, ['verify'])
  } else if (secret === undefined) {
    throw new InvalidOptionError(
      'secret',
      'required: pass the webhook secret (whsec_...) returned when the webhook was created, or a custom verifier',
    )
  } else {
    verifier = createStandardWebhooksVerifier({
      secret: secret as string | readonly string[],
      toleranceSeconds,
    })
  }

  if (given.store !== undefined && given.maxEntries !== undefined) {
    throw new InvalidOptionError(
      'maxEntries',
      'bounds the default memory store only, and a `store` was given: bound that store itself, e.g. createMemoryStore({ maxEntries })',
    )
  }
  // renew() is optional (a store without it lets long handlers lose their claim), but a store
  // that has something else under that name would fail on the first long handler, not here.
  const store =
    given.store === undefined
      ? createMemoryStore({ maxEntries, now })
      : check.methods<DedupeStore>('store', given.store, STORE_METHODS, ['renew', 'close'])

  let inbox: BluumInbox | undefined
  if (given.inbox !== undefined) {
    inbox = check.methods<BluumInbox>('inbox', given.inbox, INBOX_METHODS)
    if (inbox.mode !== 'transactional' && inbox.mode !== 'queue') {
      check.fail('inbox.mode', '"transactional" or "queue"', inbox.mode)
    }
    if (given.store !== undefined) {
      throw new InvalidOptionError(
        'store',
        'pass either `store` or `inbox`: the inbox dedupes deliveries in its own tables',
      )
    }
  }
  return {
    inbox,
    openTelemetry: resolveTelemetry(given.telemetry),
    path,
    verifier,
    store,
    dedupeTtlMs,
    leaseMs,
    ackTimeoutMs,
    bodyLimit,
    now,
  }
}

/** The `telemetry` option: the providers to use when OpenTelemetry is on, else undefined. */
function resolveTelemetry(value: unknown): OpenTelemetryProviders | undefined {
  const telemetry = check.knownKeys('telemetry', value, ['openTelemetry'])
  const otel = telemetry.openTelemetry
  if (otel === undefined || otel === false) return undefined
  if (otel === true) return {}
  const expected = 'true, false or { tracerProvider?, meterProvider? }'
  if (otel === null || typeof otel !== 'object')
    check.fail('telemetry.openTelemetry', expected, otel)
  const providers = check.knownKeys('telemetry.openTelemetry', otel, [
    'tracerProvider',
    'meterProvider',
  ])
  if (providers.tracerProvider !== undefined) {
    check.methods('telemetry.openTelemetry.tracerProvider', providers.tracerProvider, ['getTracer'])
  }
  if (providers.meterProvider !== undefined) {
    check.methods('telemetry.openTelemetry.meterProvider', providers.meterProvider, ['getMeter'])
  }
  return otel as OpenTelemetryProviders
}
