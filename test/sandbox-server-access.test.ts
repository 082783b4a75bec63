/**
 * Who the standalone server answers, over real HTTP on 127.0.0.1: the `Host` allow-list (for the
 * API and the inspector alike, whatever the credentials), its security headers, and the caps on
 * open event streams. Every refusal is shown to change nothing.
 */
import { request as httpRequest } from 'node:http'
import t from 'tap'
import { createSandbox, createSandboxServer } from '../mock-server/index.js'
import { inspectorPaths } from '../mock-server/inspector/layout.js'
import { createHostAllowList } from '../mock-server/http/host-allow-list.js'
import { runCliToExit, startCli } from './helpers/sandbox-cli.js'

const tenant = 'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

/** One request with any `Host` (fetch cannot set it): status, headers and body text. */
function raw(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}> {
  const target = new URL(path, base)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }))
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

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
  const webhook = sandbox.webhooks.create({
    name: 'app',
    url: 'http://127.0.0.1:9/webhooks/bluum',
    eventTypeNames: ['*'],
  })
  return { sandbox, server, base, webhook, port: new URL(base).port }
}

t.test('a foreign Host is refused on every path, whatever the credentials', async (t) => {
  const { sandbox, base, webhook, port } = await setup(t)
  const secret = webhook.secret
  const evil = `evil.example:${port}`
  const cases: [
    string,
    string,
    { method?: string; headers?: Record<string, string>; body?: string },
  ][] = [
    [
      'the API with the default credentials',
      '/v1/webhooks',
      { headers: { authorization: tenant } },
    ],
    [
      'a trigger through the API',
      '/v1/sandbox/trigger',
      {
        method: 'POST',
        headers: { authorization: tenant, 'content-type': 'application/json' },
        body: '{"event":"order.filled"}',
      },
    ],
    ['the API stream', '/v1/sandbox/stream', { headers: { authorization: tenant } }],
    [
      'a reveal from a same-origin rebound page',
      `/webhooks/${webhook.id}/reveal`,
      { method: 'POST', headers: { origin: `http://${evil}`, authorization: tenant } },
    ],
    ['the inspector feed', '/', { headers: { accept: 'text/html' } }],
    ['the inspector stream', inspectorPaths.stream, {}],
    ['the OpenAPI document', '/openapi.json', {}],
    ['an unknown path', '/nope', {}],
  ]
  for (const [name, path, options] of cases) {
    const answer = await raw(base, path, {
      ...options,
      headers: { host: evil, ...options.headers },
    })
    t.equal(answer.status, 403, `${name}: 403`)
    t.match(answer.text, 'BLUUM_SANDBOX_HOST_NOT_ALLOWED', `${name}: the code`)
    t.match(answer.text, '--allowed-host', `${name}: says how to allow a name`)
    t.notMatch(answer.text, 'whsec_', `${name}: no secret`)
    t.notMatch(answer.text, webhook.id, `${name}: no state`)
  }
  const api = await raw(base, '/v1/webhooks', { headers: { host: evil, authorization: tenant } })
  t.match(JSON.parse(api.text), {
    error: { type: 'permission_error', code: 'BLUUM_SANDBOX_HOST_NOT_ALLOWED' },
  })
  t.equal(webhook.secret, secret, 'the secret did not change')
  t.equal(sandbox.events().length, 0, 'no event was emitted')
  t.equal(sandbox.webhooks.list().length, 1)
})

t.test('loopback names and the address a request arrived at are answered', async (t) => {
  const { base, port } = await setup(t)
  for (const host of [
    `127.0.0.1:${port}`,
    `localhost:${port}`,
    'localhost',
    `app.localhost:${port}`,
    `127.0.0.1:8080`,
  ]) {
    const answer = await raw(base, '/v1/webhooks', { headers: { host, authorization: tenant } })
    t.equal(answer.status, 200, host)
  }
})

t.test('allowedHosts adds names and domains; bad entries fail creation with a code', async (t) => {
  const { base, sandbox } = await setup(t, { allowedHosts: ['sandbox', '.example.test'] })
  const table: [string, number][] = [
    ['sandbox:4010', 200],
    ['SANDBOX', 200],
    ['example.test', 200],
    ['api.example.test:4010', 200],
    ['example.test.evil.example', 403],
    ['notexample.test', 403],
    ['sandbox.evil.example', 403],
  ]
  for (const [host, status] of table) {
    const answer = await raw(base, '/v1/webhooks', { headers: { host, authorization: tenant } })
    t.equal(answer.status, status, host)
  }
  for (const bad of ['http://sandbox', 'sandbox:4010', 'a/b', '']) {
    t.throws(
      () => createSandboxServer(sandbox, { allowedHosts: [bad] }),
      { code: 'BLUUM_SANDBOX_INVALID_OPTION' },
      JSON.stringify(bad),
    )
  }
  for (const [name, value] of [
    ['maxStreams', 0],
    ['maxStreamsPerClient', 1.5],
  ] as const) {
    t.throws(() => createSandboxServer(sandbox, { [name]: value }), {
      code: 'BLUUM_SANDBOX_INVALID_OPTION',
    })
  }
})

