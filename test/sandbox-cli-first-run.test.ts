/**
 * The first minutes with `bluum-sandbox`: the banner says how the app gets the webhook's secret
 * (an export line, or `.env` with --write-env, reused on the next start) and what to try next, or,
 * with no webhook, how to register one; `listen` refuses a URL a webhook already delivers to.
 * The pure parts in-process; the CLI as a real process in a scratch directory where it matters
 * (the .env file, a second start), delivering to a plugin app on 127.0.0.1.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { readEnvValue, writeEnvValue } from '../mock-server/cli/env-file.js'
import { nextSteps, selfCommand } from '../mock-server/cli/next-steps.js'
import { randomSecret } from './helpers/sign.js'
import { eventually, runCommand, startReceiver } from './helpers/sandbox-cli.js'

const cli = fileURLToPath(new URL('../mock-server/cli.ts', import.meta.url))
// Resolved here: the scratch directory the CLI runs in has no node_modules to find tsx in.
const tsx = import.meta.resolve('tsx')

function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'bluum-first-run-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test(
  'the next steps name the commands to paste, for this repository or an install',
  async (t) => {
    t.equal(selfCommand({ npm_package_name: 'fastify-bluum-webhooks' }), 'npm run sandbox --')
    t.equal(selfCommand({ npm_package_name: 'my-app' }), 'npx bluum-sandbox')
    t.equal(selfCommand({}), 'npx bluum-sandbox')

    const forwarded = {
      url: 'http://127.0.0.1:3000/webhooks/bluum',
      secret: 'whsec_abc',
      secretGiven: false,
    }
    const generated = nextSteps({
      command: 'npx bluum-sandbox',
      address: 'http://127.0.0.1:4010',
      webhookCount: 1,
      forwarded,
    })
    t.match(
      generated,
      '\n  export BLUUM_WEBHOOK_SECRET=whsec_abc\n',
      'a new secret: the export line',
    )
    t.match(generated, /\n {2}npx bluum-sandbox trigger order\.filled +send a signed order\.filled/)
    t.match(generated, /\n {2}http:\/\/127\.0\.0\.1:4010\/ +the inspector/)
    t.match(generated, /\n {2}npx bluum-sandbox deliveries +each delivery/)
    t.notMatch(generated, '--url', 'the default address needs no --url')

    const given = nextSteps({
      command: 'npm run sandbox --',
      address: 'http://127.0.0.1:4011',
      webhookCount: 1,
      forwarded: { ...forwarded, secretGiven: true },
    })
    t.notMatch(given, 'export', 'a secret the user chose is not printed again')
    t.match(given, 'npm run sandbox -- trigger order.filled --url http://127.0.0.1:4011 ')
    t.match(given, 'npm run sandbox -- deliveries --url http://127.0.0.1:4011 ')

    const written = nextSteps({
      command: 'npx bluum-sandbox',
      address: 'http://127.0.0.1:4010',
      webhookCount: 1,
      forwarded,
      envFile: { path: '.env', outcome: 'created' },
    })
    t.match(written, 'written to .env as BLUUM_WEBHOOK_SECRET')
    t.match(written, 'node --env-file=.env')
    t.notMatch(written, 'export')

    const none = nextSteps({
      command: 'npx bluum-sandbox',
      address: 'http://127.0.0.1:4010',
      webhookCount: 0,
    })
    t.match(none, 'No webhook is registered, so nothing is delivered yet')
    t.match(none, '\n  npx bluum-sandbox --forward-to http://127.0.0.1:3000/webhooks/bluum\n')
    t.match(
      none,
      '\n  npx bluum-sandbox listen --forward-to http://127.0.0.1:3000/webhooks/bluum\n',
    )
    t.match(none, 'POST /v1/webhooks')
    t.notMatch(none, 'trigger', 'nothing to trigger for yet')
  },
)

t.test('the env file: created 0600, one line replaced in place, the rest kept', async (t) => {
  const dir = scratch(t)
  const file = join(dir, '.env')
  t.equal(readEnvValue(file, 'BLUUM_WEBHOOK_SECRET'), undefined, 'no file: no value')
  t.equal(writeEnvValue(file, 'BLUUM_WEBHOOK_SECRET', 'whsec_one'), 'created')
  t.equal(statSync(file).mode & 0o777, 0o600, 'it holds a secret')
  t.equal(readFileSync(file, 'utf8'), 'BLUUM_WEBHOOK_SECRET=whsec_one\n')
  t.equal(writeEnvValue(file, 'BLUUM_WEBHOOK_SECRET', 'whsec_one'), 'unchanged')

  writeFileSync(file, '# app\nPORT=3000\nexport BLUUM_WEBHOOK_SECRET=old\nDATABASE_URL=x=y')
  t.equal(readEnvValue(file, 'BLUUM_WEBHOOK_SECRET'), 'old')
  t.equal(writeEnvValue(file, 'BLUUM_WEBHOOK_SECRET', 'whsec_two'), 'updated')
  t.equal(
    readFileSync(file, 'utf8'),
    '# app\nPORT=3000\nexport BLUUM_WEBHOOK_SECRET=whsec_two\nDATABASE_URL=x=y',
  )
  writeFileSync(file, 'PORT=3000')
  t.equal(writeEnvValue(file, 'BLUUM_WEBHOOK_SECRET', 'whsec_three'), 'updated')
  t.equal(readFileSync(file, 'utf8'), 'PORT=3000\nBLUUM_WEBHOOK_SECRET=whsec_three\n')

  const folder = join(dir, 'folder')
  mkdirSync(folder)
  t.throws(() => readEnvValue(folder, 'X'), { code: 'BLUUM_SANDBOX_ENV_FILE', message: /read/ })
})

/** The CLI in `cwd` on a free port; resolves once its banner is out. */
async function startIn(t: Test, cwd: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    [`--import=${tsx}`, cli, '--port', '0', '--rate-limit', '0', ...args],
    {
      cwd,
      env: { ...process.env, BLUUM_WEBHOOK_SECRET: '', npm_package_name: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk))
  const [code] = await Promise.race([
    once(child, 'exit'),
    new Promise<[null]>((resolve) =>
      child.stdout.on('data', () => /\n(Next|No webhook)/.test(output) && resolve([null])),
    ),
  ])
  const origin = /listening on (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(output)?.[1]
  return {
    code,
    output: () => output,
    origin: origin ?? '',
    async stop() {
      child.kill('SIGTERM')
      await once(child, 'exit')
    },
  }
}

t.test(
  '--write-env keeps the secret in .env, reuses it on the next start, and the app verifies with it',
  async (t) => {
    const dir = scratch(t)
    writeFileSync(join(dir, '.env'), 'PORT=3000\n')
    // The receiver is started with the secret the first run writes: it needs its URL first.
    let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined
    const first = await startIn(t, dir, [
      '--forward-to',
      'http://127.0.0.1:9/webhooks/bluum',
      '--write-env',
    ])
    const secret = readEnvValue(join(dir, '.env'), 'BLUUM_WEBHOOK_SECRET')!
    t.match(secret, /^whsec_/, 'a new secret, written to .env')
    t.match(readFileSync(join(dir, '.env'), 'utf8'), /^PORT=3000\nBLUUM_WEBHOOK_SECRET=whsec_/)
    t.match(first.output(), `Secret:      ${secret}`)
    t.match(first.output(), 'updated in .env as BLUUM_WEBHOOK_SECRET')
    t.notMatch(first.output(), 'export BLUUM_WEBHOOK_SECRET', 'no second way to copy it')
    await first.stop()

    receiver = await startReceiver(t, secret)
    const second = await startIn(t, dir, ['--forward-to', receiver.url, '--write-env'])
    t.match(second.output(), `Secret:      ${secret}`, 'the next start signs with the same secret')
    t.match(second.output(), 'already in .env')
    const triggered = await runCommand(['trigger', 'order.filled', '--url', second.origin])
    t.equal(triggered.code, 0, triggered.stderr)
    await eventually(
      () => receiver!.answered,
      (answered) => answered.length > 0,
    )
    t.same(receiver.answered, [200], 'the app verified the delivery with the secret from .env')
    await second.stop()
  },
)

t.test('without --write-env, a new secret is printed as an export line to paste', async (t) => {
  const dir = scratch(t)
  const cli = await startIn(t, dir, ['--forward-to', 'http://127.0.0.1:9/webhooks/bluum'])
  const secret = /Secret: +(whsec_\S+)/.exec(cli.output())?.[1]
  t.match(cli.output(), `\n  export BLUUM_WEBHOOK_SECRET=${secret}\n`)
  t.match(cli.output(), /\n {2}npx bluum-sandbox trigger order\.filled --url http:/)
  t.throws(() => statSync(join(dir, '.env')), { code: 'ENOENT' }, 'no file written')
  await cli.stop()
})

t.test('with no webhook, the banner says how to register one', async (t) => {
  const cli = await startIn(t, scratch(t), [])
  t.match(cli.output(), 'No webhook is registered, so nothing is delivered yet')
  t.match(
    cli.output(),
    `listen --forward-to http://127.0.0.1:3000/webhooks/bluum --url ${cli.origin}`,
  )
  await cli.stop()
})

t.test('--write-env refuses what it cannot do, before the port is taken', async (t) => {
  const dir = scratch(t)
  const lonely = await startIn(t, dir, ['--write-env'])
  t.equal(lonely.code, 2)
  t.match(lonely.output(), '--write-env keeps the --forward-to webhook')

  writeFileSync(join(dir, '.env'), 'BLUUM_WEBHOOK_SECRET=not-a-secret\n')
  const bad = await startIn(t, dir, ['--forward-to', 'http://127.0.0.1:9/x', '--write-env'])
  t.equal(bad.code, 2)
  t.match(bad.output(), /--forward-to \/ BLUUM_WEBHOOK_SECRET in \.env: .*whsec_/)
  t.equal(readFileSync(join(dir, '.env'), 'utf8'), 'BLUUM_WEBHOOK_SECRET=not-a-secret\n')
})

t.test(
  'listen refuses a URL a webhook already delivers to, which would deliver every event twice',
  async (t) => {
    const secret = randomSecret()
    const receiver = await startReceiver(t, secret)
    const cli = await startIn(t, scratch(t), ['--forward-to', receiver.url], {
      BLUUM_WEBHOOK_SECRET: secret,
    })
    const webhook = /Webhook: +(wh_\w+)/.exec(cli.output())?.[1]
    const listen = await runCommand(['listen', '--forward-to', receiver.url, '--url', cli.origin])
    t.equal(listen.code, 1)
    t.match(
      listen.stderr,
      `bluum-sandbox: BLUUM_SANDBOX_LISTEN_URL_TAKEN: Webhook ${webhook} (bluum-sandbox --forward-to) already delivers to ${receiver.url}`,
    )
    t.match(
      listen.stderr,
      `bluum-sandbox logs --webhook ${webhook}`,
      'says how to watch it instead',
    )
    const authorization =
      'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')
    const list = (await (
      await fetch(`${cli.origin}/v1/webhooks`, { headers: { authorization } })
    ).json()) as { data: unknown[] }
    t.equal(list.data.length, 1, 'no second webhook was added')

    const triggered = await runCommand(['trigger', 'order.filled', '--url', cli.origin])
    t.equal(triggered.code, 0)
    await eventually(
      () => receiver.answered,
      (answered) => answered.length > 0,
    )
    t.same(receiver.answered, [200], 'the forwarded webhook delivers it, verified')
    await cli.stop()
  },
)
