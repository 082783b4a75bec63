/**
 * The inspector over real HTTP on 127.0.0.1: its pages, forms (post, then redirect with a notice
 * id), endpoints managed through the API, retry-now and replay, who may use it, and its live event
 * stream. Every refused request is shown to change nothing.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import Fastify from 'fastify'
import t from 'tap'
import bluumWebhooks from '../plugin/index.js'
import { createSandbox, createSandboxServer, generateWebhookSecret } from '../mock-server/index.js'
import { inspectorPaths } from '../mock-server/inspector/layout.js'

const run = promisify(execFile)
const tenant = 'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

async function setup(
  t: { teardown(fn: () => unknown): void },
  options: Parameters<typeof createSandboxServer>[1] = {},
) {
  const sandbox = createSandbox({ clock: 'real' })
  const server = createSandboxServer(sandbox, options)
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
  t.match(await root.text(), '<h1>Deliveries</h1>')
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
  t.equal(triggered.headers.get('location'), `/events/${event!.id}?notice=triggered`)
  await sandbox.idle()
  const [delivery] = sandbox.deliveries.list()
  const feed = await (await get('/')).text()
  t.match(feed, `href="/?delivery=${delivery!.id}"`)
  t.match(feed, 'failing')
  t.match(feed, 'ECONNREFUSED', "the row names the last answer's code")
  const selected = await (await get(`/?delivery=${delivery!.id}`)).text()
  t.match(selected, 'aria-current="true"', 'the list marks the selected row')
  t.match(selected, 'id="delivery-live"', 'and shows the delivery beside it')
  const filtered = await (await get('/?status=delivered')).text()
  t.notMatch(filtered, delivery!.id, 'a status filter leaves it out')
  const page = await get(`/deliveries/${delivery!.id}`)
  t.equal(page.status, 200)
  const text = await page.text()
  t.match(text, 'Attempt 1')
  t.match(text, '&quot;symbol&quot;: &quot;MSFT&quot;', 'the envelope')
  t.match(text, 'retry now, or advance the clock', 'the next retry')
  t.match(
    text,
    /id="replay-delivery"\s+disabled/,
    'a pending delivery retries by itself: replay is disabled',
  )
  t.notMatch(text, /id="retry-now"\s+disabled/, 'retry now is enabled')
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
  t.equal(advanced.headers.get('location'), '/webhooks?notice=clock-advanced')
  await sandbox.idle()
  t.equal(delivery!.status, 'parked')
  t.equal(delivery!.attempts.length, 6, 'the whole ladder ran')
  const replayed = await post(`/deliveries/${delivery!.id}/replay`)
  t.equal(replayed.status, 303)
  t.equal(replayed.headers.get('location'), `/deliveries/${delivery!.id}?notice=replayed`)
  await sandbox.idle()
  t.equal(delivery!.attempts.length, 7, 'a new attempt')
  await sandbox.clock.advance('11h')
  await sandbox.idle()
  const all = await post(`/webhooks/${webhook.id}/replay-parked`)
  t.equal(all.status, 303)
  t.equal(all.headers.get('location'), `/?webhook_id=${webhook.id}&notice=replayed-parked`)
  const bad = await post('/clock/advance', { duration: 'soon' })
  t.equal(bad.status, 400)
  t.match(await bad.text(), 'BLUM-400-003')
})

t.test('requests the inspector refuses change nothing', async (t) => {
  const { sandbox, server, webhook, base, post } = await setup(t, { allowedHosts: ['10.0.0.2'] })
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
      'a reveal from a rebound host name, with the default credentials',
      async () => {
        const answer = await server.inject({
          method: 'POST',
          url: `/webhooks/${webhook.id}/reveal`,
          remoteAddress: '127.0.0.1',
          headers: {
            host: 'evil.example:4010',
            origin: 'http://evil.example:4010',
            authorization: tenant,
          },
        })
        return new Response(answer.body, { status: answer.statusCode })
      },
      403,
      'BLUUM_SANDBOX_HOST_NOT_ALLOWED',
    ],
    [
      'a reveal from another machine without credentials',
      async () => {
        const answer = await server.inject({
          method: 'POST',
          url: `/webhooks/${webhook.id}/reveal`,
          remoteAddress: '10.0.0.7',
          headers: { host: '10.0.0.2:4010' },
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

t.test('where the clock form sends the browser back: a path of this server only', async (t) => {
  const { sandbox, post } = await setup(t)
  const table: [string, string][] = [
    ['/webhooks', '/webhooks?notice=clock-advanced'],
    ['/?status=failing&event=order.*', '/?status=failing&event=order.*&notice=clock-advanced'],
    ['//evil.example/x', '/?notice=clock-advanced'],
    ['/\\evil.example/x', '/?notice=clock-advanced'],
    ['/\t/evil.example/x', '/?notice=clock-advanced'],
    ['/\r\nx', '/?notice=clock-advanced'],
    ['/%09/evil.example', '/%09/evil.example?notice=clock-advanced'],
    ['http://evil.example/x', '/?notice=clock-advanced'],
    ['javascript:alert(1)', '/?notice=clock-advanced'],
    ['', '/?notice=clock-advanced'],
  ]
  for (const [back, location] of table) {
    const before = sandbox.clock.now()
    const answer = await post('/clock/advance', { duration: '1s', back })
    t.equal(answer.status, 303, `${JSON.stringify(back)}: a redirect, never a 500`)
    t.equal(answer.headers.get('location'), location, `${JSON.stringify(back)}: where to`)
    t.ok(sandbox.clock.now() >= before + 1000, `${JSON.stringify(back)}: the clock moved once`)
  }
})

t.test('notices are message ids: a link cannot put text into the success box', async (t) => {
  const { get } = await setup(t)
  const phishing = await (await get('/?notice=Your%20account%20is%20locked%2C%20call%20us')).text()
  t.notMatch(phishing, 'account is locked')
  t.notMatch(phishing, 'class="notice"')
  const known = await (await get('/?notice=webhook-created')).text()
  t.match(known, /class="notice" role="status">Webhook created/)
})

t.test('endpoints are added, edited, disabled, tested and deleted through the API', async (t) => {
  const { sandbox, base, get, post } = await setup(t)
  const refusals: [string, [string, string][], number, string, string][] = [
    [
      'no name',
      [
        ['name', ''],
        ['url', 'http://127.0.0.1:3000/hook'],
        ['events', '*'],
      ],
      400,
      'name',
      'BLUM-400-',
    ],
    [
      'a URL that is not one',
      [
        ['name', 'app'],
        ['url', 'not a url'],
        ['events', '*'],
      ],
      400,
      'url',
      'BLUM-400-003',
    ],
    [
      'no event',
      [
        ['name', 'app'],
        ['url', 'http://127.0.0.1:3000/hook'],
      ],
      400,
      'eventTypeNames',
      'BLUM-400-',
    ],
    [
      'a bad wildcard',
      [
        ['name', 'app'],
        ['url', 'http://127.0.0.1:3000/hook'],
        ['events_other', 'order*'],
      ],
      400,
      'eventTypeNames',
      'BLUM-400-003',
    ],
  ]
  const before = sandbox.webhooks.list().length
  for (const [name, pairs, status, field, code] of refusals) {
    const answer = await sendPairs(`/webhooks/new`, pairs)
    t.equal(answer.status, status, `${name}: status`)
    const text = await answer.text()
    t.match(text, code, `${name}: the API's code`)
    t.match(text, `id="error-${field}"`, `${name}: the message at the field`)
    t.match(text, 'aria-invalid="true"', `${name}: the field is marked`)
    const typed = pairs.find(([k]) => k === 'url')?.[1]
    if (typed) t.match(text, `value="${typed}"`, `${name}: what was typed is kept`)
  }
  t.equal(sandbox.webhooks.list().length, before, 'nothing was created')

  const created = await sendPairs('/webhooks/new', [
    ['name', 'orders app'],
    ['url', 'http://127.0.0.1:9/orders'],
    ['description', 'fills'],
    ['events', 'order.*'],
    ['events', 'account.created'],
  ])
  t.equal(created.status, 303)
  const webhook = sandbox.webhooks.list().find((w) => w.name === 'orders app')!
  t.same(webhook.event_type_names, ['order.*', 'account.created'])
  t.equal(created.headers.get('location'), `/webhooks?notice=webhook-created#${webhook.id}`)

  const editPage = await (await get(`/webhooks/${webhook.id}/edit`)).text()
  t.match(editPage, 'value="http://127.0.0.1:9/orders"')
  t.match(editPage, /value="order\.\*"\s+checked/, 'its events are ticked')
  const edited = await sendPairs(`/webhooks/${webhook.id}/edit`, [
    ['name', 'orders app'],
    ['url', 'http://127.0.0.1:9/v2/orders'],
    ['description', ''],
    ['events', 'order.filled'],
  ])
  t.equal(edited.status, 303)
  t.equal(webhook.url, 'http://127.0.0.1:9/v2/orders')
  t.same(webhook.event_type_names, ['order.filled'])
  t.equal(webhook.description, null)
  const badEdit = await sendPairs(`/webhooks/${webhook.id}/edit`, [
    ['name', 'orders app'],
    ['url', 'ftp://x'],
    ['events', 'order.filled'],
  ])
  t.equal(badEdit.status, 400)
  t.equal(webhook.url, 'http://127.0.0.1:9/v2/orders', 'a refused edit changes nothing')

  const disabled = await post(`/webhooks/${webhook.id}/status`, { status: 'inactive' })
  t.equal(disabled.headers.get('location'), `/webhooks?notice=webhook-disabled#${webhook.id}`)
  t.equal(webhook.status, 'inactive')
  const refusedTest = await post(`/webhooks/${webhook.id}/test`, { event: 'order.filled' })
  t.equal(refusedTest.status, 409, 'no test send to a disabled endpoint')
  t.match(await refusedTest.text(), 'BLUM-409-003')
  await post(`/webhooks/${webhook.id}/status`, { status: 'active' })
  t.equal(webhook.status, 'active')

  const events = sandbox.events().length
  const tested = await post(`/webhooks/${webhook.id}/test`, { event: 'document.approved' })
  t.equal(tested.status, 303)
  const [testDelivery] = sandbox.deliveries.list({ webhookId: webhook.id })
  t.equal(testDelivery?.event, 'document.approved', 'any catalog event, to this endpoint alone')
  t.equal(tested.headers.get('location'), `/?delivery=${testDelivery!.id}&notice=test-sent`)
  t.equal(sandbox.deliveries.list().length, 1, 'no other webhook received it')
  t.equal(sandbox.events().length, events, 'a test send is not an event of the log')
  const eventPage = await get(`/events/${testDelivery!.event_id}`)
  t.equal(eventPage.status, 200, 'its event page reads the envelope from the delivery')

  const confirm = await (await get(`/webhooks/${webhook.id}/delete`)).text()
  t.match(confirm, 'This cannot be undone')
  const deleted = await post(`/webhooks/${webhook.id}/delete`)
  t.equal(deleted.headers.get('location'), '/webhooks?notice=webhook-deleted')
  t.notOk(sandbox.state.webhooks.has(webhook.id))
  t.equal(testDelivery!.status, 'cancelled', 'its waiting retry was cancelled')
  t.equal((await post(`/webhooks/${webhook.id}/delete`)).status, 404)

  async function sendPairs(path: string, pairs: [string, string][]) {
    return fetch(base + path, {
      method: 'POST',
      body: new URLSearchParams(pairs),
      headers: { origin: base },
      redirect: 'manual',
    })
  }
})

t.test('retry now runs the next attempt at once, without moving the clock', async (t) => {
  const { sandbox, webhook, get, post } = await setup(t)
  sandbox.trigger('order.filled')
  await sandbox.idle()
  const [delivery] = sandbox.deliveries.list({ webhookId: webhook.id })
  t.equal(delivery!.attempts.length, 1)
  const waiting = delivery!.next_attempt_at
  const clock = sandbox.clock.now()
  const retried = await post(`/deliveries/${delivery!.id}/retry`, {
    back: `/?delivery=${delivery!.id}`,
  })
  t.equal(retried.status, 303)
  t.equal(retried.headers.get('location'), `/?delivery=${delivery!.id}&notice=retried`)
  await sandbox.idle()
  t.equal(delivery!.attempts.length, 2, 'a second attempt ran')
  t.ok(sandbox.clock.now() - clock < 60_000, 'the clock did not jump to the retry')
  t.not(delivery!.next_attempt_at, waiting, 'the ladder goes on from there')
  t.equal(delivery!.status, 'pending')
  const page = await (await get(`/deliveries/${delivery!.id}`)).text()
  t.match(
    page,
    /Attempts 1–2:\s+ECONNREFUSED\s+<span class="count">×2<\/span>/,
    'identical failures fold into one',
  )

  await sandbox.clock.advance('11h')
  await sandbox.idle()
  t.equal(delivery!.status, 'parked')
  const parked = await post(`/deliveries/${delivery!.id}/retry`)
  t.equal(parked.status, 409, 'a parked delivery has no retry waiting')
  t.match(await parked.text(), 'BLUM-409-003')
  t.equal(delivery!.attempts.length, 6, 'and none ran')
})

t.test('a GET on an action URL (a reload after a reveal) leads back to the page', async (t) => {
  const { webhook, get } = await setup(t)
  for (const action of ['reveal', 'rotate', 'replay-parked', 'status', 'test']) {
    const answer = await get(`/webhooks/${webhook.id}/${action}`)
    t.equal(answer.status, 303, action)
    t.equal(answer.headers.get('location'), `/webhooks#${webhook.id}`, action)
  }
})

t.test("the delivery's curl command replays the signed request to the app", async (t) => {
  const { sandbox, get } = await setup(t)
  const secret = generateWebhookSecret()
  const app = Fastify()
  await app.register(bluumWebhooks, { secret })
  const handled: string[] = []
  app.bluum.onAny(async (event) => {
    handled.push(event.id ?? '')
  })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  sandbox.webhooks.create({
    name: 'app',
    url: `${address}/webhooks/bluum`,
    eventTypeNames: ['order.*'],
    secret,
  })
  const event = sandbox.trigger('order.filled')
  await sandbox.idle()
  const delivery = sandbox.deliveries.list({ phase: 'delivered' })[0]!
  const page = await (await get(`/deliveries/${delivery.id}`)).text()
  const attribute = /data-copy="(curl [^"]+)"/.exec(page)?.[1]
  t.ok(attribute, 'the page carries the command for its copy button')
  const command = attribute!
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
  const { stdout } = await run('sh', ['-c', `${command} --silent --show-error`])
  t.same(JSON.parse(stdout), { received: true, duplicate: true }, 'verified, and seen before')
  t.same(handled, [event.id], 'the handler ran once, for the original delivery')
})
