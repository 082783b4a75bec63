/**
 * Runs an HTTP server under test in its own Node process, so the load generator and the server
 * do not share one core's event loop. The child reports its port and, on request, its counters
 * and CPU time over the IPC channel (see `serve()` for the child side).
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

/** Counters a bench server reports; CPU in microseconds since the child started. */
export interface ServerStats {
  /** Requests that reached the route handler (plugin: `order.filled` handler runs). */
  handled: number
  cpuUserUs: number
  cpuSystemUs: number
  heapUsed: number
  rss: number
}

type ChildMessage =
  | { type: 'ready'; port: number }
  | ({ type: 'stats'; seq: number } & ServerStats)
  | { type: 'error'; message: string }

type ParentMessage = { type: 'stats'; seq: number } | { type: 'close' }

export interface ServerProcess {
  readonly port: number
  readonly pid: number
  stats(): Promise<ServerStats>
  /** Asks the child to close its server and exit; kills it (by pid) if it does not in time. */
  close(): Promise<void>
  /** Immediate kill of this child, for time-outs. */
  kill(): void
}

export interface ServerProcessOptions {
  /** Linux only: run the child on these CPUs (a `taskset` list such as `1`). */
  cpus?: string
}

/**
 * Forks `script` (a `.ts` file with `--import=tsx`, a `.js` file as it is) with `extraExecArgv`
 * and waits for its `ready` message.
 */
export async function startServerProcess(
  script: string,
  args: readonly string[],
  extraExecArgv: readonly string[] = [],
  options: ServerProcessOptions = {},
): Promise<ServerProcess> {
  // execArgv is set explicitly: inheriting the parent's could pass on --cpu-prof and the like.
  const nodeArgs = [...(script.endsWith('.ts') ? ['--import=tsx'] : []), ...extraExecArgv]
  const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc']
  // taskset execs node in place, so the IPC channel reaches node itself.
  const child: ChildProcess =
    options.cpus === undefined
      ? fork(script, [...args], { execArgv: nodeArgs, stdio })
      : spawn('taskset', ['-c', options.cpus, process.execPath, ...nodeArgs, script, ...args], {
          stdio,
        })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready after 30 s`)), 30_000)
    child.once('exit', (code) => reject(new Error(`${script} exited early with code ${code}`)))
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer)
        resolve(message.port)
      } else if (message.type === 'error') {
        clearTimeout(timer)
        reject(new Error(message.message))
      }
    })
  }).catch((err: unknown) => {
    child.kill()
    throw err
  })

  let seq = 0
  const send = (message: ParentMessage) => child.send(message)
  return {
    port,
    pid: child.pid!,
    stats() {
      const id = ++seq
      return new Promise<ServerStats>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no stats from server in 10 s')), 10_000)
        const onMessage = (message: ChildMessage) => {
          if (message.type !== 'stats' || message.seq !== id) return
          clearTimeout(timer)
          child.off('message', onMessage)
          const { type: _type, seq: _seq, ...stats } = message
          resolve(stats)
        }
        child.on('message', onMessage)
        send({ type: 'stats', seq: id })
      })
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      send({ type: 'close' })
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
}

/**
 * Child side: call with a started server's port and a counter getter; answers stats requests
 * and closes on request or when the parent goes away.
 */
export function serve(port: number, handled: () => number, close: () => Promise<void>): void {
  const reply = (message: ChildMessage) => process.send?.(message)
  let closing = false
  const shutdown = async (code: number) => {
    if (closing) return
    closing = true
    await close()
    process.exit(code)
  }
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stats') {
      const cpu = process.cpuUsage()
      const mem = process.memoryUsage()
      reply({
        type: 'stats',
        seq: message.seq,
        handled: handled(),
        cpuUserUs: cpu.user,
        cpuSystemUs: cpu.system,
        heapUsed: mem.heapUsed,
        rss: mem.rss,
      })
    } else if (message.type === 'close') {
      void shutdown(0)
    }
  })
  // An orphaned server would hold its port and a core: leave with the parent.
  process.on('disconnect', () => void shutdown(0))
  reply({ type: 'ready', port })
}

/** Child side, start-up failure. */
export function reportStartupError(err: unknown): void {
  process.send?.({ type: 'error', message: String((err as Error)?.stack ?? err) })
  process.exitCode = 1
}

/**
 * Linux only: moves every thread of this process to `cpus` (a `taskset` list). Returns false,
 * changing nothing, where `taskset` is missing or refuses.
 */
export function pinThisProcess(cpus: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * Compiles `bench/lib/route-server.ts`, `pipeline-run.ts` and `pipeline-parts-run.ts`, with what
 * they import (the plugin included), with `tsc` as the package is built, into
 * `.tmp/bench-build/`, and returns the compiled route server's path. Run from source under tsx,
 * every closure the plugin creates per request is wrapped in esbuild's `__name()` (tsx sets
 * keepNames), a cost the published JavaScript does not have.
 */
export function compileRouteServer(): string {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const project = fileURLToPath(new URL('../tsconfig.route-server.json', import.meta.url))
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' })
  return fileURLToPath(new URL('../../.tmp/bench-build/bench/lib/route-server.js', import.meta.url))
}

/**
 * Runs a compiled bench child (`compileRouteServer()` first) to its end: `name` is its file in
 * `.tmp/bench-build/bench/lib/` without `.js`. Resolves the last line it printed, parsed as JSON
 * (the children print one result line last).
 */
export function runCompiledChild<T>(name: string, args: readonly string[], timeoutMs: number): T {
  const script = fileURLToPath(
    new URL(`../../.tmp/bench-build/bench/lib/${name}.js`, import.meta.url),
  )
  const output = execFileSync(process.execPath, [script, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
  })
  return JSON.parse(output.trim().split('\n').pop()!) as T
}
