/**
 * The API requests the sandbox answered, newest last, bounded: what `GET /v1/sandbox/requests`,
 * the CLI's request lines and the inspector read. Each record carries the `Bluum-Sandbox-Warning`
 * the answer had (the undocumented fields it ignored), so a test that sent a field Bluum may refuse
 * can find out, whichever face it used.
 */
import type { Clock } from './clock.js'
import { isoSeconds } from './event-bus.js'

/** One answered request. */
export interface ApiRequestRecord {
  object: 'api_request'
  /** Sandbox time of the answer, ISO. */
  at: string
  method: string
  /** With the API prefix, without the query. */
  path: string
  /** The contract operation the route implements, or null (no route, a route defined by hand). */
  operation_id: string | null
  status: number
  /** The `BLUM-...` code of an error answer, else null. */
  code: string | null
  /** The `Bluum-Sandbox-Warning` the answer carried (empty when none). */
  warnings: string[]
}

export type RequestListener = (record: ApiRequestRecord) => void

export interface RequestLog {
  /** Notes one answered request. */
  record(entry: {
    method: string
    path: string
    operationId: string | null
    status: number
    code: string | null
    warnings: string[]
  }): void
  /** Every request noted since creation or the last `clear()` (bounded), oldest first. */
  list(): readonly ApiRequestRecord[]
  /** Calls `listener` for every request noted from now on; returns an unsubscribe function. */
  subscribe(listener: RequestListener): () => void
  clear(): void
}

/** Creates a log keeping the last `max` requests (default 1000). */
export function createRequestLog(clock: Clock, max = 1000): RequestLog {
  let log: ApiRequestRecord[] = []
  const listeners = new Set<RequestListener>()
  return {
    record(entry) {
      const record: ApiRequestRecord = {
        object: 'api_request',
        at: isoSeconds(clock.now()),
        method: entry.method,
        path: entry.path.length > 300 ? `${entry.path.slice(0, 300)}…` : entry.path,
        operation_id: entry.operationId,
        status: entry.status,
        code: entry.code,
        warnings: entry.warnings,
      }
      log.push(record)
      if (log.length > max) log = log.slice(-max)
      for (const listener of [...listeners]) listener(record)
    },
    list: () => log,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    clear() {
      log = []
    },
  }
}
