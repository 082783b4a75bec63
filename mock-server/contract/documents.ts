/** Documents: Bluum's flat `/documents` resource (multipart upload, cursor-paged list). */
import { Type } from '@sinclair/typebox'
import { DocumentSchema, documentPurposes } from '../../plugin/bluum-resources.js'
import { IsoDateTime, Literals, docs, pageSize } from './fields.js'
import { defineOperations } from './operation.js'

const tag = 'Documents'

/**
 * `POST /documents` (multipart): `investor_id` or `user_id` owns it (not both); with neither the
 * tenant does. `metadata` is an object, or JSON text for clients that cannot nest form fields.
 */
export const DocumentUpload = Type.Object(
  {
    document: Type.Object(
      { filename: Type.String(), size: Type.Integer(), content_type: Type.String() },
      { description: 'The file (multipart part): PDF, JPG, PNG, DOC or DOCX up to 10 MB' },
    ),
    document_type: Type.String({
      minLength: 1,
      description: 'Free-form classifier, e.g. passport, proof_of_address',
    }),
    purpose: Type.Optional(Literals(documentPurposes)),
    investor_id: Type.Optional(Type.String({ minLength: 1, description: 'inv_...' })),
    user_id: Type.Optional(Type.String({ minLength: 1 })),
    expires_at: Type.Optional(IsoDateTime('Retention deadline')),
    compliance_workflow_id: Type.Optional(Type.String({ minLength: 1 })),
    compliance_check_id: Type.Optional(Type.String({ minLength: 1 })),
    metadata: Type.Optional(
      Type.String({
        description:
          'A JSON-encoded object. Sandbox magic value: {"sandbox_rejection_reason": "..."} rejects the document with that reason',
      }),
    ),
  },
  { additionalProperties: false },
)

export const DocumentListQuery = Type.Object({
  investor_id: Type.Optional(Type.String({ minLength: 1 })),
  user_id: Type.Optional(Type.String({ minLength: 1 })),
  purpose: Type.Optional(Literals(documentPurposes)),
  status: Type.Optional(
    Literals(['UPLOADED', 'PROCESSING', 'ACCEPTED', 'REJECTED', 'EXPIRED'] as const),
  ),
  document_type: Type.Optional(Type.String({ minLength: 1 })),
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: pageSize.max, default: pageSize.default }),
  ),
  starting_after: Type.Optional(
    Type.String({ minLength: 1, description: "Cursor: the previous page's last document_id" }),
  ),
})

export const DocumentPage = Type.Object(
  { data: Type.Array(DocumentSchema), has_more: Type.Boolean() },
  { additionalProperties: false },
)

export const documentOperations = defineOperations({
  uploadDocument: {
    method: 'POST',
    path: '/documents',
    summary:
      'Upload a document (multipart): approved at once, as the sandbox auto-approves (document.approved), or rejected by a magic value',
    tag,
    generation: 'G3',
    sources: [
      { url: docs('/api-reference/document-management/upload-a-document-flat-resource') },
      { url: docs('/platform/compliance-kyc'), note: 'sandbox documents are auto-approved' },
    ],
    access: 'investor',
    bodyType: 'multipart',
    successStatus: 201,
    body: DocumentUpload,
    response: DocumentSchema,
    example: {
      body: {
        document_type: 'passport',
        purpose: 'KYC',
        expires_at: '2030-01-01T00:00:00Z',
        compliance_workflow_id: 'cw_01j9x8m2k7qpzwv3t5r6y8n0ab',
        compliance_check_id: 'chk_01j9x8m2k7qpzwv3t5r6y8n0ab',
        metadata: '{"side":"front"}',
      },
    },
    differences: [
      'The answer is the whole document resource ("Retrieve a specific document"); the upload page shows a subset of it.',
    ],
  },
  listDocuments: {
    method: 'GET',
    path: '/documents',
    summary:
      'List documents, newest first, cursor-paged (filters: investor_id, user_id, purpose, status, document_type)',
    tag,
    generation: 'G3',
    sources: [{ url: docs('/api-reference/document-management/list-documents-flat-resource') }],
    access: 'investor',
    successStatus: 200,
    query: DocumentListQuery,
    response: DocumentPage,
    example: {
      query: { purpose: 'KYC', status: 'ACCEPTED', document_type: 'passport', limit: '10' },
    },
    disagreements: [
      {
        topic: 'the casing of status and purpose',
        sources: [
          {
            url: docs('/api-reference/document-management/list-documents-flat-resource'),
            note: 'filters UPLOADED, PROCESSING, ACCEPTED, REJECTED, EXPIRED and upper-case purposes',
          },
          {
            url: docs('/api-reference/document-management/retrieve-a-specific-document'),
            note: 'the resource shows status and purpose in lower case',
          },
        ],
        chosen:
          'filters and the upload take upper case, the resource shows lower case, as each page says',
      },
    ],
  },
  getDocument: {
    method: 'GET',
    path: '/documents/:document_id',
    summary: 'Retrieve a document',
    tag,
    generation: 'G3',
    sources: [
      { url: docs('/api-reference/document-management/retrieve-a-specific-document') },
      { url: docs('/guides/self-directed/kyc-verification'), note: 'rejection_reason' },
    ],
    access: 'investor',
    successStatus: 200,
    idParams: { document_id: 'doc' },
    response: DocumentSchema,
  },
})
