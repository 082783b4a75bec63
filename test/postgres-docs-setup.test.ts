/**
 * The server docs/postgres.md shows, run as written in a child process against a real
 * PostgreSQL server that is crashed (`pg_ctl stop -m immediate`) and started again, twice, in each
 * mode: while the database is down Bluum's deliveries get 503 `BLUUM_STORE_UNAVAILABLE` with a
 * `Retry-After`, once it is back they get 200 and the handler's write lands, and the process
 * never exits. (Without the inbox's guard on the pool, node-postgres ends it with "Unhandled
 * 'error' event ... Connection terminated unexpectedly" at the first restart.)
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { freePort } from './helpers/free-port.js'
import { startPostgresBackend, type InboxBackend } from './helpers/inbox-backends.js'
import { until } from './helpers/inbox-suite.js'
import { signedDelivery, TEST_SECRET } from './helpers/sign.js'

const root = new URL('../', import.meta.url)
const docs = readFileSync(new URL('docs/postgres.md', root), 'utf8')
// The snippet after the marker that names this test: the server, as the docs show it.
const MARKER = 'test/postgres-docs-setup.test.ts'
const server = /```ts\n([\s\S]*?)```/.exec(docs.slice(docs.indexOf(MARKER)))?.[1] ?? ''

// A child process starts tsx and the plugin: slow on a loaded machine.
t.setTimeout(300_000)

let backend: InboxBackend
t.before(async () => {
  backend = await startPostgresBackend()
  await backend.query(
    'create table investors (id text primary key, trading_enabled boolean not null default false)',
  )
})
t.teardown(() => backend.close())

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

t.test('docs/postgres.md shows a whole server, in queue mode', async (t) => {
  t.match(server, /^\/\/ server\.ts\n/)
  t.equal(server.split("mode: 'queue'").length, 2, "one mode: 'queue', swapped for the other mode")
  t.notMatch(server, /\.on\('error'/, 'no listener of its own on the pool')
})

let deposits = 0
/** A deposit completed for an investor, signed as Bluum signs it. */
function deposit(investorId: string) {
  deposits++
  return signedDelivery({
    id: `evt_deposit_${deposits}`,
    body: {
      event: 'transfer.deposit.completed',
      timestamp: new Date().toISOString(),
      data: {
        id: `dep_${deposits}`,
        investor_id: investorId,
        amount: '100.00',
        currency: 'USD',
        status: 'completed',
      },
    },
  })
}

/** A new investor in the app's table, and a deposit for it. */
async function depositForNewInvestor(investorId: string) {
  await backend.query('insert into investors (id) values ($1)', [investorId])
  return deposit(investorId)
}

async function post(port: number, delivery: ReturnType<typeof signedDelivery>) {
  const res = await fetch(`http://127.0.0.1:${port}/webhooks/bluum`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.payload,
  })
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() }
}

const tradingEnabled = async (investorId: string) =>
  (
    await backend.query<{ trading_enabled: boolean }>(
      'select trading_enabled from investors where id = $1',
      [investorId],
    )
  )[0]?.trading_enabled === true

for (const mode of ['queue', 'transactional'] as const) {
  t.test(
    `${mode}: the documented server answers 503 then 200 across two restarts, and lives`,
    async (t) => {
      const dir = new URL(`.tmp/docs-setup-${process.pid}/`, root)
      mkdirSync(dir, { recursive: true })
      t.teardown(() => rmSync(dir, { recursive: true, force: true }))
      const file = fileURLToPath(new URL(`server-${mode}.ts`, dir))
      writeFileSync(file, server.replace("mode: 'queue'", `mode: '${mode}'`))
      const port = await freePort()
      const child = spawn(process.execPath, ['--import=tsx', '--conditions=bluum-source', file], {
        env: {
          ...process.env,
          DATABASE_URL: backend.server!.url,
          BLUUM_WEBHOOK_SECRET: TEST_SECRET,
          PORT: String(port),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      children.add(child)
      let output = ''
      child.stderr!.on('data', (chunk) => (output += chunk))
      let exited: number | null | undefined
      child.once('exit', (code) => {
        exited = code
        children.delete(child)
      })
      t.teardown(() => child.kill('SIGKILL'))
      await new Promise<void>((resolve, reject) => {
        child.once('exit', () =>
          reject(new Error(`the server exited before listening:\n${output}`)),
        )
        createInterface({ input: child.stdout! }).on('line', (line) => {
          output += line + '\n'
          if (line.includes('Server listening')) resolve()
        })
      })

      const first = await depositForNewInvestor(`inv_${mode}_0`)
      t.equal((await post(port, first)).status, 200)
      await until(() => tradingEnabled(`inv_${mode}_0`))

      for (const restart of [1, 2]) {
        const delivery = await depositForNewInvestor(`inv_${mode}_${restart}`)
        await backend.server!.stop('immediate')
        const down = await post(port, delivery)
        t.equal(down.status, 503, `restart ${restart}: 503 while the database is down`)
        t.equal(down.body.code, 'BLUUM_STORE_UNAVAILABLE')
        t.equal(down.retryAfter, '60', 'with Retry-After')
        await backend.server!.start()
        // Bluum retries the same delivery until the database answers again.
        await until(async () => (await post(port, delivery)).status === 200)
        await until(() => tradingEnabled(`inv_${mode}_${restart}`))
        t.equal(exited, undefined, `restart ${restart}: the server is still running`)
      }
      t.notMatch(output, /Unhandled 'error' event/)
      t.match(
        output,
        /"level":40,[^\n]*"msg":"bluum inbox database failed: 503, retried"/,
        'the failed deliveries were logged at warn',
      )
      child.kill('SIGTERM')
      await until(() => exited !== undefined)
    },
  )
}
