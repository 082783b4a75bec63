/**
 * `bluum-sandbox conformance`: the contract's conformance suite. Without `--base-url` it starts a
 * sandbox on 127.0.0.1 and runs the whole suite against it over HTTP (`npm run conformance`); with
 * `--base-url` it runs the drift check, a safe read-mostly subset, against any Bluum-compatible
 * API (a real Bluum sandbox account included) and prints every difference in status, code or
 * shape. Exit 0 when nothing differs, 1 otherwise.
 */
import { DEFAULT_SANDBOX_API_KEY, DEFAULT_SANDBOX_API_SECRET } from '../core/credentials.js'
import { apiBase, parseCommand, stringFlag, type CliIo } from './args.js'

export const conformanceUsage = `Usage: bluum-sandbox conformance [--base-url URL --api-key K --api-secret S] [--json]

Checks an API against the contract the sandbox is built from (Bluum's documented operations,
events, status codes, error codes and answer shapes).

Without --base-url: starts a sandbox on 127.0.0.1 and runs the full suite against it over HTTP:
  for every documented operation a valid request with every optional field, one request per
  missing required field, per enum with a wrong value, a wrongly typed field and an undocumented
  field; then every documented event from its documented request. Prints
  "documented N, emulated N, faithful N" for operations and events.
With --base-url: the drift check, a safe read-mostly subset (reads, and writes refused before
  anything is stored), against any Bluum-compatible API, e.g. your Bluum sandbox account:
  prints each difference in status, code or shape, so a test suite learns when Bluum changes.
  Requests are paced under Bluum's sandbox rate limit (10 per second).

Options:
  --base-url <url>      The API root to check, e.g. https://sandbox.api.bluumfinance.com/v1
  --api-key <key>       Its API key (default $BLUUM_API_KEY, else ${DEFAULT_SANDBOX_API_KEY})
  --api-secret <s>      Its API secret (default $BLUUM_API_SECRET, else ${DEFAULT_SANDBOX_API_SECRET})
  --json                Print the report as one JSON object
  -h, --help            Show this help

Exit status: 0 no difference, 1 differences (or the API could not be reached), 2 bad usage.
`

export async function conformance(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    conformanceUsage,
    {
      'base-url': { type: 'string' },
      'api-key': { type: 'string' },
      'api-secret': { type: 'string' },
      json: { type: 'boolean' },
    },
    { min: 0, max: 0 },
    io,
  )
  const rawBase = stringFlag(values, 'base-url')
  const apiKey = stringFlag(values, 'api-key') ?? (io.env.BLUUM_API_KEY || DEFAULT_SANDBOX_API_KEY)
  const apiSecret =
    stringFlag(values, 'api-secret') ?? (io.env.BLUUM_API_SECRET || DEFAULT_SANDBOX_API_SECRET)
  const { runConformance } = await import('../conformance/run.js')
  const { createSuiteClient } = await import('../conformance/http.js')
  const { formatReport } = await import('../conformance/report.js')
  let report
  if (rawBase !== undefined) {
    const client = createSuiteClient({
      baseUrl: apiBase(rawBase, '--base-url', conformanceUsage),
      apiKey,
      apiSecret,
      minIntervalMs: 110,
    })
    report = await runConformance(client, { mode: 'drift', apiKey, apiSecret })
  } else {
    const { startLocalSandbox } = await import('../conformance/local.js')
    const local = await startLocalSandbox({ apiKey, apiSecret })
    try {
      const client = createSuiteClient({ baseUrl: local.base, apiKey, apiSecret })
      report = await runConformance(client, { mode: 'full', apiKey, apiSecret })
    } finally {
      await local.close()
    }
  }
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report))
  return report.differences.length === 0 ? 0 : 1
}
