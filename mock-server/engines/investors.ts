/**
 * Investors: in the sandbox KYC approves at once and every account starts funded, as Bluum's
 * sandbox does ("In sandbox, investors reach active immediately after creation"). In `document`
 * KYC mode (a sandbox setting) an investor stays `onboarding` until an identity document is
 * approved, which is how "attempt operations before KYC" is tested.
 */
import type { Clock } from '../core/clock.js'
import { formatCents, formatQuantity, toCents } from '../core/decimal.js'
import { AccountNotApprovedError, DuplicateResourceError, withParam } from '../core/errors.js'
import type { EventBus } from '../core/event-bus.js'
import { createId } from '../core/ids.js'
import { findOrThrow, newResource } from '../core/resource.js'
import { investorWithEmail, noteInvestorEmail } from '../core/state-indexes.js'
import type { Investor, KycStatus, SandboxState } from '../core/state.js'

export interface CreateInvestorInput {
  first_name: string
  last_name: string
  email: string
  metadata?: Record<string, unknown>
  /** Any other profile fields (phone, address, ...), stored and echoed back. */
  [field: string]: unknown
}

export interface InvestorBalances {
  object: 'balance'
  investor_id: string
  cash: string
  buying_power: string
  currency: 'USD'
  positions: {
    id: string
    object: 'position'
    symbol: string
    quantity: string
    average_cost: string
  }[]
}

export interface Position {
  id: string
  object: 'position'
  investor_id: string
  symbol: string
  currency: 'USD'
  quantity: string
  average_cost_basis: string
  total_cost_basis: string
  current_price: string
  market_value: string
  unrealized_pl: string
  unrealized_pl_percent: string
}

export interface Wallet {
  id: string
  object: 'wallet'
  investor_id: string
  currency: 'USD'
  balance: string
  available_balance: string
  reserved_balance: string
  cash_withdrawable: string
  buying_power: string
  equity: string
  status: 'active'
  created: number
  livemode: false
  metadata: Record<string, unknown>
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
  create(input: CreateInvestorInput, options?: CreateInvestorOptions): Investor
  get(investorId: string): Investor
  list(): Investor[]
  /** Changes profile fields and emits `account.updated`. */
  update(investorId: string, changes: Record<string, unknown>): Investor
  /** Records a KYC decision: `kyc.verification.*`, then `account.updated`. */
  decideKyc(investorId: string, decision: 'approved' | 'rejected', reason?: string): Investor
  /** Answers 403 `BLUM-403-002` unless the investor's KYC is approved. */
  assertApproved(investorId: string): Investor
  balances(investorId: string): InvestorBalances
  /** Holdings valued at the simulated price, by symbol. */
  positions(investorId: string): Position[]
  /** The investor's one USD wallet. */
  wallet(investorId: string): Wallet
}

export interface InvestorServiceDeps {
  state: SandboxState
  clock: Clock
  bus: EventBus
  initialCashCents: number
  /** Cash held by resting buy orders, in cents (from the order engine). */
  reservedCents(investorId: string): number
  /** The simulated price of a symbol (from the order engine). */
  price(symbol: string): number
}

