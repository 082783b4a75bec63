/**
 * The local-dev setup, for real: the sandbox CLI and the example server as two processes on
 * 127.0.0.1, sharing one webhook secret, the sandbox forwarding events to the app.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { sampleInvestorRequest } from 'fastify-bluum-webhooks/testing'

const root = fileURLToPath(new URL('../../', import.meta.url))

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Starts a TypeScript entry point; resolves with the process once `ready` matches its output. */
function start(entry: string, args: string[], env: Record<string, string>, ready: RegExp) {
  const child = spawn(
    process.execPath,
    ['--import=tsx', '--conditions=bluum-source', join(root, entry), ...args],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  return new Promise<{ child: ChildProcess; output: () => string }>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk
      const match = ready.exec(output)
      if (match) resolve({ child, output: () => output })
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`${entry} exited ${code}: ${output}`)))
  })
}

/** Polls the app until `check` passes; bounded, so a broken setup fails instead of hanging. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  let value = await read()
  for (let i = 0; i < 100 && !check(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    value = await read()
  }
  return value
}

t.test(
  'the sandbox forwards signed events to the local app, which records them once',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bluum-local-dev-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const secret = 'whsec_' + randomBytes(32).toString('base64')
    const [sandboxPort, appPort] = [await freePort(), await freePort()]
    const sandboxUrl = `http://127.0.0.1:${sandboxPort}/v1`

    const app = await start(
      'examples/basic/server.ts',
      [],
      {
        BLUUM_WEBHOOK_SECRET: secret,
        BLUUM_BASE_URL: sandboxUrl,
        PORT: String(appPort),
        PGLITE_DATA_DIR: join(dir, 'pgdata'),
      },
      /Server listening/,
    )
    t.teardown(() => app.child.kill('SIGKILL'))
    const sandbox = await start(
      'mock-server/cli.ts',
      ['--port', String(sandboxPort), '--forward-to', `http://127.0.0.1:${appPort}/webhooks/bluum`],
      { BLUUM_WEBHOOK_SECRET: secret, BLUUM_API_KEY: '', BLUUM_API_SECRET: '' },
      /Secret: +whsec_/,
    )
    t.teardown(() => sandbox.child.kill('SIGKILL'))
    t.match(sandbox.output(), `Secret:      ${secret}`, 'the sandbox signs with the shared secret')

    const auth = 'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')
    const investor = (await (
      await fetch(`${sandboxUrl}/investors`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify(sampleInvestorRequest()),
      })
    ).json()) as { id: string }
    t.match(investor.id, /^inv_/)
    // As in Bluum, a new investor has no cash: a wire deposit, settled by moving the clock.
    const deposit = await fetch(`${sandboxUrl}/investors/${investor.id}/deposits`, {
      method: 'POST',
      headers: {
        authorization: auth,
        'content-type': 'application/json',
        'idempotency-key': 'fund-1',
      },
      body: JSON.stringify({ amount: '1000.00', method: 'wire' }),
    })
    t.equal(deposit.status, 201)
    await fetch(`${sandboxUrl}/sandbox/clock/advance`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ duration: '3s' }),
    })

    const order = await fetch(`http://127.0.0.1:${appPort}/investors/${investor.id}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ symbol: 'AAPL', side: 'buy', quantity: '1' }),
    })
    t.equal(order.status, 201, 'the app placed the order through the sandbox')

    const notifications = await eventually(
      async () =>
        (await (
          await fetch(`http://127.0.0.1:${appPort}/investors/${investor.id}/notifications`)
        ).json()) as unknown[],
      (rows) => rows.length > 0,
    )
    t.match(notifications, [{ message: /buy order for 1 AAPL/ }])

    const deliveries = (await (
      await fetch(
        `${sandboxUrl}/sandbox/webhooks/${/Webhook: +(wh_\w+)/.exec(sandbox.output())?.[1]}/deliveries`,
        {
          headers: { authorization: auth },
        },
      )
    ).json()) as { data: Array<{ event: string; status: string }> }
    const filled = deliveries.data.filter((d) => d.event === 'order.filled')
    t.match(filled, [{ status: 'succeeded' }], 'the sandbox saw the app acknowledge it')
  },
)
