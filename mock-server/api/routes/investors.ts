/** Investor routes (G3): the investor, its wallet and its positions. */
import { Type } from '@sinclair/typebox'
import { defineRoute, json, list, type RouteDefinition } from '../route.js'
import { NotFoundError, withParam } from '../../core/errors.js'
import type { Sandbox } from '../../sandbox.js'
import {
  CreateInvestorBody,
  InvestorSchema,
  ListOf,
  ListQuery,
  PositionSchema,
  UpdateInvestorBody,
  WalletSchema,
} from '../schemas.js'

const tag = 'Investors'

export function investorRoutes({ investors }: Sandbox): RouteDefinition[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/investors',
      operationId: 'createInvestor',
      summary: 'Create an investor (KYC approves at once in the sandbox)',
      tag,
      access: 'tenant',
      successStatus: 201,
      schema: { body: CreateInvestorBody, response: InvestorSchema },
      handler: (req) => json(201, investors.create(req.body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/investors',
      operationId: 'listInvestors',
      summary: 'List investors',
      tag,
      access: 'tenant',
      schema: { query: ListQuery, response: ListOf(InvestorSchema) },
      handler: (req) => list(req.url, investors.list(), req.query),
    }),
    defineRoute({
      method: 'GET',
      path: '/investors/:investor_id',
      operationId: 'getInvestor',
      summary: 'Retrieve an investor',
      tag,
      access: 'investor',
      schema: { response: InvestorSchema },
      handler: (req) => json(200, investors.get(req.params.investor_id)),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/investors/:investor_id',
      operationId: 'updateInvestor',
      summary: 'Update contact and profile fields (emits account.updated)',
      tag,
      access: 'investor',
      schema: { body: UpdateInvestorBody, response: InvestorSchema },
      handler: (req) => json(200, investors.update(req.params.investor_id, req.body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/investors/:investor_id/wallets',
      operationId: 'listWallets',
      summary: "List the investor's wallets (one USD wallet in the sandbox)",
      tag,
      access: 'investor',
      schema: { query: ListQuery, response: ListOf(WalletSchema) },
      handler: (req) => list(req.url, [investors.wallet(req.params.investor_id)], req.query),
    }),
    defineRoute({
      method: 'GET',
      path: '/investors/:investor_id/positions',
      operationId: 'listPositions',
      summary: 'List open positions, valued at the simulated price',
      tag,
      access: 'investor',
      schema: { query: ListQuery, response: ListOf(PositionSchema) },
      handler: (req) => list(req.url, investors.positions(req.params.investor_id), req.query),
    }),
    defineRoute({
      method: 'GET',
      path: '/investors/:investor_id/positions/:position_id',
      operationId: 'getPosition',
      summary: 'Retrieve one position',
      tag,
      access: 'investor',
      schema: { response: PositionSchema },
      handler: (req) => {
        const found = investors
          .positions(req.params.investor_id)
          .find((p) => p.id === req.params.position_id)
        if (!found)
          throw withParam(new NotFoundError('position', req.params.position_id), 'position_id')
        return json(200, found)
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/investors/:investor_id/balances',
      operationId: 'getInvestorBalances',
      summary: 'Cash, buying power and positions (sandbox extension)',
      tag,
      access: 'investor',
      schema: {
        response: Type.Object({
          cash: Type.String(),
          buying_power: Type.String(),
          positions: Type.Array(Type.Unknown()),
        }),
      },
      handler: (req) => json(200, investors.balances(req.params.investor_id)),
    }),
  ]
}
