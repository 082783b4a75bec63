/** Secret rotation: during the overlap both secrets sign (two `v1,` entries), then only the new one. */
import t from 'tap'
import { createApi, createSandbox, type DeliveryRequest } from '../mock-server/index.js'
import { signatureEntry } from './helpers/sign.js'

const authorization =
  'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

t.test('rotate-secret returns a new secret; both sign until the overlap ends', async (t) => {
  const sent: DeliveryRequest[] = []
  const sandbox = createSandbox({
    transport: { send: async (r) => (sent.push(r), { status: 200, headers: {}, body: '' }) },
  })
  t.teardown(() => sandbox.close())
  const api = createApi(sandbox)
  const call = (method: string, path: string, body?: unknown) =>
    api.handle({
      method,
      path,
      query: {},
      headers: { authorization, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })

  const created = (
    await call('POST', '/webhooks', { name: 'x', url: 'http://r.test/', eventTypeNames: ['*'] })
  ).body as any
  const rotated = await call('POST', `/sandbox/webhooks/${created.id}/rotate-secret`, {
    overlap_seconds: 3600,
  })
  t.equal(rotated.status, 200)
  const fresh = (rotated.body as any).secret as string
  t.not(fresh, created.secret)
  t.match(rotated.body, { previous_secret_expires_at: /Z$/ })

  const verify = (r: DeliveryRequest, secret: string) =>
    signatureEntry(secret, r.headers['webhook-id']!, Number(r.headers['webhook-timestamp']), r.body)

  sandbox.trigger('order.filled')
  await sandbox.idle()
  t.same(sent[0]!.headers['webhook-signature']!.split(' '), [
    verify(sent[0]!, fresh),
    verify(sent[0]!, created.secret),
  ])

  await sandbox.clock.advance('1h')
  sandbox.trigger('order.filled')
  await sandbox.idle()
  t.equal(
    sent[1]!.headers['webhook-signature'],
    verify(sent[1]!, fresh),
    'one entry once the overlap ended',
  )
  t.match((await call('GET', `/sandbox/webhooks/${created.id}`)).body, {
    previous_secret_expires_at: null,
  })
})

t.test('the default overlap is 24 h; overlap 0 switches at once', async (t) => {
  const sandbox = createSandbox({
    transport: { send: async () => ({ status: 200, headers: {}, body: '' }) },
  })
  t.teardown(() => sandbox.close())
  const webhook = sandbox.webhooks.create({
    name: 'x',
    url: 'http://r.test/',
    eventTypeNames: ['*'],
  })
  const old = webhook.secret
  sandbox.webhooks.rotateSecret(webhook.id)
  t.same(sandbox.deliveries.liveSecrets(webhook), [webhook.secret, old])
  await sandbox.clock.advance('23h59m')
  t.equal(sandbox.deliveries.liveSecrets(webhook).length, 2)
  await sandbox.clock.advance('1m')
  t.equal(sandbox.deliveries.liveSecrets(webhook).length, 1)
  sandbox.webhooks.rotateSecret(webhook.id, 0)
  t.equal(sandbox.deliveries.liveSecrets(webhook).length, 1)
})
