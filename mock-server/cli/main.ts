/**
 * `bluum-sandbox` as a function: {@link main} picks the command, runs it and resolves its exit
 * code: 0 done, 1 the sandbox or the server failed (its code and message on stderr), 2 a bad
 * command line (the usage text on stderr). It never exits the process and never throws, so it runs
 * in-process under a test as Fastify's `inject` runs a route; `../cli.ts` is the process around it.
 */
import { QuietExit, UsageExit, type CliIo } from './args.js'
import { serveUsage } from './usage.js'

type Command = (argv: string[], io: CliIo) => Promise<number>

// Loaded on demand: a subcommand is an HTTP client and should not pay for loading the sandbox.
const commands: Record<string, () => Promise<Command>> = {
  trigger: async () => (await import('./trigger.js')).trigger,
  deliveries: async () => (await import('./deliveries.js')).deliveries,
  replay: async () => (await import('./replay.js')).replay,
  logs: async () => (await import('./logs.js')).logs,
  listen: async () => (await import('./listen.js')).listen,
  conformance: async () => (await import('./conformance.js')).conformance,
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv
  if (first === undefined || first.startsWith('-'))
    return (await import('./serve.js')).serve(argv, io)
  const load = Object.hasOwn(commands, first) ? commands[first] : undefined
  if (!load) throw new UsageExit(`unknown command ${JSON.stringify(first)}`, serveUsage)
  return (await load())(rest, io)
}

/**
 * Runs `bluum-sandbox <argv>` against `io` and resolves the exit code. The serving command and
 * `logs` / `listen` run until `io.signal` aborts.
 *
 * @example
 * const controller = new AbortController()
 * const io = { stdout, stderr, env: {}, cwd: process.cwd(), signal: controller.signal }
 * const code = main(['--port', '0'], io)
 * // ... once the banner is on stdout: controller.abort(); await code === 0
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io)
  } catch (error) {
    if (error instanceof QuietExit) return error.code
    if (error instanceof UsageExit) {
      io.stderr.write(`bluum-sandbox: ${error.message}\n\n${error.usage}`)
      return 2
    }
    const err = error as { code?: string; message: string }
    // The CLI's own errors already name the Bluum code in their message.
    const prefix = err.code && !err.code.startsWith('BLUUM_SANDBOX_CLI_') ? `${err.code}: ` : ''
    io.stderr.write(`bluum-sandbox: ${prefix}${err.message}\n`)
    return 1
  }
}

/**
 * The process's streams, environment and directory, and a signal that aborts on the first SIGINT
 * or SIGTERM (a second one then ends the process the default way, for a shutdown that hangs).
 */
export function processIo(): CliIo {
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  }
}
