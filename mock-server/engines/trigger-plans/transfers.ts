/** Transfer events: an investor, the cash a withdrawal needs, a bank account, the transfer. */
import { Type } from '@sinclair/typebox'
import { toCents } from '../../core/decimal.js'
import { sampleFundingSourceRequest } from '../../core/sample-requests.js'
import type { TriggerPlan, TriggerStep } from './plan.js'
import {
  copied,
  Decimal,
  fundingSteps,
  investorOf,
  investorStep,
  Literals,
  Metadata,
  OptionalNullable,
  text,
} from './shared.js'

/** What the deposit and withdrawal routes take (and the fail control's reason). */
const TransferInput = Type.Object({
  amount: Decimal,
  currency: Type.String({ pattern: '^[A-Za-z]{3}$' }),
  method: Literals(['ach', 'manual_bank_transfer', 'wire']),
  funding_source_id: OptionalNullable(Type.String({ maxLength: 64 })),
  failure_reason: OptionalNullable(Type.String({ maxLength: 200 })),
  metadata: Metadata,
})

/** The funding source a transfer names, or a new one linked to the investor as a real flow would. */
const fundingSourceStep: TriggerStep = {
  name: 'fundingSource',
  request: 'POST /v1/investors/{investor_id}/funding-sources/connect',
  why: 'a bank account for the transfer, unless the data names one (which must then exist)',
  when: (run) => run.overrides.funding_source_id === undefined,
  params: (run) => ({ investor_id: investorOf(run).id }),
  body: () => sampleFundingSourceRequest(),
}

export const transferPlan = (
  kind: 'deposit' | 'withdrawal',
  step: 'initiated' | 'completed' | 'failed',
): TriggerPlan => ({
  input: TransferInput,
  steps: [
    investorStep(),
    ...(kind === 'withdrawal'
      ? fundingSteps(
          (run) => toCents(String(run.data.amount)) - run.read.buyingPowerCents(investorOf(run).id),
          'cash to withdraw, when the investor has too little',
          'amount',
        )
      : []),
    fundingSourceStep,
    {
      name: 'transfer',
      request:
        kind === 'deposit'
          ? 'POST /v1/investors/{investor_id}/deposits'
          : 'POST /v1/investors/{investor_id}/withdrawals',
      why: `the ${kind} the event is about`,
      params: (run) => ({ investor_id: investorOf(run).id }),
      body: (run) => {
        const named = text(run.data.funding_source_id)
        const source =
          run.made.fundingSource?.id ??
          (run.overrides.funding_source_id === undefined ? undefined : named)
        return {
          amount: String(run.data.amount),
          currency: String(run.data.currency),
          method: run.data.method,
          ...(source === undefined ? {} : { funding_source_id: source }),
          ...(run.data.metadata
            ? { metadata: copied(run.data.metadata as Record<string, unknown>) }
            : {}),
        }
      },
    },
    ...(step === 'completed'
      ? [
          {
            name: 'settled',
            request: 'POST /v1/sandbox/transfers/{transfer_id}/complete',
            why: `the ${kind} completes`,
            params: (run) => ({ transfer_id: run.made.transfer!.id }),
          } satisfies TriggerStep,
        ]
      : []),
    ...(step === 'failed'
      ? [
          {
            name: 'settled',
            request: 'POST /v1/sandbox/transfers/{transfer_id}/fail',
            why: `the ${kind} fails, with data.failure_reason`,
            params: (run) => ({ transfer_id: run.made.transfer!.id }),
            body: (run) => {
              const reason = text(run.data.failure_reason)
              return reason === undefined ? {} : { reason }
            },
          } satisfies TriggerStep,
        ]
      : []),
  ],
  emits: {
    made: 'transfer',
    status: step === 'initiated' ? 'pending' : step,
  },
})
