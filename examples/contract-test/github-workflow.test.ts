/**
 * github-workflow.yml parses as YAML and has the two jobs its README promises. GitHub itself is
 * not reachable here: what runs in each step is tested by seed-flow.test.ts and the contract
 * tests beside this file.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'

interface Step {
  uses?: string
  run?: string
  env?: Record<string, string>
}
interface Workflow {
  name: string
  on: Record<string, unknown>
  jobs: Record<string, { 'runs-on': string; steps: Step[] }>
}

const text = readFileSync(new URL('./github-workflow.yml', import.meta.url), 'utf8')
const workflow = parse(text) as Workflow
const runs = (job: string) => workflow.jobs[job]?.steps.flatMap((s) => s.run ?? []) ?? []

t.test('it parses, runs on push and pull requests, with the two jobs', async (t) => {
  t.equal(workflow.name, 'Bluum contract tests')
  t.same(Object.keys(workflow.on).sort(), ['pull_request', 'push'])
  t.same(Object.keys(workflow.jobs), ['contract-tests', 'sandbox-seed'])
  for (const job of Object.values(workflow.jobs)) {
    t.equal(job['runs-on'], 'ubuntu-latest')
    t.ok(
      job.steps.some((s) => s.run === 'npm ci'),
      'installs with npm ci',
    )
    for (const step of job.steps.filter((s) => s.uses)) t.match(step.uses, /@v\d+$/)
  }
})

t.test('contract-tests runs the contract tests', async (t) => {
  t.ok(runs('contract-tests').some((r) => /^npx tap .*contract\.test\.ts/.test(r)))
})

t.test('sandbox-seed starts the app and the sandbox in the background, then seeds', async (t) => {
  const steps = runs('sandbox-seed')
  const sandbox = steps.find((r) => r.includes('npx bluum-sandbox --port 4010'))
  t.ok(sandbox, 'the standalone sandbox on 4010')
  t.match(sandbox, /--forward-to http:\/\/127\.0\.0\.1:3000\/webhooks\/bluum/, 'the plugin path')
  t.match(sandbox, /&\n/, 'in the background')
  t.match(
    sandbox,
    /curl -fs -o \/dev\/null http:\/\/127\.0\.0\.1:4010\/openapi\.json/,
    'waited for',
  )
  t.ok(
    steps.findIndex((r) => r.includes('npm start')) < steps.indexOf(sandbox as string),
    'the app is up before the sandbox sends to it',
  )
  const seed = workflow.jobs['sandbox-seed']?.steps.find((s) => s.run?.includes('seed-flow'))
  t.equal(seed?.env?.BLUUM_BASE_URL, 'http://127.0.0.1:4010/v1')
})
