/**
 * Starts a private `redis-server` for one test file: loopback only, a free port, no persistence
 * unless asked, and never the system's Redis. It can be stopped, paused and started again on the
 * same port, which is how the tests take Redis away from the store and give it back.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.js'

export interface RedisServerOptions {
  /** Keep data across `stop()`/`start()` with an fsync-always append-only file. Default false. */
  persist?: boolean
  /** How long to wait for the server to answer PING, in ms. Default 5000. */
  startTimeoutMs?: number
}

export interface RedisServer {
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** Pid of the running server, undefined while stopped. */
  readonly pid: number | undefined
  /** Starts the server again on the same port and waits until it answers PING. */
  start(): Promise<void>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>
  /** SIGKILL, as a crash (only what was fsynced survives); resolves once the process has exited. */
  kill(): Promise<void>
  /** Freezes the process (SIGSTOP): connections stay open and nothing answers. */
  pause(): void
  /** Thaws it (SIGCONT). */
  resume(): void
  /** Stops the server and removes its directory; safe to call twice. */
  close(): Promise<void>
}

const running = new Set<ChildProcess>()
const directories = new Set<string>()
// A failed test must not leave servers or directories behind: clean up whatever is left when
// the test process exits (synchronously, which is all an 'exit' listener may do).
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
  for (const dir of directories) rmSync(dir, { recursive: true, force: true })
})

/** Throws a message that says how to install Redis when `redis-server` is not on PATH. */
export function assertRedisServerInstalled(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'redis-server is not on PATH, and the Redis store tests need a real one (they start their own on a free loopback port). ' +
        'Run scripts/ensure-redis.sh as root, or install it: `apt-get install redis-server` (Debian/Ubuntu), `brew install redis` (macOS).',
    )
  }
}

/** One raw PING over TCP, so waiting for the server involves no client library and no retries. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    let answer = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      answer += chunk.toString()
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'))
    })
  })
}

/**
 * Where the servers keep their files: a tmpfs when there is one. The tests kill the process, never
 * the machine, and what Redis wrote survives a process kill on any filesystem; on tmpfs the
 * fsync of `appendfsync always` costs nothing, where on a busy disk it made each write wait.
 */
function dataRoot(): string {
  try {
    accessSync('/dev/shm', constants.W_OK)
    return '/dev/shm'
  } catch {
    return tmpdir()
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts a `redis-server` on a free 127.0.0.1 port and waits until it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  assertRedisServerInstalled()
  const startTimeoutMs = options.startTimeoutMs ?? 5000
  const dir = mkdtempSync(join(dataRoot(), 'bluum-redis-'))
  directories.add(dir)
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let output = ''
  let closed = false

  function spawnOn(port: number): void {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--daemonize', 'no']
    args.push('--dir', dir, '--loglevel', 'warning')
    args.push(
      ...(options.persist
        ? ['--appendonly', 'yes', '--appendfsync', 'always']
        : ['--appendonly', 'no']),
    )
    output = ''
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = proc
    running.add(proc)
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000)
    }
    proc.stdout?.on('data', keep)
    proc.stderr?.on('data', keep)
    exited = new Promise((resolve) => {
      proc.once('exit', () => {
        running.delete(proc)
        if (child === proc) child = undefined
        resolve()
      })
    })
  }

  async function waitUntilReady(port: number): Promise<void> {
    const deadline = Date.now() + startTimeoutMs
    while (Date.now() < deadline) {
      if (child === undefined) {
        throw new Error(`redis-server exited while starting on port ${port}:\n${output}`)
      }
      if (await ping(port)) return
      await sleep(20)
    }
    throw new Error(
      `redis-server did not answer PING on port ${port} within ${startTimeoutMs} ms:\n${output}`,
    )
  }

  async function stop(graceMs = 3000): Promise<void> {
    const proc = child
    if (proc === undefined) return
    proc.kill('SIGCONT') // a paused server cannot handle SIGTERM
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }

  // A port found free can be taken before redis-server binds it: try a few.
  let port = 0
  for (let attempt = 1; ; attempt++) {
    port = await freePort()
    spawnOn(port)
    try {
      await waitUntilReady(port)
      break
    } catch (error) {
      await stop(500)
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true })
        directories.delete(dir)
        throw error
      }
    }
  }

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid
    },
    async start() {
      if (closed) throw new Error('this redis-server helper was closed')
      if (child !== undefined) return
      spawnOn(port)
      try {
        await waitUntilReady(port)
      } catch (error) {
        await stop(500)
        throw error
      }
    },
    stop,
    async kill() {
      const proc = child
      if (proc === undefined) return
      proc.kill('SIGKILL')
      await exited
    },
    pause() {
      child?.kill('SIGSTOP')
    },
    resume() {
      child?.kill('SIGCONT')
    },
    async close() {
      closed = true
      await stop(1000)
      rmSync(dir, { recursive: true, force: true })
      directories.delete(dir)
    },
  }
}
