/**
 * The conformance suite: walks the contract and checks, over HTTP, what a Bluum-compatible API
 * answers against what Bluum documents.
 *
 * - `full` (the sandbox): every documented operation with its scenarios (`scenarios.ts`), then
 *   every documented event caused by its documented request (`eventCauses`), its `data` checked
 *   against the documented resource. An operation is *emulated* when its valid request is routed
 *   (not a 404 `BLUM-404-002`), *faithful* when every scenario got the documented status, code
 *   and shape. An event is *emulated* when its documented request emitted it, *faithful* when its
 *   data has the documented shape.
 * - `drift` (any base URL, a real Bluum sandbox account included): a safe, read-mostly subset —
 *   reads, and writes Bluum refuses before storing anything — whose every difference in status,
 *   code or shape is reported, so a test suite learns the day Bluum's answers move.
 */
import type { TSchema } from '@sinclair/typebox'
import { bluumEventNames, type BluumEventName } from '../../plugin/catalog.js'
import { documentedOperations, eventCauses, eventResource, magicValues } from '../contract/index.js'
import { exampleInvestorBody } from '../contract/investors.js'
import type { OperationSpec } from '../contract/operation.js'
import { createFixtures, quietWebhookUrl, type Fixtures } from './fixtures.js'
import type { RawAnswer, SuiteClient } from './http.js'
import { scenariosFor, type Expectation } from './scenarios.js'
import { shapeDifferences } from './shape.js'

/** One check that did not get what the contract says. */
export interface Difference {
  /** `operationId`, `event order.filled`, or the drift check's name. */
  subject: string
  /** The request, e.g. `POST /v1/investors (missing first_name)`. */
  request: string
  /** What differs, one sentence each. */
  details: string[]
}

export interface ConformanceReport {
  mode: 'full' | 'drift'
  base: string
  operations: { documented: number; emulated: number; faithful: number }
  events: { documented: number; emulated: number; faithful: number }
  /** Requests sent. */
  requests: number
  differences: Difference[]
}

const warningHeader = 'bluum-sandbox-warning'

/** What differs between `answer` and `expect` (status, code, param, warning, shape). */
function compare(answer: RawAnswer, expect: Expectation, response?: TSchema): string[] {
  const out: string[] = []
  const error = answer.body?.error as { code?: string; param?: string } | undefined
  if (answer.status !== expect.status)
    out.push(
      `status ${answer.status}${error?.code ? ` ${error.code}` : ''}, documented ${expect.status}${expect.code ? ` ${expect.code}` : ''}`,
    )
  else if (expect.code && error?.code !== expect.code)
    out.push(`code ${error?.code ?? '(none)'}, documented ${expect.code}`)
  if (expect.param && answer.status === expect.status && error?.param !== expect.param)
    out.push(`param ${error?.param ?? '(none)'}, expected ${expect.param}`)
  if (expect.warns) {
    const warning = answer.headers.get(warningHeader) ?? ''
    if (!warning.includes(expect.warns))
      out.push(`no Bluum-Sandbox-Warning naming ${expect.warns} (got ${JSON.stringify(warning)})`)
  } else if (answer.status < 300 && answer.headers.get(warningHeader))
    out.push(`unexpected warning: ${answer.headers.get(warningHeader)}`)
  if (expect.shape && response && answer.status === expect.status)
    out.push(...shapeDifferences(response, answer.body))
  return out
}

interface Shared {
  investorId: string
  fundingSourceId: string
  orderId: string
  legacyOrderId: string
  positionId: string
  depositId: string
  withdrawalId: string
  documentId: string
  workflowId: string
  webhookId: string
}

async function createShared(fx: Fixtures): Promise<Shared> {
  const { investorId, fundingSourceId } = await fx.funded()
  return {
    investorId,
    fundingSourceId,
    orderId: await fx.restingOrder(investorId),
    legacyOrderId: await fx.restingOrder(investorId, true),
    positionId: await fx.position(investorId),
    depositId: await fx.pendingDeposit(investorId),
    withdrawalId: await fx.pendingWithdrawal(investorId, fundingSourceId),
    documentId: await fx.document(investorId),
    workflowId: await fx.workflow(investorId),
    webhookId: await fx.webhook(),
  }
}

