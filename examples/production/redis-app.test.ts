/**
 * redis-app.ts, which the README links, as two instances behind one Redis (a real redis-server
 * on a free loopback port): a delivery and its retry on the other instance run the handlers
 * once, and the retry is answered as a duplicate.
 */
import t from 'tap'
import { buildApp } from './redis-app.ts'
import { startRedisServer } from '../../test/helpers/redis-server.js'
import { orderFilled, signedDelivery, TEST_SECRET } from '../../test/helpers/sign.js'

t.test('two instances on one Redis handle a delivery and its retry once', async (t) => {
  const redis = await startRedisServer()
  t.teardown(() => redis.close())
  process.env.REDIS_URL = redis.url
  t.teardown(() => void delete process.env.REDIS_URL)

  const handled: string[] = []
  const instances = [
    await buildApp({ webhookSecret: TEST_SECRET }),
    await buildApp({ webhookSecret: TEST_SECRET }),
  ]
  for (const [index, app] of instances.entries()) {
    t.teardown(() => app.close())
    app.bluum.on('order.filled', async (event) => void handled.push(`${index}:${event.data.id}`))
  }

  const delivery = signedDelivery({ body: orderFilled({ id: 'ord_once' }) })
  const answers = []
  for (const app of instances) {
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/bluum',
      headers: delivery.headers,
      payload: delivery.payload,
    })
    answers.push([res.statusCode, res.json()])
  }
  t.same(answers, [
    [200, { received: true }],
    [200, { received: true, duplicate: true }],
  ])
  t.same(handled, ['0:ord_once'], 'the first instance ran the handlers; the second did not')
})
