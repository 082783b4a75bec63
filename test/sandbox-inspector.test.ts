/**
 * The inspector over real HTTP on 127.0.0.1: its pages, forms (post, then redirect), who may
 * use it, and its live event stream. Every refused request is shown to change nothing.
 */
import t from 'tap'
import { createSandbox, createSandboxServer } from '../mock-server/index.js'
import { inspectorPaths } from '../mock-server/inspector/views.js'

const tenant = 'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

async function setup(t: { teardown(fn: () => unknown): void }) {
  const sandbox = createSandbox({ clock: 'real' })
  const server = createSandboxServer(sandbox)
  t.teardown(async () => {
    await server.close()
    await sandbox.close()
  })
  const base = await server.listen({ port: 0, host: '127.0.0.1' })
  // Nothing listens on port 9 (discard): every attempt fails with a connection error.
  const webhook = sandbox.webhooks.create({
    name: 'app',
    url: 'http://127.0.0.1:9/webhooks/bluum',
    eventTypeNames: ['*'],
  })
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(base + path, { headers: { accept: 'text/html', ...headers }, redirect: 'manual' })
  const post = (path: string, form: Record<string, string> = {}, headers = {}) =>
    fetch(base + path, {
      method: 'POST',
      body: new URLSearchParams(form),
      headers: { origin: base, ...headers },
      redirect: 'manual',
    })
  return { sandbox, server, base, webhook, get, post }
}

t.test('the sandbox root is the inspector; /v1 leads a browser there', async (t) => {
  const { get, base } = await setup(t)
  const root = await get('/')
  t.equal(root.status, 200)
  t.match(root.headers.get('content-type'), 'text/html')
  t.match(root.headers.get('content-security-policy'), "script-src 'self'")
  t.equal(root.headers.get('cache-control'), 'no-store')
  t.match(await root.text(), '<h1>Events and deliveries</h1>')
  const v1 = await get('/v1')
  t.equal(v1.status, 303)
  t.equal(v1.headers.get('location'), '/')
  const api = await fetch(base + '/v1', { headers: { accept: 'application/json' } })
  t.equal(api.status, 404, 'an API client keeps Bluum 404')
  t.match(await api.json(), { error: { code: 'BLUM-404-002' } })
  for (const [path, type] of [
    [inspectorPaths.css, 'text/css'],
    [inspectorPaths.js, 'text/javascript'],
  ] as const) {
    const asset = await get(path)
    t.equal(asset.status, 200, path)
    t.match(asset.headers.get('content-type'), type)
    t.ok((await asset.text()).length > 500, `${path} has content`)
  }
})

t.test('a triggered event and its failing delivery are listed, and open', async (t) => {
  const { sandbox, get, post } = await setup(t)
  const triggered = await post('/trigger', { event: 'order.filled', data: '{"symbol": "MSFT"}' })
  t.equal(triggered.status, 303)
  const [event] = sandbox.events()
  t.equal(event?.event, 'order.filled')
  t.match(triggered.headers.get('location'), `/events/${event!.id}?notice=Triggered`)
  await sandbox.idle()
  const [delivery] = sandbox.deliveries.list()
  const feed = await (await get('/')).text()
  t.match(feed, `href="/deliveries/${delivery!.id}"`)
  t.match(feed, 'failing')
  const filtered = await (await get('/?status=delivered')).text()
  t.notMatch(filtered, delivery!.id, 'a status filter leaves it out')
  const page = await get(`/deliveries/${delivery!.id}`)
  t.equal(page.status, 200)
  const text = await page.text()
  t.match(text, 'Attempt 1')
  t.match(text, '&quot;symbol&quot;: &quot;MSFT&quot;', 'the envelope')
  t.match(text, 'advance the clock to get there now', 'the next retry')
  t.notMatch(text, 'Replay this delivery', 'a pending delivery retries by itself')
  t.equal((await get('/deliveries/dlv_nope')).status, 404)
  t.equal((await get(`/events/${event!.id}`)).status, 200)
})

