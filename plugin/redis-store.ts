/**
 * A Redis dedupe store, so exactly-once holds across every instance that receives deliveries.
 *
 * One key per event: `<keyPrefix><dedupe key>` holds `c:<token>` while a delivery owns it (with
 * the lease as Redis expiry) and `d` once it was processed (with the dedupe TTL). Every operation
 * is one Lua script, hence one round trip and atomic: the claim cannot race, and renew, complete
 * and release compare the owner token first (fencing), so a delivery whose lease expired and was
 * taken over can never overwrite the new owner. Expiry runs on the Redis clock, so the instances'
 * clocks do not need to agree.
 *
 * Failures reject fast instead of queueing: the plugin answers 503 and Bluum retries, which is
 * safer than holding a delivery while Redis is away.
 */
import { randomUUID } from 'node:crypto'
import { createDeadlines } from './deadlines.js'
import { Redis } from './ioredis-peer.js'
import { createOptionChecker } from './option-checks.js'
import {
  RedisInvalidArgumentError,
  RedisInvalidOptionError,
  RedisReplyError,
  RedisUnavailableError,
  RedisUnexpectedValueError,
} from './redis-errors.js'
import type { ClaimResult, DedupeStore } from './store.js'

/** Options of {@link createRedisStore}: exactly one of `client` and `url`. */
export interface RedisStoreOptions {
  /** An ioredis client to use; the store never closes it. No default (see the recommended settings in docs/redis.md). */
  client?: Redis
  /** A `redis://` or `rediss://` URL; the store creates a fail-fast client and closes it on `close()`. No default. */
  url?: string
  /** Prepended to every dedupe key. Default `'bluum:webhook:'`. */
  keyPrefix?: string
  /** How long one store call may wait for Redis before it rejects, in ms. Default 1000. */
  commandTimeoutMs?: number
}

/** A {@link DedupeStore} backed by Redis. */
export interface RedisDedupeStore extends DedupeStore {
  // Every answer crosses the network: always a promise.
  claim(key: string, leaseMs: number): Promise<ClaimResult>
  complete(key: string, token: string, ttlMs: number): Promise<boolean>
  renew(key: string, token: string, leaseMs: number): Promise<boolean>
  release(key: string, token: string): Promise<boolean>
  /** The ioredis client in use: the one passed in, or the one the store created from `url`. */
  readonly client: Redis
  /** Closes the client the store created from `url`; leaves a passed-in client alone. */
  close(): Promise<void>
}

/** The defaults, frozen. */
export const redisStoreDefaults = Object.freeze({
  keyPrefix: 'bluum:webhook:',
  commandTimeoutMs: 1000,
})

/** What a command still unanswered at `commandTimeoutMs` resolves with. */
const NO_REPLY = Symbol('no reply in time')

// Values stored under a dedupe key. Short on purpose: they are kept for the whole dedupe TTL.
const DONE = 'd'
const CLAIM_PREFIX = 'c:'

// KEYS[1] dedupe key, ARGV[1] 'c:<token>', ARGV[2] lease in ms.
// Returns 1 when claimed, else the value that holds the key, so one round trip tells all three
// outcomes. (`SET NX GET` would do it without Lua, but only from Redis 7.0.)
const CLAIM_LUA = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return redis.call('GET', KEYS[1])
`

// KEYS[1] dedupe key, ARGV[1] 'c:<token>', ARGV[2] dedupe TTL in ms. Returns 1 if marked done.
// A missing key (the lease lapsed and nobody took over, or a restart without persistence lost
// the claim) is completed too: no other delivery holds or finished the event, and refusing would
// only make the next retry run the handlers again.
const COMPLETE_LUA = `
local value = redis.call('GET', KEYS[1])
if value == ARGV[1] or value == false then
  redis.call('SET', KEYS[1], '${DONE}', 'PX', ARGV[2])
  return 1
end
return 0
`

// KEYS[1] dedupe key, ARGV[1] 'c:<token>', ARGV[2] lease in ms. Returns 1 if the claim is the
// caller's for another lease; a missing key is taken back, as in complete.
const RENEW_LUA = `
local value = redis.call('GET', KEYS[1])
if value == ARGV[1] or value == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`

// KEYS[1] dedupe key, ARGV[1] 'c:<token>'. Returns 1 if the caller's own claim was dropped.
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`

// Namespaced so they cannot clash with commands the application defines on its own client.
const CLAIM_COMMAND = 'bluumWebhookClaim'
const COMPLETE_COMMAND = 'bluumWebhookComplete'
const RELEASE_COMMAND = 'bluumWebhookRelease'
const RENEW_COMMAND = 'bluumWebhookRenew'

interface ScriptedClient {
  [CLAIM_COMMAND](key: string, value: string, leaseMs: number): Promise<number | string | null>
  [COMPLETE_COMMAND](key: string, value: string, ttlMs: number): Promise<number>
  [RELEASE_COMMAND](key: string, value: string): Promise<number>
  [RENEW_COMMAND](key: string, value: string, leaseMs: number): Promise<number>
}

