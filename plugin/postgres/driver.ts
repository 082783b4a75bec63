/**
 * One small SQL seam over node-postgres and PGlite, so the inbox runs the same SQL on both.
 *
 * Structural types only: neither `pg` nor `@electric-sql/pglite` is imported, so both stay
 * optional peers and whichever the app passes in is used as it is.
 *
 * A transaction here opens at its first statement, which carries the BEGIN (one round trip for
 * both on node-postgres): a queued handler that calls another service before it writes holds no
 * connection while it waits. Every statement's failure is sorted as it happens
 * (store-failure.ts): the first one that is the database's, not the statement's, sticks to the
 * transaction, so a handler that catches it and goes on cannot make it commit or pass for a
 * handler bug.
 */
import { InboxTransactionAbortedError, InboxTransactionClosedError } from '../errors.js'
import { isConnectionError, isStoreFailure } from './store-failure.js'

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
  /** The pool's `'error'` event (an idle connection failed); guarded by the inbox while it runs. */
  on?(event: 'error', listener: (error: Error) => void): unknown
  removeListener?(event: 'error', listener: (error: Error) => void): unknown
}

/** What the inbox needs of a `pg.PoolClient`. */
export interface PgClientLike {
  query(
    text: string | { name: string; text: string; values?: unknown[] },
    values?: unknown[],
  ): Promise<PgResultLike | PgResultLike[]>
  release(destroy?: Error | boolean): void
  on(event: 'notification', listener: (message: { channel: string }) => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  removeAllListeners(event?: string): unknown
  removeListener(event: 'error', listener: (error: Error) => void): unknown
}

interface PgResultLike {
  rows: unknown[]
  rowCount: number | null
  command: string
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
  exec(script: string): Promise<unknown>
}

/** One transaction of the inbox (internal): its `tx` is what handlers get. */
export interface Transaction {
  /** The handler's view: queries only. */
  readonly tx: InboxTransaction
  /** The first failure of one of its statements that was the database's, not the statement's. */
  readonly storeFailure: Error | undefined
  /** Runs a whole SQL script (several statements, no parameters) in the transaction. */
  exec(script: string): Promise<void>
  /**
   * Runs `text` as the last statement of the transaction and commits; when no statement opened
   * it, runs `text` alone (its own implicit transaction), with nothing to commit. Rejects with
   * the sticky store failure, else `BLUUM_INBOX_TRANSACTION_ABORTED`, when the transaction was
   * aborted by a statement a handler caught.
   */
  commit<R = Record<string, unknown>>(
    text?: string,
    values?: readonly unknown[],
    options?: CommitOptions,
  ): Promise<InboxQueryResult<R> | undefined>
  /** Rolls back what it opened and gives its connection back. Never rejects. */
  rollback(): Promise<void>
  /**
   * Refuses every later statement with `reason` and ends the transaction at once: on a server,
   * its session is ended from another connection, so even a statement that never returns stops
   * and its locks go. Never rejects.
   */
  abandon(reason: Error): Promise<void>
}

/** Options of a transaction's last statement. */
export interface CommitOptions {
  /**
   * Its parameters are integers (ids, counts): on node-postgres the statement is sent with the
   * COMMIT in one round trip, its values written in as literals.
   */
  readonly integers?: boolean
}

/** Options of one statement run outside a transaction. */
export interface QueryOptions {
  /** A name for a server-side prepared statement (node-postgres; PGlite ignores it). */
  readonly name?: string
}

export interface SqlDriver {
  /** One statement outside any transaction. */
  query<R>(
    text: string,
    values?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<InboxQueryResult<R>>
  /**
   * A transaction, opened by its first statement. `eager` takes its connection at once (an
   * unreachable database fails here), for a caller whose first statement follows at once.
   */
  begin(options?: { eager?: boolean }): Promise<Transaction>
  /** Calls `onNotify` on every NOTIFY on `channel`; `onLost` once if the listening connection dies. */
  listen(
    channel: string,
    onNotify: () => void,
    onLost: (error: Error) => void,
  ): Promise<() => Promise<void>>
  /**
   * Listens to the pool's `'error'` events (an idle connection the server dropped) until the
   * returned function is called: without a listener, node-postgres ends the process.
   */
  guard(onIdleError: (error: Error) => void): () => void
  /** True for PGlite: one connection, every transaction serialised. */
  readonly embedded: boolean
}

/** Runs `work` in one transaction: commit when it resolves, else roll back. */
export async function inTransaction<T>(
  driver: SqlDriver,
  work: (transaction: Transaction) => Promise<T>,
): Promise<T> {
  const transaction = await driver.begin({ eager: true })
  let result: T
  try {
    result = await work(transaction)
  } catch (error) {
    await transaction.rollback()
    throw error
  }
  await transaction.commit()
  return result
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

/** node-postgres' `Query` (`Client.Query`), as far as `beginWith` uses it. */
type PgQueryClass = new (
  text: string,
  values: unknown[],
  callback: (error: Error | null, result: PgResultLike | PgResultLike[]) => void,
) => { prepare(connection: PgConnectionLike): void }

/** The protocol writer node-postgres hands a query when it sends it. */
interface PgConnectionLike {
  parse(config: { text: string }): void
  bind(config: object): void
  execute(config: object): void
}

/**
 * Opens a transaction with its first statement, in one round trip instead of two: a task's
 * transaction is then three round trips (the handler's first statement carrying the BEGIN, the
 * rest, the done mark with the COMMIT), not four. Without parameters the two travel as one
 * simple query; with parameters, node-postgres' own `Query` writes BEGIN's parse, bind and
 * execute before the statement's, under the one Sync it ends with, so the statement keeps its
 * typed parameters and the server answers both before one ReadyForQuery. A client without that
 * class (another driver behind the pool) gets the two round trips.
 */
function beginWith(
  client: PgClientLike,
  text: string,
  values: unknown[] | undefined,
): Promise<PgResultLike | PgResultLike[]> {
  if (values === undefined || values.length === 0) return client.query(`begin;\n${text}`)
  const Query = (client.constructor as { Query?: PgQueryClass }).Query
  if (typeof Query?.prototype?.prepare !== 'function') {
    // Both queued now, so a statement the handler sends meanwhile cannot come before this one.
    return Promise.all([client.query('begin'), client.query(text, values)]).then(([, r]) => r)
  }
  return new Promise((resolve, reject) => {
    const query = new Query(text, values, (error, result) =>
      error ? reject(error) : resolve(result),
    )
    const prepare = query.prepare
    query.prepare = (connection) => {
      connection.parse({ text: 'begin' })
      connection.bind({})
      connection.execute({})
      prepare.call(query, connection)
    }
    // A query object is sent as it is and answers through its callback.
    void client.query(query as never)
  })
}

function rows<R>(result: PgResultLike): InboxQueryResult<R> {
  return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 }
}

function last(result: PgResultLike | PgResultLike[]): PgResultLike {
  return Array.isArray(result) ? (result.at(-1) as PgResultLike) : result
}

/** A driver over a node-postgres pool; the pool stays the app's to end. */
export function createPgDriver(pool: PgPoolLike): SqlDriver {
  /** Releases a client: destroyed when it failed, or back to the pool. */
  function release(client: PgClientLike, onError: (e: Error) => void, broken: Error | undefined) {
    client.removeListener('error', onError)
    client.release(broken)
  }

  async function begin(options: { eager?: boolean } = {}): Promise<Transaction> {
    let client: PgClientLike | undefined
    let opening: Promise<PgClientLike> | undefined
    let released = false
    // The connection failed (its 'error' event, or a failure with no SQLSTATE): destroy it.
    let broken: Error | undefined
    let abandoned: Error | undefined
    let storeFailure: Error | undefined
    let finished = false
    let begun = false
    // A checked-out client emits 'error' when the server ends the session between two queries
    // (a restart, an admin kill); without a listener that would end the process.
    const onError = (error: Error) => void (broken ??= error)

    function note(error: unknown): void {
      if (abandoned !== undefined) return
      if (isConnectionError(error)) broken ??= asError(error)
      if (isStoreFailure(error, broken !== undefined)) storeFailure ??= asError(error)
    }

    function giveBack(): void {
      if (released || client === undefined) return
      released = true
      release(client, onError, broken)
    }

    function open(): Promise<PgClientLike> {
      opening ??= (async () => {
        const connected = await pool.connect()
        client = connected
        connected.on('error', onError)
        if (abandoned !== undefined) {
          giveBack()
          throw abandoned
        }
        return connected
      })()
      return opening
    }

    async function run(text: string, values?: readonly unknown[]): Promise<PgResultLike> {
      if (abandoned !== undefined) throw abandoned
      if (finished) throw new InboxTransactionClosedError()
      try {
        const connected = await open()
        if (abandoned !== undefined) throw abandoned
        if (!begun) {
          begun = true
          return last(await beginWith(connected, text, values as unknown[] | undefined))
        }
        return last(await connected.query(text, values as unknown[] | undefined))
      } catch (error) {
        note(error)
        throw error
      }
    }

    /** The error a commit of an aborted transaction stands for. */
    const aborted = () => storeFailure ?? new InboxTransactionAbortedError()

    const transaction: Transaction = {
      tx: {
        async query<R>(text: string, values?: readonly unknown[]) {
          return rows<R>(await run(text, values))
        },
      },
      get storeFailure() {
        return storeFailure
      },
      async exec(script) {
        await run(script)
      },
      async commit<R>(text?: string, values?: readonly unknown[], options?: CommitOptions) {
        if (abandoned !== undefined) throw abandoned
        if (finished) throw new InboxTransactionClosedError()
        if (opening === undefined) {
          finished = true
          if (text === undefined) return undefined
          return driver.query<R>(text, values)
        }
        if (storeFailure !== undefined) {
          await transaction.rollback()
          throw storeFailure
        }
        let connected: PgClientLike
        try {
          connected = await opening
        } catch (error) {
          finished = true
          giveBack()
          throw storeFailure ?? error
        }
        finished = true
        try {
          // The connection was taken (`eager`) but no statement opened the transaction: the
          // last statement runs alone, with nothing to commit.
          if (!begun) {
            if (text === undefined) return undefined
            try {
              return rows<R>(last(await connected.query(text, values as unknown[] | undefined)))
            } catch (error) {
              note(error)
              throw error
            }
          }
          let result: PgResultLike | undefined
          let commit: PgResultLike | undefined
          if (text !== undefined) {
            // With integer parameters only (a task's done mark), the statement and the COMMIT
            // go in one simple query: one round trip less per task.
            const inlined = options?.integers ? inlineIntegers(text, values) : undefined
            try {
              if (inlined === undefined) {
                result = last(await connected.query(text, values as unknown[] | undefined))
              } else {
                const both = await connected.query(`${inlined};\ncommit`)
                ;[result, commit] = Array.isArray(both) ? both : [both, undefined]
              }
            } catch (error) {
              note(error)
              await connected.query('rollback').catch((e: Error) => void (broken ??= e))
              // 25P02: a statement of a handler failed and the handler went on.
              throw (error as { code?: unknown }).code === '25P02' ? aborted() : error
            }
          }
          if (commit === undefined) {
            try {
              commit = last(await connected.query('commit'))
            } catch (error) {
              note(error)
              throw error
            }
          }
          // COMMIT of an aborted transaction succeeds as ROLLBACK in PostgreSQL: say so.
          if (commit.command === 'ROLLBACK') throw aborted()
          return result && rows<R>(result)
        } finally {
          giveBack()
        }
      },
      async rollback() {
        if (finished && released) return
        finished = true
        if (opening === undefined) return
        const connected = await opening.catch(() => undefined)
        if (connected !== undefined && abandoned === undefined && !released && begun) {
          await connected.query('rollback').catch((e: Error) => void (broken ??= e))
        }
        giveBack()
      },
      async abandon(reason) {
        if (abandoned !== undefined) return
        abandoned = reason
        broken = reason
        finished = true
        if (opening === undefined) return
        await opening.catch(() => undefined)
        if (client !== undefined && !released) await terminateBackend(pool, client)
        giveBack()
      },
    }
    if (options.eager) {
      try {
        await open()
      } catch (error) {
        note(error)
        giveBack()
        throw error
      }
    }
    return transaction
  }

  const driver: SqlDriver = {
    embedded: false,
    async query<R>(text: string, values?: readonly unknown[], options?: QueryOptions) {
      const client = await pool.connect()
      let broken: Error | undefined
      const onError = (error: Error) => void (broken ??= error)
      client.on('error', onError)
      try {
        const args = values as unknown[] | undefined
        const result = last(
          await (options?.name === undefined
            ? client.query(text, args)
            : client.query({ name: options.name, text, values: args ?? [] })),
        )
        return rows<R>(result)
      } catch (error) {
        if (isConnectionError(error)) broken ??= asError(error)
        throw error
      } finally {
        release(client, onError, broken)
      }
    },
    begin,
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
        lose(asError(error))
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
    guard(onIdleError) {
      if (typeof pool.on !== 'function') return () => {}
      pool.on('error', onIdleError)
      return () => void pool.removeListener?.('error', onIdleError)
    },
  }
  return driver
}

/** A driver over PGlite; the instance stays the app's to close. */
export function createPgliteDriver(db: PGliteLike): SqlDriver {
  async function begin(options: { eager?: boolean } = {}): Promise<Transaction> {
    let opening: Promise<PGliteTransactionLike> | undefined
    // Settles PGlite's transaction callback: true commits, false (or an error) rolls back.
    let decide: (commit: boolean) => void = () => {}
    let ended: Promise<unknown> = Promise.resolve()
    let abandoned: Error | undefined
    let storeFailure: Error | undefined
    let finished = false

    function note(error: unknown): void {
      if (abandoned === undefined && isStoreFailure(error)) storeFailure ??= asError(error)
    }

    // PGlite's own transaction() holds its single connection for the whole callback, which is
    // the serialisation a one-connection database needs; the callback waits for the decision.
    function open(): Promise<PGliteTransactionLike> {
      opening ??= new Promise<PGliteTransactionLike>((resolveOpen, rejectOpen) => {
        const decided = new Promise<boolean>((resolve) => (decide = resolve))
        ended = db
          .transaction(async (tx) => {
            resolveOpen(tx)
            if (!(await decided)) throw ROLLBACK
          })
          .catch((error: unknown) => {
            rejectOpen(error)
            if (error !== ROLLBACK) throw error
          })
        // Awaited by commit() and rollback(); an abandoned transaction's end is awaited by nobody.
        ended.catch(() => {})
      })
      return opening
    }

    async function run<R>(text: string, values?: readonly unknown[]) {
      if (abandoned !== undefined) throw abandoned
      if (finished) throw new InboxTransactionClosedError()
      try {
        const tx = await open()
        if (abandoned !== undefined) throw abandoned
        const result = await tx.query<R>(text, values as unknown[] | undefined)
        return { rows: result.rows, rowCount: result.affectedRows || result.rows.length }
      } catch (error) {
        note(error)
        throw error
      }
    }

    const transaction: Transaction = {
      tx: { query: (text, values) => run(text, values) },
      get storeFailure() {
        return storeFailure
      },
      async exec(script) {
        if (abandoned !== undefined) throw abandoned
        try {
          await (await open()).exec(script)
        } catch (error) {
          note(error)
          throw error
        }
      },
      async commit<R>(text?: string, values?: readonly unknown[]) {
        if (abandoned !== undefined) throw abandoned
        if (finished) throw new InboxTransactionClosedError()
        if (opening === undefined) {
          finished = true
          if (text === undefined) return undefined
          return driver.query<R>(text, values)
        }
        const tx = await opening
        try {
          if (storeFailure !== undefined) throw storeFailure
          let result: InboxQueryResult<R> | undefined
          if (text !== undefined) {
            try {
              result = await run<R>(text, values)
            } catch (error) {
              throw (error as { code?: unknown }).code === '25P02'
                ? (storeFailure ?? new InboxTransactionAbortedError())
                : error
            }
          }
          // An aborted transaction refuses every statement; find out before PGlite commits it.
          try {
            await tx.query('select 1')
          } catch {
            throw storeFailure ?? new InboxTransactionAbortedError()
          }
          finished = true
          decide(true)
          await ended
          return result
        } catch (error) {
          finished = true
          decide(false)
          await ended.catch(() => {})
          throw error
        }
      },
      async rollback() {
        finished = true
        if (opening === undefined) return
        decide(false)
        await ended.catch(() => {})
      },
      async abandon(reason) {
        if (abandoned !== undefined) return
        abandoned = reason
        finished = true
        // PGlite rolls back once a statement in flight ends; the work itself cannot be stopped,
        // only refused.
        decide(false)
      },
    }
    if (options.eager) {
      try {
        await open()
      } catch (error) {
        note(error)
        throw error
      }
    }
    return transaction
  }

  const driver: SqlDriver = {
    embedded: true,
    async query<R>(text: string, values?: readonly unknown[]) {
      const result = await db.query<R>(text, values as unknown[] | undefined)
      return { rows: result.rows, rowCount: result.affectedRows || result.rows.length }
    },
    begin,
    async listen(channel, onNotify) {
      const unlisten = await db.listen(channel, () => onNotify())
      return () => unlisten()
    },
    guard: () => () => {},
  }
  return driver
}

/** What the PGlite transaction callback throws to roll back on purpose. */
const ROLLBACK = Symbol('rollback')

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

/**
 * `text` with its `$n` parameters written in as literals, when every value is an integer (a
 * number, or a string of digits): the simple query protocol, which can carry a second statement,
 * takes no parameters. Undefined when a value is anything else.
 */
export function inlineIntegers(text: string, values?: readonly unknown[]): string | undefined {
  if (values === undefined || values.length === 0) return undefined
  const literals: string[] = []
  for (const value of values) {
    if (typeof value === 'number' && Number.isSafeInteger(value)) literals.push(String(value))
    else if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) literals.push(value)
    else return undefined
  }
  return text.replace(/\$(\d+)/g, (match, n: string) => {
    const literal = literals[Number(n) - 1]
    return literal === undefined ? match : `(${literal})`
  })
}

/** Double-quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}