/** Path parameters for one request; a cancel, revoke or delete gets a fresh resource. */
async function paramsFor(
  operation: OperationSpec,
  fx: Fixtures,
  shared: Shared,
): Promise<Record<string, string>> {
  const destructive = operation.method === 'DELETE' || /\/(cancel|revoke)$/.test(operation.path)
  const inv = shared.investorId
  const params: Record<string, string> = {}
  for (const [, name] of operation.path.matchAll(/:(\w+)/g)) {
    switch (name) {
      case 'investor_id':
      case 'account_id':
        params[name] = inv
        break
      case 'order_id':
        params[name] = destructive
          ? await fx.restingOrder(inv, operation.generation === 'G2')
          : operation.generation === 'G2'
            ? shared.legacyOrderId
            : shared.orderId
        break
      case 'deposit_id':
        params[name] = destructive ? await fx.pendingDeposit(inv) : shared.depositId
        break
      case 'withdrawal_id':
        params[name] = destructive
          ? await fx.pendingWithdrawal(inv, shared.fundingSourceId)
          : shared.withdrawalId
        break
      case 'position_id':
        params[name] = shared.positionId
        break
      case 'document_id':
        params[name] = shared.documentId
        break
      case 'workflow_id':
        params[name] = shared.workflowId
        break
      case 'api_key_id':
        params[name] = await fx.apiKey(inv)
        break
      case 'id':
        params[name] = destructive ? await fx.fundingSource(inv) : shared.fundingSourceId
        break
      case 'webhook_id':
        params[name] = destructive ? await fx.webhook() : shared.webhookId
        break
      default:
        throw new TypeError(`conformance: no fixture for path parameter '${name}'`)
    }
  }
  return params
}

/** `example` with this run's ids (funding source, workflow, owner, e-mail, URL). */
function withRunIds(
  operation: OperationSpec,
  example: Record<string, unknown> | undefined,
  fx: Fixtures,
  shared: Shared,
): Record<string, unknown> | undefined {
  if (!operation.body) return undefined
  const body: Record<string, unknown> = structuredClone(example ?? {})
  if ('funding_source_id' in body) body.funding_source_id = shared.fundingSourceId
  if ('workflow_id' in body) body.workflow_id = shared.workflowId
  if (operation.operationId === 'createInvestor')
    body.email = `conformance+${fx.unique()}@example.com`
  if (operation.operationId === 'createWebhook' || operation.operationId === 'updateWebhook')
    body.url = quietWebhookUrl
  if (operation.bodyType === 'multipart') {
    body.document = { file: true }
    body.investor_id = shared.investorId
  }
  return body
}

const fill = (path: string, params: Record<string, string>) =>
  path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name]!))

