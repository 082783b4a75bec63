/**
 * The same behaviour suite as test/postgres-inbox.test.ts on PGlite, the embedded PostgreSQL the
 * example and users' own tests run on without a server.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { INBOX_SCHEMA_VERSION, migrationSql } from '../plugin/postgres/index.js'
import { startPgliteBackend, type InboxBackend } from './helpers/inbox-backends.js'
import { inboxSuite } from './helpers/inbox-suite.js'

// PGlite compiles its WebAssembly and runs initdb in-process: tens of seconds on a loaded machine.
t.setTimeout(300_000)

let backend: InboxBackend
t.before(async () => {
  backend = await startPgliteBackend()
})
t.teardown(() => backend.close())

inboxSuite(t, () => backend)

t.test(
  'docs/postgres.md shows the migration SQL, and that SQL gives a schema migrate() accepts',
  async (t) => {
    const docs = readFileSync(new URL('../docs/postgres.md', import.meta.url), 'utf8')
    const sql = /```sql\n([\s\S]*?)```/.exec(docs)?.[1]
    t.equal(sql, migrationSql('bluum_inbox'))
    const schema = 'docs_' + process.pid
    // Applied as one script, the way a migration tool runs a file.
    await backend.exec(migrationSql(schema))
    const own = backend.inbox({ schema, migrate: false })
    t.equal(await own.migrate(), INBOX_SCHEMA_VERSION, 'migrate() finds it current')
  },
)

t.test('createPostgresInbox refuses a task timeout that is not a positive integer of ms', (t) => {
  for (const taskTimeoutMs of [0, -1, 1.5, '60000', Number.NaN]) {
    t.throws(
      () => backend.inbox({ taskTimeoutMs: taskTimeoutMs as number }),
      {
        code: 'BLUUM_INBOX_INVALID_OPTION',
        message: /"taskTimeoutMs": expected a positive integer, received /,
      },
      String(taskTimeoutMs),
    )
  }
  t.end()
})

t.test('createPostgresInbox refuses options it cannot honour, naming them', (t) => {
  const rows: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'a lease no longer than the timeout',
      { taskTimeoutMs: 1000, leaseMs: 1000 },
      /"leaseMs": must be longer than taskTimeoutMs \(1000\)/,
    ],
    [
      'an unknown option',
      { maxAtempts: 3 },
      /"maxAtempts": not an option of createPostgresInbox; did you mean "maxAttempts"\?/,
    ],
    [
      'a mode',
      { mode: 'inline' },
      /"mode": expected one of "queue", "transactional", received the string "inline"/,
    ],
    [
      'a negative Retry-After',
      { retryAfterSeconds: -1 },
      /"retryAfterSeconds": expected an integer >= 0/,
    ],
    [
      'an observer that is not a function',
      { onStoreError: 'log' },
      /"onStoreError": expected a function/,
    ],
  ]
  for (const [name, options, message] of rows) {
    t.throws(() => backend.inbox(options), { code: 'BLUUM_INBOX_INVALID_OPTION', message }, name)
  }
  t.end()
})
