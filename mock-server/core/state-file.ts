/**
 * The sandbox's state on disk (`--state <file>` / `stateFile`), so webhooks with their secrets,
 * investors, orders, transfers, documents, balances, deliveries and pending timers survive a
 * restart.
 *
 * The file is one JSON document with a format name and a version. It is written atomically (a
 * temporary file beside it, fsync, rename, fsync of the directory), so a crash leaves the previous
 * file or the new one, never half of each; and writes are coalesced (at most one per
 * `delayMs`, plus one on close), never one per request. A file that is corrupt, truncated, not a
 * sandbox state or from a newer version is a coded start-up error and is never overwritten: losing
 * someone's state silently is worse than refusing to start. It holds webhook secrets: it is created
 * with mode 0600.
 */
import { readFileSync } from 'node:fs'
import { open, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import {
  SandboxStateFileCorruptError,
  SandboxStateFileForeignError,
  SandboxStateFileUnreadableError,
  SandboxStateFileVersionError,
  SandboxStateFileWriteError,
} from './errors.js'
import type { SandboxEvent } from './event-bus.js'
import { rebuildIndexes } from './state-indexes.js'
import { createState, type SandboxState } from './state.js'

/** The `format` field of every state file. */
export const STATE_FILE_FORMAT = 'bluum-sandbox-state'
/**
 * The newest format version this sandbox writes and reads. The rule: a field added where older
 * readers ignore it, and which this version fills in when a file lacks it, keeps the version (an
 * older sandbox still loads the file; it just does not show the field). A change an older reader
 * would misread (a renamed, removed or re-typed field) bumps it, and older sandboxes then refuse
 * the file with `BLUUM_SANDBOX_STATE_FILE_VERSION` instead of misreading it. Attempt records
 * (`request`, `response`, `connection_error`) were added under version 1: attempts of older
 * files load with them null. Version 2 names a delivered delivery's status `delivered` (version 1
 * said `succeeded`, which loads as `delivered`). Version 3 stores resources in the shapes of the
 * contract (documents keyed by `document_id`, investors with their compliance workflow, funding
 * sources, API keys): a file of an earlier version still loads, its missing fields shown as null.
 */
export const STATE_FILE_VERSION = 3

/** Where a pending delivery stands in its ladder. */
export interface SavedRun {
  delivery_id: string
  /** Attempts whose answer was recorded since the delivery (re)started. */
  attempts_in_run: number
  /** Sandbox ms of the next attempt; null when it was in flight or held (it runs at start). */
  due_at_ms: number | null
}

/** A pending engine timer: an ACH/wire step or the second half of a partial fill. */
export interface SavedTimer {
  kind: 'transfer.processing' | 'transfer.completed' | 'order.fill'
  /** The transfer or order id. */
  id: string
  /** Sandbox ms at which it runs. */
  at_ms: number
}

/** The whole file. */
export interface StateSnapshot {
  format: typeof STATE_FILE_FORMAT
  version: number
  /** Wall time of the save, ISO. */
  saved_at: string
  /** Sandbox time and wall time at the save: the clock resumes from there on restart. */
  clock: { now_ms: number; wall_ms: number }
  /** Every field of the sandbox state; maps as `{ "$map": [[key, value], ...] }`, sets as `{ "$set": [...] }`. */
  state: Record<string, unknown>
  events: SandboxEvent[]
  timers: SavedTimer[]
  runs: SavedRun[]
}

// Per-second rate-limit windows mean nothing after a restart; the indexes are rebuilt on load.
const transientFields = new Set(['rateWindows', 'indexes'])
// Maps whose values are resources keyed by their own id: a cheap integrity check on load.
const resourceMaps = new Set([
  'complianceWorkflows',
  'apiKeys',
  'fundingSources',
  'investors',
  'orders',
  'deposits',
  'withdrawals',
  'documents',
  'webhooks',
  'deliveries',
])

function encode(value: unknown): unknown {
  if (value instanceof Map) return { $map: [...value].map(([k, v]) => [k, encode(v)]) }
  if (value instanceof Set) return { $set: [...value] }
  return value
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** A `{ "$map": ... }` tag: exactly one key, so no resource (many keys) is mistaken for one. */
function isTag<T extends '$map' | '$set'>(
  value: unknown,
  tag: T,
): value is { [K in T]: unknown[] } {
  return isObject(value) && Object.keys(value).length === 1 && Array.isArray(value[tag])
}

function decodeMap(field: string, value: unknown): Map<string, unknown> {
  if (!isTag(value, '$map')) throw new Error(`state.${field} is not a map`)
  const map = new Map<string, unknown>()
  for (const entry of value.$map) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string')
      throw new Error(`state.${field} has an entry that is not a [key, value] pair`)
    const [key, inner] = entry as [string, unknown]
    if (resourceMaps.has(field) && (!isObject(inner) || inner.id !== key))
      throw new Error(`state.${field}['${key}'] is not a resource with that id`)
    map.set(key, isTag(inner, '$map') ? decodeMap(`${field}['${key}']`, inner) : inner)
  }
  return map
}

/** The file's content for a sandbox at sandbox time `nowMs`. */
export function snapshotState(parts: {
  state: SandboxState
  events: readonly SandboxEvent[]
  timers: SavedTimer[]
  runs: SavedRun[]
  nowMs: number
}): StateSnapshot {
  const state: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(parts.state)) {
    if (!transientFields.has(field)) state[field] = encode(value)
  }
  const wall = Date.now()
  return {
    format: STATE_FILE_FORMAT,
    version: STATE_FILE_VERSION,
    saved_at: new Date(wall).toISOString(),
    clock: { now_ms: parts.nowMs, wall_ms: wall },
    state,
    events: [...parts.events],
    timers: parts.timers,
    runs: parts.runs,
  }
}

