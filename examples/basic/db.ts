/**
 * The example's persistence: PostgreSQL (PGlite in-process by default, a real server with
 * DATABASE_URL), so exactly-once is visible in data that outlives a delivery, not in a counter.
 *
 * Every function takes whatever runs SQL: a handler's `tx` (its writes then commit with the
 * task's "done" mark), the app's pool or the PGlite instance (reads).
 */

/** Anything with node-postgres' `query`: a `pg.Pool`, a PGlite instance, a handler's `tx`. */
export interface Sql {
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }>
}

export interface Notification {
  investor_id: string
  order_id: string
  message: string
}

export interface Investor {
  investor_id: string
  trading_enabled: boolean
  onboarding_step: string
}

/** The example's tables; idempotent. */
export async function migrateExample(db: Sql): Promise<void> {
  for (const statement of [
    `create table if not exists notifications (
       id bigint generated always as identity primary key, investor_id text not null,
       order_id text not null, message text not null)`,
    `create table if not exists investors (
       investor_id text primary key, trading_enabled boolean not null default false,
       onboarding_step text not null default 'documents')`,
    `create table if not exists alerts (
       id bigint generated always as identity primary key, investor_id text not null,
       reason text not null)`,
  ]) {
    await db.query(statement)
  }
}

/** Records a user notification (one row per notification sent). */
export async function recordNotification(db: Sql, row: Notification): Promise<void> {
  await db.query('insert into notifications (investor_id, order_id, message) values ($1, $2, $3)', [
    row.investor_id,
    row.order_id,
    row.message,
  ])
}

export async function enableTrading(db: Sql, investorId: string): Promise<void> {
  await db.query(
    `insert into investors (investor_id, trading_enabled) values ($1, true)
     on conflict (investor_id) do update set trading_enabled = true`,
    [investorId],
  )
}

export async function continueOnboarding(db: Sql, investorId: string, step: string) {
  await db.query(
    `insert into investors (investor_id, onboarding_step) values ($1, $2)
     on conflict (investor_id) do update set onboarding_step = excluded.onboarding_step`,
    [investorId, step],
  )
}

export async function recordAlert(db: Sql, investorId: string, reason: string): Promise<void> {
  await db.query('insert into alerts (investor_id, reason) values ($1, $2)', [investorId, reason])
}

/** Reads, for the app's API and the tests. */
export function createQueries(db: Sql) {
  const columns = 'select investor_id, order_id, message from notifications'
  return {
    async notifications(investorId?: string): Promise<Notification[]> {
      const { rows } = investorId
        ? await db.query<Notification>(`${columns} where investor_id = $1 order by id`, [
            investorId,
          ])
        : await db.query<Notification>(`${columns} order by id`)
      return rows
    },
    async investor(investorId: string): Promise<Investor | undefined> {
      const { rows } = await db.query<Investor>(
        'select investor_id, trading_enabled, onboarding_step from investors where investor_id = $1',
        [investorId],
      )
      return rows[0]
    },
    async alerts(): Promise<Array<{ investor_id: string; reason: string }>> {
      const { rows } = await db.query<{ investor_id: string; reason: string }>(
        'select investor_id, reason from alerts order by id',
      )
      return rows
    },
  }
}

export type ExampleQueries = ReturnType<typeof createQueries>
