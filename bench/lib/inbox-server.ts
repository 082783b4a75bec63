/**
 * Child process of `bench/postgres-inbox.ts`: one HTTP server on 127.0.0.1, logger off, the
 * plugin with the test secret and one `order.filled` handler (id `effect`).
 *
 *   memory                  the memory store (the default), the handler a no-op run inline
 *   queue <url> <schema>    a queue-mode Postgres inbox on <url>, no workers: the answer comes
 *                           once the event and its task are stored
 *
 * `handled` counts the 200 answers that were not duplicates: a run inline, or a task stored.
 */
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import pg from 'pg'
import bluumWebhooks from '../../plugin/index.js'
import { createPostgresInbox } from '../../plugin/postgres/index.js'
import { TEST_SECRET } from '../../test/helpers/sign.js'
import { reportStartupError, serve } from './server-process.js'

async function main(mode: string | undefined, url: string | undefined, schema?: string) {
  let handled = 0
  const app = Fastify({ logger: false })
  let pool: pg.Pool | undefined
  if (mode === 'memory') {
    await app.register(bluumWebhooks, { secret: TEST_SECRET })
  } else if (mode === 'queue' && url && schema) {
    pool = new pg.Pool({ connectionString: url, max: 10 })
    const inbox = createPostgresInbox({ pool, schema, mode: 'queue', concurrency: 0 })
    await app.register(bluumWebhooks, { secret: TEST_SECRET, inbox })
  } else {
    throw new Error(`usage: inbox-server.ts memory | queue <url> <schema> (got ${String(mode)})`)
  }
  app.bluum.on('order.filled', () => {}, { id: 'effect' })
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode === 200 && payload === '{"received":true}') handled++
    return payload
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  serve(
    (app.server.address() as AddressInfo).port,
    () => handled,
    async () => {
      await app.close()
      await pool?.end()
    },
  )
}

main(process.argv[2], process.argv[3], process.argv[4]).catch(reportStartupError)
