/**
 * The README's quick start and sandbox commands, run as written in a new project: the quick
 * start's `app.ts` and `server.ts` copied beside a `package.json`, the sandbox forwarding to the
 * app with the secret kept in `.env`, the app started with that `.env`, a trigger the app
 * verifies and handles; then the commands block (trigger with --data, deliveries --status,
 * replay --parked) against the same two processes.
 *
 * The project's node_modules stands for `npm install`: `fastify-bluum-webhooks` links this
 * repository (its TypeScript sources, through the `bluum-source` condition in NODE_OPTIONS, run
 * by tsx), `fastify` and `tsx` link this repository's, and `.bin/bluum-sandbox` runs the CLI from
 * source. The packed tarball is run the same way by test/package-consumer.test.ts. Free ports
 * stand for 3000 and 4010: the app's PORT and the sandbox's --port, BLUUM_SANDBOX_URL for the
 * commands.
 */
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { commandsOf, documentedBlocks } from './helpers/doc-blocks.js'
import { freePort } from './helpers/free-port.js'
import { shell } from './helpers/shell.js'

// Two TypeScript processes compiled by tsx on a shared machine: slow is not failed.
t.setTimeout(600_000)

const repo = fileURLToPath(new URL('../', import.meta.url))

/** A project as `npm install fastify-bluum-webhooks fastify` and `npm install -D tsx` leave it. */
function newProject(): string {
  const project = mkdtempSync(join(tmpdir(), 'bluum-readme-'))
  const modules = join(project, 'node_modules')
  mkdirSync(join(modules, '.bin'), { recursive: true })
  symlinkSync(repo, join(modules, 'fastify-bluum-webhooks'), 'dir')
  symlinkSync(join(repo, 'node_modules', 'fastify'), join(modules, 'fastify'), 'dir')
  symlinkSync(realpathSync(join(repo, 'node_modules', '.bin', 'tsx')), join(modules, '.bin', 'tsx'))
  const bin = join(modules, '.bin', 'bluum-sandbox')
  const cli = join(repo, 'mock-server', 'cli.ts')
  writeFileSync(
    bin,
    `#!/bin/sh\nexec "${process.execPath}" --import=${import.meta.resolve('tsx')} ${cli} "$@"\n`,
  )
  chmodSync(bin, 0o755)
  writeFileSync(join(project, 'package.json'), '{ "name": "my-app", "type": "module" }\n')
  for (const file of ['app.ts', 'server.ts'])
    copyFileSync(join(repo, 'examples', 'quick-start', file), join(project, file))
  return project
}

t.test('the quick start and the sandbox commands, as the README writes them', async (t) => {
  const [quickStart, commands] = documentedBlocks('README.md', import.meta.url).map((block) =>
    commandsOf(block.code),
  )
  t.same(quickStart, [
    `npx bluum-sandbox --forward-to http://127.0.0.1:3000/webhooks/bluum --write-env`,
    `npx tsx --env-file=.env server.ts`,
    `npx bluum-sandbox trigger order.filled`,
  ])
  t.same(commands, [
    `npx bluum-sandbox trigger order.filled --data '{"symbol":"TSLA"}'`,
    `npx bluum-sandbox deliveries --status parked`,
    `npx bluum-sandbox replay --parked`,
  ])
  const [sandboxLine, appLine, triggerLine] = quickStart as [string, string, string]

  const project = newProject()
  t.teardown(() => rmSync(project, { recursive: true, force: true }))
  const [appPort, sandboxPort] = [await freePort(), await freePort()]
  const sandbox = shell(
    `${sandboxLine.replaceAll('127.0.0.1:3000', `127.0.0.1:${appPort}`)} --port ${sandboxPort}`,
    project,
  )
  t.teardown(() => sandbox.interrupt())
  await sandbox.waitFor(/\nNext/)
  t.match(readFileSync(join(project, '.env'), 'utf8'), /^BLUUM_WEBHOOK_SECRET=whsec_\S+\n$/)

  const app = shell(appLine, project, {
    PORT: String(appPort),
    NODE_OPTIONS: '--conditions=bluum-source',
  })
  t.teardown(() => app.interrupt())
  await app.waitFor(/Server listening at/)

  const env = { BLUUM_SANDBOX_URL: `http://127.0.0.1:${sandboxPort}` }
  const run = async (line: string) => {
    const command = shell(line, project, env)
    const [code] = await command.exited
    t.equal(code, 0, line, { output: command.output() })
    return command.output()
  }
  await run(triggerLine)
  await app.waitFor(/"msg":"order filled"/)
  await app.waitFor(/"msg":"bluum event processed"/)
  t.notMatch(app.output(), /BLUUM_SIGNATURE_MISMATCH/, 'verified with the secret from .env')

  const [triggerTsla, parked, replay] = commands as [string, string, string]
  await run(triggerTsla)
  await app.waitFor(/"symbol":"TSLA"[^\n]*"msg":"order filled"/)
  t.match(await run(parked), 'No deliveries match.', 'nothing parked')
  await run(replay)
  await sandbox.waitFor(/order\.filled +evt_\w+ +#1 +→ 200[\s\S]*order\.filled +evt_\w+ +#1 +→ 200/)
})
