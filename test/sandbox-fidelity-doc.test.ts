/**
 * `docs/sandbox-fidelity.md` is generated from the contract: the file must be exactly what
 * `npm run docs:fidelity` writes, so a change to an operation, an event or an invention that is
 * not regenerated fails here instead of leaving the page wrong.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { fidelityDocPath, renderFidelityDoc } from '../scripts/fidelity-doc.js'
import { documentedOperations, operations } from '../mock-server/contract/index.js'

t.test('docs/sandbox-fidelity.md is what the contract generates', async (t) => {
  const rendered = await renderFidelityDoc()
  t.equal(
    readFileSync(fidelityDocPath, 'utf8'),
    rendered,
    'stale: run `npm run docs:fidelity` and commit docs/sandbox-fidelity.md',
  )
  for (const operation of documentedOperations)
    t.match(rendered, `\`${operation.operationId}\``, `${operation.operationId} is listed`)
  for (const operation of operations.filter((o) => o.sandboxOnly))
    t.match(
      rendered,
      operation.path.replace(/:(\w+)/g, '{$1}'),
      `${operation.operationId} is listed among the inventions`,
    )
})
