/**
 * One line per API request that carried a field Bluum does not document, for the serving CLI: the
 * time, the method and path, the status, and the `Bluum-Sandbox-Warning` it got, so a field the
 * real Bluum may refuse is seen while developing, not in production. Pure.
 */
import type { ApiRequestRecord } from '../core/request-log.js'
import { clockTime, paint, plain } from './attempt-line.js'

/** The line (without its newline) for `record`, as text or one JSON object. */
export function formatRequestWarning(
  record: ApiRequestRecord,
  options: { format: 'text' | 'json'; colour: boolean },
): string {
  if (options.format === 'json')
    return JSON.stringify({
      type: 'request_warning',
      time: record.at,
      method: record.method,
      path: record.path,
      operation_id: record.operation_id,
      status: record.status,
      warnings: record.warnings,
    })
  const c = options.colour ? paint : plain
  const warning = c.yellow(`⚠ ${record.warnings.join('; ')}`)
  return `${c.dim(clockTime(record.at))}  ${record.method} ${record.path}  → ${record.status}  ${warning}`
}