t.test('the allow-list decides from the Host and the connection address alone', async (t) => {
  const list = createHostAllowList({ allowedHosts: ['fd00::2'] })
  const table: [string | undefined, string | undefined, boolean][] = [
    ['10.0.0.2:4010', '10.0.0.2', true],
    ['10.0.0.2:4010', '::ffff:10.0.0.2', true],
    ['10.0.0.3:4010', '10.0.0.2', false],
    ['[::1]:4010', '::1', true],
    ['[fd00::2]:4010', 'fd00::1', true],
    ['[fd00::3]:4010', 'fd00::3', true],
    ['127.0.0.1.evil.example', '127.0.0.1', false],
    ['localhost.evil.example', '127.0.0.1', false],
    [undefined, '127.0.0.1', false],
  ]
  for (const [host, local, expected] of table)
    t.equal(list.allows(host, local), expected, `${host} at ${local}`)
})

t.test('every answer carries the security headers; pages the policy and no-store', async (t) => {
  const { base } = await setup(t)
  for (const path of ['/', '/webhooks', '/v1/webhooks', '/openapi.json', '/nope']) {
    const answer = await fetch(base + path, {
      headers: { authorization: tenant, accept: 'text/html' },
    })
    t.equal(answer.headers.get('cross-origin-opener-policy'), 'same-origin', `${path}: COOP`)
    t.equal(answer.headers.get('cross-origin-resource-policy'), 'same-origin', `${path}: CORP`)
    t.match(answer.headers.get('permissions-policy'), 'camera=()', `${path}: Permissions-Policy`)
    t.equal(answer.headers.get('x-content-type-options'), 'nosniff', `${path}: nosniff`)
  }
  const page = await fetch(base + '/')
  t.match(page.headers.get('content-security-policy'), "frame-ancestors 'none'")
  t.match(page.headers.get('content-security-policy'), "worker-src 'self'")
  t.equal(page.headers.get('cache-control'), 'no-store')
  const missing = await fetch(base + '/webhooks/wh_x/nothing', { headers: { accept: 'text/html' } })
  t.equal(missing.status, 404)
  t.match(missing.headers.get('content-type'), 'text/html', 'a browser gets a page, not JSON')
})

t.test('event streams are capped per client and in all, with a coded refusal', async (t) => {
  const { base, server } = await setup(t, { maxStreamsPerClient: 2, maxStreams: 3 })
  const open = async (path: string, headers: Record<string, string> = {}) => {
    const controller = new AbortController()
    const response = await fetch(base + path, { headers, signal: controller.signal })
    return { response, close: () => controller.abort() }
  }
  const first = await open(inspectorPaths.stream)
  const second = await open('/v1/sandbox/stream', { authorization: tenant })
  t.equal(first.response.status, 200)
  t.equal(
    first.response.headers.get('cross-origin-resource-policy'),
    'same-origin',
    'a stream keeps the security headers',
  )
  t.equal(second.response.status, 200, 'the API and the inspector share the caps')
  const third = await open(inspectorPaths.stream)
  t.equal(third.response.status, 429, 'the third from one client is refused')
  t.equal(third.response.headers.get('retry-after'), '5')
  t.match(await third.response.json(), {
    error: { type: 'rate_limit_error', code: 'BLUUM_SANDBOX_STREAM_LIMIT' },
  })
  const api = await open('/v1/sandbox/stream', { authorization: tenant })
  t.equal(api.response.status, 429)
  t.match(await api.response.text(), 'from this client (at most 2)')

  // Another client address: injected (the per-client count is by peer address).
  const other = await server.inject({
    method: 'GET',
    url: '/v1/sandbox/stream',
    remoteAddress: '127.0.0.2',
    headers: { authorization: tenant },
    payloadAsStream: true,
  })
  t.equal(other.statusCode, 200, 'another client still gets one')
  const over = await server.inject({
    method: 'GET',
    url: '/v1/sandbox/stream',
    remoteAddress: '127.0.0.3',
    headers: { authorization: tenant },
  })
  t.equal(over.statusCode, 429)
  t.match(over.json(), { error: { message: /on this sandbox \(at most 3\)/ } })
  other.stream().destroy()

  // Closing a stream frees its place: the client's next one is served once the server saw it go.
  first.close()
  let again = await open(inspectorPaths.stream)
  for (let tries = 0; again.response.status === 429 && tries < 200; tries++) {
    await new Promise((resolve) => setImmediate(resolve))
    again = await open(inspectorPaths.stream)
  }
  t.equal(again.response.status, 200, 'a closed stream frees its place')
  again.close()
  second.close()
})

t.test('bluum-sandbox --allowed-host adds names; a bad one exits 2', async (t) => {
  const cli = await startCli(t, [
    '--allowed-host',
    'sandbox.internal',
    '--allowed-host',
    '.dev.test',
  ])
  const base = cli.base.replace(/\/v1$/, '')
  for (const [host, status] of [
    ['sandbox.internal:4010', 200],
    ['app.dev.test', 200],
    ['evil.example', 403],
  ] as const) {
    const answer = await raw(base, '/v1/webhooks', { headers: { host, authorization: tenant } })
    t.equal(answer.status, status, host)
  }
  t.equal(await cli.stop(), 0)
  const bad = await runCliToExit(['--allowed-host', 'http://sandbox'])
  t.equal(bad.code, 2)
  t.match(bad.output, '--allowed-host: expected a host name')
})
