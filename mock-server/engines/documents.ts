/**
 * Documents, Bluum's flat resource: an investor, a user or the tenant owns each one. The sandbox
 * reviews an upload at once and accepts it ("In sandbox, documents are auto-approved"), unless the
 * upload's metadata carries the magic `sandbox_rejection_reason` or a rejection was queued with a
 * sandbox control: then it is rejected with that reason. A `KYC` document of an investor who still
 * awaits a decision decides the investor's KYC. Answers show `documentResource()`: the flat shape,
 * `status` and `purpose` in lower case, the owner's id without its prefix.
 */
import type { Clock } from '../core/clock.js'
import { BodyTooLargeError, ValidationError, withParam } from '../core/errors.js'
import { isoSeconds, type EventBus } from '../core/event-bus.js'
import { createId } from '../core/ids.js'
import { copyJson, findOrThrow } from '../core/resource.js'
import type { BluumDocument, SandboxState } from '../core/state.js'

/** Bluum's upload limit: "file uploads: max 10MB" (error code BLUM-400-008). */
export const maxDocumentBytes = 10 * 1024 * 1024
/** The metadata key whose value rejects an upload with that reason (a sandbox magic value). */
export const rejectionMetadataKey = 'sandbox_rejection_reason'

export interface DocumentFile {
  filename: string
  size: number
  content_type: string
}

export interface SubmitDocumentInput {
  document_type: string
  file: DocumentFile
  purpose?: string
  investor_id?: string
  user_id?: string
  expires_at?: string
  metadata?: Record<string, unknown>
}

export interface DocumentFilter {
  investor_id?: string
  user_id?: string
  /** Upper case, as the list filter takes it. */
  purpose?: string
  /** Upper case, as the list filter takes it. */
  status?: string
  document_type?: string
}

export interface DocumentService {
  /** Stores and reviews a document; emits `document.approved` or `document.rejected`. */
  submit(input: SubmitDocumentInput): BluumDocument
  get(documentId: string): BluumDocument
  /** Documents, newest first. */
  list(filter?: DocumentFilter): BluumDocument[]
  /** Queues a rejection (with its reason) for the next submitted document. */
  rejectNext(reason?: string): void
}

export interface DocumentServiceDeps {
  state: SandboxState
  clock: Clock
  bus: EventBus
  /** Called after a `KYC` document's review, with the decision. */
  onKycReviewed(investorId: string, decision: 'approved' | 'rejected', reason?: string): void
}

/** A document as the API shows it ("Retrieve a specific document"). */
export function documentResource(document: BluumDocument): Record<string, unknown> {
  return copyJson({
    document_id: document.document_id,
    object: 'document',
    owner_type: document.owner_type,
    owner_id: document.owner_id,
    purpose: document.purpose,
    document_type: document.document_type,
    file_name: document.file_name,
    mime_type: document.mime_type,
    file_size: document.file_size,
    status: document.status,
    rejection_reason: document.rejection_reason,
    expires_at: document.expires_at,
    uploaded_at: document.uploaded_at,
    metadata: document.metadata,
  })
}

/** Creates the document service. */
export function createDocumentService({
  state,
  clock,
  bus,
  onKycReviewed,
}: DocumentServiceDeps): DocumentService {
  return {
    submit(input) {
      if (input.investor_id !== undefined && input.user_id !== undefined)
        throw withParam(
          new ValidationError(
            "Invalid value for 'user_id': investor_id and user_id are mutually exclusive; a document has one owner.",
          ),
          'user_id',
        )
      if (input.investor_id !== undefined)
        findOrThrow(state.investors, input.investor_id, 'investor', 'investor_id')
      if (input.file.size > maxDocumentBytes)
        throw withParam(new BodyTooLargeError(input.file.size, maxDocumentBytes), 'document')
      const magic = input.metadata?.[rejectionMetadataKey]
      const rejection =
        typeof magic === 'string' && magic.trim() !== '' ? magic : state.documentRejections.shift()
      const id = createId('doc')
      const now = isoSeconds(clock.now())
      const owner: Pick<BluumDocument, 'owner_type' | 'owner_id'> =
        input.investor_id !== undefined
          ? { owner_type: 'investor', owner_id: input.investor_id.replace(/^inv_/, '') }
          : input.user_id !== undefined
            ? { owner_type: 'user', owner_id: input.user_id }
            : { owner_type: 'tenant', owner_id: 'tenant' }
      const document: BluumDocument = {
        id,
        document_id: id,
        object: 'document',
        ...owner,
        purpose: input.purpose === undefined ? null : input.purpose.toLowerCase(),
        document_type: input.document_type,
        file_name: input.file.filename,
        mime_type: input.file.content_type,
        file_size: input.file.size,
        status: rejection === undefined ? 'accepted' : 'rejected',
        rejection_reason: rejection ?? null,
        expires_at: input.expires_at ?? null,
        uploaded_at: now,
        metadata: input.metadata ?? null,
        investor_id: input.investor_id ?? null,
        user_id: input.user_id ?? null,
        created: Math.floor(clock.now() / 1000),
      }
      state.documents.set(document.id, document)
      const data = documentResource(document) as never
      if (rejection === undefined) bus.emit('document.approved', data)
      else bus.emit('document.rejected', data)
      if (document.purpose === 'kyc' && document.investor_id !== null)
        onKycReviewed(
          document.investor_id,
          document.status === 'accepted' ? 'approved' : 'rejected',
          rejection,
        )
      return document
    },
    get: (id) => findOrThrow(state.documents, id, 'document', 'document_id'),
    list(filter = {}) {
      const purpose = filter.purpose?.toLowerCase()
      const status = filter.status?.toLowerCase()
      return [...state.documents.values()]
        .filter(
          (d) =>
            (filter.investor_id === undefined || d.investor_id === filter.investor_id) &&
            (filter.user_id === undefined || d.user_id === filter.user_id) &&
            (purpose === undefined || d.purpose === purpose) &&
            (status === undefined || d.status === status) &&
            (filter.document_type === undefined || d.document_type === filter.document_type),
        )
        .reverse()
    },
    rejectNext(reason = 'The document is unreadable or expired.') {
      state.documentRejections.push(reason)
    },
  }
}
