/**
 * Deposits, withdrawals and the funding sources (bank accounts) they move money through, on the
 * sandbox clock.
 *
 * ACH, wire and card transfers go pending → processing → completed by themselves, a few seconds of
 * sandbox time apart ("ACH deposits complete in seconds", Testing and sandbox); a manual bank
 * transfer stays pending, with Bluum-style bank instructions in `method_details` and an
 * `expires_at`, until a sandbox control completes or fails it. A withdrawal holds its amount at
 * once (so two withdrawals cannot spend the same cash) and gives it back if it fails or is
 * cancelled. An ACH, wire or card transfer whose amount ends in `.13` fails where it would have
 * completed: Bluum's sandbox keeps its failure values in the dashboard, so this magic amount is the
 * local stand-in that makes `transfer.*.failed` come from a real request.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { Clock, TimerHandle } from '../core/clock.js'
import { formatCents, toCents } from '../core/decimal.js'
import {
  InvalidAmountError,
  InvalidDateRangeError,
  MissingFieldError,
  NotFoundError,
  StateConflictError,
  ValidationError,
  WithdrawalLimitError,
  withParam,
} from '../core/errors.js'
import { isoSeconds, type EventBus } from '../core/event-bus.js'
import { flatString } from '../core/flat-string.js'
import { copyJson, findOrThrow, newResource } from '../core/resource.js'
import type { SavedTimer } from '../core/state-file.js'
import type {
  FundingSource,
  SandboxState,
  Transfer,
  TransferMethod,
  TransferStatus,
} from '../core/state.js'

export interface TransferInput {
  amount: string
  currency?: string
  method: TransferMethod
  funding_source_id?: string
  description?: string
  metadata?: Record<string, unknown>
}

/** Bank details of a manual funding source (the connect and update bodies). */
export interface BankDetails {
  bank_name?: string
  account_holder_name?: string
  bank_account_type?: 'CHECKING' | 'SAVINGS'
  account_number?: string
  routing_number?: string
  swift_code?: string
  beneficiary_address?: string
  bank_code?: string
  country?: string
  address_line_1?: string
  city?: string
  currency?: string
  metadata?: Record<string, unknown>
}

export interface ConnectInput extends BankDetails {
  type: 'plaid' | 'manual'
  public_token?: string
}

/** What a list of transfers may be narrowed to (the list routes' documented filters). */
export interface TransferFilter {
  method?: string
  /** The internal lifecycle vocabulary the filter takes (`canceled`, `submitted`, `received`...). */
  status?: string
  currency?: string
  /** `YYYY-MM-DD`, inclusive, on `initiated_at`. */
  date_from?: string
  date_to?: string
}

export type TransferKind = 'deposit' | 'withdrawal'

/** Amounts with these cents fail at settlement (ACH, wire, card): see the module comment. */
export const failingCents = 13
/** Plaid public tokens the sandbox exchanges: Plaid's own sandbox prefix. */
export const sandboxPublicTokenPrefix = 'public-sandbox-'
/** How long a manual bank transfer waits for its funds before it lapses (the reference's example: 7 days). */
export const manualExpiryMs = 7 * 24 * 3_600_000

export interface TransferEngine {
  deposit(investorId: string, input: TransferInput): Transfer
  /** Answers 422 `BLUM-422-005` when the amount exceeds the investor's withdrawable cash. */
  withdraw(investorId: string, input: TransferInput): Transfer
  get(kind: TransferKind, investorId: string, transferId: string): Transfer
  /** Newest first; 400 `BLUM-400-007` when date_from is after date_to. */
  list(kind: TransferKind, investorId: string, filter?: TransferFilter): Transfer[]
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
  /** A Plaid Link token (and a hosted URL when asked). */
  linkToken(
    investorId: string,
    hosted: boolean,
  ): { link_token: string; hosted_link_url: string | null }
  /** Connects a funding source: Plaid answers the accounts it linked, manual the one source. */
  connect(investorId: string, input: ConnectInput): FundingSource[] | FundingSource
  /** A manual funding source, for the sandbox's own flows (tests, triggers). */
  addFundingSource(investorId: string, input: BankDetails): FundingSource
  updateFundingSource(investorId: string, id: string, changes: BankDetails): FundingSource
  disconnectFundingSource(investorId: string, id: string): void
  /** Newest first; `type` narrows to plaid or manual sources. */
  listFundingSources(investorId: string, type?: 'plaid' | 'manual'): FundingSource[]
  getFundingSource(investorId: string, fundingSourceId: string): FundingSource
}

