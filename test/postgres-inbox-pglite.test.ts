/**
 * The same behaviour suite as test/postgres-inbox.test.ts on PGlite, the embedded PostgreSQL the
 * example and users' own tests run on without a server.
 */
import t from 'tap'
import { startPgliteBackend, type InboxBackend } from './helpers/inbox-backends.js'
import { inboxSuite } from './helpers/inbox-suite.js'

let backend: InboxBackend
t.before(async () => {
  backend = await startPgliteBackend()
})
t.teardown(() => backend.close())

inboxSuite(t, () => backend)
