/**
 * Every catalog event as the requests that cause it, the way the Stripe CLI's trigger fixtures
 * describe `stripe trigger`: a triggered `order.filled` is "create the investor, deposit what the
 * buy costs, place a market order". The trigger service (`../triggers.ts`) runs a plan's steps through
 * the engines the API runs (`../trigger-requests.ts`), silently, then emits the one event asked for.
 * Nothing here restates an engine's rules: whether an order fills, rests or is rejected, whether
 * an e-mail is taken or a funding source belongs to the investor, is the engines' answer, and a
 * plan only says which outcome its event stands for.
 *
 * A step names its request (Bluum's documented route, or a sandbox control under
 * `/v1/sandbox/`), says when it is needed and builds its body from the event's data and what
 * earlier steps made, each kept under the step's name (Stripe's `${customer:id}`).
 */
import type { BluumEventName } from '../../../plugin/catalog.js'
import { accountPlan } from './accounts.js'
import { documentPlan, kycPlan } from './documents.js'
import { orderPlan } from './orders.js'
import type { TriggerPlan } from './plan.js'
import { transferPlan } from './transfers.js'

export type {
  Misfire,
  TriggerPlan,
  TriggerReads,
  TriggerRequest,
  TriggerRun,
  TriggerStep,
  TriggerStepOptions,
} from './plan.js'

/** Every catalog event's plan. */
export const triggerPlans: Readonly<Record<BluumEventName, TriggerPlan>> = Object.freeze({
  'account.created': accountPlan(false),
  'account.updated': accountPlan(true),
  'order.accepted': orderPlan('order.accepted'),
  'order.partially_filled': orderPlan('order.partially_filled'),
  'order.filled': orderPlan('order.filled'),
  'order.canceled': orderPlan('order.canceled'),
  'order.rejected': orderPlan('order.rejected'),
  'transfer.deposit.initiated': transferPlan('deposit', 'initiated'),
  'transfer.deposit.completed': transferPlan('deposit', 'completed'),
  'transfer.deposit.failed': transferPlan('deposit', 'failed'),
  'transfer.withdrawal.initiated': transferPlan('withdrawal', 'initiated'),
  'transfer.withdrawal.completed': transferPlan('withdrawal', 'completed'),
  'transfer.withdrawal.failed': transferPlan('withdrawal', 'failed'),
  'document.approved': documentPlan(false),
  'document.rejected': documentPlan(true),
  'kyc.verification.approved': kycPlan(false),
  'kyc.verification.rejected': kycPlan(true),
})
