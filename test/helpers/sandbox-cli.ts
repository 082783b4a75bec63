/**
 * The `bluum-sandbox` CLI run in-process through `main(argv, io)`, as Fastify's `inject` runs a
 * route: its output collected, its exit code resolved, a serving command stopped through
 * `io.signal` as SIGTERM stops the process. The sandbox it serves listens on a free 127.0.0.1 port
 * and is reached over real HTTP, as is the plugin-backed receiver below. (The bin itself, as a
 * process, is run by test/package-consumer.test.ts.)
 */
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { main } from '../../mock-server/cli/main.js'
import bluumWebhooks from '../../plugin/index.js'

const authorization =
  'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

/** A command running in-process. */
export interface CommandRun {
  /** The exit code, once the command has ended. */
  exited: Promise<number>
  stdout(): string
  stderr(): string
  /** stdout and stderr, interleaved. */
  output(): string
  /** Resolves once the output so far passes `check`; rejects if the command ends first. */
  waitFor(check: (stdout: string, stderr: string) => boolean): Promise<void>
  /** Aborts `io.signal` (what SIGINT or SIGTERM does to the process), then the exit code. */
  stop(): Promise<number>
}

/**
 * Starts `bluum-sandbox <args>` in-process. Its environment is `env` alone, never this process's
 * (no BLUUM_* variable of the machine leaks in), and its stdout is not a terminal.
 */
export function startCommand(
  args: string[],
  env: Record<string, string> = {},
  cwd: string = process.cwd(),
): CommandRun {
  let stdout = ''
  let stderr = ''
  let output = ''
  const changed = new Set<() => void>()
  const collect = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        append(String(chunk))
        for (const wake of changed) wake()
        done()
      },
    })
  const controller = new AbortController()
  const exited = main(args, {
    stdout: collect((text) => ((stdout += text), (output += text))),
    stderr: collect((text) => ((stderr += text), (output += text))),
    env: { ...env },
    cwd,
    signal: controller.signal,
  })
  let ended = false
  void exited.then(() => {
    ended = true
    for (const wake of changed) wake()
  })
  return {
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => output,
    waitFor(check) {
      return new Promise((resolve, reject) => {
        const test = () => {
          if (check(stdout, stderr)) {
            changed.delete(test)
            resolve()
          } else if (ended) {
            changed.delete(test)
            void exited.then((code) =>
              reject(new Error(`exited ${code} first; stdout: ${stdout}\nstderr: ${stderr}`)),
            )
          }
        }
        changed.add(test)
        test()
      })
    },
    stop() {
      controller.abort()
      return exited
    },
  }
}

/** A command run to its end: exit code, stdout and stderr apart. */
export async function runCommand(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = startCommand(args, env)
  const code = await run.exited
  return { code, stdout: run.stdout(), stderr: run.stderr() }
}

export interface RunningCli {
  /** `http://127.0.0.1:<port>/v1` */
  base: string
  /** stdout and stderr, interleaved. */
  output(): string
  /** stdout alone. */
  stdout(): string
  /** Calls the sandbox API with the default tenant credentials. */
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>
  /** Resolves once stdout and stderr pass `check`; rejects if the CLI ends first. */
  waitFor(check: (stdout: string, stderr: string) => boolean): Promise<void>
  /** Stops it as SIGTERM does, then the exit code. */
  stop(): Promise<number>
}

const listening = /listening on (http:\/\/127\.0\.0\.1:\d+\/v1)[\s\S]*Time scale/
// --log-format json: the banner is one JSON object.
const listeningJson = /"type":"listening","url":"(http:\/\/127\.0\.0\.1:\d+\/v1)"/

/** Serves the sandbox on port 0 (rate limit off, so polling cannot hit 429) once its banner is out. */
export async function startCli(
  t: Test,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<RunningCli> {
  const run = startCommand(['--port', '0', '--rate-limit', '0', ...args], env)
  t.teardown(() => run.stop())
  await run.waitFor((out) => listening.test(out) || listeningJson.test(out))
  const base = (listening.exec(run.stdout()) ?? listeningJson.exec(run.stdout()))![1]!
  return {
    base,
    output: run.output,
    stdout: run.stdout,
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
    waitFor: run.waitFor,
    stop: run.stop,
  }
}

/** Runs the serving CLI expecting it to fail at start; a CLI that starts instead is stopped. */
export async function runCliToExit(args: string[]): Promise<{ code: number; output: string }> {
  const run = startCommand(['--port', '0', ...args])
  await run.waitFor((out) => out.includes('Time scale')).then(run.stop, () => undefined)
  return { code: await run.exited, output: run.output() }
}

export interface Receiver {
  app: FastifyInstance
  url: string
  /** Event ids the handlers ran for, in order. */
  handled: string[]
  /** Status codes the receiver answered, in order. */
  answered: number[]
  /** While true, every handler throws (the receiver answers 500 BLUUM_HANDLER_FAILED). */
  failing: boolean
}

/** A Fastify app with the plugin verifying `secret`, listening on 127.0.0.1 (`port`, or a free one). */
export async function startReceiver(
  t: Test,
  secret: string,
  options: { fail?: boolean; port?: number } = {},
): Promise<Receiver> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(bluumWebhooks, { secret })
  const receiver: Receiver = {
    app,
    url: '',
    handled: [],
    answered: [],
    failing: options.fail ?? false,
  }
  app.addHook('onResponse', async (request, reply) => {
    if (request.url === '/webhooks/bluum') receiver.answered.push(reply.statusCode)
  })
  app.bluum.onAny(async (event) => {
    if (receiver.failing) throw new Error('the receiver fails on purpose')
    receiver.handled.push(String((event as { id?: string }).id))
  })
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  receiver.url = `http://127.0.0.1:${port}/webhooks/bluum`
  return receiver
}

/**
 * A running sandbox with a webhook for every event to a receiver that knows its secret, and the
 * `--url` flag that reaches the sandbox.
 */
export async function startSandboxAndReceiver(t: Test) {
  const cli = await startCli(t)
  const created = await cli.api('POST', '/webhooks', {
    name: 'app',
    url: 'http://127.0.0.1:9/placeholder',
    eventTypeNames: ['*'],
  })
  const webhook = created.body as { id: string; secret: string }
  const receiver = await startReceiver(t, webhook.secret)
  await cli.api('PATCH', `/webhooks/${webhook.id}`, { url: receiver.url })
  return { cli, webhook, receiver, url: ['--url', cli.base.replace(/\/v1$/, '')] }
}

/**
 * Reads until `check` passes, 20 ms apart, and returns that value. No deadline of its own: on a
 * busy machine a delivery may take seconds, and a condition that never comes is tap's timeout.
 */
export async function eventually<T>(
  read: () => Promise<T> | T,
  check: (value: T) => boolean,
): Promise<T> {
  let value = await read()
  while (!check(value)) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    value = await read()
  }
  return value
}
