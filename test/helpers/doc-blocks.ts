/**
 * The fenced code blocks of the documentation, each with the marker that says how it is kept
 * true (an HTML comment on the lines before the fence, invisible once rendered):
 *
 *   <!-- snippet: FILE -->            the exact text of FILE, a tested file
 *   <!-- snippet: FILE#NAME -->       the lines between `// #region NAME` and `// #endregion` of FILE
 *   <!-- snippet: FILE, run by TEST --> FILE's text; TEST runs FILE
 *   <!-- run-by: TEST -->             shell commands TEST runs as written
 *   <!-- checked-by: TEST -->         commands or text TEST checks (they cannot run here)
 *   <!-- output-of: TEST -->          an output sample TEST compares with real output
 *
 * test/readme.test.ts checks every block of the README (and of the docs pages it lists) has one,
 * and that it holds; a test named by a marker reads its blocks with `documentedBlocks`, which
 * fails that test when the page no longer has them.
 */
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = fileURLToPath(new URL('../../', import.meta.url))

export type MarkerKind = 'snippet' | 'run-by' | 'checked-by' | 'output-of'

export interface DocBlock {
  /** 1-based line of the opening fence. */
  line: number
  /** The fence's info string: `ts`, `sh`, `text`... */
  lang: string
  /** The text between the fences, ending with a newline. */
  code: string
  marker?: { kind: MarkerKind; target: string; runBy?: string }
}

const fence = /^```(\w*)\n([\s\S]*?)^```$/gm
const markerComment =
  /<!-- (snippet|run-by|checked-by|output-of): (\S+?)(?:, run by (\S+))? -->\s*$/

/** Every fenced block of a Markdown text, with the marker that precedes it, if any. */
export function fencedBlocks(markdown: string): DocBlock[] {
  return [...markdown.matchAll(fence)].map((match) => {
    const before = markdown.slice(0, match.index).trimEnd()
    const found = markerComment.exec(before.slice(before.lastIndexOf('\n') + 1))
    return {
      line: markdown.slice(0, match.index).split('\n').length,
      lang: match[1]!,
      code: match[2]!,
      ...(found && {
        marker: {
          kind: found[1] as MarkerKind,
          target: found[2]!,
          ...(found[3] && { runBy: found[3] }),
        },
      }),
    }
  })
}

/**
 * The commands of a shell block: one entry per command, comment lines, a trailing `# comment`
 * (after two spaces or more) and blank lines dropped, `\` continuations and multi-line quoted
 * arguments kept whole.
 */
export function commandsOf(code: string): string[] {
  const commands: string[] = []
  let pending = ''
  for (const raw of code.split('\n')) {
    const line = pending ? raw : raw.replace(/(^\s*| {2,})#.*$/, '').trimEnd()
    if (!pending && line.trim() === '') continue
    pending += (pending ? '\n' : '') + line
    // A line ending in `\`, or with an unclosed single quote, goes on.
    const quotes = (pending.match(/'/g) ?? []).length
    if (pending.endsWith('\\') || quotes % 2 === 1) continue
    commands.push(pending)
    pending = ''
  }
  return commands
}

/** The lines between `// #region name` and `// #endregion` of a file, dedented. */
export function regionOf(text: string, name: string): string | undefined {
  const lines = text.split('\n')
  const start = lines.findIndex((line) => line.trim() === `// #region ${name}`)
  if (start === -1) return undefined
  const end = lines.findIndex((line, i) => i > start && line.trim() === '// #endregion')
  if (end === -1) return undefined
  const body = lines.slice(start + 1, end)
  const indent = Math.min(
    ...body.filter((line) => line.trim()).map((line) => /^ */.exec(line)![0].length),
  )
  return body.map((line) => line.slice(indent)).join('\n') + '\n'
}

/** A test file's path from the repository root, from its `import.meta.url`. */
export function repoPath(url: string): string {
  return relative(repo, fileURLToPath(url))
}

/**
 * The blocks of `markdown` (a path from the repository root) whose marker names the calling
 * test (`import.meta.url`), in page order; throws when there is none, so a test whose blocks
 * were removed or re-marked fails instead of passing on nothing.
 */
export function documentedBlocks(markdown: string, test: string): DocBlock[] {
  const self = repoPath(test)
  const text = readFileSync(new URL(markdown, new URL('../../', import.meta.url)), 'utf8')
  const mine = fencedBlocks(text).filter(
    ({ marker }) => marker && marker.kind !== 'snippet' && marker.target === self,
  )
  if (mine.length === 0) throw new Error(`${markdown} has no block marked for ${self}`)
  return mine
}
