#!/usr/bin/env node
/**
 * `bluum-sandbox`: the Bluum sandbox as a local HTTP server, for development without the real
 * sandbox (and, with `--forward-to`, without ngrok: events are pushed straight to a local app),
 * the subcommands that drive a running one (`trigger`, `deliveries`, `replay`, `logs`,
 * `listen`), and `conformance`, which checks an API against the contract. One file per subcommand under `cli/`; this file only picks one and maps its outcome
 * to an exit code: 0 done, 1 the sandbox or the server failed (its code and message printed),
 * 2 a bad command line (the usage text printed to stderr).
 */
import { QuietExit, UsageExit, type CliIo } from './cli/args.js'
import { serveUsage } from './cli/usage.js'

type Command = (argv: string[], io: CliIo) => Promise<number>

// Loaded on demand: a subcommand is an HTTP client and should not pay for loading the sandbox.
const commands: Record<string, () => Promise<Command>> = {
  trigger: async () => (await import('./cli/trigger.js')).trigger,
  deliveries: async () => (await import('./cli/deliveries.js')).deliveries,
  replay: async () => (await import('./cli/replay.js')).replay,
  logs: async () => (await import('./cli/logs.js')).logs,
  listen: async () => (await import('./cli/listen.js')).listen,
  conformance: async () => (await import('./cli/conformance.js')).conformance,
}

async function main(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv
  if (first === undefined || first.startsWith('-'))
    return (await import('./cli/serve.js')).serve(argv, io)
  const load = Object.hasOwn(commands, first) ? commands[first] : undefined
  if (!load) throw new UsageExit(`unknown command ${JSON.stringify(first)}`, serveUsage)
  return (await load())(rest, io)
}

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }
main(process.argv.slice(2), io).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof QuietExit) process.exit(error.code)
    if (error instanceof UsageExit) {
      io.stderr.write(`bluum-sandbox: ${error.message}\n\n${error.usage}`)
      process.exit(2)
    }
    const err = error as { code?: string; message: string }
    // The CLI's own errors already name the Bluum code in their message.
    const prefix = err.code && !err.code.startsWith('BLUUM_SANDBOX_CLI_') ? `${err.code}: ` : ''
    io.stderr.write(`bluum-sandbox: ${prefix}${err.message}\n`)
    process.exit(1)
  },
)
