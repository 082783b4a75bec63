/**
 * The sandbox's contract with Bluum: every operation Bluum documents (43), transcribed with its
 * source pages, every invention of the sandbox (marked, under `/sandbox/`), and the event catalog
 * with the documented requests that cause each event. The one source the routes, request
 * validation, the OpenAPI document, `docs/sandbox-fidelity.md` and the conformance suite read.
 */
import { documentOperations } from './documents.js'
import { eventCauses, eventResource, magicValues } from './events.js'
import { fundingOperations, transferOperations } from './funding.js'
import { investorOperations } from './investors.js'
import type { OperationSpec } from './operation.js'
import { legacyOrderOperations, orderOperations } from './orders.js'
import { sandboxOperations } from './sandbox.js'
import { webhookOperations } from './webhooks.js'

/** Every operation, documented ones first, in the order of Bluum's reference. */
export const operations: readonly OperationSpec[] = Object.freeze(
  [
    investorOperations,
    fundingOperations,
    transferOperations,
    orderOperations,
    documentOperations,
    webhookOperations,
    legacyOrderOperations,
    sandboxOperations,
  ].flatMap((group) => Object.values(group) as OperationSpec[]),
)

/** The operations Bluum documents. */
export const documentedOperations = operations.filter((o) => !o.sandboxOnly)

const byId = new Map(operations.map((o) => [o.operationId, o]))
if (byId.size !== operations.length) throw new TypeError('two operations share an operationId')

/** The operation `operationId`, or a TypeError naming it (a programming error of a route). */
export function operation(operationId: string): OperationSpec {
  const found = byId.get(operationId)
  if (!found) throw new TypeError(`no operation '${operationId}' in the contract`)
  return found
}

export { eventCauses, eventResource, magicValues }
export {
  documentOperations,
  fundingOperations,
  investorOperations,
  legacyOrderOperations,
  orderOperations,
  sandboxOperations,
  transferOperations,
  webhookOperations,
}
export type { EventCause } from './events.js'
export type { Disagreement, OperationSpec, SourceRef } from './operation.js'
export { readOn } from './operation.js'
