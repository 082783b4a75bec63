/** Document upload (multipart), listing and retrieval: Bluum's flat `/documents` resource. */
import { assertInvestorAccess, defineRoute, json, list, type RouteDefinition } from '../route.js'
import { InvalidFormatError, withParam } from '../../core/errors.js'
import type { Sandbox } from '../../sandbox.js'
import type { BluumDocument } from '../../core/state.js'
import { DocumentListQuery, DocumentSchema, DocumentUpload, ListOf } from '../schemas.js'

const tag = 'Documents'

/** Bluum's list filter speaks `ACCEPTED`/`REJECTED`; the resource says `approved`/`rejected`. */
const statusFilter: Record<string, BluumDocument['status'] | undefined> = {
  UPLOADED: 'pending',
  PROCESSING: 'pending',
  ACCEPTED: 'approved',
  REJECTED: 'rejected',
}

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
    defineRoute({
      method: 'POST',
      path: '/documents',
      operationId: 'uploadDocument',
      summary: 'Upload a document (multipart: document, document_type, purpose, investor_id)',
      tag,
      access: 'investor',
      bodyType: 'multipart',
      successStatus: 201,
      schema: { body: DocumentUpload, response: DocumentSchema },
      handler: (req) => {
        const { document: file, metadata, ...fields } = req.body
        assertInvestorAccess(req.auth, fields.investor_id)
        const parsed = parseMetadata(metadata)
        return json(
          201,
          documents.submit({
            ...fields,
            file,
            ...(parsed === undefined ? {} : { metadata: parsed }),
          }),
        )
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/documents',
      operationId: 'listDocuments',
      summary: 'List documents (filters: investor_id, purpose, status, document_type)',
      tag,
      access: 'investor',
      schema: { query: DocumentListQuery, response: ListOf(DocumentSchema) },
      handler: (req) => {
        const { investor_id, purpose, status, document_type } = req.query
        // An investor-scoped key sees its own investor's documents only.
        if (req.auth.kind === 'investor' && req.auth.investorId === undefined)
          return list(req.url, [], req.query)
        const owner = req.auth.kind === 'investor' ? req.auth.investorId : investor_id
        if (investor_id !== undefined) assertInvestorAccess(req.auth, investor_id)
        const mapped = status === undefined ? undefined : statusFilter[status]
        const found =
          status !== undefined && mapped === undefined
            ? []
            : documents.list({
                ...(owner === undefined ? {} : { investor_id: owner }),
                ...(purpose === undefined ? {} : { purpose }),
                ...(mapped === undefined ? {} : { status: mapped }),
                ...(document_type === undefined ? {} : { document_type }),
              })
        return list(req.url, found, req.query)
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/documents/:document_id',
      operationId: 'getDocument',
      summary: 'Retrieve a document',
      tag,
      access: 'investor',
      schema: { response: DocumentSchema },
      handler: (req) => {
        const document = documents.get(req.params.document_id)
        assertInvestorAccess(req.auth, document.investor_id)
        return json(200, document)
      },
    }),
  ]
}
