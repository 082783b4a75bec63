/** Investor routes (G3). */
import { Type } from '@sinclair/typebox'
import { defineRoute, json, list, type RouteDefinition } from '../route.js'
import type { Sandbox } from '../../sandbox.js'
import { CreateInvestorBody, InvestorSchema, ListOf, ListQuery } from '../schemas.js'

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