/**
 * Fills `target` (in place, so engines keep their references) from a saved state. Fields the file
 * lacks stay empty; fields this version does not know are ignored. Throws a plain error naming the
 * field when a value has the wrong shape.
 */
export function restoreState(target: SandboxState, saved: Record<string, unknown>): void {
  const record = target as unknown as Record<string, unknown>
  for (const [field, current] of Object.entries(record)) {
    if (transientFields.has(field) || !(field in saved)) continue
    const value = saved[field]
    if (current instanceof Map) {
      current.clear()
      for (const [key, inner] of decodeMap(field, value)) current.set(key, inner)
    } else if (current instanceof Set) {
      if (!isTag(value, '$set')) throw new Error(`state.${field} is not a set`)
      current.clear()
      for (const inner of value.$set) current.add(inner)
    } else if (Array.isArray(current)) {
      if (!Array.isArray(value)) throw new Error(`state.${field} is not a list`)
      current.splice(0, current.length, ...value)
    } else {
      if (typeof value !== typeof current)
        throw new Error(`state.${field} is not a ${typeof current}`)
      record[field] = value
    }
  }
  upgradeDeliveries(target)
  rebuildIndexes(target)
}

/**
 * Deliveries saved by older versions: attempts from before attempt records existed (what they sent
 * and got was not kept, so null), and version 1's `succeeded` status, now `delivered`.
 */
function upgradeDeliveries(state: SandboxState): void {
  for (const delivery of state.deliveries.values()) {
    if ((delivery.status as string) === 'succeeded') delivery.status = 'delivered'
    if (!Array.isArray(delivery.attempts))
      throw new Error(`delivery '${delivery.id}' has no attempts list`)
    for (const attempt of delivery.attempts) {
      if (!isObject(attempt))
        throw new Error(`delivery '${delivery.id}' has an attempt that is not an object`)
      attempt.request ??= null
      attempt.response ??= null
      attempt.connection_error ??= null
    }
  }
}

