/**
 * The two databases the inbox suite runs on: a real PostgreSQL 15 cluster started for the test
 * file, and an in-process PGlite. One per test file; each test gets its own schema.
 */
import pg from 'pg'
import {
  createPostgresInbox,
  type PostgresInbox,
  type PostgresInboxOptions,
} from '../../plugin/postgres/index.js'
import { createTestPGlite } from './pglite.js'
import { startPostgresServer, type PostgresServer } from './postgres-server.js'

export interface InboxBackend {
  readonly name: 'postgres' | 'pglite'
  /** An inbox on this database; `pool`/`pglite` are filled in. */
  inbox(options: Omit<PostgresInboxOptions, 'pool' | 'pglite'>): PostgresInbox
  /** One statement outside any inbox. */
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>
  /** A script of several statements, without parameters. */
  exec(script: string): Promise<void>
  /** A fresh schema with an `effects` table the test handlers write to. */
  freshSchema(): Promise<string>
  /** The real server, for the tests that stop it; undefined on PGlite. */
  readonly server: PostgresServer | undefined
  readonly pool: pg.Pool | undefined
  close(): Promise<void>
}

let schemas = 0

async function effectsSchema(run: (sql: string) => Promise<unknown>): Promise<string> {
  const schema = `t${process.pid}_${++schemas}`
  await run(`create schema ${schema}`)
  await run(
    `create table ${schema}.effects (delivery_id text not null, handler text not null, at timestamptz not null default now())`,
  )
  return schema
}

export async function startPostgresBackend(): Promise<InboxBackend> {
  const server = await startPostgresServer()
  const pool = new pg.Pool({ connectionString: server.url, max: 40 })
  // A restart of the server drops idle pooled connections; the pool must not crash the test.
  pool.on('error', () => {})
  return {
    name: 'postgres',
    server,
    pool,
    inbox: (options) => createPostgresInbox({ ...options, pool }),
    query: async (text, values) => (await pool.query(text, values)).rows,
    exec: async (script) => void (await pool.query(script)),
    freshSchema: () => effectsSchema((sql) => pool.query(sql)),
    async close() {
      await pool.end()
      await server.close()
    },
  }
}

export async function startPgliteBackend(): Promise<InboxBackend> {
  // From the template cluster: the same empty database as PGlite.create(), without its initdb.
  const db = await createTestPGlite()
  return {
    name: 'pglite',
    server: undefined,
    pool: undefined,
    inbox: (options) => createPostgresInbox({ ...options, pglite: db }),
    query: async <R>(text: string, values?: unknown[]) => (await db.query<R>(text, values)).rows,
    exec: async (script) => void (await db.exec(script)),
    freshSchema: () => effectsSchema((sql) => db.exec(sql)),
    close: () => db.close(),
  }
}
