/** Document and KYC events: an investor, a rejection when one is asked for, the upload. */
import { Type } from '@sinclair/typebox'
import type { TriggerPlan, TriggerRun, TriggerStep } from './plan.js'
import { copied, investorOf, investorStep, Metadata, OptionalNullable, text } from './shared.js'

/** What `POST /v1/documents` takes (and the reject-next control's reason). */
const DocumentInput = Type.Object({
  document_type: Type.String({ minLength: 1, maxLength: 100 }),
  purpose: Type.String({ minLength: 1, maxLength: 100 }),
  rejection_reason: OptionalNullable(Type.String({ maxLength: 500 })),
  metadata: Metadata,
})

/** What a compliance workflow event may carry that the KYC review takes. */
const KycInput = Type.Object({
  reason: OptionalNullable(Type.String({ maxLength: 500 })),
})

const documentUpload = (why: string, body: (run: TriggerRun) => Record<string, unknown>) =>
  ({
    name: 'document',
    request: 'POST /v1/documents',
    why,
    body,
  }) satisfies TriggerStep

const documentBody = (run: TriggerRun) => ({
  investor_id: investorOf(run).id,
  document_type: String(run.data.document_type),
  purpose: String(run.data.purpose),
  ...(run.data.metadata ? { metadata: copied(run.data.metadata as Record<string, unknown>) } : {}),
})

const rejectNext = (reason: (run: TriggerRun) => string | undefined): TriggerStep => ({
  name: 'rejection',
  request: 'POST /v1/sandbox/documents/reject-next',
  why: 'the next document is rejected, with the reason the data gives',
  body: (run) => {
    const given = reason(run)
    return given === undefined ? {} : { reason: given }
  },
})

export const documentPlan = (rejected: boolean): TriggerPlan => ({
  input: DocumentInput,
  steps: [
    investorStep(),
    ...(rejected ? [rejectNext((run) => text(run.data.rejection_reason))] : []),
    documentUpload('the document the event is about, reviewed at once', documentBody),
  ],
  emits: { made: 'document', status: rejected ? 'rejected' : 'accepted' },
})

/** KYC decisions come from a reviewed `KYC` document, as in `document` KYC mode. */
export const kycPlan = (rejected: boolean): TriggerPlan => ({
  input: KycInput,
  steps: [
    // A new investor is approved at creation in `instant` mode (which emits the approval itself);
    // a rejection needs one still awaiting its review.
    investorStep(rejected ? 'document' : undefined),
    ...(rejected ? [rejectNext((run) => text(run.data.reason))] : []),
    {
      ...documentUpload('an identity document with purpose KYC: its review decides KYC', (run) => ({
        investor_id: investorOf(run).id,
        document_type: 'passport',
        purpose: 'KYC',
      })),
      when: (run) => investorOf(run).kyc_status !== 'approved' || rejected,
    },
  ],
  emits: {
    heard: true,
    misfire: (run: TriggerRun) => ({
      field: run.overrides.investor_id !== undefined ? 'investor_id' : 'account_id',
      why: `the KYC of ${investorOf(run).id} is already ${investorOf(run).kyc_status}, and KYC decisions here come from a KYC document reviewed while it is pending: name an investor whose KYC is pending, or none (a new one is made)`,
      conflict: true,
    }),
  },
})
