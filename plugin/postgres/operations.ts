/**
 * What an operator does with an inbox: counts, the list of tasks (paged), retries of dead tasks,
 * and the purge of old events. Each is one statement of statements.ts.
 */
import { InboxInvalidOptionError } from '../errors.js'
import type { SqlDriver } from './driver.js'
import { integerOption } from './options.js'
import type { InboxStatements } from './statements.js'

/**
 * The state of a queued task: `pending` (due now or later), `running` (a worker holds it: its
 * lease is not over), `done`, or `dead` (attempts spent; kept until retried).
 */
export type InboxTaskState = 'pending' | 'running' | 'done' | 'dead'

const STATES: readonly InboxTaskState[] = ['pending', 'running', 'done', 'dead']

/** One task, as `list()` returns it. */
export interface InboxTask {
  readonly id: string
  readonly deliveryId: string
  readonly event: string
  readonly handlerId: string
  readonly state: InboxTaskState
  /** Attempts so far, the running one included. */
  readonly attempts: number
  /** When it is due (pending), or when its lease ends (running). */
  readonly runAfter: Date
  readonly lastError: string | null
  readonly createdAt: Date
  readonly updatedAt: Date
  /** The worker that runs it (running), or that took it last and vanished (pending); else null. */
  readonly workerId: string | null
  /** When its latest attempt started; null before the first. */
  readonly startedAt: Date | null
  /** The last heartbeat of `workerId`'s pool; null when that worker is gone. */
  readonly heartbeatAt: Date | null
  /** Its resource key with `ordering`, else null. */
  readonly orderingKey: string | null
  /** The event's own timestamp (or its arrival, when unreadable). */
  readonly eventAt: Date | null
}

/** What `stats()` returns. */
export interface InboxStats {
  /** Events stored (processed in transactional mode, accepted in queue mode). */
  readonly events: number
  readonly tasks: {
    readonly pending: number
    readonly running: number
    readonly done: number
    readonly dead: number
  }
  /** Age of the oldest pending (not running) task in ms, 0 when none. */
  readonly oldestPendingMs: number
}

/** Filter and page of `list()`. */
export interface InboxListFilter {
  /** One state only. Default: every state. */
  readonly state?: InboxTaskState
  /** One event name only. Default: every event. */
  readonly event?: string
  /** Tasks per page, at least 1. Default 100. */
  readonly limit?: number
  /** The `id` of the last task of the previous page: the next page starts after it. */
  readonly after?: string
}

export interface InboxOperations {
  /** Counts by state and the age of the oldest pending task. */
  stats(): Promise<InboxStats>
  /**
   * Tasks, newest first, one page at a time.
   * @example
   * for (let page = await inbox.list({ state: 'dead' }); page.length > 0;
   *      page = await inbox.list({ state: 'dead', after: page.at(-1)!.id })) { ... }
   */
  list(filter?: InboxListFilter): Promise<InboxTask[]>
  /** Makes a dead task due again with fresh attempts; false when no dead task has this id. */
  retry(taskId: string): Promise<boolean>
  /** Makes every dead task due again (those that died at or after `since`); resolves their count. */
  retryDead(filter?: { since?: Date }): Promise<number>
  /** Deletes events older than `olderThanMs` whose tasks are all done; resolves their count. */
  purge(filter?: { olderThanMs?: number }): Promise<number>
}

const TASK_ID = /^[1-9][0-9]{0,18}$/

function taskId(name: string, value: unknown): string {
  if (typeof value !== 'string' || !TASK_ID.test(value)) {
    throw new InboxInvalidOptionError(
      name,
      `expected a task id (digits), received ${String(value)}`,
    )
  }
  return value
}

const date = (value: unknown) => (value === null ? null : new Date(value as string | Date))

export function createOperations(
  driver: SqlDriver,
  sql: InboxStatements,
  settings: { channel: string; retentionMs: number; wake: () => void },
): InboxOperations {
  return {
    async stats() {
      const { rows } = await driver.query<{
        events: number
        pending: number
        running: number
        done: number
        dead: number
        oldest_ms: number | null
      }>(sql.stats)
      const row = rows[0] as NonNullable<(typeof rows)[0]>
      return {
        events: row.events,
        tasks: { pending: row.pending, running: row.running, done: row.done, dead: row.dead },
        oldestPendingMs: Math.max(0, Math.round(row.oldest_ms ?? 0)),
      }
    },

    async list(filter = {}) {
      const limit = integerOption('limit', filter.limit, 100, 1)
      if (filter.state !== undefined && !STATES.includes(filter.state)) {
        throw new InboxInvalidOptionError(
          'state',
          `expected one of ${STATES.join(', ')}, received ${String(filter.state)}`,
        )
      }
      const after = filter.after === undefined ? null : taskId('after', filter.after)
      const { rows } = await driver.query<Record<string, unknown>>(sql.list, [
        filter.state ?? null,
        filter.event ?? null,
        after,
        limit,
      ])
      return rows.map((r) => ({
        id: r.id as string,
        deliveryId: r.delivery_id as string,
        event: r.event as string,
        handlerId: r.handler_id as string,
        state: r.state as InboxTaskState,
        attempts: r.attempts as number,
        runAfter: new Date(r.run_after as string | Date),
        lastError: (r.last_error as string | null) ?? null,
        createdAt: new Date(r.created_at as string | Date),
        updatedAt: new Date(r.updated_at as string | Date),
        workerId: (r.worker_id as string | null) ?? null,
        startedAt: date(r.started_at ?? null),
        heartbeatAt: date(r.heartbeat_at ?? null),
        orderingKey: (r.ordering_key as string | null) ?? null,
        eventAt: date(r.event_at ?? null),
      }))
    },

    async retry(id) {
      const { rows } = await driver.query(sql.retry, [taskId('taskId', id), settings.channel])
      settings.wake()
      return rows.length > 0
    },

    async retryDead(filter = {}) {
      const { rows } = await driver.query<{ retried: number }>(sql.retryDead, [
        filter.since?.toISOString() ?? null,
        settings.channel,
      ])
      settings.wake()
      return rows[0]?.retried ?? 0
    },

    async purge(filter = {}) {
      const olderThanMs = integerOption('olderThanMs', filter.olderThanMs, settings.retentionMs, 0)
      const { rows } = await driver.query<{ purged: number }>(sql.purge, [olderThanMs])
      return rows[0]?.purged ?? 0
    },
  }
}
