/**
 * Deposits, withdrawals and the funding sources they move money to, on the sandbox clock.
 *
 * ACH and wire transfers go pending → processing → completed by themselves, a few seconds of
 * sandbox time apart; a manual bank transfer stays pending (with Bluum-style bank instructions in
 * `method_details`) until a sandbox control completes or fails it. A withdrawal holds its amount
 * at once (so two withdrawals cannot spend the same cash) and gives it back if it fails or is
 * cancelled. An ACH or wire transfer whose amount ends in `.13` fails where it would have
 * completed: Bluum's sandbox keeps its failure values in the dashboard, so this magic amount is
 * the local stand-in that makes `transfer.*.failed` come from a real request.
 */
import { randomUUID } from 'node:crypto'
import type { Clock, TimerHandle } from '../core/clock.js'
import { formatCents, toCents } from '../core/decimal.js'
import {
  InvalidAmountError,
  NotFoundError,
  StateConflictError,
  WithdrawalLimitError,
  withParam,
} from '../core/errors.js'
import { isoSeconds, type EventBus } from '../core/event-bus.js'
import { findOrThrow, newResource } from '../core/resource.js'
import type { SavedTimer } from '../core/state-file.js'
import type { FundingSource, SandboxState, Transfer, TransferMethod } from '../core/state.js'

export interface TransferInput {
  amount: string
  currency?: string
  method: TransferMethod
  funding_source_id?: string
  description?: string
  metadata?: Record<string, unknown>
}

export interface FundingSourceInput {
  type: 'manual'
  bank_name: string
  account_holder_name: string
  account_number: string
  routing_number?: string
  account_type?: 'checking' | 'savings'
  metadata?: Record<string, unknown>
}

export type TransferKind = 'deposit' | 'withdrawal'

/** Amounts with these cents fail at settlement (ACH and wire): see the module comment. */
export const failingCents = 13

export interface TransferEngine {
  deposit(investorId: string, input: TransferInput): Transfer
  /** Answers 422 `BLUM-422-005` when the amount exceeds the investor's withdrawable cash. */
  withdraw(investorId: string, input: TransferInput): Transfer
  get(kind: TransferKind, investorId: string, transferId: string): Transfer
  list(kind: TransferKind, investorId: string): Transfer[]
  /** Cancels a pending transfer; 409 `BLUM-409-003` once it is processing or settled. */
  cancel(kind: TransferKind, investorId: string, transferId: string): Transfer
  /** Completes a pending or processing transfer (`dep_...` or `wd_...`). */
  complete(transferId: string): Transfer
  /** Fails a pending or processing transfer. */
  fail(transferId: string, reason?: string): Transfer
  /** The due times of the ACH/wire steps still to come, to save them. */
  savedTimers(): SavedTimer[]
  /** Re-arms saved steps (at once when their time has passed). */
  resume(timers: readonly SavedTimer[]): void
  addFundingSource(investorId: string, input: FundingSourceInput): FundingSource
  listFundingSources(investorId: string): FundingSource[]
  getFundingSource(investorId: string, fundingSourceId: string): FundingSource
}

export interface TransferEngineDeps {
  state: SandboxState
  clock: Clock
  bus: EventBus
  /** Sandbox ms from creation to `processing` for ACH and wire. */
  processingAfterMs: number
  /** Sandbox ms from creation to `completed` for ACH and wire. */
  completedAfterMs: number
  /** Cash held by resting buy orders, in cents (from the order engine). */
  reservedCents(investorId: string): number
}

