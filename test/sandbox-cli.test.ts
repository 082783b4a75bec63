/** The `bluum-sandbox` CLI: flags, banner, credentials, --forward-to, and a clean SIGTERM. */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const cli = fileURLToPath(new URL('../mock-server/cli.ts', import.meta.url))

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import=tsx', cli, ...args], {
    env: { ...process.env, BLUUM_API_KEY: '', BLUUM_API_SECRET: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
  const banner = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => stdout.includes('Time scale') && resolve(stdout))
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${stdout}`)))
  })
  // Only the server test awaits the banner; the others exit on purpose.
  banner.catch(() => undefined)
  return { child, banner, output: () => stdout }
}

t.test('--help lists every flag', async (t) => {
  const { child, output } = run(['--help'])
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
  for (const flag of [
    '--port',
    '--host',
    '--api-key',
    '--api-secret',
    '--time-scale',
    '--rate-limit',
    '--forward-to',
    '--webhook-secret',
    '--state',
    '--help',
  ]) {
    t.match(output(), flag)
  }
  t.match(output(), 'bluum_sandbox_key')
})

t.test('an unknown flag exits 2', async (t) => {
  const { child } = run(['--nope'])
  const [code] = await once(child, 'exit')
  t.equal(code, 2)
})

t.test('prints base URL and credentials, forwards events, and closes on SIGTERM', async (t) => {
  const { child, banner } = run(['--port', '0', '--forward-to', 'http://127.0.0.1:9/hook'], {
    BLUUM_API_KEY: 'env_key',
    BLUUM_API_SECRET: 'env_secret',
  })
  t.teardown(() => child.exitCode === null && child.kill('SIGKILL'))
  const text = await banner
  const base = /listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(text)?.[1]
  t.ok(base, 'prints its base URL')
  t.match(text, /API key: +env_key/)
  t.match(text, /API secret: +env_secret/)
  t.match(text, /Secret: +whsec_/)
  const inspector = /Inspector: +(http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(text)?.[1]
  t.equal(inspector, base?.replace(/v1$/, ''), 'prints the inspector URL')
  t.match(await (await fetch(inspector!)).text(), '<h1>Deliveries</h1>', 'serves it')
  const authorization = 'Basic ' + Buffer.from('env_key:env_secret').toString('base64')
  const list = (await fetch(`${base}/webhooks`, { headers: { authorization } }).then((r) =>
    r.json(),
  )) as { data: { url: string; event_type_names: string[] }[] }
  t.match(list.data, [{ url: 'http://127.0.0.1:9/hook', event_type_names: ['*'] }])
  const wrong = await fetch(`${base}/webhooks`, {
    headers: {
      authorization:
        'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64'),
    },
  })
  t.equal(wrong.status, 401)
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
})

t.test('--webhook-secret fixes the forwarded webhook secret, and a bad one exits 2', async (t) => {
  const secret = 'whsec_' + Buffer.alloc(32, 9).toString('base64')
  const good = run(['--port', '0', '--forward-to', 'http://127.0.0.1:9/hook'], {
    BLUUM_WEBHOOK_SECRET: secret,
  })
  t.teardown(() => good.child.exitCode === null && good.child.kill('SIGKILL'))
  t.match(await good.banner, `Secret:      ${secret}`)
  good.child.kill('SIGTERM')
  await once(good.child, 'exit')

  const bad = run([
    '--port',
    '0',
    '--forward-to',
    'http://127.0.0.1:9/hook',
    '--webhook-secret',
    'nope',
  ])
  const [code] = await once(bad.child, 'exit')
  t.equal(code, 2)
})