async function checkOperations(
  client: SuiteClient,
  fx: Fixtures,
  report: ConformanceReport,
): Promise<void> {
  const shared = await createShared(fx)
  for (const operation of documentedOperations) {
    let emulated = true
    let faithful = true
    const query = operation.example?.query ?? {}
    const scenarios = [
      ...scenariosFor(operation, withRunIds(operation, operation.example?.body, fx, shared), query),
      // Bluum's own example bodies, as its pages show them: accepted, without a warning.
      ...(operation.bluumExamples ?? []).map((example) => ({
        name: `Bluum's example, ${example.source.replace(/^https:\/\/docs\.bluumfinance\.com/, '')}`,
        body: withRunIds(operation, example.body, fx, shared),
        query: {},
        expect: { status: operation.successStatus, shape: operation.response !== undefined },
      })),
    ]
    for (const scenario of scenarios) {
      // Each scenario on fresh ids (an e-mail used once, a resource cancelled once).
      const body =
        scenario.body && operation.operationId === 'createInvestor' && 'email' in scenario.body
          ? { ...scenario.body, email: `conformance+${fx.unique()}@example.com` }
          : scenario.body
      const params = await paramsFor(operation, fx, shared)
      const search = new URLSearchParams(scenario.query ?? {}).toString()
      const path = fill(operation.path, params) + (search ? `?${search}` : '')
      const answer = await client.send({
        method: operation.method,
        path,
        ...(body === undefined
          ? {}
          : operation.bodyType === 'multipart'
            ? { form: toForm(body) }
            : { json: body }),
      })
      if (answer.status === 404 && answer.body?.error?.code === 'BLUM-404-002') emulated = false
      const details = compare(answer, scenario.expect, operation.response)
      if (details.length === 0) continue
      faithful = false
      report.differences.push({
        subject: operation.operationId,
        request: `${operation.method} /v1${operation.path} (${scenario.name})`,
        details,
      })
    }
    if (emulated) report.operations.emulated += 1
    if (emulated && faithful) report.operations.faithful += 1
  }
}

function toForm(body: Record<string, unknown>): Record<string, string | { file: true }> {
  const form: Record<string, string | { file: true }> = {}
  for (const [name, value] of Object.entries(body)) {
    if (value && typeof value === 'object' && 'file' in value) form[name] = { file: true }
    else form[name] = typeof value === 'string' ? value : JSON.stringify(value)
  }
  return form
}

/**
 * Every documented event from its documented request (magic values where Bluum documents no way
 * to cause it), attributed by what each request (and the seconds of sandbox time after it) emitted.
 */
