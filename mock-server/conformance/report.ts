/** The suite's report as text: the two summary lines, then each difference with its request. */
import type { ConformanceReport } from './run.js'

/** `documented N, emulated N, faithful N` for operations and events, and every difference. */
export function formatReport(report: ConformanceReport): string {
  const lines: string[] = [
    `Conformance (${report.mode}) of ${report.base}: ${report.requests} requests`,
  ]
  if (report.mode === 'full') {
    const { operations: o, events: e } = report
    lines.push(
      `operations: documented ${o.documented}, emulated ${o.emulated}, faithful ${o.faithful}`,
      `events:     documented ${e.documented}, emulated ${e.emulated}, faithful ${e.faithful}`,
    )
  }
  if (report.differences.length === 0) {
    lines.push(
      report.mode === 'full'
        ? 'No difference from the contract.'
        : 'No difference from the contract in status, code or shape.',
    )
  } else {
    lines.push(`${report.differences.length} difference(s):`)
    for (const difference of report.differences) {
      lines.push(`  ✗ ${difference.subject}: ${difference.request}`)
      for (const detail of difference.details) lines.push(`      ${detail}`)
    }
  }
  return `${lines.join('\n')}\n`
}
