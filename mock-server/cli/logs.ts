/** `bluum-sandbox logs`: follows every delivery attempt of a running sandbox, live (like `stripe logs tail`). */
import type { AttemptActivity } from '../api/stream.js'
import {
  connectionFrom,
  connectionHelp,
  connectionOptions,
  logFormatFlag,
  parseCommand,
  stringFlag,
  type CliIo,
} from './args.js'
import { formatAttempt, shouldColour } from './attempt-line.js'
import type { SandboxClient } from './client.js'
import { createSandboxClient } from './client.js'

export const logsUsage = `Usage: bluum-sandbox logs [--webhook <id>] [options]

Follows the running sandbox's delivery attempts live, one line each: time, event, evt_ id, the
status (with the receiver's error code) or the connection error, the duration, and the next retry
or "parked". Ctrl-C stops. Exits 1 if the sandbox goes away.

Options:
  --webhook <id>        Only this webhook's attempts
  --log-format <f>      text (default; coloured on a terminal unless NO_COLOR is set) or json
${connectionHelp}  -h, --help            Show this help
`

/** Prints each `attempt` frame of the stream as a line until `signal` fires or the stream ends. */
export function printAttempts(
  client: SandboxClient,
  io: CliIo,
  options: {
    format: 'text' | 'json'
    signal: AbortSignal
    webhookId?: string
    onOpen?: () => void
  },
): Promise<void> {
  const colour = options.format === 'text' && shouldColour(io.stdout, io.env)
  return client.follow({
    query: options.webhookId ? `?webhook_id=${encodeURIComponent(options.webhookId)}` : '',
    signal: options.signal,
    ...(options.onOpen ? { onOpen: options.onOpen } : {}),
    onFrame(name, data) {
      if (name !== 'attempt') return
      io.stdout.write(
        formatAttempt(data as AttemptActivity, { format: options.format, colour }) + '\n',
      )
    },
  })
}

export async function logs(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    logsUsage,
    { ...connectionOptions, webhook: { type: 'string' }, 'log-format': { type: 'string' } },
    { min: 0, max: 0 },
    io,
  )
  const format = logFormatFlag(values, logsUsage)
  const webhookId = stringFlag(values, 'webhook')
  const client = createSandboxClient(connectionFrom(values, logsUsage, io.env))
  await printAttempts(client, io, {
    format,
    signal: io.signal,
    ...(webhookId ? { webhookId } : {}),
    onOpen: () => io.stderr.write(`Following delivery attempts at ${client.base} (Ctrl-C stops)\n`),
  })
  return 0
}