async function checkEvents(
  client: SuiteClient,
  fx: Fixtures,
  report: ConformanceReport,
): Promise<void> {
  const emittedBy = new Map<string, { operationId: string; data: unknown }[]>()
  /** Runs one documented request, lets 3 s of sandbox time pass, and notes what it emitted. */
  const cause = async (operationId: string, run: () => Promise<unknown>) => {
    const before = (await fx.expectOk({ method: 'GET', path: '/sandbox/events' })).data.length
    await run()
    await fx.advance('3s')
    const events = (await fx.expectOk({ method: 'GET', path: '/sandbox/events' })).data as {
      event: string
      data: unknown
    }[]
    // Newest first: the ones this step added are at the front.
    for (const event of events.slice(0, events.length - before)) {
      const list = emittedBy.get(event.event) ?? []
      list.push({ operationId, data: event.data })
      emittedBy.set(event.event, list)
    }
  }
  const market = { symbol: 'AAPL', side: 'buy', type: 'market', time_in_force: 'day' }
  let investorId = ''
  await cause('createInvestor', async () => {
    investorId = await fx.investor()
  })
  await cause('setTrustedContact', () =>
    fx.expectOk({
      method: 'PUT',
      path: `/investors/${investorId}/trusted-contact`,
      json: {
        first_name: 'Mary',
        last_name: 'Doe',
        email: 'mary@example.com',
        phone: '+15555550199',
      },
    }),
  )
  const fundingSourceId = await fx.fundingSource(investorId)
  await cause('createDeposit', () =>
    fx.expectOk({
      method: 'POST',
      path: `/investors/${investorId}/deposits`,
      json: { amount: '10000.00', method: 'ach', funding_source_id: fundingSourceId },
    }),
  )
  await cause('createDeposit', () =>
    fx.expectOk({
      method: 'POST',
      path: `/investors/${investorId}/deposits`,
      json: { amount: `1.${magicValues.failingAmountCents}`, method: 'wire' },
    }),
  )
  await cause('placeOrder', () =>
    fx.expectOk({
      method: 'POST',
      path: `/investors/${investorId}/orders`,
      json: { ...market, quantity: '2' },
    }),
  )
  await cause('placeOrder', () =>
    fx.expectOk({
      method: 'POST',
      path: `/investors/${investorId}/orders`,
      json: { ...market, quantity: '2', client_order_id: magicValues.partialFillClientOrderId },
    }),
  )
  await cause('placeOrder', () =>
    fx.expectOk({
      method: 'POST',
      path: `/investors/${investorId}/orders`,
      json: { ...market, quantity: '100000' },
    }),
  )
  const resting = await fx.restingOrder(investorId)
  await cause('cancelOrder', () =>
    fx.expectOk({ method: 'POST', path: `/investors/${investorId}/orders/${resting}/cancel` }),
  )
  for (const amount of ['10.00', `10.${magicValues.failingAmountCents}`])
    await cause('createWithdrawal', () =>
      fx.expectOk({
        method: 'POST',
        path: `/investors/${investorId}/withdrawals`,
        json: { amount, method: 'ach', funding_source_id: fundingSourceId },
      }),
    )
  await cause('uploadDocument', () => fx.document(investorId))
  await cause('uploadDocument', () =>
    fx.expectOk({
      method: 'POST',
      path: '/documents',
      form: {
        document: { file: true },
        document_type: 'passport',
        investor_id: investorId,
        metadata: JSON.stringify({ [magicValues.rejectionMetadataKey]: 'Document is expired' }),
      },
    }),
  )
  const workflowId = await fx.workflow(investorId)
  await cause('submitComplianceCheck', () =>
    fx.expectOk({
      method: 'POST',
      path: `/investors/${investorId}/compliance/submit`,
      json: {
        workflow_id: workflowId,
        check_type: 'identity_verification',
        provider_payload: { status: 'declined' },
      },
    }),
  )
  for (const name of bluumEventNames) {
    const causes = eventCauses[name].map((c) => c.operationId)
    const emitted = (emittedBy.get(name) ?? []).filter((e) => causes.includes(e.operationId))
    const documented = !name.startsWith('kyc.verification.rejected')
    if (documented) report.events.documented += 1
    if (emitted.length === 0) {
      report.differences.push({
        subject: `event ${name}`,
        request: causes.join(' or '),
        details: ['not emitted by its documented request'],
      })
      continue
    }
    if (documented) report.events.emulated += 1
    const details = emitted.flatMap((e) =>
      shapeDifferences(eventResource(name as BluumEventName), e.data),
    )
    if (details.length === 0) {
      if (documented) report.events.faithful += 1
      continue
    }
    report.differences.push({
      subject: `event ${name}`,
      request: `data of ${name}`,
      details: [...new Set(details)],
    })
  }
}

