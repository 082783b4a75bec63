/**
 * `bluum-sandbox [options]`: runs the sandbox as a local HTTP server, prints its banner, then one
 * line per delivery attempt (so a failing `--forward-to` is seen, not silent), until `io.signal`
 * aborts (SIGINT or SIGTERM in the process), then closes it and saves the state file.
 */
import { existsSync } from 'node:fs'
import { isIP } from 'node:net'
import { attemptActivity } from '../api/stream.js'
import type { Webhook } from '../core/state.js'
import { checkSecret, checkUrl } from '../engines/webhooks.js'
import { DEFAULT_SANDBOX_API_KEY, DEFAULT_SANDBOX_API_SECRET } from '../core/credentials.js'
import { createSandbox, type Sandbox } from '../sandbox.js'
import { checkAllowedHost } from '../http/host-allow-list.js'
import { createSandboxServer } from '../server.js'
import {
  integerFlag,
  logFormatFlag,
  parseCommand,
  pathIn,
  stringFlag,
  untilAborted,
  UsageExit,
  type CliIo,
} from './args.js'
import { formatAttempt, shouldColour } from './attempt-line.js'
import { formatRequestWarning } from './request-line.js'
import { readEnvValue, WEBHOOK_SECRET_VARIABLE, writeEnvValue } from './env-file.js'
import { nextSteps, selfCommand } from './next-steps.js'
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

/** Where `--write-env` keeps the webhook secret: `.env` in the command's directory. */
const envFileName = '.env'

/** Runs the server until `io.signal` aborts; resolves the exit code. */
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
      'write-env': { type: 'boolean' },
      'allowed-host': { type: 'string', multiple: true },
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
  // parseCommand types values as single strings; a `multiple` flag arrives as an array.
  const allowedHosts = allowedHostFlags((values as Record<string, unknown>)['allowed-host'], host)

  const stateFile = stringFlag(values, 'state')
  if (stateFile === '') throw new UsageExit('--state expects a file path', serveUsage)
  const forwardTo = stringFlag(values, 'forward-to')
  const writeEnv = values['write-env'] === true
  if (writeEnv && !forwardTo)
    throw new UsageExit(
      "--write-env keeps the --forward-to webhook's secret: add --forward-to <url>",
      serveUsage,
    )
  const envFilePath = pathIn(io, envFileName)
  // The secret the user chose: the flag, else the environment, else (--write-env) the one the
  // env file already holds, so the app reading that file keeps verifying after a restart.
  const secretSources: Array<[string, string | undefined]> = [
    ['--webhook-secret', stringFlag(values, 'webhook-secret')],
    [`$${WEBHOOK_SECRET_VARIABLE}`, io.env[WEBHOOK_SECRET_VARIABLE] || undefined],
    [
      `${WEBHOOK_SECRET_VARIABLE} in ${envFileName}`,
      writeEnv ? readEnvValue(envFilePath, WEBHOOK_SECRET_VARIABLE) : undefined,
    ],
  ]
  const [secretSource, givenSecret] = secretSources.find(([, value]) => value !== undefined) ?? []
  if (forwardTo) {
    // Checked before the sandbox exists: a bad command line must not touch the state file.
    try {
      checkUrl(forwardTo)
      if (givenSecret !== undefined) checkSecret(givenSecret)
    } catch (error) {
      const about = givenSecret === undefined ? '--forward-to' : `--forward-to / ${secretSource}`
      throw new UsageExit(`${about}: ${(error as Error).message}`, serveUsage)
    }
  }
  const statePath = stateFile === undefined ? undefined : pathIn(io, stateFile)
  const restored = statePath !== undefined && existsSync(statePath)
  // A bad state file throws here, before the port is taken: the caller prints its code, exit 1.
  const sandbox = createSandbox({
    clock: 'real',
    timeScale,
    apiKey,
    apiSecret,
    rateLimitPerSecond: rateLimit,
    strict: values.strict === true,
    ...(statePath === undefined ? {} : { stateFile: statePath }),
  })
  const app = createSandboxServer(sandbox, { allowedHosts })
  let address: string
  let forwarded: Webhook | undefined
  let envFile: { path: string; outcome: ReturnType<typeof writeEnvValue> } | undefined
  try {
    if (forwardTo) forwarded = forwardWebhook(sandbox, forwardTo, givenSecret)
    if (writeEnv && forwarded)
      envFile = {
        path: envFileName,
        outcome: writeEnvValue(envFilePath, WEBHOOK_SECRET_VARIABLE, forwarded.secret),
      }
    // The first save proves the state file is writable before anyone relies on it.
    await sandbox.save()
    address = await app.listen({ port, host })
  } catch (error) {
    // Started halfway (a state file or .env that cannot be written, a port in use): stop what runs.
    await app.close()
    await sandbox.close().catch(() => undefined)
    throw error
  }
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
        ...(envFile ? { env_file: envFile.path } : {}),
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
    const guidance = nextSteps({
      command: selfCommand(io.env),
      address,
      webhookCount: sandbox.state.webhooks.size,
      ...(forwarded
        ? {
            forwarded: {
              url: forwarded.url,
              secret: forwarded.secret,
              secretGiven: givenSecret === forwarded.secret,
            },
          }
        : {}),
      ...(envFile ? { envFile } : {}),
    })
    // The banner is the CLI's sanctioned console output: it is how the user gets the credentials.
    // One write, so a reader waiting for the banner sees it whole.
    io.stdout.write(lines.join('\n') + '\n' + guidance)
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

  await untilAborted(io.signal)
  await app.close()
  try {
    // Waits for deliveries in flight, then writes the state file one last time.
    await sandbox.close()
  } catch (error) {
    const err = error as { code?: string; message: string }
    io.stderr.write(`bluum-sandbox: ${err.code ? `${err.code}: ` : ''}${err.message}\n`)
    return 1
  }
  return 0
}

/**
 * The `--allowed-host` names, each checked (exit 2 naming the bad one), plus the `--host` name
 * when it is a name rather than an address: a server bound to `myhost.local` answers to it.
 */
function allowedHostFlags(raw: unknown, host: string): string[] {
  const given = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : []
  for (const entry of given) {
    const problem = checkAllowedHost(entry)
    if (problem) throw new UsageExit(`--allowed-host: ${problem}`, serveUsage)
  }
  return isIP(host.replace(/^\[|\]$/g, '')) || host === '' ? given : [...given, host]
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
    // The flag or environment variable wins over the saved secret (checked by the caller).
    existing.secret = secret
    existing.previousSecrets = []
  }
  return existing
}
