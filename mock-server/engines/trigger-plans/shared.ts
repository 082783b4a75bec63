/** What several plans share: schema pieces, reading the data, the investor and funding steps. */
import { Type, type TSchema } from '@sinclair/typebox'
import { decimalPattern, formatCents } from '../../core/decimal.js'
import { createId } from '../../core/ids.js'
import type { SandboxState } from '../../core/state.js'
import type { TriggerRun, TriggerStep } from './plan.js'

export const Decimal = Type.String({ pattern: decimalPattern })
export const OptionalNullable = (schema: TSchema) =>
  Type.Optional(Type.Union([schema, Type.Null()]))
/** A union of string literals; `expected` replaces "one of ..." in the error message. */
export const Literals = (values: readonly string[], expected?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    expected === undefined ? {} : { 'x-expected': expected },
  )
export const Metadata = Type.Optional(Type.Record(Type.String(), Type.Unknown()))

export const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined
/** The investor of the run as the sandbox keeps it (a step made the API's view of it). */
export const investorOf = (run: TriggerRun) => run.read.state.investors.get(run.made.investor!.id)!

/** A copy the stored resource can keep, whatever the caller does with its own object later. */
export const copied = (value: Record<string, unknown>) =>
  Object.keys(value).length === 0 ? {} : (JSON.parse(JSON.stringify(value)) as typeof value)

/** The investor the event names (created under that id when it does not exist), or a new one. */
export const investorStep = (kycMode?: SandboxState['kycMode']): TriggerStep => ({
  name: 'investor',
  request: 'POST /v1/investors',
  why:
    kycMode === 'document'
      ? 'the investor the data names, or a new one, awaiting KYC (as in `document` KYC mode)'
      : 'the investor the data names, or a new one',
  when: (run) => run.made.investor === undefined,
  body: (run) => ({
    first_name: 'Ada',
    last_name: 'Lovelace',
    email: `ada+${(run.ownerId ?? createId('inv')).toLowerCase()}@example.com`,
  }),
  options: (run) => ({
    ...(run.ownerId === undefined ? {} : { id: run.ownerId }),
    ...(kycMode === undefined ? {} : { kycMode }),
  }),
})

/** A completed manual deposit of `cents`, as a sandbox user would fund an account. */
export const fundingSteps = (
  shortfallCents: (run: TriggerRun) => number,
  why: string,
  field: string,
): TriggerStep[] => [
  {
    name: 'funding',
    request: 'POST /v1/investors/{investor_id}/deposits',
    why,
    when: (run) => shortfallCents(run) > 0,
    params: (run) => ({ investor_id: investorOf(run).id }),
    body: (run) => ({
      amount: formatCents(shortfallCents(run)),
      method: 'manual_bank_transfer',
      description: 'Funding for a triggered event',
    }),
    blame: { amount: field, '': field },
  },
  {
    name: 'funded',
    request: 'POST /v1/sandbox/transfers/{transfer_id}/complete',
    why: 'the funding deposit completes (when one was made)',
    when: (run) => run.made.funding !== undefined,
    params: (run) => ({ transfer_id: run.made.funding!.id }),
    blame: { '': field },
  },
]
