/**
 * One small SQL seam over node-postgres and PGlite, so the inbox runs the same SQL on both.
 *
 * Structural types only: neither `pg` nor `@electric-sql/pglite` is imported, so both stay
 * optional peers and whichever the app passes in is used as it is.
 */
import { InboxTransactionAbortedError } from '../errors.js'

/** The rows of one statement. */
export interface InboxQueryResult<R> {
  readonly rows: R[]
  /** Rows inserted, updated, deleted or returned by the statement. */
  readonly rowCount: number
}

/**
 * The transaction a handler gets as `context.tx`: every query runs on the connection and in the
 * transaction that also marks the event (or the task) processed.
 * @example await tx.query('update investors set trading_enabled = true where id = $1', [id])
 */
export interface InboxTransaction {
  query<R = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<InboxQueryResult<R>>
}

/** What the inbox needs of a `pg.Pool` (node-postgres). */
export interface PgPoolLike {
  connect(): Promise<PgClientLike>
}

/** What the inbox needs of a `pg.PoolClient`. */
export interface PgClientLike {
  query(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: unknown[]; rowCount: number | null; command: string }>
  release(destroy?: Error | boolean): void
  on(event: 'notification', listener: (message: { channel: string }) => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  removeAllListeners(event?: string): unknown
  removeListener(event: 'error', listener: (error: Error) => void): unknown
}

/** What the inbox needs of a `PGlite` instance. */
export interface PGliteLike {
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>
  transaction<T>(callback: (tx: PGliteTransactionLike) => Promise<T>): Promise<T>
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>
}

/** What the inbox needs of a PGlite transaction. */
export interface PGliteTransactionLike {
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>
}

/** A bound on one transaction's work (queue-mode tasks: `taskTimeoutMs`). */
export interface TransactionDeadline {
  /** Time from BEGIN after which the transaction is abandoned, in ms. */
  readonly timeoutMs: number
  /** The error the transaction rejects with, and every later query of the abandoned `tx`. */
  readonly error: () => Error
}

export interface SqlDriver {
  /** One statement outside any transaction. */
  query<R>(text: string, values?: readonly unknown[]): Promise<InboxQueryResult<R>>
  /**
   * Runs `work` in one transaction on one connection: commit when it resolves, else rollback.
   * With a `deadline`, work still running when it passes is abandoned: the transaction is rolled
   * back (its row locks released, even under a statement that never returns), the call rejects
   * with `deadline.error()`, and the `tx` the work holds refuses every later query with it.
   */
  transaction<T>(
    work: (tx: InboxTransaction) => Promise<T>,
    deadline?: TransactionDeadline,
  ): Promise<T>
  /** Calls `onNotify` on every NOTIFY on `channel`; `onLost` once if the listening connection dies. */
  listen(
    channel: string,
    onNotify: () => void,
    onLost: (error: Error) => void,
  ): Promise<() => Promise<void>>
  /** True for PGlite: one connection, every transaction serialised. */
  readonly embedded: boolean
}

/** A driver over a node-postgres pool; the pool stays the app's to end. */
export function createPgDriver(pool: PgPoolLike): SqlDriver {
  function wrap(client: PgClientLike, abandoned?: () => Error | undefined): InboxTransaction {
    return {
      async query<R>(text: string, values?: readonly unknown[]) {
        const reason = abandoned?.()
        if (reason) throw reason
        const result = await client.query(text, values as unknown[] | undefined)
        return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 }
      },
    }
  }
  return {
    embedded: false,
    async query<R>(text: string, values?: readonly unknown[]) {
      const client = await pool.connect()
      let broken: Error | undefined
      const onError = (error: Error) => (broken = error)
      client.on('error', onError)
      try {
        return await wrap(client).query<R>(text, values)
      } catch (error) {
        broken ??= connectionError(error)
        throw error
      } finally {
        client.removeListener('error', onError)
        client.release(broken)
      }
    },
    async transaction<T>(
      work: (tx: InboxTransaction) => Promise<T>,
      deadline?: TransactionDeadline,
    ): Promise<T> {
      const client = await pool.connect()
      // A connection that failed mid-transaction is destroyed rather than returned to the pool.
      let broken: Error | undefined
      // A checked-out client emits 'error' when the server ends the session between two queries
      // (a restart, an admin kill); without a listener that would crash the process.
      const onError = (error: Error) => (broken = error)
      client.on('error', onError)
      try {
        await client.query('begin')
        let result: T
        let abandoned: Error | undefined
        try {
          const running = work(wrap(client, () => abandoned))
          result = deadline
            ? await withDeadline(running, deadline, async (reason) => {
                abandoned = reason
                broken = reason
                await terminateBackend(pool, client)
              })
            : await running
        } catch (error) {
          // An abandoned connection is destroyed (its session ended), never rolled back and reused.
          if (abandoned === undefined) {
            await client.query('rollback').catch((e: Error) => (broken = e))
          }
          throw error
        }
        // COMMIT of an aborted transaction succeeds as ROLLBACK in PostgreSQL: say so.
        const commit = await client.query('commit')
        if (commit.command === 'ROLLBACK') throw new InboxTransactionAbortedError()
        return result
      } catch (error) {
        broken ??= connectionError(error)
        throw error
      } finally {
        client.removeListener('error', onError)
        client.release(broken)
      }
    },
    async listen(channel, onNotify, onLost) {
      const client = await pool.connect()
      let lost = false
      const lose = (error: Error) => {
        if (lost) return
        lost = true
        client.removeAllListeners('notification')
        client.release(error)
        onLost(error)
      }
      client.on('error', lose)
      client.on('notification', (message) => {
        if (message.channel === channel) onNotify()
      })
      try {
        await client.query(`listen ${quoteIdent(channel)}`)
      } catch (error) {
        lose(error as Error)
        throw error
      }
      return async () => {
        if (lost) return
        lost = true
        client.removeAllListeners('notification')
        await client.query(`unlisten ${quoteIdent(channel)}`).catch(() => {})
        client.removeAllListeners('error')
        // Not back to the pool: a connection that listened is cheaper to drop than to trust.
        client.release(true)
      }
    },
  }
}

