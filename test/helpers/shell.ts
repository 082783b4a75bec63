/**
 * Documentation commands run as written: the `sh` blocks of a Markdown file, each line started
 * through `sh -c` as a terminal would run it, in its own process group so a test can stop a
 * server line (and everything it started) the way Ctrl-C does.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { commandsOf, fencedBlocks } from './doc-blocks.js'

/** The commands of every fenced `sh` block of `file`, block by block (see `commandsOf`). */
export function shellBlocks(file: string | URL): string[][] {
  return fencedBlocks(readFileSync(file, 'utf8'))
    .filter(({ lang }) => lang === 'sh')
    .map(({ code }) => commandsOf(code))
}

/**
 * Sends `signal` to the process group `child` leads, unless it has ended. A group can end before
 * Node has seen its leader exit: that race is not an error (ESRCH).
 */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid!, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

const groups = new Set<ChildProcess>()
// A failed test must not leave a server behind: kill every group still running at exit.
process.on('exit', () => {
  for (const child of groups) signalGroup(child, 'SIGKILL')
})

export interface ShellProcess {
  child: ChildProcess
  /** stdout and stderr, interleaved as they came. */
  output(): string
  /** Resolves with `[code, signal]` once the process exits. */
  exited: Promise<[number | null, NodeJS.Signals | null]>
  /** Resolves with the first match of `pattern` in the output; rejects if the process ends first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>
  /** Ctrl-C: SIGINT to the whole process group; resolves once the shell exited. */
  interrupt(): Promise<void>
}

/**
 * Runs `line` through `sh -c` in `cwd`. The environment is this process's without its npm and
 * Bluum variables (a user's shell has neither), plus `env`.
 */
export function shell(line: string, cwd: string, env: Record<string, string> = {}): ShellProcess {
  const child = spawn('sh', ['-c', line], {
    cwd,
    env: {
      ...Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !/^(npm_|BLUUM_|PORT$)/i.test(key)),
      ),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  const waiters = new Set<() => void>()
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      output += chunk
      for (const wake of waiters) wake()
    })
  }
  groups.add(child)
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  void exited.then(() => groups.delete(child))
  const running = () => child.exitCode === null && child.signalCode === null
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output)
          if (!match) return
          waiters.delete(check)
          resolve(match)
        }
        waiters.add(check)
        void exited.then(([code, signal]) => {
          if (!pattern.exec(output))
            reject(new Error(`\`${line}\` ended (${signal ?? code}) before ${pattern}:\n${output}`))
        })
        check()
      })
    },
    async interrupt() {
      if (!running()) return
      signalGroup(child, 'SIGINT')
      await exited
    },
  }
}
