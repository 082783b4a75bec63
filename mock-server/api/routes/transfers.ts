/**
 * Deposit and withdrawal routes (both require an Idempotency-Key), their cancellation, and the
 * funding sources a withdrawal must name.
 */
import { defineRoute, json, list, type RouteDefinition } from '../route.js'
import type { Sandbox } from '../../sandbox.js'
import {
  CreateFundingSourceBody,
  DepositBody,
  DepositSchema,
  FundingSourceListQuery,
  FundingSourceSchema,
  ListOf,
  ListQuery,
  WithdrawalBody,
  WithdrawalSchema,
} from '../schemas.js'
import type { TransferKind } from '../../engines/transfers.js'

const tag = 'Transfers'

export function transferRoutes({ transfers }: Sandbox): RouteDefinition[] {
  const routesFor = (kind: TransferKind, plural: 'deposits' | 'withdrawals') => {
    const schema = kind === 'deposit' ? DepositSchema : WithdrawalSchema
    const Kind = kind === 'deposit' ? 'Deposit' : 'Withdrawal'
    return [
      defineRoute({
        method: 'POST',
        path: `/investors/:investor_id/${plural}`,
        operationId: `create${Kind}`,
        summary: `Create a ${kind}`,
        tag,
        access: 'investor',
        idempotency: 'required',
        successStatus: 201,
        schema: { body: kind === 'deposit' ? DepositBody : WithdrawalBody, response: schema },
        handler: (req) => {
          const id = (req.params as { investor_id: string }).investor_id
          return json(
            201,
            kind === 'deposit' ? transfers.deposit(id, req.body) : transfers.withdraw(id, req.body),
          )
        },
      }),
      defineRoute({
        method: 'GET',
        path: `/investors/:investor_id/${plural}`,
        operationId: `list${Kind}s`,
        summary: `List ${plural}`,
        tag,
        access: 'investor',
        schema: { query: ListQuery, response: ListOf(schema) },
        handler: (req) =>
          list(
            req.url,
            transfers.list(kind, (req.params as { investor_id: string }).investor_id),
            req.query,
          ),
      }),
      defineRoute({
        method: 'GET',
        path: `/investors/:investor_id/${plural}/:transfer_id`,
        operationId: `get${Kind}`,
        summary: `Retrieve a ${kind}`,
        tag,
        access: 'investor',
        schema: { response: schema },
        handler: (req) => {
          const params = req.params as { investor_id: string; transfer_id: string }
          return json(200, transfers.get(kind, params.investor_id, params.transfer_id))
        },
      }),
      defineRoute({
        method: 'POST',
        path: `/investors/:investor_id/${plural}/:transfer_id/cancel`,
        operationId: `cancel${Kind}`,
        summary: `Cancel a pending ${kind} (409 BLUM-409-003 once it is processing or settled)`,
        tag,
        access: 'investor',
        schema: { response: schema },
        handler: (req) => {
          const params = req.params as { investor_id: string; transfer_id: string }
          return json(200, transfers.cancel(kind, params.investor_id, params.transfer_id))
        },
      }),
    ]
  }
  return [
    ...routesFor('deposit', 'deposits'),
    ...routesFor('withdrawal', 'withdrawals'),
    defineRoute({
      method: 'POST',
      path: '/investors/:investor_id/funding-sources',
      operationId: 'createFundingSource',
      summary: 'Link a manual bank account (Plaid links are not emulated)',
      tag: 'Funding sources',
      access: 'investor',
      successStatus: 201,
      schema: { body: CreateFundingSourceBody, response: FundingSourceSchema },
      handler: (req) => json(201, transfers.addFundingSource(req.params.investor_id, req.body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/investors/:investor_id/funding-sources',
      operationId: 'listFundingSources',
      summary: 'List funding sources (filter: type)',
      tag: 'Funding sources',
      access: 'investor',
      schema: { query: FundingSourceListQuery, response: ListOf(FundingSourceSchema) },
      handler: (req) => {
        const all = transfers.listFundingSources(req.params.investor_id)
        const type = req.query.type
        return list(
          req.url,
          type === undefined || type === 'all' ? all : all.filter((s) => s.type === type),
          req.query,
        )
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/investors/:investor_id/funding-sources/:funding_source_id',
      operationId: 'getFundingSource',
      summary: 'Retrieve a funding source',
      tag: 'Funding sources',
      access: 'investor',
      schema: { response: FundingSourceSchema },
      handler: (req) =>
        json(200, transfers.getFundingSource(req.params.investor_id, req.params.funding_source_id)),
    }),
  ]
}
