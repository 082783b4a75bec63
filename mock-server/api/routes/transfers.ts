/**
 * Funding sources (Plaid or manual bank accounts) and the deposits and withdrawals that move money
 * through them; both transfers require an Idempotency-Key.
 */
import { implement, json, list, type RouteDefinition } from '../route.js'
import { fundingOperations as funding, transferOperations as ops } from '../../contract/funding.js'
import type { TransferKind } from '../../engines/transfers.js'
import type { Sandbox } from '../../sandbox.js'

export function transferRoutes({ transfers }: Sandbox): RouteDefinition[] {
  const filterOf = (query: Record<string, unknown>) => {
    const { limit: _limit, offset: _offset, ...filter } = query
    return filter as Parameters<typeof transfers.list>[2]
  }
  const listOf =
    (kind: TransferKind) =>
    (req: { url: string; params: { investor_id: string }; query: Record<string, unknown> }) =>
      list(req.url, transfers.list(kind, req.params.investor_id, filterOf(req.query)), req.query)
  return [
    implement(funding.createPlaidLinkToken, (req) =>
      json(200, transfers.linkToken(req.params.investor_id, req.body.enable_hosted_link === true)),
    ),
    implement(funding.connectFundingSource, (req) => {
      const connected = transfers.connect(req.params.investor_id, req.body)
      if (!Array.isArray(connected)) return json(201, connected)
      return json(201, { object: 'list', url: req.url, has_more: false, data: connected })
    }),
    implement(funding.listFundingSources, (req) => {
      const type = req.query.type === 'all' ? undefined : req.query.type
      return list(req.url, transfers.listFundingSources(req.params.investor_id, type), req.query)
    }),
    implement(funding.updateFundingSource, (req) =>
      json(200, transfers.updateFundingSource(req.params.investor_id, req.params.id, req.body)),
    ),
    implement(funding.disconnectFundingSource, (req) => {
      transfers.disconnectFundingSource(req.params.investor_id, req.params.id)
      return json(200, { status: 'success', message: 'Funding source disconnected successfully' })
    }),
    implement(ops.createDeposit, (req) =>
      json(201, transfers.deposit(req.params.investor_id, req.body)),
    ),
    implement(ops.listDeposits, listOf('deposit')),
    implement(ops.getDeposit, (req) =>
      json(200, transfers.get('deposit', req.params.investor_id, req.params.deposit_id)),
    ),
    implement(ops.cancelDeposit, (req) =>
      json(200, transfers.cancel('deposit', req.params.investor_id, req.params.deposit_id)),
    ),
    implement(ops.createWithdrawal, (req) =>
      json(201, transfers.withdraw(req.params.investor_id, req.body)),
    ),
    implement(ops.listWithdrawals, listOf('withdrawal')),
    implement(ops.getWithdrawal, (req) =>
      json(200, transfers.get('withdrawal', req.params.investor_id, req.params.withdrawal_id)),
    ),
    implement(ops.cancelWithdrawal, (req) =>
      json(200, transfers.cancel('withdrawal', req.params.investor_id, req.params.withdrawal_id)),
    ),
  ]
}
