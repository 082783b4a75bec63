/**
 * The README's `bluum-sandbox` commands, run as written: the standalone sandbox forwarding to an
 * app that verifies with the secret the banner's export line gives, then the commands block
 * (trigger with --data, deliveries --status, replay --parked). `npx bluum-sandbox` runs from a
 * project whose node_modules/.bin has the CLI (here from source, through tsx), as an install
 * links it. Free ports stand for 3000 and 4010: the sandbox's --port, BLUUM_SANDBOX_URL for the
 * commands.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import t from 'tap'
import bluumWebhooks from '../plugin/index.js'
import { freePort } from './helpers/free-port.js'
import { shell, shellBlocks } from './helpers/shell.js'

t.setTimeout(600_000)

const blocks = shellBlocks(new URL('../README.md', import.meta.url))
const block = (first: RegExp) => blocks.find((commands) => first.test(commands[0] ?? ''))!

t.test('the standalone sandbox and its commands, as the README writes them', async (t) => {
  const project = mkdtempSync(join(tmpdir(), 'bluum-readme-'))
  t.teardown(() => rmSync(project, { recursive: true, force: true }))
  mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true })
  const bin = join(project, 'node_modules', '.bin', 'bluum-sandbox')
  const cli = fileURLToPath(new URL('../mock-server/cli.ts', import.meta.url))
  writeFileSync(
    bin,
    `#!/bin/sh\nexec "${process.execPath}" --import=${import.meta.resolve('tsx')} ${cli} "$@"\n`,
  )
  chmodSync(bin, 0o755)
  writeFileSync(join(project, 'package.json'), '{ "name": "my-app", "private": true }\n')

  const standalone = block(/^npm run sandbox$/)
  const forwarding = standalone.find((line) => line.startsWith('npx bluum-sandbox --forward-to'))!
  const [appPort, sandboxPort] = [await freePort(), await freePort()]
  const sandbox = shell(
    `${forwarding.replaceAll('127.0.0.1:3000', `127.0.0.1:${appPort}`)} --port ${sandboxPort}`,
    project,
  )
  t.teardown(() => sandbox.interrupt())
  const [, secret] = await sandbox.waitFor(/\n {2}export BLUUM_WEBHOOK_SECRET=(\S+)\n/)
  await sandbox.waitFor(/\nNext/)

  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(bluumWebhooks, { secret: secret! })
  const symbols: string[] = []
  app.bluum.on('order.filled', async (event) => void symbols.push(event.data.symbol))
  await app.listen({ port: appPort, host: '127.0.0.1' })

  const commands = block(/^npx bluum-sandbox trigger /)
  t.match(commands, [
    /trigger order\.filled --data/,
    /deliveries --status parked/,
    /replay --parked/,
  ])
  const env = { BLUUM_SANDBOX_URL: `http://127.0.0.1:${sandboxPort}` }
  const outputs: string[] = []
  for (const line of commands) {
    const run = shell(line, project, env)
    const [code] = await run.exited
    t.equal(code, 0, `${line}: ${run.output()}`)
    outputs.push(run.output())
    if (line.includes('trigger')) await sandbox.waitFor(/order\.filled +evt_\w+ +#1 +→ 200/)
  }
  t.same(
    symbols,
    ['TSLA'],
    'the app verified and handled the triggered event, with --data over the sample',
  )
  t.match(outputs[1], 'No deliveries match.', 'nothing parked')

  const inRepository = standalone[0]!
  t.equal(inRepository, 'npm run sandbox', 'the other line, in this repository')
})