/** The drift check's requests: reads, and writes refused before anything is stored. */
async function checkDrift(
  client: SuiteClient,
  report: ConformanceReport,
  credentials: { apiKey: string; apiSecret: string },
): Promise<void> {
  const byId = new Map(documentedOperations.map((o) => [o.operationId, o]))
  const check = async (
    name: string,
    request: { method: string; path: string; json?: unknown },
    expect: Expectation,
    response?: TSchema,
  ) => {
    const answer = await client.send(request)
    const details = compare(answer, expect, response)
    if (details.length)
      report.differences.push({
        subject: name,
        request: `${request.method} /v1${request.path}`,
        details,
      })
    return answer
  }
  const shapeOf = (id: string) => byId.get(id)?.response
  const ok = (id: string) => ({ status: byId.get(id)!.successStatus, shape: true })
  const investors = await check(
    'listInvestors',
    { method: 'GET', path: '/investors?limit=5' },
    ok('listInvestors'),
    shapeOf('listInvestors'),
  )
  await check(
    'listWebhooks',
    { method: 'GET', path: '/webhooks' },
    ok('listWebhooks'),
    shapeOf('listWebhooks'),
  )
  await check(
    'listWebhookEventTypes',
    { method: 'GET', path: '/webhooks/event-types' },
    ok('listWebhookEventTypes'),
    shapeOf('listWebhookEventTypes'),
  )
  await check(
    'listDocuments',
    { method: 'GET', path: '/documents?limit=5' },
    ok('listDocuments'),
    shapeOf('listDocuments'),
  )
  const investorId = investors.body?.data?.[0]?.id as string | undefined
  if (investorId) {
    const reads: [string, string][] = [
      ['getInvestor', ''],
      ['listWallets', '/wallets'],
      ['listOrders', '/orders?limit=5'],
      ['listPositions', '/positions'],
      ['listDeposits', '/deposits?limit=5'],
      ['listWithdrawals', '/withdrawals?limit=5'],
      ['listFundingSources', '/funding-sources'],
      ['getComplianceStatus', '/compliance'],
    ]
    for (const [id, suffix] of reads)
      await check(
        id,
        { method: 'GET', path: `/investors/${investorId}${suffix}` },
        ok(id),
        shapeOf(id),
      )
  }
  const error = (status: number, code: string, param?: string): Expectation => ({
    status,
    code,
    ...(param ? { param } : {}),
  })
  await check(
    'getInvestor (unknown id)',
    { method: 'GET', path: '/investors/inv_0conformance0drift0check00' },
    error(404, 'BLUM-404-001', 'investor_id'),
  )
  await check(
    'getInvestor (raw UUID)',
    { method: 'GET', path: '/investors/3d0b0e65-35d3-4dcd-8df7-10286ebb4b4b' },
    error(400, 'BLUM-400-003', 'investor_id'),
  )
  const { first_name: _first, ...withoutName } = exampleInvestorBody
  await check(
    'createInvestor (missing first_name)',
    { method: 'POST', path: '/investors', json: withoutName },
    error(400, 'BLUM-400-002', 'first_name'),
  )
  await check(
    'createInvestor (enum account_type)',
    {
      method: 'POST',
      path: '/investors',
      json: { ...exampleInvestorBody, account_type: 'not_a_documented_value' },
    },
    error(400, 'BLUM-400-004', 'account_type'),
  )
  await check(
    'createWebhook (missing url)',
    { method: 'POST', path: '/webhooks', json: { eventTypeNames: ['order.filled'] } },
    error(400, 'BLUM-400-002', 'url'),
  )
  await check(
    'unknown endpoint',
    { method: 'GET', path: '/conformance-no-such-endpoint' },
    error(404, 'BLUM-404-002'),
  )
  const wrong = await fetchWithCredentials(
    client.base,
    credentials.apiKey,
    `${credentials.apiSecret}x`,
  )
  if (wrong.status !== 401 || wrong.code !== 'BLUM-401-003')
    report.differences.push({
      subject: 'authentication (wrong secret)',
      request: 'GET /v1/webhooks',
      details: [`status ${wrong.status} ${wrong.code ?? ''}, documented 401 BLUM-401-003`.trim()],
    })
}

async function fetchWithCredentials(
  base: string,
  key: string,
  secret: string,
): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${base}/webhooks`, {
    headers: { authorization: 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64') },
  })
  const body = (await response.json().catch(() => ({}))) as { error?: { code?: string } }
  return { status: response.status, ...(body.error?.code ? { code: body.error.code } : {}) }
}

/**
 * Runs the suite against `client`. `full` needs the sandbox's controls (the clock, the event log);
 * `drift` needs nothing beyond the documented API and leaves no resource behind.
 */
export async function runConformance(
  client: SuiteClient,
  options: { mode: 'full' | 'drift'; apiKey: string; apiSecret: string },
): Promise<ConformanceReport> {
  const report: ConformanceReport = {
    mode: options.mode,
    base: client.base,
    operations: { documented: documentedOperations.length, emulated: 0, faithful: 0 },
    events: { documented: 0, emulated: 0, faithful: 0 },
    requests: 0,
    differences: [],
  }
  const fx = createFixtures(client)
  if (options.mode === 'full') {
    await checkOperations(client, fx, report)
    await checkEvents(client, fx, report)
  } else {
    report.operations.documented = 0
    await checkDrift(client, report, options)
  }
  report.requests = client.sent
  return report
}
