/** Investors: in the sandbox KYC approves at once and every account starts funded. */
import type { Clock } from '../core/clock.js'
import { formatCents, formatQuantity } from '../core/decimal.js'
import { ConflictError, withParam } from '../core/errors.js'
import type { EventBus } from '../core/event-bus.js'
import { createId } from '../core/ids.js'
import { findOrThrow, newResource } from '../core/resource.js'
import type { Investor, SandboxState } from '../core/state.js'

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

export interface InvestorService {
  create(input: CreateInvestorInput): Investor
  get(investorId: string): Investor
  list(): Investor[]
  balances(investorId: string): InvestorBalances
}

export interface InvestorServiceDeps {
  state: SandboxState
  clock: Clock
  bus: EventBus
  initialCashCents: number
  /** Cash held by resting buy orders, in cents (from the order engine). */
  reservedCents(investorId: string): number
}

/** Creates the investor service. */
export function createInvestorService(deps: InvestorServiceDeps): InvestorService {
  const { state, clock, bus } = deps
  const get = (id: string) => findOrThrow(state.investors, id, 'investor', 'investor_id')
  return {
    create(input) {
      const email = input.email.trim().toLowerCase()
      for (const existing of state.investors.values()) {
        if (existing.email === email) {
          throw withParam(
            new ConflictError(`An investor with email '${email}' already exists (${existing.id}).`),
            'email',
          )
        }
      }
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
        id: base.id,
        object: base.object,
        ...profile,
        created: base.created,
        livemode: false,
        metadata: base.metadata,
        email,
        status: 'active',
        kyc_status: 'approved',
      }
      state.investors.set(investor.id, investor)
      state.cashCents.set(investor.id, deps.initialCashCents)
      bus.emit('account.created', investor)
      // The sandbox approves KYC at once; the compliance workflow event follows the account.
      bus.emit('kyc.verification.approved', {
        id: createId('kyc'),
        object: 'compliance_workflow',
        investor_id: investor.id,
        workflow: 'kyc',
        status: 'approved',
        reason: null,
        created: investor.created,
        livemode: false,
        metadata: {},
      })
      return investor
    },
    get,
    list: () => [...state.investors.values()].reverse(),
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
