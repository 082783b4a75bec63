/**
 * Brings the inbox schema to this release's version, in one transaction under an advisory lock,
 * so several instances starting together migrate once. Each migration (migrations.ts) runs as one
 * SQL script in one driver call.
 *
 * A schema migrated further by a newer release is fine as long as none of the versions this
 * release does not know is breaking: during a rolling deploy the old release keeps running while
 * the new one migrates. A breaking one is refused with both version numbers.
 */
import { InboxSchemaTooNewError } from '../errors.js'
import { inTransaction, type SqlDriver } from './driver.js'
import {
  bootstrapScript,
  INBOX_SCHEMA_VERSION,
  MIGRATIONS,
  migrationScript,
  type InboxMigration,
} from './migrations.js'

/** What {@link migrate} found and did. */
export interface MigrationOutcome {
  /** The schema's version before: the highest applied migration (0 for an empty schema). */
  readonly found: number
  /** The versions this call applied, in order. */
  readonly applied: readonly number[]
}

/** Brings `schema` to {@link INBOX_SCHEMA_VERSION}, or accepts a newer non-breaking schema. */
export async function migrate(driver: SqlDriver, schema: string): Promise<MigrationOutcome> {
  return inTransaction(driver, async (transaction) => {
    // Serialises instances starting together; released at commit.
    await transaction.tx.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `bluum_inbox.migrate:${schema}`,
    ])
    await transaction.exec(bootstrapScript(schema))
    const { rows } = await transaction.tx.query<{ version: number; breaking: boolean }>(
      `select version, breaking from ${schema}.migrations order by version`,
    )
    const found = rows.at(-1)?.version ?? 0
    const breaking = rows.find((row) => row.version > INBOX_SCHEMA_VERSION && row.breaking)
    if (breaking !== undefined) {
      throw new InboxSchemaTooNewError(schema, found, breaking.version, INBOX_SCHEMA_VERSION)
    }
    const pending = MIGRATIONS.filter((m: InboxMigration) => m.version > found)
    for (const migration of pending) {
      await transaction.exec(migrationScript(migration, schema))
    }
    return { found, applied: pending.map((m) => m.version) }
  })
}
