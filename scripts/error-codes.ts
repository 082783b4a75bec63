/**
 * Every error code the package can produce, read from its source: each `createError(code,
 * message, status)` call under `plugin/` and `mock-server/` (the one way the codebase makes a
 * coded error), found with TypeScript's parser, so a code added anywhere is found without a list
 * to keep. `docs/errors.md` is rendered from these and the remedies beside them
 * (`scripts/error-remedies.ts`); `test/errors-doc.test.ts` fails when the two disagree.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

/** One `createError` call. */
export interface ErrorDefinition {
  code: string
  /** The message template, `%s` and `%d` where values go. */
  message: string
  /** The HTTP status given to `createError` (500 when none). */
  status: number
  /** The exported constant holding it: `SignatureMismatchError`. */
  name: string
  /** The file, relative to the repository. */
  file: string
}

/** The TypeScript files under `dir`, tests excluded. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(
      (entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'),
    )
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
}

function text(node: ts.Node | undefined): string | undefined {
  if (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)))
    return node.text
  return undefined
}

/** Every `createError` call in the package's source, in file order. */
export function collectErrorDefinitions(root: string): ErrorDefinition[] {
  const found: ErrorDefinition[] = []
  for (const file of ['plugin', 'mock-server'].flatMap((dir) => sources(join(root, dir)))) {
    const source = ts.createSourceFile(
      file,
      readFileSync(file, 'utf8'),
      ts.ScriptTarget.Latest,
      true,
    )
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isIdentifier(node.expression) &&
        node.expression.text === 'createError'
      ) {
        const [codeArg, messageArg, statusArg] = node.arguments
        const code = text(codeArg)
        if (code === undefined)
          throw new Error(`${relative(root, file)}: createError without a literal code`)
        const declaration = node.parent
        found.push({
          code,
          message: text(messageArg) ?? '(computed)',
          status: statusArg && ts.isNumericLiteral(statusArg) ? Number(statusArg.text) : 500,
          name: ts.isVariableDeclaration(declaration)
            ? declaration.name.getText(source)
            : '(inline)',
          file: relative(root, file),
        })
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return found
}

/** The definitions grouped by code, codes in first-seen order. */
export function groupByCode(definitions: ErrorDefinition[]): Map<string, ErrorDefinition[]> {
  const codes = new Map<string, ErrorDefinition[]>()
  for (const definition of definitions)
    codes.set(definition.code, [...(codes.get(definition.code) ?? []), definition])
  return codes
}