function checkShape(data: Record<string, unknown>): StateSnapshot {
  const clock = data.clock
  if (!isObject(clock) || !Number.isFinite(clock.now_ms) || !Number.isFinite(clock.wall_ms))
    throw new Error('"clock" lacks now_ms and wall_ms')
  if (!isObject(data.state)) throw new Error('"state" is not an object')
  for (const list of ['events', 'timers', 'runs'] as const) {
    if (!Array.isArray(data[list])) throw new Error(`"${list}" is not a list`)
  }
  for (const timer of data.timers as unknown[]) {
    if (!isObject(timer) || typeof timer.id !== 'string' || !Number.isFinite(timer.at_ms))
      throw new Error('"timers" has an entry without id and at_ms')
  }
  for (const run of data.runs as unknown[]) {
    if (
      !isObject(run) ||
      typeof run.delivery_id !== 'string' ||
      !Number.isSafeInteger(run.attempts_in_run) ||
      !(run.due_at_ms === null || Number.isFinite(run.due_at_ms))
    )
      throw new Error('"runs" has an entry without delivery_id, attempts_in_run and due_at_ms')
  }
  // A trial restore into a throwaway state proves every field has its shape before anything is touched.
  restoreState(createState(), data.state)
  return data as unknown as StateSnapshot
}

/**
 * Reads a state file. A missing file is `undefined` (a fresh start); anything else that is not a
 * state this version can load throws a coded error, and the file is left as it is.
 */
export function readStateFile(path: string): StateSnapshot | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const err = error as NodeJS.ErrnoException
    if (err.code === 'ENOENT') return undefined
    throw new SandboxStateFileUnreadableError(path, err.message)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new SandboxStateFileCorruptError(path, `not valid JSON: ${(error as Error).message}`)
  }
  if (!isObject(data) || data.format !== STATE_FILE_FORMAT) {
    const found = isObject(data)
      ? `its "format" is ${JSON.stringify(data.format ?? null)}`
      : `it holds a JSON ${Array.isArray(data) ? 'array' : typeof data}`
    throw new SandboxStateFileForeignError(
      path,
      `expected "format": "${STATE_FILE_FORMAT}", ${found}`,
    )
  }
  if (!Number.isSafeInteger(data.version) || (data.version as number) < 1)
    throw new SandboxStateFileCorruptError(path, `"version" is ${JSON.stringify(data.version)}`)
  if ((data.version as number) > STATE_FILE_VERSION)
    throw new SandboxStateFileVersionError(path, data.version as number, STATE_FILE_VERSION)
  try {
    return checkShape(data)
  } catch (error) {
    throw new SandboxStateFileCorruptError(path, (error as Error).message)
  }
}

/** Replaces `path` with `text` atomically: temp file (mode 0600), fsync, rename, fsync the directory. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`
  try {
    const handle = await open(temp, 'w', 0o600)
    try {
      // A leftover temp file from a crash keeps its old mode: the secrets file must not be readable by others.
      await handle.chmod(0o600)
      await handle.writeFile(text)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (error) {
    await unlink(temp).catch(() => undefined)
    throw new SandboxStateFileWriteError(path, (error as Error).message)
  }
  // Makes the rename itself durable; some platforms cannot fsync a directory, and then it is best effort.
  try {
    const dir = await open(dirname(path), 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  } catch {
    // best effort, see above
  }
}

export interface StateWriter {
  /** Notes a change: the state is written within `delayMs`, coalesced with other changes. */
  schedule(): void
  /** Writes now (and drops the pending timer); rejects with the write's error. */
  flush(): Promise<void>
}

/** Coalesces saves of `snapshot()` to `path`: at most one write per `delayMs`, one at a time. */
export function createStateWriter(options: {
  path: string
  snapshot: () => StateSnapshot
  /** Wall ms between a change and its write. */
  delayMs: number
}): StateWriter {
  let timer: NodeJS.Timeout | undefined
  let writing: Promise<void> = Promise.resolve()
  let failure: unknown

  function write(): Promise<void> {
    if (timer) clearTimeout(timer)
    timer = undefined
    // Chained: two writes never race for the rename, and the later snapshot always lands last.
    writing = writing.then(async () => {
      try {
        await writeFileAtomic(options.path, JSON.stringify(options.snapshot()) + '\n')
        failure = undefined
      } catch (error) {
        failure = error
      }
    })
    return writing
  }

  return {
    schedule() {
      if (timer) return
      timer = setTimeout(() => void write(), options.delayMs)
      // A pending save must not keep a test process alive; close() flushes it.
      timer.unref()
    },
    async flush() {
      await write()
      if (failure !== undefined) throw failure
    },
  }
}
