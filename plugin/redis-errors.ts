/** The original error (ioredis or Redis reply), kept for the log. */
type Cause = { cause: unknown }

/**
 * Every error of the Redis dedupe store, each with a stable code.
 *
 * The plugin answers any rejected store call with 503 `BLUUM_STORE_UNAVAILABLE`, so these codes
 * are for the operator reading the log (the original ioredis error travels as `cause`).
 */
// The named import, not the default one: with the default import the emitted .d.ts names the
// constructor type `createError.FastifyErrorConstructor`, a namespace that consumers on
// `moduleResolution: bundler` cannot see (test/package-consumer.test.ts).
import { createError } from '@fastify/error'

/** A bad option of `createRedisStore`, thrown at creation, never on the request path. */
export const RedisInvalidOptionError = createError<[string, string]>(
  'BLUUM_REDIS_INVALID_OPTION',
  'Invalid Redis store option "%s": %s',
  500,
  TypeError,
)

/** A store call with an argument Redis would refuse (a lease or TTL that is not a positive number). */
export const RedisInvalidArgumentError = createError<[string, string]>(
  'BLUUM_REDIS_INVALID_ARGUMENT',
  'Invalid argument "%s" of the Redis dedupe store: %s',
  500,
  TypeError,
)

/** Redis could not be reached in time; the delivery is retryable. */
export const RedisUnavailableError = createError<
  [operation: string, reason: string, timeoutMs: number, cause?: Cause]
>(
  'BLUUM_REDIS_UNAVAILABLE',
  'Redis %s failed: %s. Expected a reachable Redis answering within %d ms (commandTimeoutMs); likely Redis is down, restarting, unreachable from this host or overloaded.',
  503,
)

/** Redis answered with an error of its own (WRONGTYPE, OOM, READONLY, NOPERM...). */
export const RedisReplyError = createError<[operation: string, reply: string, cause?: Cause]>(
  'BLUUM_REDIS_REPLY_ERROR',
  'Redis refused %s: %s. Likely causes: maxmemory reached with the noeviction policy (OOM), a read-only replica (READONLY), an ACL without EVAL/EVALSHA (NOPERM), or another application using the same keys (WRONGTYPE; change keyPrefix).',
  503,
)

/** The dedupe key holds a value this store never writes. */
export const RedisUnexpectedValueError = createError<[string, string]>(
  'BLUUM_REDIS_UNEXPECTED_VALUE',
  'The dedupe key "%s" holds %s; expected "d" (done) or "c:<token>" (claimed). Another application probably writes under the same prefix: give this store its own keyPrefix.',
  500,
)
