/**
 * Plausible `data` for any catalog event: the defaults of the sandbox's `trigger` control (like
 * `stripe trigger`), which then builds the resources behind it with the engines, and of the
 * testing kit's `buildEvent()`. Overrides are merged over the sample.
 *
 * The defaults are chosen so the engines can produce exactly that event: orders that must rest
 * (accepted, partially filled, cancelled) are limit orders, a rejected order is a market buy far
 * beyond a new investor's buying power (accepted, then rejected, as Bluum does; a sell of shares
 * not held is refused at request time with BLUM-422-004 and emits nothing), and an initiated
 * transfer is a manual bank transfer, which waits.
 */
import { isBluumEventName } from '../../plugin/catalog.js'
import { isoSeconds } from './event-bus.js'
import { createId } from './ids.js'
import { orderStatusOfEvent } from './order-events.js'

/** Sample `data` for `name` at sandbox time `nowMs`, with `overrides` merged on top. */
export function sampleEventData(
  name: string,
  nowMs: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const created = Math.floor(nowMs / 1000)
  const at = isoSeconds(nowMs)
  const base = { created, livemode: false, metadata: {} }
  const owner = overrides.investor_id ?? overrides.account_id
  const investorId = typeof owner === 'string' ? owner : createId('inv')
  if (!isBluumEventName(name)) return { id: createId('obj'), ...base, ...overrides }
  const [domain, second, third] = name.split('.') as [string, string, string?]
  let sample: Record<string, unknown>
  switch (domain) {
    case 'account':
      sample = {
        id: investorId,
        object: 'investor',
        first_name: 'Ada',
        last_name: 'Lovelace',
        // Unique, since the sandbox refuses a second investor with the same email.
        email: `ada+${investorId.slice(4, 12)}@example.com`,
        status: 'active',
        kyc_status: 'approved',
      }
      break
    case 'order': {
      const status = orderStatusOfEvent(name) ?? 'open'
      const filled = status === 'filled' ? '10' : status === 'partial' ? '5' : '0'
      const market = status === 'filled' || status === 'failed'
      const quantity = status === 'failed' ? '100000' : '10'
      sample = {
        id: createId('ord'),
        object: 'order',
        investor_id: investorId,
        symbol: 'AAPL',
        side: 'buy',
        type: market ? 'market' : 'limit',
        time_in_force: market ? 'day' : 'gtc',
        quantity,
        notional: null,
        limit_price: market ? null : '160.00',
        stop_price: null,
        status,
        filled_quantity: filled,
        remaining_quantity: String(Number(quantity) - Number(filled)),
        average_price: filled === '0' ? null : status === 'partial' ? '160.00' : '178.50',
        submitted_at: at,
        filled_at: status === 'filled' ? at : null,
        cancelled_at: status === 'cancelled' ? at : null,
        failure_reason: status === 'failed' ? 'insufficient_buying_power' : null,
        client_order_id: null,
      }
      break
    }
    case 'transfer': {
      const deposit = second === 'deposit'
      const status = third === 'completed' ? 'completed' : third === 'failed' ? 'failed' : 'pending'
      sample = {
        id: createId(deposit ? 'dep' : 'wd'),
        object: deposit ? 'deposit' : 'withdrawal',
        investor_id: investorId,
        amount: '1000.00',
        currency: 'USD',
        method: status === 'pending' ? 'manual_bank_transfer' : 'ach',
        status,
        funding_source_id: createId('fs'),
        failure_reason: status === 'failed' ? 'insufficient_funds_at_bank' : null,
        completed_at: status === 'completed' ? at : null,
      }
      break
    }
    case 'document': {
      const rejected = second === 'rejected'
      sample = {
        id: createId('doc'),
        object: 'document',
        investor_id: investorId,
        document_type: 'passport',
        purpose: 'identity_verification',
        status: rejected ? 'rejected' : 'approved',
        rejection_reason: rejected ? 'The document is unreadable or expired.' : null,
      }
      break
    }
    case 'kyc':
      sample = {
        id: createId('kyc'),
        object: 'compliance_workflow',
        investor_id: investorId,
        workflow: 'kyc',
        status: third === 'rejected' ? 'rejected' : 'approved',
        reason: third === 'rejected' ? 'identity_mismatch' : null,
      }
      break
    default:
      sample = { id: createId('obj') }
  }
  return { ...sample, ...base, ...overrides }
}
