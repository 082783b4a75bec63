/**
 * The seed flow of Bluum's webhook guide, against a running `bluum-sandbox`: an investor, a bank
 * account, an ACH deposit, a market order; then it waits for the sandbox's first attempt of
 * every delivery to your app and exits 0 when all were acknowledged, 1 (with every attempt)
 * otherwise. What github-workflow.yml's `sandbox-seed` job runs once your app and the sandbox
 * (`--forward-to` your app) are up.
 *
 * Run: `npx tsx examples/contract-test/seed-flow.ts` (in this repository:
 * `node --import=tsx --conditions=bluum-source examples/contract-test/seed-flow.ts`).
 * Environment: `BLUUM_BASE_URL` (default `http://127.0.0.1:4010/v1`), `BLUUM_API_KEY` and
 * `BLUUM_API_SECRET` (default the sandbox's `bluum_sandbox_key` / `bluum_sandbox_secret`).
 */
import { sampleFundingSourceRequest, sampleInvestorRequest } from 'fastify-bluum-webhooks/testing'

const base = (process.env.BLUUM_BASE_URL ?? 'http://127.0.0.1:4010/v1').replace(/\/$/, '')
const key = process.env.BLUUM_API_KEY || 'bluum_sandbox_key'
const secret = process.env.BLUUM_API_SECRET || 'bluum_sandbox_secret'
const authorization = 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64')
/** Polls for first attempts this many times, 250 ms apart (under the sandbox's 10 requests/s). */
const POLLS = 120

interface Attempt {
  attempt: number
  status_code: number | null
  error: string | null
}
interface Delivery {
  id: string
  event: string
  status: 'pending' | 'failing' | 'delivered' | 'parked' | 'cancelled'
  attempts: Attempt[]
}

async function api<T>(method: string, path: string, body?: unknown, idempotencyKey?: string) {
  const response = await fetch(base + path, {
    method,
    headers: {
      authorization,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const answer = (await response.json()) as T & { error?: { code: string; message: string } }
  if (!response.ok) {
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer.error)}`)
  }
  return answer
}

const say = (line: string) => process.stdout.write(line + '\n')
const complain = (line: string) => process.stderr.write(line + '\n')

const run = Date.now().toString(36)
const investor = await api<{ id: string }>(
  'POST',
  '/investors',
  sampleInvestorRequest({ email: `seed-${run}@example.com` }),
)
const bank = await api<{ id: string }>(
  'POST',
  `/investors/${investor.id}/funding-sources/connect`,
  sampleFundingSourceRequest(),
)
const deposit = await api<{ id: string }>(
  'POST',
  `/investors/${investor.id}/deposits`,
  { amount: '5000.00', currency: 'USD', method: 'ach', funding_source_id: bank.id },
  `seed-deposit-${run}`,
)
// ACH settles within seconds of sandbox time: move the sandbox clock rather than wait.
await api('POST', '/sandbox/clock/advance', { duration: '3s' })
await api('POST', `/investors/${investor.id}/orders`, {
  symbol: 'AAPL',
  side: 'buy',
  type: 'market',
  time_in_force: 'day',
  quantity: '1',
})
say(`seeded investor ${investor.id}, deposit ${deposit.id}, one AAPL market order`)

const webhooks = await api<{ data: Array<{ id: string; url: string }> }>('GET', '/webhooks')
if (webhooks.data.length === 0) {
  complain('no webhook is registered: start the sandbox with --forward-to <your app URL>')
  process.exit(1)
}

let deliveries: Delivery[] = []
for (let poll = 0; poll < POLLS; poll++) {
  deliveries = []
  for (const webhook of webhooks.data) {
    const page = await api<{ data: Delivery[] }>(
      'GET',
      `/sandbox/webhooks/${webhook.id}/deliveries?limit=200`,
    )
    deliveries.push(...page.data)
  }
  if (deliveries.length > 0 && deliveries.every((d) => d.attempts.length > 0)) break
  await new Promise((resolve) => setTimeout(resolve, 250))
}

const failed = deliveries.filter((d) => d.status !== 'delivered')
for (const d of deliveries) {
  const attempts = d.attempts.map((a) => a.status_code ?? a.error ?? 'none').join(', ')
  say(`${d.status === 'delivered' ? 'ok  ' : 'FAIL'} ${d.event} ${d.id}: ${attempts}`)
}
if (deliveries.length === 0 || failed.length > 0) {
  complain(
    deliveries.length === 0
      ? 'no delivery was made: does the webhook subscribe to these events?'
      : `${failed.length} of ${deliveries.length} deliveries were not acknowledged by your app`,
  )
  process.exit(1)
}
say(`${deliveries.length} deliveries acknowledged`)
