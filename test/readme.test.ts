/**
 * The README cannot drift from the code. Every fenced block of the README (and of the docs pages
 * listed below) says how it is kept true, with a marker the test checks (test/helpers/doc-blocks.ts):
 * a snippet is the exact text of a tested file or of a region of one; a shell block names the
 * test that runs its commands, and that test reads the block from the page and holds each
 * command as written; an output sample names the test that compares it with real output. A block
 * with no marker fails. Every relative link of the README and docs/ leads to a file, and to a
 * heading when it names one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import {
  commandsOf,
  documentedBlocks,
  fencedBlocks,
  regionOf,
  type DocBlock,
} from './helpers/doc-blocks.js'

const root = new URL('../', import.meta.url)
const read = (path: string) => readFileSync(new URL(path, root), 'utf8')
const exists = (path: string) => existsSync(new URL(path, root))

/** The pages whose every block is classified. */
const classifiedPages = [
  'README.md',
  'docs/deduplication.md',
  'docs/performance.md',
  'docs/routing.md',
  'docs/sandbox.md',
  'docs/telemetry.md',
  'docs/testing.md',
  'docs/verification.md',
]

/** What is wrong with one block of `page`, if anything; `files` reads a repository file. */
function blockProblems(
  page: string,
  block: DocBlock,
  files: { read(path: string): string; exists(path: string): boolean },
): string[] {
  const where = `${page}:${block.line} (\`\`\`${block.lang})`
  const { marker } = block
  if (!marker) {
    return [
      `${where} has no marker: a snippet of a tested file, or the test that runs or checks it`,
    ]
  }
  const [file, region] = marker.target.split('#') as [string, string | undefined]
  if (!files.exists(file)) return [`${where}: ${file} does not exist`]
  const text = files.read(file)

  if (marker.kind === 'snippet') {
    const problems: string[] = []
    const expected = region === undefined ? text : regionOf(text, region)
    if (expected === undefined) problems.push(`${where}: ${file} has no region "${region}"`)
    else if (block.code !== expected) problems.push(`${where} is not the text of ${marker.target}`)
    const sibling = file.replace(/\.ts$/, '.test.ts')
    if (marker.runBy) {
      if (!files.exists(marker.runBy)) problems.push(`${where}: ${marker.runBy} does not exist`)
      else if (!files.read(marker.runBy).includes(file.split('/').at(-1)!))
        problems.push(`${where}: ${marker.runBy} does not run ${file}`)
    } else if (!file.endsWith('.test.ts') && !files.exists(sibling)) {
      problems.push(`${where}: ${file} is neither a test nor has one (${sibling})`)
    }
    return problems
  }

  // run-by, checked-by, output-of: the test reads this page's blocks marked for it...
  if (!text.includes(`documentedBlocks('${page}'`)) {
    return [`${where}: ${file} does not read its blocks (documentedBlocks('${page}', ...))`]
  }
  if (marker.kind === 'output-of') return []
  // ...and holds every command (or line) of the block as written.
  const lines = block.lang === 'sh' ? commandsOf(block.code) : block.code.split('\n')
  return lines
    .filter((line) => line.trim() !== '' && !text.includes(line))
    .map((line) => `${where}: ${file} does not hold \`${line}\``)
}

function pageProblems(page: string, markdown = read(page)): string[] {
  return fencedBlocks(markdown).flatMap((block) => blockProblems(page, block, { read, exists }))
}

t.test('every block of the README and the classified docs pages is tested', async (t) => {
  t.ok(fencedBlocks(read('README.md')).length > 0, 'the README has blocks')
  for (const page of classifiedPages) t.same(pageProblems(page), [], page)
})

t.test('a block without a marker, or with a wrong one, is reported', async (t) => {
  const files = new Map([
    ['app.ts', 'export const a = 1\n'],
    ['app.test.ts', "import './app.ts'\n"],
    ['lib.ts', 'const x = 0\n  // #region part\n  x + 1\n  // #endregion\n'],
    ['runs.test.ts', "documentedBlocks('page.md', import.meta.url)\nrun(`npm start`)\n"],
    ['ignores.test.ts', '`npm start`\n'],
  ])
  const fake = {
    read: (path: string) => files.get(path) ?? '',
    exists: (p: string) => files.has(p),
  }
  const problems = (markdown: string) =>
    fencedBlocks(markdown).flatMap((block) => blockProblems('page.md', block, fake))

  t.same(problems('```sh\nnpm start\n```\n'), [
    'page.md:1 (```sh) has no marker: a snippet of a tested file, or the test that runs or checks it',
  ])
  t.same(problems('<!-- snippet: app.ts -->\n\n```ts\nexport const a = 1\n```\n'), [])
  t.same(problems('<!-- snippet: app.ts -->\n\n```ts\nexport const a = 2\n```\n'), [
    'page.md:3 (```ts) is not the text of app.ts',
  ])
  t.same(problems('<!-- snippet: lib.ts#part -->\n\n```ts\nx + 1\n```\n'), [
    'page.md:3 (```ts): lib.ts is neither a test nor has one (lib.test.ts)',
  ])
  t.same(problems('<!-- run-by: runs.test.ts -->\n```sh\nnpm start  # the app\n```\n'), [])
  t.same(problems('<!-- run-by: runs.test.ts -->\n```sh\nnpm stop\n```\n'), [
    'page.md:2 (```sh): runs.test.ts does not hold `npm stop`',
  ])
  t.same(problems('<!-- run-by: ignores.test.ts -->\n```sh\nnpm start\n```\n'), [
    "page.md:2 (```sh): ignores.test.ts does not read its blocks (documentedBlocks('page.md', ...))",
  ])
  t.same(problems('<!-- output-of: gone.test.ts -->\n```text\nok\n```\n'), [
    'page.md:2 (```text): gone.test.ts does not exist',
  ])
})

