/** Deposit and withdrawal routes; both require an Idempotency-Key. */
import { defineRoute, json, list, type RouteDefinition } from '../route.js'
import type { Sandbox } from '../../sandbox.js'
import { DepositSchema, ListOf, ListQuery, TransferBody, WithdrawalSchema } from '../schemas.js'
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
        schema: { body: TransferBody, response: schema },
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
    ]
  }
  return [...routesFor('deposit', 'deposits'), ...routesFor('withdrawal', 'withdrawals')]
}
