/**
 * Tells the database's failures from the statement's: a connection lost, a pool closed, a server
 * shutting down, a serialization failure or deadlock, a cancelled or timed-out statement. Those
 * are the store's (retry later: 503, or the task again), never a handler's bug. Pure.
 */

/**
 * SQLSTATE codes and classes that say nothing about the statement itself:
 * 08 connection exception, 53 insufficient resources, 57P0x shutdown / cannot connect now,
 * 58 system error, XX internal error, 40001 serialization failure, 40003 statement completion
 * unknown, 40P01 deadlock detected, 57014 statement cancelled (statement_timeout or a cancel),
 * 55P03 lock not available (lock_timeout), 25006 read-only transaction (a failover to a standby).
 */
const STORE_SQLSTATE = /^(?:08|53|57P0|58|XX)|^(?:40001|40003|40P01|57014|55P03|25006)$/

/**
 * The messages node-postgres, pg-pool and PGlite give connection-level errors, which carry no
 * SQLSTATE: a socket closed under a query, a client that already failed, a connect timeout, a
 * pool or database already closed.
 */
const CONNECTION_MESSAGE =
  /connection terminated|not queryable|query read timeout|timeout expired|timeout exceeded when trying to connect|connection timeout|cannot use a pool after calling end|pglite is closed/i

function sqlState(error: unknown): string | undefined {
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown }
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && severity !== undefined
    ? code
    : undefined
}

/**
 * True when `error` is the database's failure rather than the statement's. `connectionLost` is
 * true when the connection the statement ran on reported an error of its own.
 */
export function isStoreFailure(error: unknown, connectionLost = false): boolean {
  if (connectionLost) return true
  const state = sqlState(error)
  if (state !== undefined) return STORE_SQLSTATE.test(state)
  const err = (error ?? {}) as { syscall?: unknown; code?: unknown; message?: unknown }
  // A Node socket error (ECONNRESET, ECONNREFUSED, EPIPE, ETIMEDOUT...).
  if (typeof err.syscall === 'string') return true
  if (typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code)) return true
  return typeof err.message === 'string' && CONNECTION_MESSAGE.test(err.message)
}

/**
 * True when the connection itself is gone (not a statement error from a live server): such a
 * connection must be destroyed, never handed back to the pool.
 */
export function isConnectionError(error: unknown): boolean {
  return sqlState(error) === undefined
}

/** A short text for an error: its code and message, for logs and a task's `lastError`. */
export function errorText(err: unknown): string {
  const code = (err as { code?: unknown })?.code
  const text =
    err instanceof Error
      ? `${typeof code === 'string' ? code : err.name}: ${err.message}`
      : String(err)
  return text.length > 2000 ? text.slice(0, 2000) : text
}
