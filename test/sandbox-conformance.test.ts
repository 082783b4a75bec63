/**
 * `npm run conformance` and the drift check, as `bluum-sandbox conformance` runs them: the whole
 * suite against a standalone sandbox over real HTTP on 127.0.0.1, and the read-mostly drift check
 * against a second sandbox, clean and then with planted differences (a renamed field, a changed
 * code) that it must report.
 */
import { PassThrough } from 'node:stream'
import t, { type Test } from 'tap'
import { UsageExit } from '../mock-server/cli/args.js'
import { conformance } from '../mock-server/cli/conformance.js'
import { createSuiteClient } from '../mock-server/conformance/http.js'
import { runConformance } from '../mock-server/conformance/run.js'
import {
  DEFAULT_SANDBOX_API_KEY as key,
  DEFAULT_SANDBOX_API_SECRET as secret,
} from '../mock-server/index.js'
import { createSandbox, createSandboxServer, sampleInvestorRequest } from '../mock-server/index.js'

function capture() {
  const stdout = new PassThrough()
  const chunks: string[] = []
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString()))
  const io = {
    stdout,
    stderr: new PassThrough(),
    env: {} as NodeJS.ProcessEnv,
    cwd: process.cwd(),
    signal: new AbortController().signal,
  }
  return { io, output: () => chunks.join('') }
}

/** A standalone sandbox on 127.0.0.1 with one investor; `plant` may rewrite its answers. */
async function startSandbox(t: Test, plant?: (payload: string) => string) {
  const sandbox = createSandbox({
    rateLimitPerSecond: 0,
    transport: { send: async () => ({ status: 200, headers: {}, body: '' }) },
  })
  sandbox.investors.create(sampleInvestorRequest())
  const server = createSandboxServer(sandbox)
  if (plant)
    server.addHook('onSend', async (_request, _reply, payload) =>
      typeof payload === 'string' ? plant(payload) : payload,
    )
  const address = await server.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => {
    await server.close()
    await sandbox.close()
  })
  return `${address}/v1`
}

t.test('the full suite: 43 of 43 operations and 16 of 16 events faithful', async (t) => {
  const { io, output } = capture()
  const code = await conformance([], io)
  t.match(output(), /operations: documented 43, emulated 43, faithful 43/)
  t.match(output(), /events: {5}documented 16, emulated 16, faithful 16/)
  t.match(output(), /No difference from the contract/)
  t.equal(code, 0, output())
})

t.test('the full suite counts an operation or event that drifted as not faithful', async (t) => {
  // Orders answer `average_fill_price`: every order route and every order event drifts.
  const base = await startSandbox(t, (payload) =>
    payload.replaceAll('"average_price":', '"average_fill_price":'),
  )
  const client = createSuiteClient({ baseUrl: base, apiKey: key, apiSecret: secret })
  const report = await runConformance(client, { mode: 'full', apiKey: key, apiSecret: secret })
  t.match(report.operations, { documented: 43, emulated: 43 })
  t.ok(report.operations.faithful < 43, `faithful ${report.operations.faithful}`)
  t.match(report.differences, [
    {
      subject: 'placeOrder',
      details: ['average_price: missing (documented)', 'average_fill_price: not documented'],
    },
  ])
  t.equal(report.events.faithful, 11, 'the five order events carry the drifted order too')
})

t.test('the suite reports as JSON too', async (t) => {
  const base = await startSandbox(t)
  const { io, output } = capture()
  t.equal(await conformance(['--base-url', base, '--json'], io), 0)
  t.match(JSON.parse(output()), { mode: 'drift', base, differences: [] })
})

t.test('the drift check finds no difference on a faithful API', async (t) => {
  const base = await startSandbox(t)
  const { io, output } = capture()
  const code = await conformance(['--base-url', base], io)
  t.match(output(), /No difference from the contract in status, code or shape/)
  t.equal(code, 0, output())
})

t.test('the drift check reports a renamed field and a changed code', async (t) => {
  const base = await startSandbox(t, (payload) =>
    payload.replaceAll('"email":', '"email_address":').replaceAll('BLUM-404-001', 'BLUM-404-009'),
  )
  const { io, output } = capture()
  const code = await conformance(['--base-url', base], io)
  t.equal(code, 1, 'exit 1 on a difference')
  const report = output()
  t.match(
    report,
    /✗ listInvestors: GET \/v1\/investors\?limit=5\n\s+data\.0\.email: missing \(documented\)/,
  )
  t.match(report, /data\.0\.email_address: not documented/)
  t.match(report, /✗ getInvestor: GET \/v1\/investors\/inv_\w+\n\s+email: missing/)
  t.match(
    report,
    /✗ getInvestor \(unknown id\): GET \/v1\/investors\/inv_0conformance0drift0check00\n\s+code BLUM-404-009, documented BLUM-404-001/,
  )
  t.notMatch(report, /listWebhookEventTypes/, 'what did not change is not reported')
})

t.test('a bad command line exits 2 with the usage', async (t) => {
  const { io } = capture()
  const refused = async (argv: string[]) =>
    (await conformance(argv, io).then(
      () => undefined,
      (error: unknown) => error,
    )) as UsageExit
  t.match(await refused(['--base-url', 'ftp://x']), {
    message: /--base-url expects an http\(s\) URL/,
    usage: /bluum-sandbox conformance/,
  })
  t.ok((await refused(['--nope'])) instanceof UsageExit, 'an unknown flag is a usage error')
})
