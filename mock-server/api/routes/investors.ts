/** Investor routes: the investor, its trusted contact, wallets, compliance workflow and API keys. */
import { implement, json, list, type RouteDefinition } from '../route.js'
import { investorOperations as ops } from '../../contract/investors.js'
import type { Sandbox } from '../../sandbox.js'

export function investorRoutes({ investors, compliance, apiKeys }: Sandbox): RouteDefinition[] {
  return [
    implement(ops.createInvestor, (req) => json(201, investors.create(req.body))),
    implement(ops.listInvestors, (req) => list(req.url, investors.list(), req.query)),
    implement(ops.getInvestor, (req) => json(200, investors.resource(req.params.investor_id))),
    implement(ops.setTrustedContact, (req) => {
      const investor = investors.setTrustedContact(req.params.investor_id, req.body)
      return json(200, {
        object: 'trusted_contact',
        livemode: false,
        investor_id: investor.id,
        ...investor.trusted_contact,
      })
    }),
    implement(ops.listWallets, (req) =>
      list(req.url, [investors.wallet(req.params.investor_id)], req.query),
    ),
    implement(ops.getComplianceStatus, (req) => {
      investors.get(req.params.investor_id)
      return json(200, compliance.status(req.params.investor_id))
    }),
    implement(ops.getComplianceWorkflow, (req) => {
      investors.get(req.params.investor_id)
      return json(200, compliance.workflow(req.params.investor_id, req.params.workflow_id))
    }),
    implement(ops.submitComplianceCheck, (req) => {
      investors.get(req.params.investor_id)
      const { result, decision } = compliance.submit(req.params.investor_id, req.body)
      if (decision) investors.decideKyc(req.params.investor_id, decision)
      return json(200, result)
    }),
    implement(ops.createInvestorApiKey, (req) =>
      json(201, apiKeys.create(req.params.investor_id, req.body)),
    ),
    implement(ops.listInvestorApiKeys, (req) =>
      list(req.url, apiKeys.list(req.params.investor_id), req.query),
    ),
    implement(ops.revokeInvestorApiKey, (req) =>
      json(200, apiKeys.revoke(req.params.investor_id, req.params.api_key_id)),
    ),
  ]
}
