/** Document upload (multipart), listing (cursor-paged) and retrieval: Bluum's flat `/documents`. */
import { assertInvestorAccess, implement, json, type RouteDefinition } from '../route.js'
import { documentOperations as ops } from '../../contract/documents.js'
import { pageSize } from '../../contract/fields.js'
import { InvalidFormatError, ValidationError, withParam } from '../../core/errors.js'
import { documentResource } from '../../engines/documents.js'
import type { Sandbox } from '../../sandbox.js'

/** Multipart clients send `metadata` as a JSON-encoded object, as Bluum's reference says. */
function parseMetadata(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined
  try {
    const value: unknown = JSON.parse(text)
    if (value && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>
  } catch {
    // answered below
  }
  throw withParam(
    new InvalidFormatError(
      'metadata',
      `expected a JSON-encoded object; got ${JSON.stringify(text)}`,
    ),
    'metadata',
  )
}

export function documentRoutes({ documents }: Sandbox): RouteDefinition[] {
  return [
    implement(ops.uploadDocument, (req) => {
      const {
        document: file,
        metadata,
        compliance_workflow_id: _w,
        compliance_check_id: _c,
        ...fields
      } = req.body
      // An investor-scoped key uploads for its own investor, whom it may leave implicit.
      const investorId =
        fields.investor_id ?? (req.auth.kind === 'investor' ? req.auth.investorId : undefined)
      if (investorId !== undefined) assertInvestorAccess(req.auth, investorId)
      const parsed = parseMetadata(metadata)
      const document = documents.submit({
        ...fields,
        ...(investorId === undefined ? {} : { investor_id: investorId }),
        file,
        ...(parsed === undefined ? {} : { metadata: parsed }),
      })
      return json(201, documentResource(document))
    }),
    implement(ops.listDocuments, (req) => {
      const { investor_id, limit = pageSize.default, starting_after, ...filter } = req.query
      // An investor-scoped key sees its own investor's documents only.
      if (investor_id !== undefined) assertInvestorAccess(req.auth, investor_id)
      const owner = req.auth.kind === 'investor' ? req.auth.investorId : investor_id
      if (req.auth.kind === 'investor' && owner === undefined)
        return json(200, { data: [], has_more: false })
      const found = documents.list({
        ...filter,
        ...(owner === undefined ? {} : { investor_id: owner }),
      })
      let start = 0
      if (starting_after !== undefined) {
        const index = found.findIndex((d) => d.document_id === starting_after)
        if (index < 0)
          throw withParam(
            new ValidationError(
              `Invalid value for 'starting_after': '${starting_after.slice(0, 64)}' is no document of this list; pass the document_id of the last item of the previous page.`,
            ),
            'starting_after',
          )
        start = index + 1
      }
      const page = found.slice(start, start + limit)
      return json(200, {
        data: page.map(documentResource),
        has_more: start + limit < found.length,
      })
    }),
    implement(ops.getDocument, (req) => {
      const document = documents.get(req.params.document_id)
      if (document.investor_id !== null) assertInvestorAccess(req.auth, document.investor_id)
      else if (req.auth.kind === 'investor')
        assertInvestorAccess(req.auth, `${document.owner_type}:${document.owner_id}`)
      return json(200, documentResource(document))
    }),
  ]
}
