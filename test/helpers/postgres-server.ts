/**
 * Starts a private PostgreSQL 15 cluster for one test file: `initdb` into a temporary folder
 * owned by the `postgres` user, `pg_ctl start` on a free loopback port with the socket in that
 * folder, trust auth, never the system's cluster. It can be stopped and started again on the same
 * port and data, which is how the tests restart the database under the inbox.
 */
import { spawnSync } from 'node:child_process'
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.js'

const BIN_DIR = process.env.BLUUM_PG_BINDIR ?? '/usr/lib/postgresql/15/bin'

export interface PostgresServer {
  readonly port: number
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string
  /** Starts the cluster again on the same port and data. */
  start(): Promise<void>
  /** Stops it: `fast` lets sessions end, `immediate` is a crash (recovery at the next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>
  /** Stops the cluster and removes its folder; safe to call twice. */
  close(): Promise<void>
}

const clusters = new Set<string>()
// A failed test must not leave a postmaster behind (pg_ctl daemonises it): stop every cluster
// still running when the test process exits, synchronously.
process.on('exit', () => {
  for (const dir of clusters) {
    runAsOwner(['pg_ctl', '-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop'])
    rmSync(dir, { recursive: true, force: true })
  }
})

function asRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0
}

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` user. */
function runAsOwner(args: string[]) {
  const [tool, ...rest] = args as [string, ...string[]]
  const command = join(BIN_DIR, tool)
  return asRoot()
    ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...rest], { encoding: 'utf8' })
    : spawnSync(command, rest, { encoding: 'utf8' })
}

function check(result: ReturnType<typeof runAsOwner>, what: string): void {
  if (result.error || result.status !== 0) {
    throw new Error(
      `${what} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}\n${result.stderr}\n` +
        'The Postgres tests need PostgreSQL 15 server binaries: run scripts/ensure-postgres.sh as root, or `apt-get install postgresql-15`.',
    )
  }
}

/** Creates and starts a cluster on a free 127.0.0.1 port; resolves once it accepts connections. */
export async function startPostgresServer(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'bluum-pg-'))
  const data = join(dir, 'data')
  if (asRoot()) {
    const owner = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
    const group = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
    chownSync(dir, Number(owner.stdout.trim()), Number(group.stdout.trim()))
  }
  check(
    runAsOwner(['initdb', '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']),
    'initdb',
  )
  clusters.add(dir)
  let port = 0
  let running = false

  function startOn(p: number) {
    return runAsOwner([
      'pg_ctl',
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-o',
      // fsync off: a test cluster only has to survive its own crash (`stop('immediate')`), not the
      // machine's, and initdb/commit then cost no disk flushes.
      `-p ${p} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      '-w',
      '-t',
      '30',
      'start',
    ])
  }

  // A port found free can be taken before postgres binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort()
    const result = startOn(port)
    if (result.status === 0) break
    if (attempt >= 3) {
      clusters.delete(dir)
      rmSync(dir, { recursive: true, force: true })
      check(result, 'pg_ctl start')
    }
  }
  running = true

  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      if (running) return
      check(startOn(port), 'pg_ctl start')
      running = true
    },
    async stop(mode = 'fast') {
      if (!running) return
      check(runAsOwner(['pg_ctl', '-D', data, '-m', mode, '-w', 'stop']), 'pg_ctl stop')
      running = false
    },
    async close() {
      if (!clusters.has(dir)) return
      if (running) runAsOwner(['pg_ctl', '-D', data, '-m', 'immediate', '-w', 'stop'])
      running = false
      clusters.delete(dir)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
