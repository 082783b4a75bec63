/**
 * Identity documents: reviewed at once, approved unless the sandbox was told to reject (Bluum's
 * sandbox auto-approves uploads). The resource carries Bluum's `document_id`, `file_name`,
 * `mime_type`, `file_size` and `uploaded_at` beside the sandbox's `id` and `status`. A `KYC`
 * document's decision is the investor's KYC decision when the investor still awaits one.
 */
import type { Clock } from '../core/clock.js'
import { BodyTooLargeError, withParam } from '../core/errors.js'
import { isoSeconds, type EventBus } from '../core/event-bus.js'
import { findOrThrow, newResource } from '../core/resource.js'
import type { BluumDocument, DocumentFile, SandboxState } from '../core/state.js'

/** Bluum's upload limit: "file uploads: max 10MB" (error code BLUM-400-008). */
export const maxDocumentBytes = 10 * 1024 * 1024

export interface SubmitDocumentInput {
  investor_id: string
  document_type: string
  purpose?: string
  file: DocumentFile
  expires_at?: string
  metadata?: Record<string, unknown>
}

export interface DocumentFilter {
  investor_id?: string
  purpose?: string
  status?: BluumDocument['status']
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

/** Creates the document service. */
export function createDocumentService({
  state,
  clock,
  bus,
  onKycReviewed,
}: DocumentServiceDeps): DocumentService {
  return {
    submit(input) {
      findOrThrow(state.investors, input.investor_id, 'investor', 'investor_id')
      if (input.file.size > maxDocumentBytes)
        throw withParam(new BodyTooLargeError(input.file.size, maxDocumentBytes), 'document')
      const rejection = state.documentRejections.shift()
      const base = newResource('doc', 'document', clock, input.metadata)
      const now = isoSeconds(clock.now())
      const document: BluumDocument = {
        id: base.id,
        document_id: base.id,
        object: 'document',
        created: base.created,
        livemode: false,
        metadata: base.metadata,
        investor_id: input.investor_id,
        owner_id: input.investor_id,
        document_type: input.document_type,
        ...(input.purpose === undefined ? {} : { purpose: input.purpose }),
        status: rejection === undefined ? 'approved' : 'rejected',
        rejection_reason: rejection ?? null,
        file: input.file,
        file_name: input.file.filename,
        mime_type: input.file.content_type,
        file_size: input.file.size,
        uploaded_at: now,
        expires_at: input.expires_at ?? null,
        reviewed_at: now,
      }
      state.documents.set(document.id, document)
      if (rejection === undefined) bus.emit('document.approved', document)
      else bus.emit('document.rejected', document)
      if (document.purpose === 'KYC')
        onKycReviewed(
          document.investor_id,
          document.status === 'approved' ? 'approved' : 'rejected',
          rejection,
        )
      return document
    },
    get: (id) => findOrThrow(state.documents, id, 'document', 'document_id'),
    list(filter = {}) {
      return [...state.documents.values()]
        .filter(
          (d) =>
            (filter.investor_id === undefined || d.investor_id === filter.investor_id) &&
            (filter.purpose === undefined || d.purpose === filter.purpose) &&
            (filter.status === undefined || d.status === filter.status) &&
            (filter.document_type === undefined || d.document_type === filter.document_type),
        )
        .reverse()
    },
    rejectNext(reason = 'The document is unreadable or expired.') {
      state.documentRejections.push(reason)
    },
  }
}