/** A driver over PGlite; the instance stays the app's to close. */
export function createPgliteDriver(db: PGliteLike): SqlDriver {
  function wrap(tx: PGliteTransactionLike, abandoned?: () => Error | undefined): InboxTransaction {
    return {
      async query<R>(text: string, values?: readonly unknown[]) {
        const reason = abandoned?.()
        if (reason) throw reason
        const result = await tx.query<R>(text, values as unknown[] | undefined)
        return { rows: result.rows, rowCount: result.affectedRows || result.rows.length }
      },
    }
  }
  return {
    embedded: true,
    query: (text, values) => wrap(db).query(text, values),
    transaction<T>(
      work: (tx: InboxTransaction) => Promise<T>,
      deadline?: TransactionDeadline,
    ): Promise<T> {
      // PGlite's own transaction() holds its single connection for the whole callback, which is
      // the serialisation a one-connection database needs.
      return db.transaction(async (tx) => {
        let abandoned: Error | undefined
        const running = work(wrap(tx, () => abandoned))
        // Rejecting out of the callback makes PGlite roll back (after a statement in flight, on
        // its one connection) and close `tx`; the work itself cannot be stopped, only refused.
        const result = deadline
          ? await withDeadline(running, deadline, async (reason) => void (abandoned = reason))
          : await running
        // An aborted transaction refuses every statement; find out before PGlite commits it.
        try {
          await tx.query('select 1')
        } catch {
          throw new InboxTransactionAbortedError()
        }
        return result
      })
    },
    async listen(channel, onNotify) {
      const unlisten = await db.listen(channel, () => onNotify())
      return () => unlisten()
    },
  }
}

/**
 * Resolves as `running` does, unless `deadline.timeoutMs` passes first: then `abandon` runs and
 * the promise rejects with the deadline's error. A late rejection of `running` is swallowed.
 */
async function withDeadline<T>(
  running: Promise<T>,
  deadline: TransactionDeadline,
  abandon: (reason: Error) => Promise<void>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = Symbol('expired')
  const timeout = new Promise<typeof expired>((resolve) => {
    timer = setTimeout(resolve, deadline.timeoutMs, expired)
  })
  try {
    const outcome = await Promise.race([running, timeout])
    if (outcome !== expired) return outcome as T
  } finally {
    clearTimeout(timer)
  }
  running.catch(() => {})
  const reason = deadline.error()
  await abandon(reason)
  throw reason
}

/**
 * Ends the session of `client` from another connection: the server rolls its transaction back and
 * releases its locks at once, even while a statement of it is still running (a socket close alone
 * is noticed only when that statement ends). Best effort: the client is destroyed afterwards.
 */
async function terminateBackend(pool: PgPoolLike, client: PgClientLike): Promise<void> {
  const pid = (client as { processID?: unknown }).processID
  if (typeof pid !== 'number') return
  try {
    const other = await pool.connect()
    try {
      // PostgreSQL 14+ waits (up to 5 s) until the session is gone and its locks released; older
      // servers only signal it.
      await other
        .query('select pg_terminate_backend($1, 5000)', [pid])
        .catch(() => other.query('select pg_terminate_backend($1)', [pid]))
    } finally {
      other.release()
    }
  } catch {
    // The database is away: its sessions (and locks) end with it.
  }
}

/** Errors of the connection itself (not of a statement): the client must not be reused. */
function connectionError(error: unknown): Error | undefined {
  const err = error as { code?: unknown; severity?: unknown }
  // A statement error from the server carries a SQLSTATE and a severity; anything else (socket
  // closed, ECONNRESET, timeout) means the connection is gone.
  if (typeof err?.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) && err.severity) {
    return undefined
  }
  return error instanceof Error ? error : new Error(String(error))
}

/** Double-quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}
