/**
 * Investors. A new investor answers `onboarding`, as Bluum's reference shows; the sandbox then
 * approves KYC at once ("In sandbox, investors reach active immediately": `kyc.verification.approved`,
 * then `account.updated` with `status: active` and an account number). In `document` KYC mode (a
 * sandbox setting) it stays onboarding until an identity document or check decides it, which is
 * how "attempt operations before KYC" is tested.
 *
 * An investor starts with no money, as in Bluum: its balance is what its deposits brought, minus
 * what it bought and withdrew. What the API shows is `investorResource()` of the stored record:
 * Bluum's documented fields only, balances read from the engines, and never the tax id.
 */
import type { Clock } from '../core/clock.js'
import { formatCents } from '../core/decimal.js'
import { AccountNotApprovedError, DuplicateResourceError, withParam } from '../core/errors.js'
import type { EventBus } from '../core/event-bus.js'
import { copyJson, findOrThrow, newResource } from '../core/resource.js'
import { investorWithEmail, noteInvestorEmail } from '../core/state-indexes.js'
import type { Investor, SandboxState } from '../core/state.js'
import type { ComplianceService } from './compliance.js'
import type { Static } from '@sinclair/typebox'
import type { InvestorSchema } from '../../plugin/bluum-resources.js'

/** An investor as the API shows it. */
export type InvestorResource = Static<typeof InvestorSchema>

/** What creating an investor takes: the create body (validated by the API); absent fields default. */
export interface CreateInvestorInput {
  first_name: string
  last_name: string
  email: string
  account_type?: string
  management_type?: string
  tax_advantaged?: boolean
  middle_name?: string
  date_of_birth?: string
  phone?: string
  address?: Record<string, unknown>
  tax_id?: string
  tax_id_type?: string
  tax_id_country?: string
  country_of_tax_residence?: string
  country_of_citizenship?: string
  country_of_birth?: string
  funding_source?: string[]
  annual_income?: { min: string; max: string }
  liquid_net_worth?: { min: string; max: string }
  is_control_person?: boolean
  is_affiliated_exchange_or_finra?: boolean
  is_politically_exposed?: boolean
  immediate_family_exposed?: boolean
  employment_status?: string
  employer_name?: string
  employer_address?: string
  employment_position?: string
  visa_type?: string
  signed_agreements?: { type: string; signed_at: string; ip_address: string }[]
  trusted_contact?: { first_name: string; last_name: string; email: string; phone: string }
  metadata?: Record<string, unknown>
}

/** The fields `PATCH /sandbox/investors/{id}` may change. */
export type InvestorChanges = Partial<
  Pick<
    CreateInvestorInput,
    | 'email'
    | 'first_name'
    | 'middle_name'
    | 'last_name'
    | 'phone'
    | 'address'
    | 'management_type'
    | 'tax_id_country'
    | 'employment_status'
    | 'employer_name'
    | 'employer_address'
    | 'employment_position'
    | 'is_control_person'
    | 'is_affiliated_exchange_or_finra'
    | 'is_politically_exposed'
    | 'immediate_family_exposed'
    | 'trusted_contact'
    | 'metadata'
  >
>

/** What an investor holds, in cents, as the order engine values it. */
export interface InvestorMoney {
  cashCents: number
  /** Held by open buy orders. */
  reservedCents: number
  /** Positions at the simulated price. */
  holdingsCents: number
}

/** Options of {@link InvestorService.create}. */
export interface CreateInvestorOptions {
  /**
   * Creates the investor under this id instead of a new one (sandbox-only: the trigger creates the
   * investor an event names, `inv_1`, when it does not exist yet). 409 when the id is taken.
   */
  id?: string
}

export interface InvestorService {
  /**
   * Creates an investor and answers it as it is before KYC (onboarding); `options.id` names it
   * (sandbox-only, for the trigger).
   */
  create(input: CreateInvestorInput, options?: CreateInvestorOptions): InvestorResource
  /** The stored record (tax id included): for the engines, never for an answer. */
  get(investorId: string): Investor
  /** The investor as the API shows it. */
  resource(investorId: string): InvestorResource
  /** Every investor as the API shows it, newest first. */
  list(): InvestorResource[]
  /** Changes profile fields and emits `account.updated`. */
  update(investorId: string, changes: InvestorChanges): InvestorResource
  /** Sets the trusted contact (all four fields) and emits `account.updated`. */
  setTrustedContact(investorId: string, contact: NonNullable<Investor['trusted_contact']>): Investor
  /** Records a KYC decision: `kyc.verification.*` (from the workflow), then `account.updated`. */
  decideKyc(investorId: string, decision: 'approved' | 'rejected', reason?: string): Investor
  /** Answers 403 `BLUM-403-002` unless the investor's KYC is approved. */
  assertApproved(investorId: string): Investor
  /** The investor's money, as the order engine holds it. */
  money(investorId: string): InvestorMoney
  /** The investor's one (USD) wallet, as "List wallets for an investor" shows it. */
  wallet(investorId: string): Record<string, unknown>
}

