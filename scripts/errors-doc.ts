/**
 * Renders `docs/errors.md`: every error code the package can produce (found in the source by
 * `error-codes.ts`), each with its status, its message and what to do (`error-remedies.ts`).
 *
 *   npm run docs:errors            rewrites docs/errors.md
 *   npm run docs:errors -- --check exits 1 when docs/errors.md is stale (test/errors-doc.test.ts)
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import prettier from 'prettier'
import { collectErrorDefinitions, groupByCode, type ErrorDefinition } from './error-codes.js'
import { errorRemedies } from './error-remedies.js'

/** The sections of the page, first match wins: a code's prefix says which part raises it. */
const sections: Array<{ title: string; match: RegExp; intro: string }> = [
  {
    title: 'The plugin',
    match: /^BLUUM_(?!INBOX_|WORKER_|REDIS_|SANDBOX_|INSPECTOR_|HARNESS_)/,
    intro:
      'Thrown at start-up (options, secrets, patterns, missing peers), or answered to a delivery as `{ statusCode, code, error, message }` with the status shown, before any handler ran unless the entry says otherwise.',
  },
  {
    title: 'The Postgres inbox and bluum-worker',
    match: /^BLUUM_(INBOX|WORKER)_/,
    intro:
      'From `fastify-bluum-webhooks/postgres` and the `bluum-worker` command: at start-up, or recorded on a task (its `lastError`) and in the log.',
  },
  {
    title: 'The Redis store',
    match: /^BLUUM_REDIS_/,
    intro:
      'From `fastify-bluum-webhooks/redis`. A failed store call answers the delivery 503 `BLUUM_STORE_UNAVAILABLE`; these codes are in the log, with the ioredis error as `cause`.',
  },
  {
    title: 'The bluum-sandbox command line',
    match: /^BLUUM_SANDBOX_(CLI_|LISTEN_|ENV_FILE)/,
    intro:
      'Printed as `bluum-sandbox: <message>` (exit 1); a bad command line exits 2 with the usage.',
  },
  {
    title: 'The sandbox',
    match: /^BLUUM_SANDBOX_/,
    intro:
      "From `createSandbox` and its clock and state file (in-process, or `bluum-sandbox` at start-up, exit 1), in delivery attempts (`connection_error.code`), and the standalone server's own refusals (in Bluum's envelope, or as a page to a browser).",
  },
  {
    title: 'The inspector',
    match: /^BLUUM_INSPECTOR_/,
    intro: "The inspector's own refusals, shown on its page with the status given.",
  },
  {
    title: 'The contract harness',
    match: /^BLUUM_HARNESS_/,
    intro:
      'From `createContractHarness` (`fastify-bluum-webhooks/testing`), failing the test that called it.',
  },
  {
    title: "The sandbox API's answers: Bluum's codes",
    match: /^BLUM-/,
    intro:
      "The emulated API answers in Bluum's envelope `{ error: { type, code, message, param? } }` with Bluum's published code; the `param` names the field. Your app meets these codes from the real Bluum too.",
  },
]

const anchor = (code: string) => code.toLowerCase().replace(/[^a-z0-9-_]/g, '')

/** A message template as a reader sees it: the `%s` and `%d` placeholders as `…`. */
const shown = (message: string) => message.replace(/%[sdj]/g, '…')

function entry(code: string, definitions: ErrorDefinition[]): string {
  const remedy = errorRemedies[code]!
  const statuses = [...new Set(definitions.map((d) => d.status))].join(', ')
  const names = definitions.map((d) => `\`${d.name}\``).join(', ')
  const files = [...new Set(definitions.map((d) => `\`${d.file}\``))].join(', ')
  const messages = [...new Set(definitions.map((d) => shown(d.message)))]
  return [
    `### \`${code}\``,
    '',
    `Status ${statuses} · ${names} in ${files}`,
    '',
    `**When:** ${remedy.when}.`,
    '',
    ...messages.map((message) => `> ${message}\n`),
    `**What to do:** ${remedy.fix}`,
    '',
  ].join('\n')
}

/**
 * The whole page, formatted as `npm run lint` wants it; throws listing the codes without a remedy,
 * or remedies without a code.
 */
export async function renderErrorsDoc(root: string): Promise<string> {
  const codes = groupByCode(collectErrorDefinitions(root))
  const missing = [...codes.keys()].filter((code) => !Object.hasOwn(errorRemedies, code))
  const stale = Object.keys(errorRemedies).filter((code) => !codes.has(code))
  if (missing.length || stale.length)
    throw new Error(
      [
        missing.length
          ? `codes without an entry in scripts/error-remedies.ts: ${missing.join(', ')}`
          : '',
        stale.length
          ? `entries in scripts/error-remedies.ts for codes the source no longer has: ${stale.join(', ')}`
          : '',
      ]
        .filter(Boolean)
        .join('; '),
    )
  const placed = new Set<string>()
  const parts = sections.map((section) => {
    const inSection = [...codes].filter(([code]) => !placed.has(code) && section.match.test(code))
    for (const [code] of inSection) placed.add(code)
    return { ...section, codes: inSection.sort(([a], [b]) => a.localeCompare(b)) }
  })
  const unplaced = [...codes.keys()].filter((code) => !placed.has(code))
  if (unplaced.length)
    throw new Error(`codes in no section of scripts/errors-doc.ts: ${unplaced.join(', ')}`)

  const lines = [
    '# Error codes',
    '',
    '<!-- Generated by `npm run docs:errors` from the source (scripts/errors-doc.ts); do not edit. -->',
    '',
    `Every error code fastify-bluum-webhooks can produce: ${codes.size} codes, read from each`,
    '`createError` call of the source, with what to do about each. Every error carries its code in',
    "`error.code`; the plugin's are exported as `errors` (`errors.SignatureMismatchError`, ...), the",
    "sandbox's as `sandboxErrors`.",
    '',
    ...parts.map(
      (part) =>
        `- [${part.title}](#${anchor(part.title.replace(/ /g, '-'))}): ${part.codes.map(([code]) => `[\`${code}\`](#${anchor(code)})`).join(', ')}`,
    ),
    '',
  ]
  for (const part of parts) {
    lines.push(`## ${part.title}`, '', part.intro, '')
    for (const [code, definitions] of part.codes) lines.push(entry(code, definitions))
  }
  const target = fileURLToPath(new URL('../docs/errors.md', import.meta.url))
  const config = (await prettier.resolveConfig(target)) ?? {}
  return prettier.format(lines.join('\n'), { ...config, parser: 'markdown' })
}

const isMain = process.argv[1] === fileURLToPath(import.meta.url)
if (isMain) {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const target = new URL('../docs/errors.md', import.meta.url)
  const rendered = await renderErrorsDoc(root)
  if (process.argv.includes('--check')) {
    const current = readFileSync(target, 'utf8')
    if (current !== rendered) {
      process.stderr.write('docs/errors.md is stale: run npm run docs:errors\n')
      process.exit(1)
    }
  } else {
    writeFileSync(target, rendered)
  }
}
