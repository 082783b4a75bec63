/**
 * PGlite databases for the tests, started from a template data directory instead of running
 * initdb each time: initdb costs about 4.5 s of CPU, loading the template about 0.6 s (in memory)
 * or 0.9 s (a folder on disk, where initdb costs 5 s).
 * The template is a fresh cluster dumped once per PGlite version into node_modules/.cache (written
 * to a temporary name, then renamed, so parallel test files never read half a file).
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { PGlite } from '@electric-sql/pglite'

const modules = new URL('../../node_modules/', import.meta.url)
// The package exports no ./package.json: read it where npm put it.
const { version } = JSON.parse(
  readFileSync(new URL('@electric-sql/pglite/package.json', modules), 'utf8'),
) as { version: string }
const cache = fileURLToPath(new URL('.cache/fastify-bluum-webhooks/', modules))
const templateFile = join(cache, `pglite-${version}-datadir.tar`)
const run = promisify(execFile)

let template: Promise<Blob> | undefined

async function loadOrMakeTemplate(): Promise<Blob> {
  try {
    return new Blob([await readFile(templateFile)])
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const fresh = await PGlite.create()
  const dump = await fresh.dumpDataDir('none')
  await fresh.close()
  await mkdir(cache, { recursive: true })
  const partial = `${templateFile}.${process.pid}.tmp`
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()))
  await rename(partial, templateFile)
  return dump
}

/** A new, empty in-memory database, as `PGlite.create()` makes, without its initdb. */
export async function createTestPGlite(): Promise<PGlite> {
  template ??= loadOrMakeTemplate()
  return PGlite.create({ loadDataDir: await template })
}

/**
 * Fills `dir` (new or empty) with a fresh cluster, for an app that opens PGlite on a folder
 * (`PGlite.create(dir)` then starts at once instead of running initdb on the disk).
 */
export async function createTestPGliteDataDir(dir: string): Promise<string> {
  template ??= loadOrMakeTemplate()
  await template
  await mkdir(dir, { recursive: true })
  // The dump is a plain tar of the data folder; its member names start with "/".
  await run('tar', ['-xf', templateFile, '-C', dir])
  return dir
}
