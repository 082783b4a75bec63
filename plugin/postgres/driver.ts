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

export interface SqlDriver {
  /** One statement outside any transaction. */
  query<R>(text: string, values?: readonly unknown[]): Promise<InboxQueryResult<R>>
  /** Runs `work` in one transaction on one connection: commit when it resolves, else rollback. */
  transaction<T>(work: (tx: InboxTransaction) => Promise<T>): Promise<T>
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
  function wrap(client: PgClientLike): InboxTransaction {
    return {
      async query<R>(text: string, values?: readonly unknown[]) {
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
    async transaction<T>(work: (tx: InboxTransaction) => Promise<T>): Promise<T> {
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
        try {
          result = await work(wrap(client))
        } catch (error) {
          await client.query('rollback').catch((e: Error) => (broken = e))
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
  function wrap(tx: PGliteTransactionLike): InboxTransaction {
    return {
      async query<R>(text: string, values?: readonly unknown[]) {
        const result = await tx.query<R>(text, values as unknown[] | undefined)
        return { rows: result.rows, rowCount: result.affectedRows || result.rows.length }
      },
    }
  }
  return {
    embedded: true,
    query: (text, values) => wrap(db).query(text, values),
    transaction<T>(work: (tx: InboxTransaction) => Promise<T>): Promise<T> {
      // PGlite's own transaction() holds its single connection for the whole callback, which is
      // the serialisation a one-connection database needs.
      return db.transaction(async (tx) => {
        const result = await work(wrap(tx))
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
