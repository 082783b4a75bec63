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
        status: 'active',
        account_type: 'individual',
        management_type: 'self_directed',
        currency: 'USD',
        first_name: 'Ada',
        last_name: 'Lovelace',
        // Unique, since the sandbox refuses a second investor with the same email.
        email: `ada+${investorId.slice(4, 12)}@example.com`,
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
        class: 'equity',
        currency: 'USD',
        side: 'buy',
        type: market ? 'market' : 'limit',
        time_in_force: market ? 'day' : 'gtc',
        quantity,
        notional: null,
        limit_price: market ? null : '160.00',
        stop_price: null,
        trail_percent: null,
        trail_price: null,
        extended_hours: false,
        client_order_id: null,
        status,
        filled_quantity: filled,
        remaining_quantity: String(Number(quantity) - Number(filled)),
        average_price: filled === '0' ? '0.00' : status === 'partial' ? '160.00' : '178.50',
        commission: '0.00',
        commission_type: 'notional',
        submitted_at: at,
        filled_at: status === 'filled' ? at : null,
        cancelled_at: status === 'cancelled' ? at : null,
        failure_reason: status === 'failed' ? 'insufficient_buying_power' : null,
        settlement_date: null,
        bond: null,
      }
      break
    }
    case 'transfer': {
      const deposit = second === 'deposit'
      const status = third === 'completed' ? 'completed' : third === 'failed' ? 'failed' : 'pending'
      sample = {
        id: createId(deposit ? 'dep' : 'wd'),
        object: deposit ? 'deposit' : 'withdrawal',
        method: status === 'pending' ? 'manual_bank_transfer' : 'ach',
        investor_id: investorId,
        wallet_id: `wlt_${investorId.slice(4)}`,
        funding_source_id: createId('fs'),
        amount: '1000.00',
        currency: 'USD',
        description: null,
        status,
        method_details: null,
        ...(deposit ? {} : { destination_details: null }),
        initiated_at: at,
        ...(deposit ? { received_at: status === 'completed' ? at : null } : {}),
        completed_at: status === 'completed' ? at : null,
        ...(deposit ? { expires_at: null } : {}),
        failure_reason: status === 'failed' ? 'insufficient_funds_at_bank' : null,
      }
      break
    }
    case 'document': {
      const rejected = second === 'rejected'
      // Documents carry no resource envelope: document_id is their id.
      return {
        document_id: createId('doc'),
        object: 'document',
        owner_type: 'investor',
        owner_id: investorId.slice(4),
        purpose: 'kyc',
        document_type: 'passport',
        file_name: 'passport.pdf',
        mime_type: 'application/pdf',
        file_size: 1024,
        status: rejected ? 'rejected' : 'accepted',
        rejection_reason: rejected ? 'The document is unreadable or expired.' : null,
        expires_at: null,
        uploaded_at: at,
        metadata: {},
        ...overrides,
      }
    }
    case 'kyc': {
      const rejected = third === 'rejected'
      return {
        id: createId('cw'),
        object: 'compliance_workflow',
        livemode: false,
        investor_id: investorId,
        workflow_status: rejected ? 'REJECTED' : 'APPROVED',
        workflow_type: 'kyc',
        risk_level: rejected ? 'high' : 'low',
        status: rejected ? 'declined' : 'approved',
        checks: [
          {
            type: 'identity_verification',
            status: rejected ? 'failed' : 'clear',
            completed_at: at,
          },
          { type: 'screening', status: 'clear', completed_at: at },
        ],
        created_at: at,
        updated_at: at,
        ...overrides,
      }
    }
    default:
      sample = { id: createId('obj') }
  }
  return { ...sample, ...base, ...overrides }
}
