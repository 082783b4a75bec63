/**
 * The event catalog of the contract: each event's `data` schema (the plugin's catalog, derived
 * from the documented resources) and the documented request that causes it in the sandbox. Where
 * Bluum documents no way to cause an event (a failed deposit, a rejected document, a partial fill),
 * the cause is a documented request carrying a magic value, named here and in
 * `docs/sandbox-fidelity.md`, as Stripe's test card numbers are.
 */
import type { TObject } from '@sinclair/typebox'
import { bluumEventCatalog, type BluumEventName } from '../../plugin/catalog.js'
import {
  ComplianceSchema,
  DepositSchema,
  DocumentSchema,
  InvestorSchema,
  OrderSchema,
  WithdrawalSchema,
} from '../../plugin/bluum-resources.js'

/** How a documented request produces an event. */
export interface EventCause {
  /** The operation whose request causes it. */
  operationId: string
  /** What the request does, in a sentence. */
  how: string
  /** The sandbox's magic value in that request, when Bluum documents no way to cause the event. */
  magic?: string
}

/** The sandbox's magic values, as one table (docs and conformance read it). */
export const magicValues = Object.freeze({
  failingAmountCents: 13,
  partialFillClientOrderId: 'sandbox_partial_fill',
  rejectionMetadataKey: 'sandbox_rejection_reason',
  plaidPublicTokenPrefix: 'public-sandbox-',
} as const)

export const eventCauses: Readonly<Record<BluumEventName, readonly EventCause[]>> = {
  'account.created': [{ operationId: 'createInvestor', how: 'creating an investor' }],
  'account.updated': [
    {
      operationId: 'createInvestor',
      how: 'the sandbox approving KYC right after creation (status onboarding → active)',
    },
    { operationId: 'setTrustedContact', how: 'setting the trusted contact' },
  ],
  'kyc.verification.approved': [
    { operationId: 'createInvestor', how: 'the sandbox approving KYC at creation' },
    {
      operationId: 'submitComplianceCheck',
      how: 'an identity check whose provider payload says approved (document KYC mode)',
    },
  ],
  'kyc.verification.rejected': [
    {
      operationId: 'submitComplianceCheck',
      how: 'an identity check whose provider payload says declined',
      magic: 'provider_payload.status "declined" (or "failed")',
    },
  ],
  'order.accepted': [{ operationId: 'placeOrder', how: 'any order the buying power covers' }],
  'order.filled': [{ operationId: 'placeOrder', how: 'a market order, filled at once' }],
  'order.partially_filled': [
    {
      operationId: 'placeOrder',
      how: 'a market order filled in two halves',
      magic: `client_order_id "${magicValues.partialFillClientOrderId}"`,
    },
  ],
  'order.canceled': [
    { operationId: 'cancelOrder', how: 'cancelling a limit order that rests away from the price' },
  ],
  'order.rejected': [
    { operationId: 'placeOrder', how: 'a buy that costs more than the buying power' },
  ],
  'transfer.deposit.initiated': [{ operationId: 'createDeposit', how: 'any deposit' }],
  'transfer.deposit.completed': [
    { operationId: 'createDeposit', how: 'an ACH, wire or card deposit, seconds later' },
  ],
  'transfer.deposit.failed': [
    {
      operationId: 'createDeposit',
      how: 'an ACH, wire or card deposit that fails where it would complete',
      magic: `an amount ending in .${magicValues.failingAmountCents}`,
    },
  ],
  'transfer.withdrawal.initiated': [{ operationId: 'createWithdrawal', how: 'any withdrawal' }],
  'transfer.withdrawal.completed': [
    { operationId: 'createWithdrawal', how: 'an ACH or wire withdrawal, seconds later' },
  ],
  'transfer.withdrawal.failed': [
    {
      operationId: 'createWithdrawal',
      how: 'an ACH or wire withdrawal that fails where it would complete',
      magic: `an amount ending in .${magicValues.failingAmountCents}`,
    },
  ],
  'document.approved': [{ operationId: 'uploadDocument', how: 'any upload (auto-approved)' }],
  'document.rejected': [
    {
      operationId: 'uploadDocument',
      how: 'an upload the sandbox rejects with the given reason',
      magic: `metadata {"${magicValues.rejectionMetadataKey}": "<reason>"}`,
    },
  ],
}

/** The documented resource each event's `data` is a snapshot of (its exact shape). */
export function eventResource(name: BluumEventName): TObject {
  if (name.startsWith('account.')) return InvestorSchema
  if (name.startsWith('order.')) return OrderSchema
  if (name.startsWith('transfer.deposit.')) return DepositSchema
  if (name.startsWith('transfer.withdrawal.')) return WithdrawalSchema
  if (name.startsWith('document.')) return DocumentSchema
  return ComplianceSchema
}

export { bluumEventCatalog }
