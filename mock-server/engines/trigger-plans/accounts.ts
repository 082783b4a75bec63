/** Account events: the investor created with the data's profile, or written over. */
import { Type } from '@sinclair/typebox'
import type { TriggerPlan } from './plan.js'
import { investorOf, investorStep, Metadata } from './shared.js'
import { copyJson } from '../../core/resource.js'

/** What `POST /v1/investors` needs of a profile. */
const InvestorInput = Type.Object({
  first_name: Type.String({ minLength: 1, maxLength: 200 }),
  last_name: Type.String({ minLength: 1, maxLength: 200 }),
  email: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', maxLength: 254 }),
  metadata: Metadata,
})

export const accountPlan = (updated: boolean): TriggerPlan => ({
  input: InvestorInput,
  ...(updated ? {} : { computed: ['id'] }),
  steps: updated
    ? [
        investorStep(),
        {
          // Kept as the investor: the event carries what the update answered.
          name: 'investor',
          request: 'PATCH /v1/sandbox/investors/{investor_id}',
          why: 'the profile fields of the data written over the investor',
          params: (run) => ({ investor_id: investorOf(run).id }),
          body: (run) => profileOf(run.overrides),
        },
      ]
    : [
        {
          name: 'investor',
          request: 'POST /v1/investors',
          why: 'the investor the event is about, with the profile the data gives',
          body: (run) => ({
            ...profileOf(run.overrides),
            first_name: String(run.data.first_name),
            last_name: String(run.data.last_name),
            email: String(run.data.email),
          }),
        },
      ],
  // What the last request answered: the investor as the API shows it.
  emits: { made: 'investor' },
})

/** The fields of an investor's data a profile write takes: all but what the sandbox sets. */
function profileOf(overrides: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const {
    id: _id,
    object: _object,
    created: _created,
    livemode: _livemode,
    status: _status,
    kyc_status: _kyc,
    ...profile
  } = overrides
  return copyJson(profile)
}
