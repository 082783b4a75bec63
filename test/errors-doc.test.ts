/**
 * docs/errors.md lists every error code the package can produce, each with what to do: it is
 * rendered from the source's `createError` calls (scripts/errors-doc.ts), so it cannot lack a
 * code unless it is stale, and this test fails when it is stale, when a new code has no remedy
 * written, or when a code is set some other way than `createError`.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { collectErrorDefinitions } from '../scripts/error-codes.js'
import { renderErrorsDoc } from '../scripts/errors-doc.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8')

t.test('docs/errors.md is what the source renders (npm run docs:errors)', async (t) => {
  t.equal(doc, await renderErrorsDoc(root), 'regenerate it with npm run docs:errors')
})

t.test('every code the source makes has an entry, with when and what to do', async (t) => {
  const codes = new Set(collectErrorDefinitions(root).map((d) => d.code))
  t.ok(codes.size >= 79, `${codes.size} codes found`)
  for (const code of codes) {
    const section = doc.split(`### \`${code}\`\n`)[1]?.split('\n### ')[0] ?? ''
    t.match(section, /\*\*When:\*\* \S/, `${code}: when`)
    t.match(section, /\*\*What to do:\*\* \S/, `${code}: what to do`)
  }
})

// Quoted names that look like codes but are environment variables the package reads.
const environmentVariables = new Set([
  'BLUUM_WEBHOOK_SECRET', // the CLI's --write-env variable
])

t.test('no code is set outside createError: every code-like literal is documented', async (t) => {
  const files = ['plugin', 'mock-server'].flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
      .map((entry) => join(entry.parentPath, entry.name)),
  )
  const literal = /['"`]((?:BLUUM_[A-Z0-9_]*[A-Z0-9])|(?:BLUM-\d{3}-\d{3}))['"`]/g
  const undocumented: string[] = []
  for (const file of files) {
    for (const [, name] of readFileSync(file, 'utf8').matchAll(literal)) {
      if (environmentVariables.has(name!)) continue
      if (!doc.includes(`### \`${name}\``))
        undocumented.push(`${name} (${file.slice(root.length)})`)
    }
  }
  t.same(undocumented, [])
})

t.test('a new code without a remedy fails the rendering, naming it', async (t) => {
  const fake = mkdtempSync(join(tmpdir(), 'bluum-errors-doc-'))
  t.teardown(() => rmSync(fake, { recursive: true, force: true }))
  mkdirSync(join(fake, 'plugin'))
  mkdirSync(join(fake, 'mock-server'))
  writeFileSync(
    join(fake, 'plugin', 'errors.ts'),
    "export const NewError = createError('BLUUM_BRAND_NEW', 'Something new: %s', 418)\n",
  )
  t.same(collectErrorDefinitions(fake), [
    {
      code: 'BLUUM_BRAND_NEW',
      message: 'Something new: %s',
      status: 418,
      name: 'NewError',
      file: join('plugin', 'errors.ts'),
    },
  ])
  await t.rejects(renderErrorsDoc(fake), {
    message: /codes without an entry in scripts\/error-remedies\.ts: BLUUM_BRAND_NEW/,
  })
})