t.test('the install lines name the package, fastify and each optional peer', async (t) => {
  const [install] = documentedBlocks('README.md', import.meta.url)
  t.same(commandsOf(install!.code), [
    'npm install fastify-bluum-webhooks fastify',
    'npm install ioredis',
    'npm install --save-dev msw',
    'npm install pg',
    'npm install @opentelemetry/api',
  ])
  const manifest = JSON.parse(read('package.json')) as {
    name: string
    peerDependencies: Record<string, string>
    peerDependenciesMeta: Record<string, { optional?: boolean }>
  }
  const named = commandsOf(install!.code).flatMap((line) => line.split(' ').slice(2))
  t.ok(named.includes(manifest.name), 'the package itself')
  const required = Object.keys(manifest.peerDependencies).filter(
    (peer) => !manifest.peerDependenciesMeta[peer]?.optional,
  )
  t.same(required, ['fastify'], 'fastify, the one required peer, is on the first line')
  for (const peer of Object.keys(manifest.peerDependencies)) {
    // PGlite is the embedded alternative to pg, named in the pg line's comment.
    if (peer === '@electric-sql/pglite') t.match(install!.code, `(or ${peer}, embedded)`)
    else t.ok(named.includes(peer), `${peer} has its install line`)
  }
})

t.test('the two commands are the ones a fresh clone and CI run', async (t) => {
  const blocks = documentedBlocks('README.md', import.meta.url)
  const twoCommands = blocks.find((block) => block.code.includes('npm ci && npm test'))!
  t.same(commandsOf(twoCommands.code), ['npm ci && npm run dev', 'npm ci && npm test'])
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts
  t.ok(scripts.dev && scripts.test, 'package.json has both scripts')
  const ci = read('.ci/run')
  t.match(ci, /\nnpm ci\b/, 'CI installs with npm ci')
  t.match(ci, /\nexec bash scripts\/node-matrix\.sh\n/, 'then runs the matrix')
  t.match(read('scripts/node-matrix.sh'), /\bnpm test\b/, 'whose every leg runs npm test')
})

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

/** Every anchor a Markdown file's headings make, duplicates numbered as GitHub numbers them. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const anchors = new Set<string>()
  const prose = markdown.replace(/^```[\s\S]*?^```$/gm, '')
  for (const [, heading] of prose.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(heading!.trim())
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  return anchors
}

/** The relative link targets of a Markdown file, outside code. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '')
  return [...prose.matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)]
    .map(([, target]) => target!)
    .filter((target) => !/^[a-z]+:/i.test(target))
}

t.test('every relative link of the README and docs/ leads somewhere', async (t) => {
  const pages = [
    'README.md',
    ...readdirSync(new URL('docs/', root))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
    ...readdirSync(new URL('examples/', root))
      .map((name) => `examples/${name}/README.md`)
      .filter(exists),
  ]
  const broken: string[] = []
  let links = 0
  for (const page of pages) {
    for (const target of linksOf(read(page))) {
      links++
      const [path, anchor] = target.split('#') as [string, string | undefined]
      const file = path ? new URL(path, new URL(page, root)) : new URL(page, root)
      if (!existsSync(file)) broken.push(`${page} → ${target}: no such file`)
      else if (anchor === undefined) continue
      else if (!file.pathname.endsWith('.md'))
        broken.push(`${page} → ${target}: an anchor into a file that is not Markdown`)
      else if (!anchorsOf(readFileSync(file, 'utf8')).has(anchor))
        broken.push(`${page} → ${target}: no such heading`)
    }
  }
  t.same(broken, [], `${links} links checked`)
  t.ok(links > 50, 'in every page')
})

t.test('the anchors are GitHub’s', async (t) => {
  t.equal(slug('Live stream (`GET /v1/sandbox/stream`)'), 'live-stream-get-v1sandboxstream')
  t.equal(slug('`BLUUM_ACK_TIMEOUT`'), 'bluum_ack_timeout')
  t.equal(slug("The sandbox API's answers: Bluum's codes"), 'the-sandbox-apis-answers-bluums-codes')
  t.equal(slug('Contributing: the two commands'), 'contributing-the-two-commands')
  t.same([...anchorsOf('# A\n\n## A\n\n```sh\n# not a heading\n```\n')], ['a', 'a-1'])
})