/** Creates the transfer engine. */
export function createTransferEngine(deps: TransferEngineDeps): TransferEngine {
  const { state, clock, bus } = deps
  const timers = new Map<string, { step: 'processing' | 'completed'; handle: TimerHandle }[]>()

  const mapOf = (kind: TransferKind) => (kind === 'deposit' ? state.deposits : state.withdrawals)

  function emit(transfer: Transfer, step: 'initiated' | 'completed' | 'failed'): void {
    if (transfer.object === 'deposit') bus.emit(`transfer.deposit.${step}`, transfer)
    else bus.emit(`transfer.withdrawal.${step}`, transfer)
  }

  function getFundingSource(investorId: string, id: string): FundingSource {
    const source = state.fundingSources.get(id)
    if (!source || source.investor_id !== investorId)
      throw withParam(new NotFoundError('funding source', id), 'funding_source_id')
    return source
  }

  function methodDetails(method: TransferMethod, reference: string): Record<string, unknown> {
    if (method !== 'manual_bank_transfer')
      return { provider_name: 'sandbox', transfer_id: randomUUID(), provider_status: 'QUEUED' }
    return {
      referenceCode: reference,
      bankDetails: {
        bankName: 'Bluum Sandbox Bank',
        accountName: 'Bluum Finance, Inc. (sandbox)',
        accountNumber: '000123456789',
        routingNumber: '021000021',
        instructions: `Include reference code "${reference}" in your transfer memo.`,
      },
    }
  }

  function create(kind: TransferKind, investorId: string, input: TransferInput): Transfer {
    findOrThrow(state.investors, investorId, 'investor', 'investor_id')
    const cents = toCents(input.amount)
    if (cents <= 0)
      throw withParam(new InvalidAmountError('amount', 'expected at least "0.01"'), 'amount')
    const source =
      input.funding_source_id === undefined
        ? undefined
        : getFundingSource(investorId, input.funding_source_id)
    const currency = (input.currency ?? 'USD').toUpperCase()
    if (kind === 'withdrawal') {
      const cash = state.cashCents.get(investorId) ?? 0
      const withdrawable = cash - deps.reservedCents(investorId)
      if (cents > withdrawable)
        throw withParam(
          new WithdrawalLimitError(formatCents(cents), formatCents(Math.max(0, withdrawable))),
          'amount',
        )
      state.cashCents.set(investorId, cash - cents)
    }
    const base = newResource(kind === 'deposit' ? 'dep' : 'wd', kind, clock, input.metadata)
    const reference = `BLUUM-${base.id.slice(-8).toUpperCase()}`
    const transfer: Transfer = {
      // Written out, not spread: see the order engine's place().
      id: base.id,
      object: base.object,
      created: base.created,
      livemode: base.livemode,
      metadata: base.metadata,
      investor_id: investorId,
      amount: formatCents(cents),
      currency,
      method: input.method,
      status: 'pending',
      wallet_id: `wlt_${investorId.slice(4)}`,
      funding_source_id: source?.id ?? null,
      description: input.description ?? null,
      method_details: methodDetails(input.method, reference),
      destination_details:
        kind === 'withdrawal' && source
          ? { bankName: source.bank_name, accountMask: `****${source.mask}` }
          : null,
      initiated_at: isoSeconds(clock.now()),
      completed_at: null,
      cancelled_at: null,
      failure_reason: null,
    }
    mapOf(kind).set(transfer.id, transfer)
    emit(transfer, 'initiated')
    if (transfer.method !== 'manual_bank_transfer') {
      arm(transfer, 'processing', deps.processingAfterMs)
      arm(transfer, 'completed', deps.completedAfterMs)
    }
    return transfer
  }

  /**
   * Schedules one automatic step of an ACH/wire transfer. An amount ending in the failing cents
   * fails where it would complete (decided from the stored amount, so a resumed step agrees).
   */
  function arm(transfer: Transfer, step: 'processing' | 'completed', delayMs: number): void {
    const handle = clock.setTimer(delayMs, () => {
      const left = (timers.get(transfer.id) ?? []).filter((t) => t.handle !== handle)
      if (left.length > 0) timers.set(transfer.id, left)
      else timers.delete(transfer.id)
      // A transfer no longer in the state (a trigger rolled back) must not move cash.
      if ((state.deposits.get(transfer.id) ?? state.withdrawals.get(transfer.id)) !== transfer)
        return
      if (step === 'processing' && transfer.status === 'pending') transfer.status = 'processing'
      if (step !== 'completed') return
      if (transfer.status !== 'pending' && transfer.status !== 'processing') return
      if (toCents(transfer.amount) % 100 === failingCents)
        settle(
          transfer,
          'failed',
          transfer.object === 'deposit'
            ? 'ach_return_insufficient_funds'
            : 'destination_account_closed',
        )
      else settle(transfer, 'completed')
    })
    timers.set(transfer.id, [...(timers.get(transfer.id) ?? []), { step, handle }])
  }

  function clearTimers(transfer: Transfer): void {
    for (const timer of timers.get(transfer.id) ?? []) clock.clearTimer(timer.handle)
    timers.delete(transfer.id)
  }

  function refundWithdrawal(transfer: Transfer): void {
    if (transfer.object !== 'withdrawal') return
    // Give back the amount held at initiation.
    state.cashCents.set(
      transfer.investor_id,
      (state.cashCents.get(transfer.investor_id) ?? 0) + toCents(transfer.amount),
    )
  }

  function settle(transfer: Transfer, outcome: 'completed' | 'failed', reason?: string): Transfer {
    clearTimers(transfer)
    transfer.status = outcome
    if (outcome === 'completed') {
      transfer.completed_at = isoSeconds(clock.now())
      if (transfer.object === 'deposit') {
        state.cashCents.set(
          transfer.investor_id,
          (state.cashCents.get(transfer.investor_id) ?? 0) + toCents(transfer.amount),
        )
      }
    } else {
      transfer.failure_reason = reason ?? 'sandbox_failure'
      refundWithdrawal(transfer)
    }
    emit(transfer, outcome)
    return transfer
  }

  function findAny(transferId: string): Transfer {
    const transfer = state.deposits.get(transferId) ?? state.withdrawals.get(transferId)
    if (!transfer) throw withParam(new NotFoundError('transfer', transferId), 'transfer_id')
    if (transfer.status !== 'pending' && transfer.status !== 'processing') {
      throw withParam(
        new StateConflictError(`Transfer '${transferId}' is already ${transfer.status}.`),
        'transfer_id',
      )
    }
    return transfer
  }

  function get(kind: TransferKind, investorId: string, transferId: string): Transfer {
    findOrThrow(state.investors, investorId, 'investor', 'investor_id')
    const transfer = mapOf(kind).get(transferId)
    if (!transfer || transfer.investor_id !== investorId)
      throw withParam(new NotFoundError(kind, transferId), `${kind}_id`)
    return transfer
  }

  return {
    deposit: (investorId, input) => create('deposit', investorId, input),
    withdraw: (investorId, input) => create('withdrawal', investorId, input),
    get,
    list(kind, investorId) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      return [...mapOf(kind).values()].filter((t) => t.investor_id === investorId).reverse()
    },
    cancel(kind, investorId, transferId) {
      const transfer = get(kind, investorId, transferId)
      if (transfer.status !== 'pending') {
        throw withParam(
          new StateConflictError(
            `The ${kind} '${transferId}' is ${transfer.status}; only a pending ${kind} can be cancelled.`,
          ),
          `${kind}_id`,
        )
      }
      clearTimers(transfer)
      transfer.status = 'cancelled'
      transfer.cancelled_at = isoSeconds(clock.now())
      refundWithdrawal(transfer)
      return transfer
    },
    savedTimers() {
      return [...timers.entries()].flatMap(([id, list]) =>
        list.map(({ step, handle }) => ({
          kind: `transfer.${step}` as const,
          id,
          at_ms: handle.at,
        })),
      )
    },
    resume(saved) {
      for (const timer of saved) {
        if (timer.kind !== 'transfer.processing' && timer.kind !== 'transfer.completed') continue
        const transfer = state.deposits.get(timer.id) ?? state.withdrawals.get(timer.id)
        if (!transfer || (transfer.status !== 'pending' && transfer.status !== 'processing'))
          continue
        const step = timer.kind === 'transfer.processing' ? 'processing' : 'completed'
        arm(transfer, step, Math.max(0, timer.at_ms - clock.now()))
      }
    },
    complete: (transferId) => settle(findAny(transferId), 'completed'),
    fail: (transferId, reason) => settle(findAny(transferId), 'failed', reason),
    addFundingSource(investorId, input) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      const base = newResource('fs', 'funding_source', clock, input.metadata)
      const source: FundingSource = {
        id: base.id,
        object: base.object,
        created: base.created,
        livemode: base.livemode,
        metadata: base.metadata,
        investor_id: investorId,
        type: input.type,
        status: 'active',
        bank_name: input.bank_name,
        account_holder_name: input.account_holder_name,
        mask: input.account_number.slice(-4),
        account_type: input.account_type ?? 'checking',
      }
      state.fundingSources.set(source.id, source)
      return source
    },
    listFundingSources(investorId) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      return [...state.fundingSources.values()]
        .filter((s) => s.investor_id === investorId)
        .reverse()
    },
    getFundingSource: (investorId, id) => {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      return getFundingSource(investorId, id)
    },
  }
}
