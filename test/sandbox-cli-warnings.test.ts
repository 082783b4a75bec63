/**
 * The serving CLI and fields Bluum does not document: by default a request carrying one is
 * answered (the field ignored) and prints a warning line; `--strict` refuses it with
 * `BLUM-400-001` and the banner says so.
 */
import t from 'tap'
import { sampleInvestorRequest } from '../mock-server/index.js'
import { eventually, startCli } from './helpers/sandbox-cli.js'
import { formatRequestWarning } from '../mock-server/cli/request-line.js'

t.test('an undocumented field is answered and printed as a warning line', async (t) => {
  const cli = await startCli(t)
  const created = await cli.api('POST', '/investors', sampleInvestorRequest({ nickname: 'jd' }))
  t.equal(created.status, 201)
  const line = await eventually(
    () => cli.stdout(),
    (out) => out.includes('POST /v1/investors'),
  )
  t.match(
    line,
    /\d\d:\d\d:\d\d {2}POST \/v1\/investors {2}→ 201 {2}⚠ Ignored field\(s\) Bluum does not document: nickname/,
  )
  await cli.api('GET', '/investors')
  t.notMatch(cli.stdout(), /GET \/v1\/investors/, 'a request without one prints nothing')
})

t.test('--strict refuses it with BLUM-400-001', async (t) => {
  const cli = await startCli(t, ['--strict'])
  t.match(cli.output(), /Strict: +fields Bluum does not document are refused/)
  const refused = await cli.api('POST', '/investors', sampleInvestorRequest({ nickname: 'jd' }))
  t.match(refused, { status: 400, body: { error: { code: 'BLUM-400-001', param: 'nickname' } } })
  t.equal((await cli.api('GET', '/investors')).body.data.length, 0, 'nothing created')
})

t.test('the warning line as JSON', async (t) => {
  const record = {
    object: 'api_request' as const,
    at: '2026-07-01T15:10:00Z',
    method: 'POST',
    path: '/v1/investors',
    operation_id: 'createInvestor',
    status: 201,
    code: null,
    warnings: ['Ignored field(s) Bluum does not document: nickname'],
  }
  t.same(JSON.parse(formatRequestWarning(record, { format: 'json', colour: false })), {
    type: 'request_warning',
    time: record.at,
    method: 'POST',
    path: '/v1/investors',
    operation_id: 'createInvestor',
    status: 201,
    warnings: record.warnings,
  })
})
