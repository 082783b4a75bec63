/**
 * The inbox schema: its own Postgres schema (default `bluum_inbox`) with a version row, and the
 * migrations that bring it there, in order. Idempotent: a migration runs once, under an advisory
 * lock, so several instances starting together migrate once. The same SQL is in docs/postgres.md
 * for teams that run their migrations themselves.
 */
import { InboxSchemaTooNewError } from '../errors.js'
import type { SqlDriver } from './driver.js'

/** The schema version this release writes and reads. */
export const INBOX_SCHEMA_VERSION = 1

/** Migration `n` (index n - 1) takes the schema from version n - 1 to n. `{schema}` is replaced. */
const MIGRATIONS: readonly string[] = [
  `
create table {schema}.events (
  delivery_id text primary key,
  event text not null,
  payload jsonb not null,
  received_at timestamptz not null default now()
);
create index events_received_at on {schema}.events (received_at);
create table {schema}.tasks (
  id bigint generated always as identity primary key,
  delivery_id text not null references {schema}.events (delivery_id) on delete cascade,
  handler_id text not null,
  state text not null default 'pending' check (state in ('pending', 'done', 'dead')),
  attempts integer not null default 0,
  run_after timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (delivery_id, handler_id)
);
create index tasks_due on {schema}.tasks (run_after, id) where state = 'pending';
create index tasks_state_updated on {schema}.tasks (state, updated_at);
`,
]

/** The bootstrap every version shares: the schema and its version row. */
const BOOTSTRAP = `
create schema if not exists {schema};
create table if not exists {schema}.schema_version (
  singleton boolean primary key default true check (singleton),
  version integer not null,
  migrated_at timestamptz not null default now()
);
`

/** The SQL of every migration up to {@link INBOX_SCHEMA_VERSION}, for one schema name. */
export function migrationSql(schema: string): string {
  const steps = MIGRATIONS.map(
    (sql, i) =>
      `-- version ${i + 1}\n${sql.trim()}\n` +
      `insert into {schema}.schema_version (version) values (${i + 1})\n` +
      `  on conflict (singleton) do update set version = excluded.version, migrated_at = now();`,
  )
  return [BOOTSTRAP.trim(), ...steps].join('\n\n').replaceAll('{schema}', schema) + '\n'
}

/** Brings `schema` to {@link INBOX_SCHEMA_VERSION}; returns the version found before. */
export async function migrate(driver: SqlDriver, schema: string): Promise<number> {
  return driver.transaction(async (tx) => {
    // Serialises instances starting together; released at commit.
    await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `bluum_inbox.migrate:${schema}`,
    ])
    for (const statement of splitStatements(BOOTSTRAP.replaceAll('{schema}', schema))) {
      await tx.query(statement)
    }
    const { rows } = await tx.query<{ version: number }>(
      `select version from ${schema}.schema_version`,
    )
    const found = rows[0]?.version ?? 0
    if (found > INBOX_SCHEMA_VERSION) {
      throw new InboxSchemaTooNewError(schema, found, INBOX_SCHEMA_VERSION)
    }
    for (let version = found + 1; version <= INBOX_SCHEMA_VERSION; version++) {
      const sql = (MIGRATIONS[version - 1] as string).replaceAll('{schema}', schema)
      for (const statement of splitStatements(sql)) await tx.query(statement)
      await tx.query(
        `insert into ${schema}.schema_version (version) values ($1)
         on conflict (singleton) do update set version = excluded.version, migrated_at = now()`,
        [version],
      )
    }
    return found
  })
}

/** One statement per query: the extended protocol (parameters) takes a single statement. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*\n/)
    .map((s) => s.trim().replace(/;$/, ''))
    .filter((s) => s.length > 0)
}
