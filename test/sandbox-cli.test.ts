/**
 * The `bluum-sandbox` CLI: flags, banner, credentials, --forward-to, and a clean stop (what SIGINT
 * or SIGTERM does to the process). In-process through `main(argv, io)`; the bin as a real process
 * is run by test/package-consumer.test.ts.
 */
import t from 'tap'
import { runCommand, startCli, startCommand } from './helpers/sandbox-cli.js'

t.test('--help lists every flag', async (t) => {
  const { code, stdout } = await runCommand(['--help'])
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
    t.match(stdout, flag)
  }
  t.match(stdout, 'bluum_sandbox_key')
})

t.test('an unknown flag exits 2', async (t) => {
  t.equal((await runCommand(['--nope'])).code, 2)
})

t.test('prints base URL and credentials, forwards events, and stops with exit 0', async (t) => {
  const cli = await startCli(t, ['--forward-to', 'http://127.0.0.1:9/hook'], {
    BLUUM_API_KEY: 'env_key',
    BLUUM_API_SECRET: 'env_secret',
  })
  const text = cli.stdout()
  t.match(text, `listening on ${cli.base}`, 'prints its base URL')
  t.match(text, /API key: +env_key/)
  t.match(text, /API secret: +env_secret/)
  t.match(text, /Secret: +whsec_/)
  const inspector = /Inspector: +(http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(text)?.[1]
  t.equal(inspector, cli.base.replace(/v1$/, ''), 'prints the inspector URL')
  t.match(await (await fetch(inspector!)).text(), '<h1>Deliveries</h1>', 'serves it')
  const authorization = 'Basic ' + Buffer.from('env_key:env_secret').toString('base64')
  const list = (await fetch(`${cli.base}/webhooks`, { headers: { authorization } }).then((r) =>
    r.json(),
  )) as { data: { url: string; event_type_names: string[] }[] }
  t.match(list.data, [{ url: 'http://127.0.0.1:9/hook', event_type_names: ['*'] }])
  t.equal((await cli.api('GET', '/webhooks')).status, 401, 'the default credentials are refused')
  t.equal(await cli.stop(), 0)
  await t.rejects(fetch(`${cli.base}/webhooks`), 'the port is closed')
})

t.test('--webhook-secret fixes the forwarded webhook secret, and a bad one exits 2', async (t) => {
  const secret = 'whsec_' + Buffer.alloc(32, 9).toString('base64')
  const good = await startCli(t, ['--forward-to', 'http://127.0.0.1:9/hook'], {
    BLUUM_WEBHOOK_SECRET: secret,
  })
  t.match(good.stdout(), `Secret:      ${secret}`)
  t.equal(await good.stop(), 0)

  const bad = startCommand([
    '--port',
    '0',
    '--forward-to',
    'http://127.0.0.1:9/hook',
    '--webhook-secret',
    'nope',
  ])
  t.equal(await bad.exited, 2)
  t.match(bad.stderr(), /--forward-to \/ --webhook-secret: .*whsec_/)
  t.notMatch(bad.output(), /listening on/, 'never started')
})
