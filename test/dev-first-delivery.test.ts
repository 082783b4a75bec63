/**
 * Clone to first verified delivery, as a new user goes: a copy of the repository's files (what a
 * clone holds; node_modules linked in, as `npm ci` would have installed it), `npm run dev`, then
 * the three things its banner says to try, pasted as printed: the trigger reaches the quick-start
 * app, whose log shows the verified, handled event; the inspector shows it; `deliveries` lists it
 * delivered. Ctrl-C stops both processes. Free ports (0), so it runs beside anything else.
 */
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const repo = fileURLToPath(new URL('..', import.meta.url))

// npm, two TypeScript processes and their tsx compilation on a shared machine: slow is not failed.
t.setTimeout(600_000)

/** The files a clone of this working tree holds: tracked ones and new ones git does not ignore. */
function cloneInto(dir: string): void {
  const listed = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: repo,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  )
  for (const file of new Set(listed.split('\0').filter(Boolean))) {
    const from = join(repo, file)
    if (!existsSync(from)) continue // deleted in the working tree
    mkdirSync(dirname(join(dir, file)), { recursive: true })
    cpSync(from, join(dir, file))
  }
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir')
}

/** A process group started through `sh -c`, as a terminal would run the line. */
function shell(line: string, cwd: string) {
  const child = spawn('sh', ['-c', line], {
    cwd,
    // A user's shell: none of this test run's npm or Bluum variables.
    env: Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !/^(npm_|BLUUM_|PORT$)/i.test(key)),
    ),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  const waiters = new Set<() => void>()
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      output += chunk
      for (const wake of waiters) wake()
    })
  }
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  return {
    child,
    output: () => output,
    exited,
    /** Resolves with the first match of `pattern`; rejects if the process ends first. */
    waitFor(pattern: RegExp): Promise<RegExpExecArray> {
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
            reject(new Error(`${line} ended (${signal ?? code}) before ${pattern}:\n${output}`))
        })
        check()
      })
    },
  }
}

t.test(
  'clone, npm run dev, the trigger it prints: the quick-start app handles the verified event',
  async (t) => {
    const started = performance.now()
    const clone = mkdtempSync(join(tmpdir(), 'bluum-clone-'))
    t.teardown(() => rmSync(clone, { recursive: true, force: true }))
    cloneInto(clone)

    const dev = shell('npm run dev -- --app-port 0 --sandbox-port 0', clone)
    t.teardown(() => {
      if (dev.child.exitCode === null) process.kill(-dev.child.pid!, 'SIGKILL')
    })
    const [, trigger, inspector, deliveries] = await dev.waitFor(
      /\n[^\n]*│ Next, with the app listening at [^\n]*\n[^\n]*│ {3}(.+?) {3,}send a signed order\.filled\n[^\n]*│ {3}(\S+) +the inspector[^\n]*\n[^\n]*│ {3}(.+?) {3,}each delivery/,
    )
    t.match(trigger, /^npm run sandbox -- trigger order\.filled --url http:\/\/127\.0\.0\.1:\d+$/)
    t.match(dev.output(), 'Try the commands above; Ctrl-C stops both.')

    const triggered = shell(trigger!, clone)
    const [code] = await triggered.exited
    t.equal(code, 0, `${trigger} exits 0`)
    const [evt] = /evt_\w+/.exec(triggered.output()) ?? []
    t.ok(evt, 'it prints the event id')

    await dev.waitFor(new RegExp(`app +│ INFO {2}bluum event processed {2}deliveryId=${evt}`))
    t.match(
      dev.output(),
      /app +│ INFO {2}order filled {2}symbol=\w+ {2}price=[\d.]+\n/,
      'the handler ran',
    )
    t.notMatch(
      dev.output(),
      /BLUUM_SIGNATURE_MISMATCH|status=401/,
      'verified with the shared secret',
    )
    const handledSeconds = (performance.now() - started) / 1000
    t.comment(`clone → npm run dev → trigger → handler ran: ${handledSeconds.toFixed(1)} s`)

    const page = await fetch(inspector!)
    t.equal(page.status, 200, 'the inspector answers')
    t.match(await page.text(), evt!, 'and shows the event')

    const listed = shell(deliveries!, clone)
    t.equal((await listed.exited)[0], 0, `${deliveries} exits 0`)
    t.match(listed.output(), new RegExp(`order\\.filled +${evt} +delivered +1 +200`))

    process.kill(-dev.child.pid!, 'SIGINT')
    await dev.exited
    t.notMatch(dev.output(), /dev: the \w+ stopped/, 'Ctrl-C stops both, neither died first')
  },
)