export interface InvestorServiceDeps {
  state: SandboxState
  clock: Clock
  bus: EventBus
  compliance: ComplianceService
  /** Cash every new investor starts with, cents (0, as in Bluum, unless the sandbox says otherwise). */
  initialCashCents: number
  /** Cash held by resting buy orders, in cents (from the order engine). */
  reservedCents(investorId: string): number
  /** Positions at the simulated price, in cents (from the order engine). */
  holdingsCents(investorId: string): number
}

/** A 9-digit custodian account number, stable per investor id. */
function accountNumber(investorId: string): string {
  let hash = 7
  for (const char of investorId) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_000_000
  return String(100_000_000 + (hash % 900_000_000))
}

const profileDefaults = {
  account_type: 'individual',
  management_type: 'self_directed',
  date_of_birth: '1990-01-01',
  phone: '+15555550123',
  tax_id: '000-00-0000',
  tax_id_type: 'SSN',
  country_of_tax_residence: 'US',
  country_of_citizenship: 'US',
  country_of_birth: 'US',
  funding_source: ['employment_income'],
  employment_status: 'employed',
} as const

/** Creates the investor service. */
export function createInvestorService(deps: InvestorServiceDeps): InvestorService {
  const { state, clock, bus, compliance } = deps
  const get = (id: string) => findOrThrow(state.investors, id, 'investor', 'investor_id')

  function assertUniqueEmail(email: string, except?: string): void {
    const existing = investorWithEmail(state, email)
    if (existing !== undefined && existing.id !== except) {
      throw withParam(
        new DuplicateResourceError(
          `An investor with email '${email}' already exists (${existing.id}).`,
        ),
        'email',
      )
    }
  }

  function money(investorId: string): InvestorMoney {
    return {
      cashCents: state.cashCents.get(investorId) ?? 0,
      reservedCents: deps.reservedCents(investorId),
      holdingsCents: deps.holdingsCents(investorId),
    }
  }

  /** The investor as "Retrieve a specific investor" shows it, with balances the engines hold. */
  function resource(investor: Investor): InvestorResource {
    const { cashCents, reservedCents, holdingsCents } = money(investor.id)
    const active = investor.status === 'active'
    const address = investor.address as Record<string, unknown> | null
    return copyJson({
      id: investor.id,
      object: 'investor',
      created: investor.created,
      livemode: false,
      metadata: investor.metadata,
      status: investor.status,
      account_type: investor.account_type,
      management_type: investor.management_type,
      tax_advantaged: investor.tax_advantaged ?? false,
      tax_designation: null,
      account_number: investor.account_number ?? null,
      currency: 'USD',
      balance: formatCents(cashCents),
      buying_power: formatCents(Math.max(0, cashCents - reservedCents)),
      cash_withdrawable: formatCents(Math.max(0, cashCents - reservedCents)),
      last_equity: formatCents(cashCents + holdingsCents),
      crypto_status: null,
      trading_type: active ? 'cash' : null,
      first_name: investor.first_name,
      middle_name: investor.middle_name ?? null,
      last_name: investor.last_name,
      date_of_birth: investor.date_of_birth,
      email: investor.email,
      phone: investor.phone,
      address: address
        ? {
            street: address.street,
            unit: address.unit ?? null,
            city: address.city,
            state: address.state ?? null,
            postal_code: address.postal_code ?? null,
            country: address.country,
          }
        : null,
      tax_id_type: investor.tax_id_type,
      country_of_tax_residence: investor.country_of_tax_residence,
      country_of_citizenship: investor.country_of_citizenship,
      country_of_birth: investor.country_of_birth,
      funding_source: investor.funding_source,
      is_control_person: investor.is_control_person ?? false,
      is_affiliated_exchange_or_finra: investor.is_affiliated_exchange_or_finra ?? false,
      is_affiliated_exchange_or_iiroc: null,
      is_politically_exposed: investor.is_politically_exposed ?? false,
      immediate_family_exposed: investor.immediate_family_exposed ?? false,
      employment_status: investor.employment_status,
      employer_name: investor.employer_name ?? null,
      employer_address: investor.employer_address ?? null,
      employment_position: investor.employment_position ?? null,
      signed_agreements: investor.signed_agreements ?? [],
      trusted_contact: investor.trusted_contact ?? null,
      portfolios: [],
    }) as InvestorResource
  }

  const updated = (investor: Investor) => {
    // A trigger's prerequisite (muted) would drop the event: the resource view is not built.
    if (!bus.dropsEmissions()) bus.emit('account.updated', resource(investor) as never)
  }

  function decideKyc(
    investorId: string,
    decision: 'approved' | 'rejected',
    reason?: string,
  ): Investor {
    const investor = get(investorId)
    if (investor.kyc_status === decision) return investor
    investor.kyc_status = decision
    if (decision === 'approved') {
      investor.status = 'active'
      investor.account_number ??= accountNumber(investor.id)
    } else {
      // Rejected: Bluum's investor waits for new documents (there is no upload limit).
      investor.status = 'awaiting_documents'
    }
    compliance.decide(investor, decision, reason ?? null)
    updated(investor)
    return investor
  }

  return {
    create(input, options = {}) {
      const email = input.email.trim().toLowerCase()
      assertUniqueEmail(email)
      if (options.id !== undefined && state.investors.has(options.id))
        throw withParam(
          new DuplicateResourceError(`An investor with id '${options.id}' already exists.`),
          'id',
        )
      const base = newResource('inv', 'investor', clock, input.metadata ?? {})
      // The base fields one by one, not `...base`: on Node 20 every property written after an
      // object spread takes a slow path (about 1 us each; this literal took about 40 us).
      const investor: Investor = {
        id: options.id ?? base.id,
        object: base.object,
        created: base.created,
        livemode: base.livemode,
        metadata: base.metadata,
        status: 'onboarding',
        account_type: input.account_type ?? profileDefaults.account_type,
        management_type: input.management_type ?? profileDefaults.management_type,
        tax_advantaged: input.tax_advantaged ?? false,
        account_number: null,
        first_name: input.first_name,
        middle_name: input.middle_name ?? null,
        last_name: input.last_name,
        date_of_birth: input.date_of_birth ?? profileDefaults.date_of_birth,
        email,
        phone: input.phone ?? profileDefaults.phone,
        address: input.address ? copyJson(input.address) : null,
        tax_id: input.tax_id ?? profileDefaults.tax_id,
        tax_id_type: input.tax_id_type ?? profileDefaults.tax_id_type,
        tax_id_country: input.tax_id_country ?? null,
        country_of_tax_residence:
          input.country_of_tax_residence ?? profileDefaults.country_of_tax_residence,
        country_of_citizenship:
          input.country_of_citizenship ?? profileDefaults.country_of_citizenship,
        country_of_birth: input.country_of_birth ?? profileDefaults.country_of_birth,
        funding_source: [...(input.funding_source ?? profileDefaults.funding_source)],
        annual_income: input.annual_income ?? null,
        liquid_net_worth: input.liquid_net_worth ?? null,
        is_control_person: input.is_control_person ?? false,
        is_affiliated_exchange_or_finra: input.is_affiliated_exchange_or_finra ?? false,
        is_politically_exposed: input.is_politically_exposed ?? false,
        immediate_family_exposed: input.immediate_family_exposed ?? false,
        employment_status: input.employment_status ?? profileDefaults.employment_status,
        employer_name: input.employer_name ?? null,
        employer_address: input.employer_address ?? null,
        employment_position: input.employment_position ?? null,
        visa_type: input.visa_type ?? null,
        signed_agreements: copyJson(input.signed_agreements ?? []),
        trusted_contact: input.trusted_contact ? { ...input.trusted_contact } : null,
        kyc_status: 'pending',
        compliance_workflow_id: null,
      }
      state.investors.set(investor.id, investor)
      noteInvestorEmail(state, investor)
      state.cashCents.set(investor.id, deps.initialCashCents)
      investor.compliance_workflow_id = compliance.start(investor).id
      const answer = resource(investor)
      bus.emit('account.created', answer as never)
      // The sandbox approves KYC at once; the compliance workflow event follows the account.
      if (state.kycMode === 'instant') decideKyc(investor.id, 'approved')
      return answer
    },
    get,
    resource: (investorId) => resource(get(investorId)),
    list: () => [...state.investors.values()].reverse().map(resource),
    update(investorId, changes) {
      const investor = get(investorId)
      const { metadata, email, ...profile } = changes
      if (typeof email === 'string') {
        const normalized = email.trim().toLowerCase()
        assertUniqueEmail(normalized, investorId)
        const previous = investor.email
        investor.email = normalized
        noteInvestorEmail(state, investor, previous)
      }
      Object.assign(investor, copyJson(profile))
      if (metadata) investor.metadata = { ...investor.metadata, ...metadata }
      updated(investor)
      return resource(investor)
    },
    setTrustedContact(investorId, contact) {
      const investor = get(investorId)
      investor.trusted_contact = { ...contact }
      updated(investor)
      return investor
    },
    decideKyc,
    assertApproved(investorId) {
      const investor = get(investorId)
      if (investor.kyc_status !== 'approved')
        throw withParam(new AccountNotApprovedError(investorId, investor.status), 'investor_id')
      return investor
    },
    money,
    wallet(investorId) {
      const investor = get(investorId)
      const { cashCents, reservedCents, holdingsCents } = money(investorId)
      const available = Math.max(0, cashCents - reservedCents)
      return {
        id: `wlt_${investorId.slice(4)}`,
        object: 'wallet',
        created: investor.created,
        livemode: false,
        metadata: {},
        currency: 'USD',
        // balance = available + reserved ("Wallets" concepts page).
        balance: formatCents(available + Math.min(reservedCents, cashCents)),
        available_balance: formatCents(available),
        reserved_balance: formatCents(Math.min(reservedCents, cashCents)),
        cash_withdrawable: formatCents(available),
        buying_power: formatCents(available),
        equity: formatCents(cashCents + holdingsCents),
        status: 'active',
      }
    },
  }
}