/** Creates the investor service. */
export function createInvestorService(deps: InvestorServiceDeps): InvestorService {
  const { state, clock, bus } = deps
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

  function emitKyc(investor: Investor, status: KycStatus, reason: string | null): void {
    const workflow = {
      id: createId('kyc'),
      object: 'compliance_workflow',
      investor_id: investor.id,
      workflow: 'kyc',
      status,
      reason,
      created: Math.floor(clock.now() / 1000),
      livemode: false,
      metadata: {},
    }
    if (status === 'approved') bus.emit('kyc.verification.approved', workflow)
    else if (status === 'rejected') bus.emit('kyc.verification.rejected', workflow)
  }

  const positions = (investorId: string): Position[] => {
    get(investorId)
    return [...(state.positions.get(investorId) ?? new Map()).entries()]
      .filter(([, p]) => p.quantity > 0)
      .map(([symbol, p]) => {
        const price = deps.price(symbol)
        const value = toCents(p.quantity * price)
        return {
          id: `pos_${investorId.slice(4)}_${symbol.toLowerCase()}`,
          object: 'position' as const,
          investor_id: investorId,
          symbol,
          currency: 'USD' as const,
          quantity: formatQuantity(p.quantity),
          average_cost_basis: (p.costCents / 100 / p.quantity).toFixed(2),
          total_cost_basis: formatCents(p.costCents),
          current_price: price.toFixed(2),
          market_value: formatCents(value),
          unrealized_pl: formatCents(value - p.costCents),
          unrealized_pl_percent:
            p.costCents === 0 ? '0' : ((value - p.costCents) / p.costCents).toFixed(4),
        }
      })
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
      // Resource fields are the sandbox's to set, whatever the body says.
      const {
        metadata,
        id: _id,
        object: _object,
        created: _created,
        livemode: _livemode,
        ...profile
      } = input
      const base = newResource('inv', 'investor', clock, metadata)
      const investor: Investor = {
        // id and object first, as the API prints them.
        id: options.id ?? base.id,
        object: base.object,
        ...profile,
        created: base.created,
        livemode: false,
        metadata: base.metadata,
        email,
        status: state.kycMode === 'instant' ? 'active' : 'onboarding',
        kyc_status: state.kycMode === 'instant' ? 'approved' : 'pending',
      }
      state.investors.set(investor.id, investor)
      noteInvestorEmail(state, investor)
      state.cashCents.set(investor.id, deps.initialCashCents)
      bus.emit('account.created', investor)
      // The sandbox approves KYC at once; the compliance workflow event follows the account.
      if (investor.kyc_status === 'approved') emitKyc(investor, 'approved', null)
      return investor
    },
    get,
    list: () => [...state.investors.values()].reverse(),
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
      Object.assign(investor, profile)
      if (metadata && typeof metadata === 'object')
        investor.metadata = { ...investor.metadata, ...(metadata as Record<string, unknown>) }
      bus.emit('account.updated', investor)
      return investor
    },
    decideKyc(investorId, decision, reason) {
      const investor = get(investorId)
      if (investor.kyc_status === decision) return investor
      investor.kyc_status = decision
      investor.status = decision === 'approved' ? 'active' : 'onboarding'
      emitKyc(investor, decision, decision === 'rejected' ? (reason ?? 'document_rejected') : null)
      bus.emit('account.updated', investor)
      return investor
    },
    assertApproved(investorId) {
      const investor = get(investorId)
      if (investor.kyc_status !== 'approved')
        throw withParam(new AccountNotApprovedError(investorId, investor.kyc_status), 'investor_id')
      return investor
    },
    positions,
    wallet(investorId) {
      const investor = get(investorId)
      const cash = state.cashCents.get(investorId) ?? 0
      const reserved = deps.reservedCents(investorId)
      const holdings = positions(investorId).reduce((sum, p) => sum + toCents(p.market_value), 0)
      return {
        id: `wlt_${investorId.slice(4)}`,
        object: 'wallet',
        investor_id: investorId,
        currency: 'USD',
        balance: formatCents(cash),
        available_balance: formatCents(cash - reserved),
        reserved_balance: formatCents(reserved),
        cash_withdrawable: formatCents(Math.max(0, cash - reserved)),
        buying_power: formatCents(cash - reserved),
        equity: formatCents(cash + holdings),
        status: 'active',
        created: investor.created,
        livemode: false,
        metadata: {},
      }
    },
    balances(investorId) {
      get(investorId)
      const cash = state.cashCents.get(investorId) ?? 0
      const positions = [...(state.positions.get(investorId) ?? new Map()).entries()]
        .filter(([, p]) => p.quantity > 0)
        .map(([symbol, p]) => ({
          id: `pos_${investorId.slice(4)}_${symbol.toLowerCase()}`,
          object: 'position' as const,
          symbol,
          quantity: formatQuantity(p.quantity),
          average_cost: (p.costCents / 100 / p.quantity).toFixed(2),
        }))
      return {
        object: 'balance',
        investor_id: investorId,
        cash: formatCents(cash),
        buying_power: formatCents(cash - deps.reservedCents(investorId)),
        currency: 'USD',
        positions,
      }
    },
  }
}