t.test("an invalid trigger shows the API's error and emits nothing", async (t) => {
  const { sandbox, post } = await setup(t)
  const table: [string, Record<string, string>, number, string][] = [
    [
      'a field the catalog refuses',
      { event: 'order.filled', data: '{"symbol": 1}' },
      400,
      'BLUM-400-001',
    ],
    [
      'a computed field',
      { event: 'order.filled', data: '{"status": "open"}' },
      400,
      'BLUM-400-001',
    ],
    ['a name outside the catalog', { event: 'order.teleported', data: '' }, 400, 'BLUM-400-001'],
    [
      'data that is not JSON',
      { event: 'order.filled', data: '{"symbol": ' },
      400,
      'BLUUM_INSPECTOR_INVALID_JSON',
    ],
    ['data that is not an object', { event: 'order.filled', data: '[1]' }, 400, 'BLUM-400-'],
  ]
  for (const [name, form, status, code] of table) {
    const answer = await post('/trigger', form)
    t.equal(answer.status, status, `${name}: status`)
    const text = await answer.text()
    t.match(text, code, `${name}: code`)
    if (form.data)
      t.match(text, form.data.replace(/"/g, '&quot;'), `${name}: the form keeps the data`)
  }
  t.equal(sandbox.events().length, 0, 'nothing was emitted')
})

t.test('a secret is hidden until revealed; rotate shows the new one', async (t) => {
  const { webhook, get, post } = await setup(t)
  const secret = webhook.secret
  const list = await (await get('/webhooks')).text()
  t.notMatch(list, 'whsec_', 'no secret on the list')
  const revealed = await post(`/webhooks/${webhook.id}/reveal`)
  t.equal(revealed.status, 200)
  t.match(await revealed.text(), secret)
  const rotated = await post(`/webhooks/${webhook.id}/rotate`)
  t.equal(rotated.status, 200)
  t.not(webhook.secret, secret, 'rotated')
  const text = await rotated.text()
  t.match(text, webhook.secret, 'the new secret is shown once')
  t.notMatch(text, secret, 'the old one is not')
  t.match(text, 'the old one keeps signing until')
})

t.test('replay and replay-parked go through the API and redirect', async (t) => {
  const { sandbox, webhook, post } = await setup(t)
  sandbox.trigger('account.created')
  await sandbox.idle()
  const [delivery] = sandbox.deliveries.list()
  const early = await post(`/deliveries/${delivery!.id}/replay`)
  t.equal(early.status, 409, 'a pending delivery: the API refuses')
  t.match(await early.text(), 'BLUM-409-003')
  const advanced = await post('/clock/advance', { duration: '11h', back: '/webhooks' })
  t.equal(advanced.status, 303)
  t.match(advanced.headers.get('location'), /^\/webhooks\?notice=Clock%20advanced/)
  await sandbox.idle()
  t.equal(delivery!.status, 'parked')
  t.equal(delivery!.attempts.length, 6, 'the whole ladder ran')
  const replayed = await post(`/deliveries/${delivery!.id}/replay`)
  t.equal(replayed.status, 303)
  t.match(replayed.headers.get('location'), `/deliveries/${delivery!.id}?notice=Replayed`)
  await sandbox.idle()
  t.equal(delivery!.attempts.length, 7, 'a new attempt')
  await sandbox.clock.advance('11h')
  await sandbox.idle()
  const all = await post(`/webhooks/${webhook.id}/replay-parked`)
  t.equal(all.status, 303)
  t.match(all.headers.get('location'), 'Replayed%201%20parked%20delivery')
  for (const back of ['//evil.example/x', '/\\evil.example/x', 'http://evil.example/x']) {
    const away = await post('/clock/advance', { duration: '1s', back })
    t.match(away.headers.get('location'), /^\/\?notice=/, `${back}: back to the inspector`)
  }
  const bad = await post('/clock/advance', { duration: 'soon' })
  t.equal(bad.status, 400)
  t.match(await bad.text(), 'BLUM-400-003')
})

t.test('requests the inspector refuses change nothing', async (t) => {
  const { sandbox, server, webhook, base, post } = await setup(t)
  const secret = webhook.secret
  const cases: [string, () => Promise<Response>, number, string][] = [
    [
      'a rotate posted from another site',
      () => post(`/webhooks/${webhook.id}/rotate`, {}, { origin: 'http://evil.example' }),
      403,
      'BLUUM_INSPECTOR_CROSS_SITE',
    ],
    [
      'a trigger a cross-site page caused (no Origin, Sec-Fetch-Site says so)',
      () =>
        fetch(base + '/trigger', {
          method: 'POST',
          body: new URLSearchParams({ event: 'order.filled' }),
          headers: { 'sec-fetch-site': 'cross-site' },
          redirect: 'manual',
        }),
      403,
      'BLUUM_INSPECTOR_CROSS_SITE',
    ],
    [
      'a reveal from a rebound host name (a loopback peer, a foreign Host)',
      async () => {
        const answer = await server.inject({
          method: 'POST',
          url: `/webhooks/${webhook.id}/reveal`,
          remoteAddress: '127.0.0.1',
          headers: { host: 'evil.example:4010', origin: 'http://evil.example:4010' },
        })
        return new Response(answer.body, { status: answer.statusCode })
      },
      401,
      'BLUUM_INSPECTOR_CREDENTIALS_REQUIRED',
    ],
  ]
  for (const [name, send, status, code] of cases) {
    const answer = await send()
    t.equal(answer.status, status, `${name}: status`)
    const text = await answer.text()
    t.match(text, code, `${name}: code`)
    t.notMatch(text, 'whsec_', `${name}: no secret`)
  }
  const fromNetwork = await server.inject({
    method: 'GET',
    url: '/webhooks',
    remoteAddress: '10.0.0.7',
    headers: { host: '10.0.0.2:4010' },
  })
  t.equal(fromNetwork.statusCode, 401, 'another machine needs the credentials')
  t.match(fromNetwork.headers['www-authenticate'], /^Basic realm=/)
  const signedIn = await server.inject({
    method: 'GET',
    url: '/webhooks',
    remoteAddress: '10.0.0.7',
    headers: { host: '10.0.0.2:4010', authorization: tenant },
  })
  t.equal(signedIn.statusCode, 200, "with the sandbox's key and secret it is served")
  t.equal(webhook.secret, secret, 'the secret did not change')
  t.equal(sandbox.events().length, 0, 'no event was emitted')
})

t.test(
  'the live stream sends each event and attempt, and ends when the server closes',
  async (t) => {
    const sandbox = createSandbox({ clock: 'real' })
    const server = createSandboxServer(sandbox)
    t.teardown(() => sandbox.close())
    const base = await server.listen({ port: 0, host: '127.0.0.1' })
    sandbox.webhooks.create({ name: 'app', url: 'http://127.0.0.1:9/x', eventTypeNames: ['*'] })
    const response = await fetch(base + inspectorPaths.stream)
    t.match(response.headers.get('content-type'), 'text/event-stream')
    const reader = response.body!.getReader()
    let text = ''
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read()
        if (done) throw new Error(`stream ended before ${pattern}: ${text}`)
        text += Buffer.from(value).toString('utf8')
      }
    }
    const emitted = sandbox.trigger('order.filled')
    await until(/event: attempt\ndata: .*\n\n/)
    t.match(text, `event: event\ndata: {"id":"${emitted.id}","event":"order.filled"`)
    t.match(
      text,
      /event: attempt\ndata: \{"delivery_id":"dlv_[^"]+","webhook_id":"wh_[^"]+","event":"order.filled","event_id":"evt_/,
    )
    await server.close()
    const { done } = await reader.read()
    t.ok(done, 'closing the server ended the stream')
  },
)
