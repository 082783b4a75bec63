/**
 * A copy of this working tree as a clone holds it (tracked files and new ones git does not
 * ignore), with node_modules linked in as `npm ci` would have installed it: commands documented
 * for "a clone of this repository" run there as written, writing their files (`.env`, state)
 * in the copy, never in this checkout. Outside a git repository (the Node matrix's copies, an
 * unpacked archive) the same set is the tree minus what .gitignore names.
 */
import { execFileSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

const repo = fileURLToPath(new URL('../../', import.meta.url))

/** Creates the copy in a temporary folder, removed at the end of `t`; returns its path. */
export function cloneRepository(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'bluum-clone-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  if (existsSync(join(repo, '.git'))) {
    const listed = execFileSync(
      'git',
      ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      { cwd: repo, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    )
    for (const file of new Set(listed.split('\0').filter(Boolean))) {
      const from = join(repo, file)
      if (!existsSync(from)) continue // deleted in the working tree
      mkdirSync(dirname(join(dir, file)), { recursive: true })
      cpSync(from, join(dir, file))
    }
  } else {
    const ignored = ignoredByGitignore()
    cpSync(repo, dir, { recursive: true, filter: (from) => !ignored(from) })
  }
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir')
  return dir
}

/**
 * A matcher for the repository's .gitignore, which holds only names (`dist/`, a folder) and
 * `*` globs on a file's name (`*.log`); `.git` is never copied.
 */
function ignoredByGitignore(): (path: string) => boolean {
  const patterns = readFileSync(join(repo, '.gitignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.replace(/\/$/, ''))
    .map(
      (line) => new RegExp(`^${line.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`),
    )
  patterns.push(/^\.git$/)
  return (path) => path !== repo && patterns.some((pattern) => pattern.test(basename(path)))
}
