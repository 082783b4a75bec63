/**
 * Child process of `bench/postgres-inbox.ts`: one HTTP server on 127.0.0.1, logger off, the
 * plugin with the test secret and one `order.filled` handler (id `effect`).
 *
 *   memory                  the memory store (the default), the handler a no-op run inline
 *   queue <url> <schema>    a queue-mode Postgres inbox on <url>, no workers: the answer comes
 *                           once the event and its task are stored
 *   workers <url> <schema> <concurrency> <call ms> <none|resource>
 *                           no server: queue-mode workers (startInboxWorker) whose handler waits
 *                           <call ms> (a call to another service; 0 for none), then inserts one
 *                           row into `effects` through `tx`
 *
 * `handled` counts the 200 answers that were not duplicates (a run inline, or a task stored), or
 * the handler runs of the workers.
 */
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import pg from 'pg'
import bluumWebhooks from '../../plugin/index.js'
import { createPostgresInbox, startInboxWorker } from '../../plugin/postgres/index.js'
import { TEST_SECRET } from '../../test/helpers/sign.js'
import { reportStartupError, serve } from './server-process.js'

async function workers(url: string, schema: string, options: string[]) {
  const [concurrency, callMs, ordering] = [Number(options[0]), Number(options[1]), options[2]]
  let handled = 0
  const pool = new pg.Pool({ connectionString: url, max: concurrency + 3 })
  const worker = await startInboxWorker({
    inbox: createPostgresInbox({
      pool,
      schema,
      concurrency,
      pollIntervalMs: 20,
      ordering: ordering === 'resource' ? 'resource' : 'none',
    }),
    handlers: (bluum) =>
      bluum.on(
        'order.filled',
        async (_event, { tx, deliveryId }) => {
          if (callMs > 0) await new Promise((resolve) => setTimeout(resolve, callMs))
          await tx.query('insert into effects (delivery_id) values ($1)', [deliveryId])
          handled++
        },
        { id: 'effect' },
      ),
  })
  serve(
    0,
    () => handled,
    async () => {
      await worker.close()
      await pool.end()
    },
  )
}

async function main(mode: string | undefined, url: string | undefined, ...rest: string[]) {
  if (mode === 'workers' && url && rest[0]) return workers(url, rest[0], rest.slice(1))
  const schema = rest[0]
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
    throw new Error(
      `usage: inbox-server.ts memory | queue <url> <schema> | workers <url> <schema> <n> <ms> <ordering> (got ${String(mode)})`,
    )
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

main(process.argv[2], process.argv[3], ...process.argv.slice(4)).catch(reportStartupError)
