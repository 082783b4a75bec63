/** Document upload (multipart) and retrieval. */
import { assertInvestorAccess, defineRoute, json, type RouteDefinition } from '../route.js'
import type { Sandbox } from '../../sandbox.js'
import { DocumentSchema, DocumentUpload } from '../schemas.js'

const tag = 'Documents'

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
        const { document: file, ...fields } = req.body
        assertInvestorAccess(req.auth, fields.investor_id)
        return json(201, documents.submit({ ...fields, file }))
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
