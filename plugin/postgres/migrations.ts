/**
 * The inbox schema's migrations, in order, as SQL scripts. Each runs whole, in one call of the
 * driver (the simple query protocol on node-postgres, `exec` on PGlite), inside the migration's
 * transaction: no statement splitting. `{schema}` stands for the schema name.
 *
 * `breaking` says whether a release that does not know this migration can still run against a
 * schema that has it (graphile-worker marks its migrations the same way). A migration that only
 * adds nullable columns, tables or indexes an older release never reads is not breaking; one that
 * drops, renames or changes what an older release reads or writes is.
 */

export interface InboxMigration {
  /** The schema version this migration brings the schema to. */
  readonly version: number
  /** True when a release that knows only earlier versions cannot run against this one. */
  readonly breaking: boolean
  readonly description: string
  readonly sql: string
}

/**
 * The bootstrap every version shares: the schema, the `migrations` ledger (every applied version
 * with its breaking flag), and `schema_version`, which holds the last *breaking* version: a
 * release knowing at least that version can run here. (The first release read only that table, so
 * it keeps running through later non-breaking migrations.) Versions applied by that first release,
 * before the ledger existed, are entered into it as breaking.
 */
export const BOOTSTRAP_SQL = `
create schema if not exists {schema};
create table if not exists {schema}.schema_version (
  singleton boolean primary key default true check (singleton),
  version integer not null,
  migrated_at timestamptz not null default now()
);
create table if not exists {schema}.migrations (
  version integer primary key,
  breaking boolean not null,
  migrated_at timestamptz not null default now()
);
insert into {schema}.migrations (version, breaking)
  select v, true from {schema}.schema_version, generate_series(1, version) as v
  on conflict (version) do nothing;
`

export const MIGRATIONS: readonly InboxMigration[] = [
  {
    version: 1,
    breaking: true,
    description: 'events and tasks',
    sql: `
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
  },
  {
    version: 2,
    breaking: false,
    description: 'running tasks, workers, per-resource ordering, transactional attempts',
    sql: `
-- Who runs a task and since when (cleared when the attempt ends), and the resource order.
alter table {schema}.tasks
  add column worker_id text,
  add column started_at timestamptz,
  add column ordering_key text,
  add column event_at timestamptz;
create index tasks_ordering on {schema}.tasks (handler_id, ordering_key, event_at, id)
  where ordering_key is not null;
-- Every take and done mark updates the indexed columns of a task: one index fewer to keep up.
-- Dead tasks (retryDead) are the only ones looked up by their update time.
drop index {schema}.tasks_state_updated;
create index tasks_dead on {schema}.tasks (updated_at) where state = 'dead';
-- One row per running worker pool, its heartbeat renewed while it runs.
create table {schema}.workers (
  id text primary key,
  host text not null,
  pid integer not null,
  handlers text[] not null,
  concurrency integer not null,
  started_at timestamptz not null default now(),
  heartbeat_at timestamptz not null default now()
);
-- Transactional mode: failed runs of a delivery not processed yet (its handlers' attempt number).
create table {schema}.delivery_failures (
  delivery_id text primary key,
  failures integer not null,
  last_error text,
  updated_at timestamptz not null default now()
);
`,
  },
]

/** The schema version this release writes and reads. */
export const INBOX_SCHEMA_VERSION = (MIGRATIONS.at(-1) as InboxMigration).version

/** One migration's script with its ledger entries, for one schema name. */
export function migrationScript(migration: InboxMigration, schema: string): string {
  const ledger =
    `insert into {schema}.migrations (version, breaking) values (${migration.version}, ${migration.breaking});` +
    (migration.breaking
      ? `\ninsert into {schema}.schema_version (version) values (${migration.version})\n` +
        `  on conflict (singleton) do update set version = excluded.version, migrated_at = now();`
      : '')
  return `${migration.sql.trim()}\n${ledger}\n`.replaceAll('{schema}', schema)
}

/** The bootstrap for one schema name. */
export function bootstrapScript(schema: string): string {
  return BOOTSTRAP_SQL.trim().replaceAll('{schema}', schema) + '\n'
}

/**
 * The SQL that brings one schema from version `fromVersion` (default 0: an empty schema) to
 * {@link INBOX_SCHEMA_VERSION}: what `migrate()` runs, for teams that apply migrations themselves.
 * @example migrationSql('bluum_inbox', 1) // the upgrade of a schema at version 1
 */
export function migrationSql(schema: string, fromVersion = 0): string {
  const steps = MIGRATIONS.filter((m) => m.version > fromVersion).map(
    (m) =>
      `-- version ${m.version}${m.breaking ? ' (breaking)' : ''}: ${m.description}\n` +
      migrationScript(m, schema),
  )
  return [bootstrapScript(schema), ...steps].join('\n')
}