/**
 * Settings of the client the store creates from `url`: every failure rejects within
 * `commandTimeoutMs` instead of waiting in ioredis' queues, and the client reconnects by itself.
 */
function createdClientOptions(commandTimeoutMs: number) {
  return {
    // Never queue while disconnected: a queued claim could run minutes later, after its
    // delivery was already answered 503, and block the retry until the lease ends.
    enableOfflineQueue: false,
    // Commands in flight when the connection drops reject at once rather than being retried.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(2000, commandTimeoutMs),
    // 50, 100, 200, 400, 800 ms, then every second: back within a second of Redis returning.
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** (attempt - 1), 1000),
  }
}

const check = createOptionChecker(RedisInvalidOptionError, 'createRedisStore')

/** Every option of {@link createRedisStore} (docs/redis.md's table is checked against it). */
export const redisStoreOptionNames = Object.freeze([
  'client',
  'url',
  'keyPrefix',
  'commandTimeoutMs',
] as const satisfies readonly (keyof RedisStoreOptions)[])

function checkOptions(options: RedisStoreOptions) {
  const given = check.knownKeys('options', options, redisStoreOptionNames)
  const { client, url } = given
  if ((client === undefined) === (url === undefined)) {
    // `{ url: process.env.REDIS_URL }` with the variable unset: say so, not just "pass one".
    const unset = client === undefined && Object.hasOwn(options, 'url')
    throw new RedisInvalidOptionError(
      client === undefined ? 'url' : 'client',
      unset
        ? 'received undefined: is the environment variable it is read from (REDIS_URL?) set where the app runs? Expected a redis:// or rediss:// URL, or `client` (an ioredis instance)'
        : 'pass exactly one of `client` (an ioredis instance the store never closes) and `url` (the store creates and closes its client)',
    )
  }
  if (client !== undefined) check.methods<Redis>('client', client, ['defineCommand'])
  // Never echo the URL: it may carry a password.
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
    check.fail('url', 'a string starting with redis:// or rediss://', url, true)
  }
  const keyPrefix = check.string('keyPrefix', given.keyPrefix, redisStoreDefaults.keyPrefix)
  const commandTimeoutMs = check.positiveInteger(
    'commandTimeoutMs',
    given.commandTimeoutMs,
    redisStoreDefaults.commandTimeoutMs,
    'milliseconds',
  )
  return {
    client: client as Redis | undefined,
    url: url as string | undefined,
    keyPrefix,
    commandTimeoutMs,
  }
}

/** Redis wants an integer PX above zero; round a fractional duration up rather than refuse it. */
function durationMs(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RedisInvalidArgumentError(
      name,
      `expected a positive number of ms, received ${String(value)}`,
    )
  }
  return Math.ceil(value)
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new RedisInvalidArgumentError('key', 'expected a non-empty string')
  }
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 40 ? `${text.slice(0, 40)}...` : text
}

/**
 * Creates a dedupe store on Redis, shared by every instance that points at the same Redis.
 * @example await app.register(bluumWebhooks, { secret, store: createRedisStore({ url: process.env.REDIS_URL }) })
 */
