/** Identity documents: reviewed at once, approved unless the sandbox was told to reject. */
import type { Clock } from '../core/clock.js'
import { isoSeconds, type EventBus } from '../core/event-bus.js'
import { findOrThrow, newResource } from '../core/resource.js'
import type { BluumDocument, DocumentFile, SandboxState } from '../core/state.js'

export interface SubmitDocumentInput {
  investor_id: string
  document_type: string
  purpose: string
  file: DocumentFile
  metadata?: Record<string, unknown>
}

export interface DocumentService {
  /** Stores and reviews a document; emits `document.approved` or `document.rejected`. */
  submit(input: SubmitDocumentInput): BluumDocument
  get(documentId: string): BluumDocument
  /** Queues a rejection (with its reason) for the next submitted document. */
  rejectNext(reason?: string): void
}

/** Creates the document service. */
export function createDocumentService({
  state,
  clock,
  bus,
}: {
  state: SandboxState
  clock: Clock
  bus: EventBus
}): DocumentService {
  return {
    submit(input) {
      findOrThrow(state.investors, input.investor_id, 'investor', 'investor_id')
      const rejection = state.documentRejections.shift()
      const document: BluumDocument = {
        ...newResource('doc', 'document', clock, input.metadata),
        investor_id: input.investor_id,
        document_type: input.document_type,
        purpose: input.purpose,
        status: rejection === undefined ? 'approved' : 'rejected',
        rejection_reason: rejection ?? null,
        file: input.file,
        reviewed_at: isoSeconds(clock.now()),
      }
      state.documents.set(document.id, document)
      if (rejection === undefined) bus.emit('document.approved', document)
      else bus.emit('document.rejected', document)
      return document
    },
    get: (id) => findOrThrow(state.documents, id, 'document', 'document_id'),
    rejectNext(reason = 'The document is unreadable or expired.') {
      state.documentRejections.push(reason)
    },
  }
}
