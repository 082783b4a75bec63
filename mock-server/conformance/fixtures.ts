/**
 * What the suite's requests act on, created through the documented API itself: an investor with a
 * funding source and cash, a resting order, a position, pending transfers, a document, an API key,
 * a webhook. Each helper makes a fresh one, so a scenario that cancels, revokes or deletes never
 * takes another's resource. Only the clock (`POST /sandbox/clock/advance`, time passing) is a
 * sandbox control here.
 */
import { sampleFundingSourceRequest, sampleInvestorRequest } from '../core/sample-requests.js'
import { SandboxCliApiError } from '../core/errors.js'
import type { RawAnswer, SuiteClient, SuiteRequest } from './http.js'

/** The suite's loopback receiver URL: events of the suite's webhooks go nowhere. */
export const quietWebhookUrl = 'http://127.0.0.1:9/conformance'

export interface Fixtures {
  /** Sends a request that must succeed; a failure stops the suite with the answer's code. */
  expectOk(request: SuiteRequest): Promise<any>
  /** A unique suffix for e-mails and client ids. */
  unique(): string
  investor(): Promise<string>
  /** An investor with a manual funding source and `cash` deposited (a settled wire). */
  funded(cash?: string): Promise<{ investorId: string; fundingSourceId: string }>
  fundingSource(investorId: string): Promise<string>
  restingOrder(investorId: string, legacy?: boolean): Promise<string>
  position(investorId: string): Promise<string>
  pendingDeposit(investorId: string): Promise<string>
  pendingWithdrawal(investorId: string, fundingSourceId: string): Promise<string>
  document(investorId: string): Promise<string>
  workflow(investorId: string): Promise<string>
  apiKey(investorId: string): Promise<string>
  webhook(): Promise<string>
  /** Lets sandbox time pass (ACH and wire settle in 3 s). */
  advance(duration: string): Promise<void>
}

/** Creates the fixtures over `client`. */
export function createFixtures(client: SuiteClient): Fixtures {
  let counter = 0
  const run = Date.now().toString(36)
  const unique = () => `${run}${(counter += 1)}`
  async function expectOk(request: SuiteRequest): Promise<any> {
    const answer: RawAnswer = await client.send(request)
    if (answer.status >= 200 && answer.status < 300) return answer.body
    const error = answer.body?.error ?? {}
    throw new SandboxCliApiError(
      `${request.method} ${client.base}${request.path}`,
      answer.status,
      String(error.code ?? `HTTP ${answer.status}`),
      String(error.message ?? JSON.stringify(answer.body)).slice(0, 300),
    )
  }
  const fixtures: Fixtures = {
    expectOk,
    unique,
    async investor() {
      const body = sampleInvestorRequest({ email: `conformance+${unique()}@example.com` })
      return (await expectOk({ method: 'POST', path: '/investors', json: body })).id
    },
    async fundingSource(investorId) {
      const answer = await expectOk({
        method: 'POST',
        path: `/investors/${investorId}/funding-sources/connect`,
        json: sampleFundingSourceRequest(),
      })
      return answer.id
    },
    async funded(cash = '100000.00') {
      const investorId = await fixtures.investor()
      const fundingSourceId = await fixtures.fundingSource(investorId)
      await expectOk({
        method: 'POST',
        path: `/investors/${investorId}/deposits`,
        json: { amount: cash, method: 'wire', description: 'conformance funding' },
      })
      await fixtures.advance('3s')
      return { investorId, fundingSourceId }
    },
    async restingOrder(investorId, legacy = false) {
      const order = {
        symbol: 'AAPL',
        side: 'buy',
        type: 'limit',
        time_in_force: 'gtc',
        limit_price: '1.00',
        ...(legacy ? { qty: '1' } : { quantity: '1' }),
      }
      const path = legacy
        ? `/trading/accounts/${investorId}/orders`
        : `/investors/${investorId}/orders`
      return (await expectOk({ method: 'POST', path, json: order })).id
    },
    async position(investorId) {
      await expectOk({
        method: 'POST',
        path: `/investors/${investorId}/orders`,
        json: { symbol: 'AAPL', side: 'buy', type: 'market', time_in_force: 'day', quantity: '1' },
      })
      const listed = await expectOk({ method: 'GET', path: `/investors/${investorId}/positions` })
      return listed.data[0].id
    },
    async pendingDeposit(investorId) {
      const answer = await expectOk({
        method: 'POST',
        path: `/investors/${investorId}/deposits`,
        json: { amount: '10.00', method: 'manual_bank_transfer' },
      })
      return answer.id
    },
    async pendingWithdrawal(investorId, fundingSourceId) {
      const answer = await expectOk({
        method: 'POST',
        path: `/investors/${investorId}/withdrawals`,
        json: {
          amount: '10.00',
          method: 'manual_bank_transfer',
          funding_source_id: fundingSourceId,
        },
      })
      return answer.id
    },
    async document(investorId) {
      const answer = await expectOk({
        method: 'POST',
        path: '/documents',
        form: {
          document: { file: true },
          document_type: 'passport',
          purpose: 'KYC',
          investor_id: investorId,
        },
      })
      return answer.document_id
    },
    async workflow(investorId) {
      return (await expectOk({ method: 'GET', path: `/investors/${investorId}/compliance` })).id
    },
    async apiKey(investorId) {
      const answer = await expectOk({
        method: 'POST',
        path: `/investors/${investorId}/api-keys`,
        json: { name: `conformance ${unique()}` },
      })
      return answer.id
    },
    async webhook() {
      const answer = await expectOk({
        method: 'POST',
        path: '/webhooks',
        json: { url: quietWebhookUrl, eventTypeNames: ['order.filled'] },
      })
      return answer.id
    },
    async advance(duration) {
      await expectOk({ method: 'POST', path: '/sandbox/clock/advance', json: { duration } })
    },
  }
  return fixtures
}