export function createRedisStore(options: RedisStoreOptions): RedisDedupeStore {
  const { client: given, url, keyPrefix, commandTimeoutMs } = checkOptions(options)
  const owned = given === undefined
  const client = given ?? new Redis(url as string, createdClientOptions(commandTimeoutMs))

  let lastConnectionError: Error | undefined
  if (owned) {
    // Without a listener ioredis prints every failed reconnection to the console; keep the last
    // one instead, to say why a command was refused.
    client.on('error', (error: Error) => {
      lastConnectionError = error
    })
  }

  // Only a client that has been ready once is judged by its status: before that, a command would
  // be refused merely because the first connection is still being set up.
  let everReady = client.status === 'ready'
  // Callers waiting for that first connection. One 'ready' listener serves them all, so a burst
  // of deliveries during start-up adds no listener per call to the client.
  const readyWaiters = new Set<() => void>()
  if (!everReady) {
    client.once('ready', () => {
      everReady = true
      for (const wake of readyWaiters) wake()
      readyWaiters.clear()
    })
  }

  // ioredis bounds a command itself when it has `commandTimeout`; otherwise (a passed-in client
  // with default settings would queue for as long as it reconnects) the store bounds it.
  const ownTimer = typeof client.options.commandTimeout !== 'number'
  const offlineQueue = client.options.enableOfflineQueue !== false

  client.defineCommand(CLAIM_COMMAND, { numberOfKeys: 1, lua: CLAIM_LUA })
  client.defineCommand(COMPLETE_COMMAND, { numberOfKeys: 1, lua: COMPLETE_LUA })
  client.defineCommand(RELEASE_COMMAND, { numberOfKeys: 1, lua: RELEASE_LUA })
  client.defineCommand(RENEW_COMMAND, { numberOfKeys: 1, lua: RENEW_LUA })
  const scripted = client as unknown as ScriptedClient

  function unavailable(operation: string, reason: string, cause?: unknown) {
    if (lastConnectionError !== undefined && client.status !== 'ready') {
      reason += ` (last connection error: ${lastConnectionError.message})`
    }
    return new RedisUnavailableError(operation, reason, commandTimeoutMs, { cause })
  }

  function toStoreError(operation: string, error: unknown): Error {
    if (error instanceof RedisUnavailableError || error instanceof RedisUnexpectedValueError) {
      return error
    }
    const err = error as Error
    if (err?.name === 'ReplyError') {
      return new RedisReplyError(operation, err.message, { cause: err })
    }
    return unavailable(operation, err?.message ?? String(error), err)
  }

  function waitForFirstReady(operation: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onReady = () => {
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        readyWaiters.delete(onReady)
        reject(unavailable(operation, `not connected yet (status ${client.status})`))
      }, commandTimeoutMs)
      readyWaiters.add(onReady)
      // A lazyConnect client connects on its first command; with the offline queue off that
      // command would be refused, so start the connection here.
      if (client.status === 'wait') client.connect().catch(() => {})
    })
  }

  // Every command of this store waits the same time: one timer queue for all of them.
  const deadlines = ownTimer ? createDeadlines(commandTimeoutMs) : undefined

  async function bounded<T>(operation: string, promise: Promise<T>): Promise<T> {
    const reply = await deadlines!.race(promise, NO_REPLY)
    if (reply === NO_REPLY) throw unavailable(operation, 'no reply in time')
    return reply
  }

  async function run<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      const sent =
        everReady || offlineQueue || client.status === 'end'
          ? send()
          : waitForFirstReady(operation).then(send)
      return await (ownTimer ? bounded(operation, sent) : sent)
    } catch (error) {
      throw toStoreError(operation, error)
    }
  }

  let closing: Promise<void> | undefined

  return {
    client,

    async claim(key: string, leaseMs: number): Promise<ClaimResult> {
      checkKey(key)
      const lease = durationMs('leaseMs', leaseMs)
      const token = randomUUID()
      const reply = await run('claim', () =>
        scripted[CLAIM_COMMAND](keyPrefix + key, CLAIM_PREFIX + token, lease),
      )
      if (reply === 1) return { status: 'claimed', token }
      if (reply === DONE) return { status: 'done' }
      // null: the key vanished between SET and GET, which a script's frozen clock rules out;
      // answering in-flight is the safe side (the retry claims it).
      if (reply === null || (typeof reply === 'string' && reply.startsWith(CLAIM_PREFIX))) {
        return { status: 'in-flight' }
      }
      throw new RedisUnexpectedValueError(keyPrefix + key, describe(reply))
    },

    async complete(key: string, token: string, ttlMs: number): Promise<boolean> {
      checkKey(key)
      const ttl = durationMs('ttlMs', ttlMs)
      const reply = await run('complete', () =>
        scripted[COMPLETE_COMMAND](keyPrefix + key, CLAIM_PREFIX + token, ttl),
      )
      return reply === 1
    },

    async renew(key: string, token: string, leaseMs: number): Promise<boolean> {
      checkKey(key)
      const lease = durationMs('leaseMs', leaseMs)
      const reply = await run('renew', () =>
        scripted[RENEW_COMMAND](keyPrefix + key, CLAIM_PREFIX + token, lease),
      )
      return reply === 1
    },

    async release(key: string, token: string): Promise<boolean> {
      checkKey(key)
      const reply = await run('release', () =>
        scripted[RELEASE_COMMAND](keyPrefix + key, CLAIM_PREFIX + token),
      )
      return reply === 1
    },

    close(): Promise<void> {
      // `onClose` of the plugin closes the store; a client someone else created is theirs to close.
      if (!owned) return Promise.resolve()
      closing ??= (async () => {
        if (client.status === 'end') return
        let timer: NodeJS.Timeout | undefined
        const ended = new Promise<void>((resolve) => {
          client.once('end', resolve)
          // Bounded: no 'end' comes when the socket was already gone (see below).
          timer = setTimeout(resolve, commandTimeoutMs)
        })
        // QUIT lets Redis finish the replies in flight; it is pointless (or refused) while not
        // connected, and bounded by commandTimeout otherwise.
        if (client.status === 'ready') await client.quit().catch(() => {})
        // Drops the connection if QUIT did not, and cancels any pending reconnection.
        client.disconnect()
        // Between two reconnection attempts there is no socket left to close, so ioredis never
        // emits 'end'; with its timer cancelled nothing is pending any more.
        if (client.status !== 'reconnecting') await ended
        clearTimeout(timer)
      })()
      return closing
    },
  }
}
