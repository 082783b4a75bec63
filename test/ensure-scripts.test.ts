/**
 * Off Debian, `npm test`'s ensure scripts take the servers the variables they print point at:
 * `BLUUM_PG_BINDIR` (PostgreSQL's server binaries), `BLUUM_CHROMIUM` (a Chromium or Chrome) and
 * `redis-server` on PATH. A variable pointing at nothing is an error naming it, and nothing is
 * installed. Stub executables stand for the servers: the scripts only look for them.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const scripts = fileURLToPath(new URL('../scripts/', import.meta.url))

const dir = mkdtempSync(join(tmpdir(), 'bluum-ensure-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

function stub(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, '#!/bin/sh\nexit 0\n')
  chmodSync(path, 0o755)
  return path
}

const pgBin = join(dir, 'pg', 'bin')
stub(join(pgBin, 'initdb'))
stub(join(pgBin, 'pg_ctl'))
const chrome = stub(join(dir, 'chrome', 'chrome'))
const emptyDir = join(dir, 'empty')
mkdirSync(emptyDir)
const redisBin = join(dir, 'redis-bin')
stub(join(redisBin, 'redis-server'))

function run(script: string, env: Record<string, string>) {
  const result = spawnSync('sh', [join(scripts, script)], {
    env: { PATH: process.env.PATH!, ...env },
    encoding: 'utf8',
  })
  return { code: result.status, stderr: result.stderr, stdout: result.stdout }
}

const rows: Array<{
  name: string
  script: string
  env: Record<string, string>
  code: number
  says: RegExp
}> = [
  {
    name: 'BLUUM_PG_BINDIR with initdb and pg_ctl is taken',
    script: 'ensure-postgres.sh',
    env: { BLUUM_PG_BINDIR: pgBin },
    code: 0,
    says: /^$/,
  },
  {
    name: 'BLUUM_PG_BINDIR without them is an error naming it',
    script: 'ensure-postgres.sh',
    env: { BLUUM_PG_BINDIR: emptyDir },
    code: 1,
    says: new RegExp(`BLUUM_PG_BINDIR is ${emptyDir}, which has no executable initdb and pg_ctl`),
  },
  {
    name: 'BLUUM_CHROMIUM naming an executable is taken',
    script: 'ensure-chromium.sh',
    env: { BLUUM_CHROMIUM: chrome },
    code: 0,
    says: /^$/,
  },
  {
    name: 'BLUUM_CHROMIUM naming nothing is an error naming it',
    script: 'ensure-chromium.sh',
    env: { BLUUM_CHROMIUM: join(dir, 'no-chrome') },
    code: 1,
    says: /BLUUM_CHROMIUM is .*no-chrome, which is not an executable file/,
  },
  {
    name: 'BLUUM_CHROMIUM naming a folder is an error too',
    script: 'ensure-chromium.sh',
    env: { BLUUM_CHROMIUM: emptyDir },
    code: 1,
    says: /which is not an executable file/,
  },
  {
    name: 'a redis-server on PATH is taken',
    script: 'ensure-redis.sh',
    env: { PATH: `${redisBin}:${process.env.PATH}` },
    code: 0,
    says: /^$/,
  },
]

for (const row of rows) {
  t.test(row.name, async (t) => {
    const result = run(row.script, row.env)
    t.equal(result.code, row.code, result.stderr)
    t.match(result.stderr, row.says)
    t.notMatch(result.stderr, /installing/, 'nothing installed')
  })
}
