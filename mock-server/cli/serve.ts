/**
 * `bluum-sandbox [options]`: runs the sandbox as a local HTTP server, prints its banner, then one
 * line per delivery attempt (so a failing `--forward-to` is seen, not silent), until SIGINT or
 * SIGTERM.
 */
import { existsSync } from 'node:fs'
import { attemptActivity } from '../api/stream.js'
import type { Webhook } from '../core/state.js'
import { checkSecret } from '../engines/webhooks.js'
import { DEFAULT_SANDBOX_API_KEY, DEFAULT_SANDBOX_API_SECRET } from '../core/credentials.js'
import { createSandbox, type Sandbox } from '../sandbox.js'
import { createSandboxServer } from '../server.js'
import {
  integerFlag,
  logFormatFlag,
  parseCommand,
  stringFlag,
  UsageExit,
  type CliIo,
} from './args.js'
import { formatAttempt, shouldColour } from './attempt-line.js'
import { formatRequestWarning } from './request-line.js'
import { serveUsage } from './usage.js'

function number(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (!Number.isFinite(parsed) || parsed < 0)
    throw new UsageExit(
      `--${name} expects a non-negative number, got ${JSON.stringify(value)}`,
      serveUsage,
    )
  return parsed
}

/** Runs the server until a signal; resolves the exit code. */
export async function serve(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    serveUsage,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      'api-secret': { type: 'string' },
      'time-scale': { type: 'string' },
      'rate-limit': { type: 'string' },
      'forward-to': { type: 'string' },
      'webhook-secret': { type: 'string' },
      state: { type: 'string' },
      quiet: { type: 'boolean' },
      strict: { type: 'boolean' },
      'log-format': { type: 'string' },
    },
    { min: 0, max: 0 },
    io,
  )
  const port = integerFlag(values, 'port', serveUsage, { min: 0, max: 65_535 }) ?? 4010
  const host = stringFlag(values, 'host') ?? '127.0.0.1'
  const timeScale = number('time-scale', stringFlag(values, 'time-scale'), 1)
  if (timeScale === 0) throw new UsageExit('--time-scale must be above 0', serveUsage)
  const format = logFormatFlag(values, serveUsage)
  const quiet = values.quiet === true
  const apiKey = stringFlag(values, 'api-key') ?? (io.env.BLUUM_API_KEY || DEFAULT_SANDBOX_API_KEY)
  const apiSecret =
    stringFlag(values, 'api-secret') ?? (io.env.BLUUM_API_SECRET || DEFAULT_SANDBOX_API_SECRET)
  const rateLimit = number('rate-limit', stringFlag(values, 'rate-limit'), 10)

  const stateFile = stringFlag(values, 'state')
  if (stateFile === '') throw new UsageExit('--state expects a file path', serveUsage)
  const restored = stateFile !== undefined && existsSync(stateFile)
  // A bad state file throws here, before the port is taken: the caller prints its code, exit 1.
  const sandbox = createSandbox({
    clock: 'real',
    timeScale,
    apiKey,
    apiSecret,
    rateLimitPerSecond: rateLimit,
    strict: values.strict === true,
    ...(stateFile === undefined ? {} : { stateFile }),
  })

  const forwardTo = stringFlag(values, 'forward-to')
  let forwarded: Webhook | undefined
  if (forwardTo) {
    const secret =
      stringFlag(values, 'webhook-secret') ?? (io.env.BLUUM_WEBHOOK_SECRET || undefined)
    try {
      forwarded = forwardWebhook(sandbox, forwardTo, secret)
    } catch (error) {
      throw new UsageExit(
        `--forward-to / --webhook-secret: ${(error as Error).message}`,
        serveUsage,
      )
    }
  }
  // The first save proves the state file is writable before anyone relies on it.
  await sandbox.save()

  const app = createSandboxServer(sandbox)
  const address = await app.listen({ port, host })
  const baseUrl = `${address}/v1`

  if (format === 'json') {
    io.stdout.write(
      JSON.stringify({
        type: 'listening',
        url: baseUrl,
        api_key: apiKey,
        api_secret: apiSecret,
        inspector: `${address}/`,
        openapi: `${address}/openapi.json`,
        state_file: stateFile ?? null,
        time_scale: timeScale,
        strict: values.strict === true,
        ...(forwarded
          ? { forward_to: forwardTo, webhook_id: forwarded.id, webhook_secret: forwarded.secret }
          : {}),
      }) + '\n',
    )
  } else {
    const lines = [
      `Bluum sandbox listening on ${baseUrl}`,
      `  API key:     ${apiKey}`,
      `  API secret:  ${apiSecret}`,
      `  Inspector:   ${address}/`,
      `  OpenAPI:     ${address}/openapi.json`,
      ...(stateFile === undefined
        ? []
        : [
            `  State file:  ${stateFile} (${restored ? 'restored' : 'new'}; holds webhook secrets, mode 0600)`,
          ]),
      `  Time scale:  ${timeScale}x`,
      ...(values.strict === true
        ? ['  Strict:      fields Bluum does not document are refused (400 BLUM-400-001)']
        : []),
    ]
    if (forwardTo && forwarded) {
      lines.push(
        `  Forwarding all events to ${forwardTo}`,
        `  Webhook:     ${forwarded.id}`,
        `  Secret:      ${forwarded.secret}`,
      )
    }
    // The banner is the CLI's sanctioned console output: it is how the user gets the credentials.
    io.stdout.write(lines.join('\n') + '\n')
  }

  if (!quiet) {
    const colour = format === 'text' && shouldColour(io.stdout, io.env)
    sandbox.deliveries.onAttempt((delivery, attempt) => {
      io.stdout.write(formatAttempt(attemptActivity(delivery, attempt), { format, colour }) + '\n')
    })
    // A request that carried a field Bluum does not document: said here, before production does.
    sandbox.requestLog.subscribe((record) => {
      if (record.warnings.length > 0)
        io.stdout.write(formatRequestWarning(record, { format, colour }) + '\n')
    })
  }

  return new Promise<number>((resolve) => {
    let closing = false
    const shutdown = async () => {
      if (closing) return
      closing = true
      await app.close()
      try {
        // Waits for deliveries in flight, then writes the state file one last time.
        await sandbox.close()
      } catch (error) {
        const err = error as { code?: string; message: string }
        io.stderr.write(`bluum-sandbox: ${err.code ? `${err.code}: ` : ''}${err.message}\n`)
        resolve(1)
        return
      }
      resolve(0)
    }
    process.once('SIGINT', () => void shutdown())
    process.once('SIGTERM', () => void shutdown())
  })
}

/**
 * The `--forward-to` webhook: pinned, so no reset drops what the banner promises. With a state
 * file it already exists after a restart: reuse it (same id and secret) instead of adding another.
 */
function forwardWebhook(sandbox: Sandbox, url: string, secret: string | undefined): Webhook {
  const existing = [...sandbox.state.webhooks.values()].find((w) => w.pinned)
  if (!existing) {
    return sandbox.webhooks.create({
      name: 'bluum-sandbox --forward-to',
      url,
      eventTypeNames: ['*'],
      pinned: true,
      ...(secret ? { secret } : {}),
    })
  }
  sandbox.webhooks.update(existing.id, { url, status: 'active' })
  if (secret && secret !== existing.secret) {
    // The flag or environment variable wins over the saved secret, validated like a new one.
    checkSecret(secret)
    existing.secret = secret
    existing.previousSecrets = []
  }
  return existing
}
