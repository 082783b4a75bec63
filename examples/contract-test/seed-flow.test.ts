/**
 * seed-flow.ts, as the CI workflow runs it: the standalone sandbox CLI forwarding to an app over
 * real HTTP, the script as a child process; exit 0 when the app acknowledged every delivery,
 * 1 with every attempt when it did not.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startCli, startReceiver } from '../../test/helpers/sandbox-cli.js'
import { randomSecret } from '../../test/helpers/sign.js'

const script = fileURLToPath(new URL('./seed-flow.ts', import.meta.url))

function runSeed(base: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import=tsx', '--conditions=bluum-source', script],
      { env: { ...process.env, BLUUM_BASE_URL: base, BLUUM_API_KEY: '', BLUUM_API_SECRET: '' } },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0
        resolve({ code, output: stdout + stderr })
      },
    )
  })
}

t.test('the seed flow passes when the app acknowledges every delivery', async (t) => {
  const secret = randomSecret()
  const receiver = await startReceiver(t, secret)
  const cli = await startCli(t, ['--forward-to', receiver.url, '--webhook-secret', secret])
  const { code, output } = await runSeed(cli.base)
  t.equal(code, 0, output)
  t.match(output, /seeded investor inv_/)
  t.match(output, /ok {3}transfer\.deposit\.completed/)
  t.match(output, /ok {3}order\.filled/)
  t.match(output, /\d+ deliveries acknowledged/)
  t.ok(receiver.handled.length >= 4, 'the app handled the guide events')
})

t.test('the seed flow fails, listing every attempt, when the app refuses them', async (t) => {
  const receiver = await startReceiver(t, randomSecret()) // not the webhook's secret
  const cli = await startCli(t, ['--forward-to', receiver.url, '--webhook-secret', randomSecret()])
  const { code, output } = await runSeed(cli.base)
  t.equal(code, 1, output)
  t.match(output, /FAIL order\.filled dlv_\S*: 401/)
  t.match(output, /deliveries were not acknowledged by your app/)
  t.equal(receiver.handled.length, 0, 'no handler ran')
})

t.test('the seed flow says what to do when no webhook is registered', async (t) => {
  const cli = await startCli(t)
  const { code, output } = await runSeed(cli.base)
  t.equal(code, 1)
  t.match(output, /start the sandbox with --forward-to/)
})
