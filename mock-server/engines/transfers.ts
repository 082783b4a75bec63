/**
 * Deposits and withdrawals on the sandbox clock.
 *
 * ACH and wire transfers go pending → processing → completed by themselves, a few seconds of
 * sandbox time apart; a manual bank transfer stays pending until a sandbox control completes or
 * fails it. A withdrawal holds its amount at once (so two withdrawals cannot spend the same cash)
 * and gives it back if it fails.
 */
import type { Clock, TimerHandle } from '../core/clock.js'
import { formatCents, toCents } from '../core/decimal.js'
import {
  InsufficientFundsError,
  InvalidParamError,
  InvalidStateError,
  NotFoundError,
  withParam,
} from '../core/errors.js'
import { isoSeconds, type EventBus } from '../core/event-bus.js'
import { findOrThrow, newResource } from '../core/resource.js'
import type { SavedTimer } from '../core/state-file.js'
import type { SandboxState, Transfer, TransferMethod } from '../core/state.js'

export interface TransferInput {
  amount: string
  currency?: string
  method: TransferMethod
  funding_source_id?: string
  description?: string
  metadata?: Record<string, unknown>
}

export type TransferKind = 'deposit' | 'withdrawal'

export interface TransferEngine {
  deposit(investorId: string, input: TransferInput): Transfer
  /** Answers 422 `BLUM-422-001` when the amount exceeds the investor's cash. */
  withdraw(investorId: string, input: TransferInput): Transfer
  get(kind: TransferKind, investorId: string, transferId: string): Transfer
  list(kind: TransferKind, investorId: string): Transfer[]
  /** Completes a pending or processing transfer (`dep_...` or `wd_...`). */
  complete(transferId: string): Transfer
  /** Fails a pending or processing transfer. */
  fail(transferId: string, reason?: string): Transfer
  /** The due times of the ACH/wire steps still to come, to save them. */
  savedTimers(): SavedTimer[]
  /** Re-arms saved steps (at once when their time has passed). */
  resume(timers: readonly SavedTimer[]): void
}

export interface TransferEngineDeps {
  state: SandboxState
  clock: Clock
  bus: EventBus
  /** Sandbox ms from creation to `processing` for ACH and wire. */
  processingAfterMs: number
  /** Sandbox ms from creation to `completed` for ACH and wire. */
  completedAfterMs: number
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

  function create(kind: TransferKind, investorId: string, input: TransferInput): Transfer {
    findOrThrow(state.investors, investorId, 'investor', 'investor_id')
    const cents = toCents(input.amount)
    if (cents <= 0)
      throw withParam(
        new InvalidParamError('amount', 'expected an amount of at least 0.01'),
        'amount',
      )
    const currency = (input.currency ?? 'USD').toUpperCase()
    if (kind === 'withdrawal') {
      const cash = state.cashCents.get(investorId) ?? 0
      if (cents > cash)
        throw withParam(new InsufficientFundsError(formatCents(cents), formatCents(cash)), 'amount')
      state.cashCents.set(investorId, cash - cents)
    }
    const transfer: Transfer = {
      ...newResource(kind === 'deposit' ? 'dep' : 'wd', kind, clock, input.metadata),
      investor_id: investorId,
      amount: formatCents(cents),
      currency,
      method: input.method,
      status: 'pending',
      funding_source_id: input.funding_source_id ?? null,
      description: input.description ?? null,
      failure_reason: null,
      completed_at: null,
    }
    mapOf(kind).set(transfer.id, transfer)
    emit(transfer, 'initiated')
    if (transfer.method !== 'manual_bank_transfer') {
      arm(transfer, 'processing', deps.processingAfterMs)
      arm(transfer, 'completed', deps.completedAfterMs)
    }
    return transfer
  }

  /** Schedules one automatic step of an ACH/wire transfer. */
  function arm(transfer: Transfer, step: 'processing' | 'completed', delayMs: number): void {
    const handle = clock.setTimer(delayMs, () => {
      const left = (timers.get(transfer.id) ?? []).filter((t) => t.handle !== handle)
      if (left.length > 0) timers.set(transfer.id, left)
      else timers.delete(transfer.id)
      if (step === 'processing' && transfer.status === 'pending') transfer.status = 'processing'
      if (
        step === 'completed' &&
        (transfer.status === 'pending' || transfer.status === 'processing')
      )
        settle(transfer, 'completed')
    })
    timers.set(transfer.id, [...(timers.get(transfer.id) ?? []), { step, handle }])
  }

  function settle(transfer: Transfer, outcome: 'completed' | 'failed', reason?: string): Transfer {
    for (const timer of timers.get(transfer.id) ?? []) clock.clearTimer(timer.handle)
    timers.delete(transfer.id)
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
      if (transfer.object === 'withdrawal') {
        // Give back the amount held at initiation.
        state.cashCents.set(
          transfer.investor_id,
          (state.cashCents.get(transfer.investor_id) ?? 0) + toCents(transfer.amount),
        )
      }
    }
    emit(transfer, outcome)
    return transfer
  }

  function findAny(transferId: string): Transfer {
    const transfer = state.deposits.get(transferId) ?? state.withdrawals.get(transferId)
    if (!transfer) throw withParam(new NotFoundError('transfer', transferId), 'transfer_id')
    if (transfer.status !== 'pending' && transfer.status !== 'processing') {
      throw withParam(
        new InvalidStateError(`Transfer '${transferId}' is already ${transfer.status}.`),
        'transfer_id',
      )
    }
    return transfer
  }

  return {
    deposit: (investorId, input) => create('deposit', investorId, input),
    withdraw: (investorId, input) => create('withdrawal', investorId, input),
    get(kind, investorId, transferId) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      const transfer = mapOf(kind).get(transferId)
      if (!transfer || transfer.investor_id !== investorId)
        throw withParam(new NotFoundError(kind, transferId), `${kind}_id`)
      return transfer
    },
    list(kind, investorId) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      return [...mapOf(kind).values()].filter((t) => t.investor_id === investorId).reverse()
    },
    complete: (transferId) => settle(findAny(transferId), 'completed'),
    fail: (transferId, reason) => settle(findAny(transferId), 'failed', reason),
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
  }
}
