/**
 * `bluum-sandbox [options]`: runs the sandbox as a local HTTP server, prints its banner, then one
 * line per delivery attempt (so a failing `--forward-to` is seen, not silent), until SIGINT or
 * SIGTERM.
 */
import { existsSync } from 'node:fs'
import { attemptActivity } from '../api/stream.js'
import type { Webhook } from '../core/state.js'
import { checkSecret } from '../engines/webhooks.js'
import {
  createSandbox,
  DEFAULT_SANDBOX_API_KEY,
  DEFAULT_SANDBOX_API_SECRET,
  type Sandbox,
} from '../sandbox.js'
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

export const serveUsage = `bluum-sandbox: a local Bluum sandbox (REST API, signed webhooks, sandbox controls)

Usage: bluum-sandbox [options]              run the sandbox
       bluum-sandbox <command> [options]    talk to a running one (see Commands)

Options:
  --port <n>            Port to listen on, 0-65535 (default 4010; 0 picks a free one)
  --host <addr>         Address to bind (default 127.0.0.1)
  --api-key <key>       Tenant API key (default $BLUUM_API_KEY, else ${DEFAULT_SANDBOX_API_KEY})
  --api-secret <s>      Tenant API secret (default $BLUUM_API_SECRET, else ${DEFAULT_SANDBOX_API_SECRET})
  --time-scale <n>      Sandbox seconds per real second: 60 turns the 1 min retry into 1 s (default 1)
  --rate-limit <n>      Requests per second per API key before 429; 0 disables (default 10)
  --forward-to <url>    Create a webhook for all events pointing at <url> and print its secret
                        (kept by every reset; reused on restart with --state)
  --webhook-secret <s>  Secret of that webhook (default $BLUUM_WEBHOOK_SECRET, else a new one)
  --state <file>        Keep webhooks (with their secrets), investors, orders, transfers, documents,
                        balances, deliveries and pending retries in <file> across restarts. A missing
                        file starts fresh; a corrupt or foreign one stops start-up (exit 1) untouched.
                        Written atomically, mode 0600: it contains webhook secrets.
  --quiet               No line per delivery attempt (the banner still prints)
  --log-format <f>      text (default; coloured on a terminal unless NO_COLOR is set) or json
                        (the banner and every attempt as one JSON object per line)
  -h, --help            Show this help

While it runs, every delivery attempt prints one line: time, event, evt_ id, the status (with the
  receiver's error code, e.g. 401 BLUUM_SIGNATURE_MISMATCH) or the connection error, the duration,
  and the next retry time or "parked".

Commands (each has --help; they reach the sandbox at --url, default http://127.0.0.1:4010):
  trigger <event> [--data JSON | --data @file]   emit a catalog event (like \`stripe trigger\`)
  deliveries [--status parked] [--event name]    list deliveries, newest first
  replay <delivery_id> | --parked [--webhook id] send deliveries again
  logs                                           follow every delivery attempt live
  listen --forward-to <url>                      add a webhook for all events, print its secret,
                                                 stream its attempts, remove it on Ctrl-C

Clock: deliveries are signed with wall time, so receivers verify them whatever the time scale.
  POST /v1/sandbox/clock/advance {"duration":"11h"} runs every timer due on the way, in order
  (the whole retry ladder: 6 attempts, then parked); at most 30d per call (else 400).
Reset: POST /v1/sandbox/reset forgets investors, orders, transfers, documents, deliveries and
  events, and brings the clock back to now. Webhook registrations stay (as in Bluum's sandbox);
  send {"keep_webhooks":false} to drop them too (the --forward-to webhook always stays).

Endpoints: the API under /v1, sandbox controls under /v1/sandbox (live events at
  /v1/sandbox/stream), the OpenAPI document at /openapi.json.
Inspector: http://127.0.0.1:4010/ (events, deliveries and their attempts live; replay, trigger, clock,
  secrets); no login from this machine, the API key and secret as HTTP Basic from elsewhere.
`

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