export interface TransferEngineDeps {
  state: SandboxState
  clock: Clock
  bus: EventBus
  /** Sandbox ms from creation to `processing` for ACH, wire and card. */
  processingAfterMs: number
  /** Sandbox ms from creation to `completed` for ACH, wire and card. */
  completedAfterMs: number
  /** Cash held by resting buy orders, in cents (from the order engine). */
  reservedCents(investorId: string): number
}

/** The provider status an ACH transfer's `method_details.alpaca_status` shows at each status. */
const providerStatus: Record<TransferStatus, string> = {
  pending: 'QUEUED',
  processing: 'SENT_TO_CLEARING',
  completed: 'COMPLETE',
  cancelled: 'CANCELED',
  failed: 'RETURNED',
}

/** The filter's internal vocabulary, as the external statuses it covers. */
const filterStatus: Record<string, TransferStatus[]> = {
  pending: ['pending'],
  processing: ['processing'],
  submitted: ['processing'],
  received: ['processing'],
  completed: ['completed'],
  canceled: ['cancelled'],
  expired: ['failed'],
  failed: ['failed'],
}

const last4 = (value: string) => value.slice(-4)

/** Creates the transfer engine. */
export function createTransferEngine(deps: TransferEngineDeps): TransferEngine {
  const { state, clock, bus } = deps
  const timers = new Map<string, { step: 'processing' | 'completed'; handle: TimerHandle }[]>()

  const mapOf = (kind: TransferKind) => (kind === 'deposit' ? state.deposits : state.withdrawals)

  function emit(transfer: Transfer, step: 'initiated' | 'completed' | 'failed'): void {
    if (bus.dropsEmissions()) return // muted: the event would be dropped, its copy unread
    const data = copyJson(transfer) as never
    if (transfer.object === 'deposit') bus.emit(`transfer.deposit.${step}`, data)
    else bus.emit(`transfer.withdrawal.${step}`, data)
  }

  function getFundingSource(investorId: string, id: string): FundingSource {
    const source = state.fundingSources.get(id)
    if (!source || source.investor_id !== investorId)
      throw withParam(new NotFoundError('funding source', id), 'funding_source_id')
    return source
  }

  function setStatus(transfer: Transfer, status: TransferStatus): void {
    transfer.status = status
    const details = transfer.method_details
    if (details && 'alpaca_status' in details) details.alpaca_status = providerStatus[status]
  }

  function methodDetails(method: TransferMethod, reference: string): Record<string, unknown> {
    if (method !== 'manual_bank_transfer')
      return { provider_name: 'sandbox', transfer_id: randomUUID(), alpaca_status: 'QUEUED' }
    return {
      referenceCode: reference,
      bankDetails: {
        bankName: 'Bluum Sandbox Bank',
        bankAddress: '1 Sandbox Way, Fargo, ND 58104 US',
        accountName: 'Bluum Finance, Inc. (sandbox)',
        accountNumber: '000123456789',
        accountKind: 'Checking',
        routingNumber: '021000021',
        swiftCode: 'SANDUS33XXX',
        beneficiaryAddress: '1 Sandbox Way, Newark, DE 19713 US',
        instructions: flatString(`Include reference code "${reference}" in your transfer memo.`),
      },
    }
  }

  function create(kind: TransferKind, investorId: string, input: TransferInput): Transfer {
    findOrThrow(state.investors, investorId, 'investor', 'investor_id')
    const cents = toCents(input.amount)
    if (cents <= 0)
      throw withParam(new InvalidAmountError('amount', 'expected at least "0.01"'), 'amount')
    // "ACH deposits and all withdrawals reference one via funding_source_id" (Funding concepts).
    if (input.funding_source_id === undefined && kind === 'deposit' && input.method === 'ach')
      throw withParam(new MissingFieldError('funding_source_id'), 'funding_source_id')
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
    const reference = flatString(`BLUUM-${base.id.slice(-8).toUpperCase()}`)
    const now = clock.now()
    const transfer: Transfer = {
      // Written out, not spread: see the order engine's place().
      id: base.id,
      object: base.object,
      created: base.created,
      livemode: base.livemode,
      metadata: base.metadata,
      method: input.method,
      investor_id: investorId,
      wallet_id: flatString(`wlt_${investorId.slice(4)}`),
      funding_source_id: source?.id ?? null,
      amount: formatCents(cents),
      currency,
      description: input.description ?? null,
      status: 'pending',
      method_details: methodDetails(input.method, reference),
      ...(kind === 'withdrawal'
        ? {
            destination_details: source
              ? { bankName: source.bank_name, accountMask: `****${source.mask ?? ''}` }
              : null,
          }
        : {}),
      initiated_at: isoSeconds(now),
      ...(kind === 'deposit' ? { received_at: null } : {}),
      completed_at: null,
      ...(kind === 'deposit'
        ? {
            expires_at:
              input.method === 'manual_bank_transfer' ? isoSeconds(now + manualExpiryMs) : null,
          }
        : {}),
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
   * Schedules one automatic step of an ACH/wire/card transfer. An amount ending in the failing
   * cents fails where it would complete (decided from the stored amount, so a resumed step agrees).
   */
  function arm(transfer: Transfer, step: 'processing' | 'completed', delayMs: number): void {
    const handle = clock.setTimer(delayMs, () => {
      const left = (timers.get(transfer.id) ?? []).filter((t) => t.handle !== handle)
      if (left.length > 0) timers.set(transfer.id, left)
      else timers.delete(transfer.id)
      // A transfer no longer in the state (a trigger rolled back) must not move cash.
      if ((state.deposits.get(transfer.id) ?? state.withdrawals.get(transfer.id)) !== transfer)
        return
      if (step === 'processing' && transfer.status === 'pending') setStatus(transfer, 'processing')
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
    setStatus(transfer, outcome)
    const now = isoSeconds(clock.now())
    if (outcome === 'completed') {
      transfer.completed_at = now
      if (transfer.object === 'deposit') {
        transfer.received_at = now
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

  function newSource(investorId: string, type: 'plaid' | 'manual', details: BankDetails) {
    const base = newResource('fs', 'funding_source', clock, details.metadata)
    // Not `...base`: see the investor's literal (a slow store per property after a spread on Node 20).
    const source: FundingSource = {
      id: base.id,
      object: base.object,
      created: base.created,
      livemode: base.livemode,
      metadata: base.metadata,
      bank_name: null,
      mask: null,
      provider_id: null,
      account_name: null,
      account_type: null,
      account_subtype: null,
      account_holder_name: null,
      account_number: null,
      routing_number: null,
      swift_code: null,
      iban: null,
      wire_routing_kind: null,
      bank_code: null,
      beneficiary_address: null,
      address_line_1: null,
      payout_country: null,
      payout_currency: null,
      payout_city: null,
      payout_region: null,
      payout_postal_code: null,
      wire_payout_complete: false,
      updated_at: isoSeconds(clock.now()),
      type,
      investor_id: investorId,
    }
    applyDetails(source, details)
    state.fundingSources.set(source.id, source)
    return source
  }

  /** Writes bank details over a source; the account number is kept masked, as Bluum shows it. */
  function applyDetails(source: FundingSource, details: BankDetails): void {
    if (details.bank_name !== undefined) source.bank_name = details.bank_name
    if (details.account_holder_name !== undefined)
      source.account_holder_name = details.account_holder_name
    if (details.bank_account_type !== undefined) {
      source.account_type = 'depository'
      source.account_subtype = details.bank_account_type.toLowerCase()
    }
    if (details.account_number !== undefined) {
      source.mask = last4(details.account_number)
      source.account_number = `****${last4(details.account_number)}`
    }
    if (details.routing_number !== undefined) source.routing_number = details.routing_number
    if (details.swift_code !== undefined) {
      source.swift_code = details.swift_code
      source.wire_routing_kind = 'swift'
    }
    if (details.beneficiary_address !== undefined)
      source.beneficiary_address = details.beneficiary_address
    if (details.bank_code !== undefined) source.bank_code = details.bank_code
    if (details.country !== undefined) source.payout_country = details.country
    if (details.address_line_1 !== undefined) source.address_line_1 = details.address_line_1
    if (details.city !== undefined) source.payout_city = details.city
    if (details.currency !== undefined) source.payout_currency = details.currency
    if (details.metadata !== undefined)
      source.metadata = { ...source.metadata, ...details.metadata }
    source.wire_payout_complete = Boolean(
      source.swift_code && source.beneficiary_address && source.payout_country,
    )
    source.updated_at = isoSeconds(clock.now())
  }

  const addFundingSource = (investorId: string, input: BankDetails) => {
    findOrThrow(state.investors, investorId, 'investor', 'investor_id')
    return newSource(investorId, 'manual', { bank_account_type: 'CHECKING', ...input })
  }

  return {
    deposit: (investorId, input) => create('deposit', investorId, input),
    withdraw: (investorId, input) => create('withdrawal', investorId, input),
    get,
    list(kind, investorId, filter = {}) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      const { date_from: from, date_to: to } = filter
      if (from !== undefined && to !== undefined && from > to)
        throw withParam(new InvalidDateRangeError(from, to), 'date_from')
      const statuses = filter.status === undefined ? undefined : filterStatus[filter.status]
      const currency = filter.currency?.toUpperCase()
      return [...mapOf(kind).values()]
        .filter((t) => {
          const day = t.initiated_at.slice(0, 10)
          return (
            t.investor_id === investorId &&
            (filter.method === undefined || t.method === filter.method) &&
            (statuses === undefined || statuses.includes(t.status)) &&
            (currency === undefined || t.currency === currency) &&
            (from === undefined || day >= from) &&
            (to === undefined || day <= to)
          )
        })
        .reverse()
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
      setStatus(transfer, 'cancelled')
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
    linkToken(investorId, hosted) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      const token = `link-sandbox-${randomBytes(12).toString('hex')}`
      return {
        link_token: token,
        hosted_link_url: hosted ? `https://hosted.plaid.com/link/${token}` : null,
      }
    },
    connect(investorId, input) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      if (input.type === 'manual') {
        for (const field of ['bank_name', 'account_holder_name', 'account_number'] as const)
          if (input[field] === undefined) throw withParam(new MissingFieldError(field), field)
        const { type: _type, public_token: _token, ...details } = input
        return newSource(investorId, 'manual', details)
      }
      const token = input.public_token
      if (token === undefined)
        throw withParam(new MissingFieldError('public_token'), 'public_token')
      if (!token.startsWith(sandboxPublicTokenPrefix) || state.usedPublicTokens.has(token))
        throw withParam(
          new ValidationError(
            `Invalid value for 'public_token': ${state.usedPublicTokens.has(token) ? 'this public_token was already exchanged (it is single use)' : `the sandbox exchanges Plaid sandbox tokens, which start with "${sandboxPublicTokenPrefix}"`}.`,
          ),
          'public_token',
        )
      state.usedPublicTokens.add(token)
      const source = newSource(investorId, 'plaid', {
        bank_name: 'Plaid Sandbox Bank',
        account_holder_name: state.investors.get(investorId)!.first_name,
        bank_account_type: 'CHECKING',
        account_number: '0000',
        routing_number: '011401533',
        ...(input.metadata ? { metadata: input.metadata } : {}),
      })
      source.account_name = 'Plaid Checking'
      source.provider_id = `item-sandbox-${token.slice(sandboxPublicTokenPrefix.length, sandboxPublicTokenPrefix.length + 12)}`
      return [source]
    },
    addFundingSource,
    updateFundingSource(investorId, id, changes) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      const source = state.fundingSources.get(id)
      if (!source || source.investor_id !== investorId)
        throw withParam(new NotFoundError('funding source', id), 'id')
      applyDetails(source, changes)
      return source
    },
    disconnectFundingSource(investorId, id) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      const source = state.fundingSources.get(id)
      if (!source || source.investor_id !== investorId)
        throw withParam(new NotFoundError('funding source', id), 'id')
      state.fundingSources.delete(id)
    },
    listFundingSources(investorId, type) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      return [...state.fundingSources.values()]
        .filter((s) => s.investor_id === investorId && (type === undefined || s.type === type))
        .reverse()
    },
    getFundingSource: (investorId, id) => {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      return getFundingSource(investorId, id)
    },
  }
}
