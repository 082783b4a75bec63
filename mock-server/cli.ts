#!/usr/bin/env node
/**
 * `bluum-sandbox`: the Bluum sandbox as a local HTTP server, for development without the real
 * sandbox (and, with `--forward-to`, without ngrok: events are pushed straight to a local app).
 */
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { Webhook } from './core/state.js'
import { checkSecret } from './engines/webhooks.js'
import {
  createSandbox,
  DEFAULT_SANDBOX_API_KEY,
  DEFAULT_SANDBOX_API_SECRET,
  type Sandbox,
} from './sandbox.js'
import { createSandboxServer } from './server.js'

const help = `bluum-sandbox: a local Bluum sandbox (REST API, signed webhooks, sandbox controls)

Usage: bluum-sandbox [options]

Options:
  --port <n>            Port to listen on (default 4010; 0 picks a free one)
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
  -h, --help            Show this help

Clock: deliveries are signed with wall time, so receivers verify them whatever the time scale.
  POST /v1/sandbox/clock/advance {"duration":"11h"} runs every timer due on the way, in order
  (the whole retry ladder: 6 attempts, then parked); at most 30d per call (else 400).
Reset: POST /v1/sandbox/reset forgets investors, orders, transfers, documents, deliveries and
  events, and brings the clock back to now. Webhook registrations stay (as in Bluum's sandbox);
  send {"keep_webhooks":false} to drop them too (the --forward-to webhook always stays).

Endpoints: the API under /v1, sandbox controls under /v1/sandbox, the OpenAPI document at /openapi.json.
Inspector: http://127.0.0.1:4010/ (events, deliveries and their attempts live; replay, trigger, clock,
  secrets); no login from this machine, the API key and secret as HTTP Basic from elsewhere.
`

function fail(message: string): never {
  process.stderr.write(`bluum-sandbox: ${message}\n\n${help}`)
  process.exit(2)
}

function number(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (!Number.isFinite(parsed) || parsed < 0)
    fail(`--${name} expects a non-negative number, got ${JSON.stringify(value)}`)
  return parsed
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'api-key': { type: 'string' },
        'api-secret': { type: 'string' },
        'time-scale': { type: 'string' },
        'rate-limit': { type: 'string' },
        'forward-to': { type: 'string' },
        'webhook-secret': { type: 'string' },
        state: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (error) {
    fail((error as Error).message)
  }
  if (values.help) {
    process.stdout.write(help)
    return
  }
  const str = (name: string) =>
    typeof values[name] === 'string' ? (values[name] as string) : undefined
  const port = number('port', str('port'), 4010)
  const host = str('host') ?? '127.0.0.1'
  const timeScale = number('time-scale', str('time-scale'), 1)
  if (timeScale === 0) fail('--time-scale must be above 0')
  const apiKey = str('api-key') ?? (process.env.BLUUM_API_KEY || DEFAULT_SANDBOX_API_KEY)
  const apiSecret =
    str('api-secret') ?? (process.env.BLUUM_API_SECRET || DEFAULT_SANDBOX_API_SECRET)

  const stateFile = str('state')
  if (stateFile === '') fail('--state expects a file path')
  const restored = stateFile !== undefined && existsSync(stateFile)
  // A bad state file throws here, before the port is taken: main().catch prints its code, exit 1.
  const sandbox = createSandbox({
    clock: 'real',
    timeScale,
    apiKey,
    apiSecret,
    rateLimitPerSecond: number('rate-limit', str('rate-limit'), 10),
    ...(stateFile === undefined ? {} : { stateFile }),
  })

  const forwardTo = str('forward-to')
  let forwarded: Webhook | undefined
  if (forwardTo) {
    const secret = str('webhook-secret') ?? (process.env.BLUUM_WEBHOOK_SECRET || undefined)
    try {
      forwarded = forwardWebhook(sandbox, forwardTo, secret)
    } catch (error) {
      fail(`--forward-to / --webhook-secret: ${(error as Error).message}`)
    }
  }
  // The first save proves the state file is writable before anyone relies on it.
  await sandbox.save()

  const app = createSandboxServer(sandbox)
  const address = await app.listen({ port, host })
  const baseUrl = `${address}/v1`

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
    const webhook = forwarded
    lines.push(
      `  Forwarding all events to ${forwardTo}`,
      `  Webhook:     ${webhook.id}`,
      `  Secret:      ${webhook.secret}`,
    )
  }
  // The startup banner is the CLI's one sanctioned console output: it is how the user gets the credentials.
  process.stdout.write(lines.join('\n') + '\n')

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
      process.stderr.write(`bluum-sandbox: ${err.code ? `${err.code}: ` : ''}${err.message}\n`)
      process.exit(1)
    }
    process.exit(0)
  }
  process.once('SIGINT', () => void shutdown())
  process.once('SIGTERM', () => void shutdown())
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

main().catch((error: unknown) => {
  const err = error as { code?: string; message: string }
  process.stderr.write(`bluum-sandbox: ${err.code ? `${err.code}: ` : ''}${err.message}\n`)
  process.exit(1)
})
