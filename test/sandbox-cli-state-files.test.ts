/**
 * `bluum-sandbox --state <file>`: a file the CLI cannot load stops start-up with a coded message
 * and stays untouched (the full table of bad files runs in-process, in sandbox-state-file.test.ts);
 * the `--forward-to` webhook is reused across restarts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { runCliToExit, runCommand, startCli } from './helpers/sandbox-cli.js'

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'bluum-state-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('--forward-to with --state reuses its webhook after a restart', async (t) => {
  const file = join(tempDir(t), 'sandbox.json')
  const first = await startCli(t, ['--state', file, '--forward-to', 'http://127.0.0.1:9/hook'])
  const id = /Webhook: +(wh_\w+)/.exec(first.output())![1]
  const secret = /Secret: +(whsec_\S+)/.exec(first.output())![1]
  t.equal(await first.stop(), 0)
  const second = await startCli(t, ['--state', file, '--forward-to', 'http://127.0.0.1:9/hook'])
  t.match(second.output(), `Webhook:     ${id}`)
  t.match(second.output(), `Secret:      ${secret}`)
  t.equal((await second.api('GET', '/webhooks')).body.data.length, 1, 'one webhook, not two')
  t.equal(await second.stop(), 0)
})

const valid = {
  format: 'bluum-sandbox-state',
  version: 1,
  saved_at: '2026-01-01T00:00:00.000Z',
  clock: { now_ms: 0, wall_ms: 0 },
  state: {},
  events: [],
  timers: [],
  runs: [],
}

const unloadable: [string, string, RegExp][] = [
  [
    'truncated',
    JSON.stringify(valid).slice(0, 60),
    /BLUUM_SANDBOX_STATE_FILE_CORRUPT.*not valid JSON/,
  ],
  [
    'foreign JSON',
    JSON.stringify({ name: 'my-app', version: '1.0.0' }),
    /BLUUM_SANDBOX_STATE_FILE_FOREIGN.*"format" is null/,
  ],
]

t.test(
  'a state file that cannot be loaded: exit 1 with the coded message, file untouched',
  async (t) => {
    const dir = tempDir(t)
    for (const [name, content, message] of unloadable) {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.json`)
      writeFileSync(file, content, { mode: 0o644 })
      const before = statSync(file)
      const { code, output } = await runCliToExit(['--state', file])
      t.equal(code, 1, `${name}: exits 1`)
      t.match(output, message, `${name}: says why`)
      t.notMatch(output, /listening on/, `${name}: never started`)
      t.equal(readFileSync(file, 'utf8'), content, `${name}: content untouched`)
      t.equal(statSync(file).mtimeMs, before.mtimeMs, `${name}: not rewritten`)
      t.equal(statSync(file).mode & 0o777, 0o644, `${name}: mode untouched`)
    }
    t.same(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file was written',
    )
  },
)

t.test('a bad command line with --state exits 2 and leaves the file untouched', async (t) => {
  const file = join(tempDir(t), 'sandbox.json')
  const first = await startCli(t, ['--state', file])
  t.equal(await first.stop(), 0)
  const before = { content: readFileSync(file, 'utf8'), mtimeMs: statSync(file).mtimeMs }
  for (const args of [
    ['--forward-to', 'http://127.0.0.1:9/hook', '--webhook-secret', 'nope'],
    ['--forward-to', 'ftp://127.0.0.1/hook'],
  ]) {
    const { code, stderr } = await runCommand(['--port', '0', '--state', file, ...args])
    t.equal(code, 2, args.join(' '))
    t.match(stderr, /--forward-to( \/ --webhook-secret)?: /, args.join(' '))
  }
  t.same(
    { content: readFileSync(file, 'utf8'), mtimeMs: statSync(file).mtimeMs },
    before,
    'the state file was not rewritten',
  )
})
