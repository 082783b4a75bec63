import t from 'tap'
import { buildApp } from './app.ts'
import { orderFilled, signedDelivery, TEST_SECRET } from '../../test/helpers/sign.js'

t.test('the quick start acknowledges a signed order.filled', async (t) => {
  const app = await buildApp({ webhookSecret: TEST_SECRET })
  t.teardown(() => app.close())
  const d = signedDelivery({ body: orderFilled() })
  const res = await app.inject({
    method: 'POST',
    url: '/webhooks/bluum',
    headers: d.headers,
    payload: d.payload,
  })
  t.same(res.json(), { received: true })
})
