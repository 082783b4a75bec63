/**
 * postgres-app.ts as the README shows it, on a real PostgreSQL server (a private cluster on a
 * free loopback port): the delivery is acknowledged once queued, a worker commits the handler's
 * update, and a retry of the same event is answered as a duplicate. The test learns of the
 * commit from PostgreSQL itself: a trigger on the table notifies, and NOTIFY is delivered only
 * when the transaction commits.
 */
import diagnostics from 'node:diagnostics_channel'
import { once } from 'node:events'
import pg from 'pg'
import t from 'tap'
import { bluumChannels, type BluumHandlerMessage } from 'fastify-bluum-webhooks'
import { buildEvent } from 'fastify-bluum-webhooks/testing'
import { buildApp } from './postgres-app.ts'
import { startPostgresServer } from '../../test/helpers/postgres-server.js'
import { signedDelivery, TEST_SECRET } from '../../test/helpers/sign.js'

t.test('a deposit enables trading once, committed by a worker after the answer', async (t) => {
  const server = await startPostgresServer()
  t.teardown(() => server.close())
  const sql = new pg.Client({ connectionString: server.url })
  await sql.connect()
  t.teardown(() => sql.end())
  await sql.query(`
    create table investors (id text primary key, trading_enabled boolean not null);
    insert into investors values ('inv_ada', false);
    create function investor_updated() returns trigger language plpgsql as $$
      begin perform pg_notify('investor_updated', new.id); return new; end $$;
    create trigger investor_updated after update on investors
      for each row execute function investor_updated();
    listen investor_updated;
  `)
  const committed = once(sql, 'notification') as Promise<[pg.Notification]>
  const tasks = diagnostics.tracingChannel<unknown, BluumHandlerMessage>(bluumChannels.task)
  const ran = new Promise<BluumHandlerMessage>((resolve) => {
    const onTask = { start() {}, end() {}, asyncStart() {}, error() {}, asyncEnd: resolve }
    tasks.subscribe(onTask)
    t.teardown(() => void tasks.unsubscribe(onTask))
  })

  const app = await buildApp({ webhookSecret: TEST_SECRET, databaseUrl: server.url })
  t.teardown(() => app.close())
  const event = buildEvent('transfer.deposit.completed', { investor_id: 'inv_ada' })
  const delivery = signedDelivery({ body: event, id: event.id })
  const deliver = () =>
    app.inject({
      method: 'POST',
      url: '/webhooks/bluum',
      headers: delivery.headers,
      payload: delivery.payload,
    })

  const first = await deliver()
  t.equal(first.statusCode, 200, 'acknowledged once stored')
  const [notification] = await committed
  t.equal(notification.payload, 'inv_ada', 'the update committed')
  const { rows } = await sql.query('select trading_enabled from investors')
  t.same(rows, [{ trading_enabled: true }])
  t.match(
    await ran,
    { handler: 'enable-trading', error: undefined },
    'the handler ran under its id',
  )

  const retry = await deliver()
  t.same([retry.statusCode, retry.json()], [200, { received: true, duplicate: true }])
})
