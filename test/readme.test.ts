/**
 * The README cannot drift from the code: every block marked `<!-- snippet: FILE -->` must be the
 * exact text of FILE, and those files are type-checked and run by their own tests.
 */
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const snippet = /<!-- snippet: (\S+) -->\n+```\w*\n([\s\S]*?)```/g

t.test('every README snippet is the text of a file that is tested', async (t) => {
  const found = [...readme.matchAll(snippet)]
  t.ok(found.length >= 1, 'the README has snippets')
  for (const [, file, code] of found) {
    const url = new URL(`../${file}`, import.meta.url)
    t.ok(existsSync(url), `${file} exists`)
    t.equal(code, readFileSync(url, 'utf8'), `${file} matches the README`)
    const test = file!.endsWith('.test.ts') ? file! : file!.replace(/\.ts$/, '.test.ts')
    t.ok(existsSync(new URL(`../${test}`, import.meta.url)), `${file} is a test or has one`)
  }
})
