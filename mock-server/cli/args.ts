/**
 * What every subcommand shares: parsing its flags strictly (a bad flag or value prints the usage
 * text to stderr and exits 2), `--help`, and the options that reach a running sandbox.
 */
import { once } from 'node:events'
import { resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { DEFAULT_SANDBOX_API_KEY, DEFAULT_SANDBOX_API_SECRET } from '../core/credentials.js'

/** The CLI's outside world, injectable so that a test runs a command in-process. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
  /** The directory relative paths (`--state`, `--data @file`, `.env`) are read against. */
  cwd: string
  /** Stops a command that runs until stopped (the server, `logs`, `listen`): SIGINT or SIGTERM. */
  signal: AbortSignal
}

/** `path` as the command line meant it: relative to the command's directory. */
export function pathIn(io: CliIo, path: string): string {
  return resolve(io.cwd, path)
}

/** Thrown to leave with exit 2 after printing `message` and the usage text. */
export class UsageExit {
  constructor(
    readonly message: string,
    readonly usage: string,
  ) {}
}

/** Thrown to leave with a status and nothing more to print (the subcommand printed already). */
export class QuietExit {
  constructor(readonly code: number) {}
}

type Options = NonNullable<ParseArgsConfig['options']>

/** Parses `argv` against `options`; `--help` prints `usage` and exits 0, anything wrong exits 2. */
export function parseCommand<O extends Options>(
  argv: string[],
  usage: string,
  options: O,
  positionals: { min: number; max: number },
  io: CliIo,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: positionals.max > 0,
    })
  } catch (error) {
    throw new UsageExit((error as Error).message, usage)
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  if (values.help) {
    io.stdout.write(usage)
    throw new QuietExit(0)
  }
  if (parsed.positionals.length < positionals.min) throw new UsageExit('missing argument', usage)
  if (parsed.positionals.length > positionals.max)
    throw new UsageExit(`unexpected argument ${JSON.stringify(parsed.positionals.at(-1))}`, usage)
  return { values, positionals: parsed.positionals }
}

/** Resolves once `signal` aborts (at once if it has). */
export async function untilAborted(signal: AbortSignal): Promise<void> {
  if (!signal.aborted) await once(signal, 'abort')
}

/** The string value of a flag, or undefined. */
export function stringFlag(
  values: Record<string, string | boolean | undefined>,
  name: string,
): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

/** A non-negative integer flag within `max`, or exit 2 naming the flag. */
export function integerFlag(
  values: Record<string, string | boolean | undefined>,
  name: string,
  usage: string,
  range: { min: number; max: number },
): number | undefined {
  const raw = stringFlag(values, name)
  if (raw === undefined) return undefined
  const parsed = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || parsed < range.min || parsed > range.max)
    throw new UsageExit(
      `--${name} expects an integer from ${range.min} to ${range.max}, got ${JSON.stringify(raw)}`,
      usage,
    )
  return parsed
}

/** `--log-format`: text (default) or json, or exit 2. */
export function logFormatFlag(
  values: Record<string, string | boolean | undefined>,
  usage: string,
): 'text' | 'json' {
  const raw = stringFlag(values, 'log-format') ?? 'text'
  if (raw !== 'text' && raw !== 'json')
    throw new UsageExit(`--log-format expects "text" or "json", got ${JSON.stringify(raw)}`, usage)
  return raw
}

/** Flags of the subcommands that talk to a running sandbox. */
export const connectionOptions = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  'api-secret': { type: 'string' },
} as const

export const defaultSandboxUrl = 'http://127.0.0.1:4010'

/** The help lines of {@link connectionOptions}. */
export const connectionHelp = `  --url <url>           The running sandbox (default $BLUUM_SANDBOX_URL, else ${defaultSandboxUrl})
  --api-key <key>       Tenant API key (default $BLUUM_API_KEY, else ${DEFAULT_SANDBOX_API_KEY})
  --api-secret <s>      Tenant API secret (default $BLUUM_API_SECRET, else ${DEFAULT_SANDBOX_API_SECRET})
`

/** Where and as whom to call the running sandbox; the base always ends in `/v1`. */
export interface Connection {
  /** `http://127.0.0.1:4010/v1` */
  base: string
  authorization: string
}

/**
 * The API root of the http(s) URL `raw` given as `flag`: both the banner's `.../v1` and the bare
 * origin are accepted, and the root always ends in `/v1`. Anything else exits 2.
 */
export function apiBase(raw: string, flag: string, usage: string): string {
  let url: URL | undefined
  try {
    url = new URL(raw)
  } catch {
    url = undefined
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:')
    throw new UsageExit(`${flag} expects an http(s) URL, got ${JSON.stringify(raw)}`, usage)
  const path = url.pathname.replace(/\/+$/, '')
  return `${url.origin}${path.endsWith('/v1') ? path : `${path}/v1`}`
}

/** Reads {@link connectionOptions} with their environment fallbacks; a bad URL exits 2. */
export function connectionFrom(
  values: Record<string, string | boolean | undefined>,
  usage: string,
  env: NodeJS.ProcessEnv,
): Connection {
  const raw = stringFlag(values, 'url') ?? (env.BLUUM_SANDBOX_URL || defaultSandboxUrl)
  const base = apiBase(raw, '--url', usage)
  const key = stringFlag(values, 'api-key') ?? (env.BLUUM_API_KEY || DEFAULT_SANDBOX_API_KEY)
  const secret =
    stringFlag(values, 'api-secret') ?? (env.BLUUM_API_SECRET || DEFAULT_SANDBOX_API_SECRET)
  return { base, authorization: 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64') }
}
