/**
 * The `bluum-sandbox` CLI as a child process on a free port, and a plugin-backed receiver on
 * 127.0.0.1: the standalone setup over real HTTP, for the CLI tests.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import bluumWebhooks from '../../plugin/index.js'

const cli = fileURLToPath(new URL('../../mock-server/cli.ts', import.meta.url))
const authorization =
  'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

export interface RunningCli {
  child: ChildProcess
  /** `http://127.0.0.1:<port>/v1` */
  base: string
  /** stdout and stderr, interleaved. */
  output(): string
  /** stdout alone. */
  stdout(): string
  /** Calls the sandbox API with the default tenant credentials. */
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>
}

/** Spawns the CLI on port 0 (rate limit off, so polling cannot hit 429) and waits for its banner. */
export async function startCli(
  t: Test,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<RunningCli> {
  const child = spawn(
    process.execPath,
    ['--import=tsx', cli, '--port', '0', '--rate-limit', '0', ...args],
    {
      env: {
        ...process.env,
        BLUUM_API_KEY: '',
        BLUUM_API_SECRET: '',
        BLUUM_WEBHOOK_SECRET: '',
        NO_COLOR: '',
        FORCE_COLOR: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let output = ''
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk
    stdout += chunk
  })
  child.stderr.on('data', (chunk: Buffer) => (output += chunk))
  const base = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(output)
      if (found && output.includes('Time scale')) resolve(found[1]!)
      // --log-format json: the banner is one JSON object.
      const json = /"type":"listening","url":"(http:\/\/127\.0\.0\.1:\d+\/v1)"/.exec(output)
      if (json) resolve(json[1]!)
    })
    child.once('exit', (code) => reject(new Error(`the CLI exited ${code}: ${output}`)))
  })
  return {
    child,
    base,
    output: () => output,
    stdout: () => stdout,
    async api(method, path, body) {
      const response = await fetch(base + path, {
        method,
        headers: {
          authorization,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(method === 'POST' ? { 'idempotency-key': crypto.randomUUID() } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await response.text()
      return { status: response.status, body: text ? JSON.parse(text) : undefined }
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode
      child.kill('SIGTERM')
      const [code] = (await once(child, 'exit')) as [number | null]
      return code
    },
  }
}

/** Runs the CLI expecting it to exit at once; resolves its exit code and output. */
export async function runCliToExit(
  args: string[],
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import=tsx', cli, '--port', '0', ...args], {
    env: { ...process.env, BLUUM_API_KEY: '', BLUUM_API_SECRET: '', BLUUM_WEBHOOK_SECRET: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk))
  // Bounded: a CLI that starts instead of failing is killed after its banner.
  child.stdout.on('data', () => output.includes('Time scale') && child.kill('SIGKILL'))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, output }
}

export interface Receiver {
  app: FastifyInstance
  url: string
  /** Event ids the handlers ran for, in order. */
  handled: string[]
  /** Status codes the receiver answered, in order. */
  answered: number[]
}

/** A Fastify app with the plugin verifying `secret`, listening on 127.0.0.1; `fail` makes every handler throw. */
export async function startReceiver(
  t: Test,
  secret: string,
  options: { fail?: boolean } = {},
): Promise<Receiver> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(bluumWebhooks, { secret })
  const handled: string[] = []
  const answered: number[] = []
  app.addHook('onResponse', async (request, reply) => {
    if (request.url === '/webhooks/bluum') answered.push(reply.statusCode)
  })
  app.bluum.onAny(async (event) => {
    if (options.fail) throw new Error('the receiver fails on purpose')
    handled.push(String((event as { id?: string }).id))
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return { app, url: `http://127.0.0.1:${port}/webhooks/bluum`, handled, answered }
}

/** Polls until `check` passes, at most 100 times 50 ms apart, then returns the last value. */
export async function eventually<T>(
  read: () => Promise<T> | T,
  check: (value: T) => boolean,
): Promise<T> {
  let value = await read()
  for (let i = 0; i < 100 && !check(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    value = await read()
  }
  return value
}

/** A subcommand run to its end: exit code, stdout and stderr apart. */
export async function runCommand(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCommand(args, env)
  const [code] = (await once(child.child, 'exit')) as [number | null]
  return { code, stdout: child.stdout(), stderr: child.stderr() }
}

export interface CommandProcess {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves once stdout or stderr (all of it so far) passes `check`; rejects if the process exits first. */
  waitFor(check: (stdout: string, stderr: string) => boolean): Promise<void>
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>
}

/** Starts a subcommand (`logs`, `listen`) that runs until stopped. */
export function spawnCommand(args: string[], env: Record<string, string> = {}): CommandProcess {
  const child = spawn(process.execPath, ['--import=tsx', cli, ...args], {
    env: {
      ...process.env,
      BLUUM_API_KEY: '',
      BLUUM_API_SECRET: '',
      BLUUM_SANDBOX_URL: '',
      NO_COLOR: '',
      FORCE_COLOR: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const changed = new Set<() => void>()
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
    for (const wake of changed) wake()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk
    for (const wake of changed) wake()
  })
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor(check) {
      return new Promise((resolve, reject) => {
        const test = () => {
          if (!check(stdout, stderr)) return
          changed.delete(test)
          resolve()
        }
        changed.add(test)
        child.once('exit', (code) => {
          changed.delete(test)
          if (!check(stdout, stderr))
            reject(new Error(`exited ${code} first; stdout: ${stdout}\nstderr: ${stderr}`))
        })
        test()
      })
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode
      child.kill('SIGTERM')
      const [code] = (await once(child, 'exit')) as [number | null]
      return code
    },
  }
}
