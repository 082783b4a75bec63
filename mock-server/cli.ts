#!/usr/bin/env node
/**
 * `bluum-sandbox`: the Bluum sandbox as a local HTTP server, for development without the real
 * sandbox (and, with `--forward-to`, without ngrok: events are pushed straight to a local app).
 */
import { parseArgs } from 'node:util'
import { createSandbox, DEFAULT_SANDBOX_API_KEY, DEFAULT_SANDBOX_API_SECRET } from './sandbox.js'
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
  --webhook-secret <s>  Secret of that webhook (default $BLUUM_WEBHOOK_SECRET, else a new one)
  -h, --help            Show this help

Endpoints: the API under /v1, sandbox controls under /v1/sandbox, the OpenAPI document at /openapi.json.
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

  const sandbox = createSandbox({
    clock: 'real',
    timeScale,
    apiKey,
    apiSecret,
    rateLimitPerSecond: number('rate-limit', str('rate-limit'), 10),
  })
  const app = createSandboxServer(sandbox)
  const address = await app.listen({ port, host })
  const baseUrl = `${address}/v1`

  const lines = [
    `Bluum sandbox listening on ${baseUrl}`,
    `  API key:     ${apiKey}`,
    `  API secret:  ${apiSecret}`,
    `  OpenAPI:     ${address}/openapi.json`,
    `  Time scale:  ${timeScale}x`,
  ]
  const forwardTo = str('forward-to')
  if (forwardTo) {
    const secret = str('webhook-secret') ?? (process.env.BLUUM_WEBHOOK_SECRET || undefined)
    let webhook
    try {
      webhook = sandbox.webhooks.create({
        name: 'bluum-sandbox --forward-to',
        url: forwardTo,
        eventTypeNames: ['*'],
        ...(secret ? { secret } : {}),
      })
    } catch (error) {
      fail(`--forward-to / --webhook-secret: ${(error as Error).message}`)
    }
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
    await sandbox.close()
    process.exit(0)
  }
  process.once('SIGINT', () => void shutdown())
  process.once('SIGTERM', () => void shutdown())
}

main().catch((error: unknown) => {
  process.stderr.write(`bluum-sandbox: ${(error as Error).message}\n`)
  process.exit(1)
})
