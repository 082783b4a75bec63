/**
 * The garbage collector's pauses of this process's main thread during a measured window, by kind,
 * from Node's `gc` performance entries. They are part of the CPU time a bench reads with
 * `process.cpuUsage`; what they leave out is the collector's work on its own threads (concurrent
 * marking and sweeping), which a process pinned to one core also pays, between the pauses.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks'

/** Main-thread GC pauses of one window. */
export interface GcPauses {
  /** Scavenges of the young generation, ms. */
  minorMs: number
  /** Full (mark-compact) collections, ms: the pause that ends each one. */
  majorMs: number
  /** Full collections that ended in the window. */
  majors: number
  /** Incremental marking steps and weak callbacks, ms. */
  otherMs: number
}

/** A `gc` entry: its `detail.kind` says which collection it was. */
type GcEntry = PerformanceEntry & { detail: { kind: number } }

/**
 * Starts observing `gc` entries; `start()` opens a window and `stop()` closes it and sums the
 * pauses that began inside it. Node creates an entry in the event loop turn after its collection,
 * so `stop()` lets two turns pass before it takes the entries still queued.
 */
export function createGcPauses(): { start(): void; stop(): Promise<GcPauses> } {
  let from = Number.POSITIVE_INFINITY
  let until = Number.POSITIVE_INFINITY
  let sums: GcPauses = { minorMs: 0, majorMs: 0, majors: 0, otherMs: 0 }
  const add = (entries: readonly PerformanceEntry[]) => {
    for (const entry of entries) {
      if (entry.startTime < from || entry.startTime > until) continue
      const { kind } = (entry as GcEntry).detail
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) sums.minorMs += entry.duration
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        sums.majorMs += entry.duration
        sums.majors += 1
      } else sums.otherMs += entry.duration
    }
  }
  const observer = new PerformanceObserver((list) => add(list.getEntries()))
  observer.observe({ entryTypes: ['gc'] })
  return {
    start() {
      add(observer.takeRecords())
      sums = { minorMs: 0, majorMs: 0, majors: 0, otherMs: 0 }
      from = performance.now()
      until = Number.POSITIVE_INFINITY
    },
    async stop() {
      until = performance.now()
      for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve))
      add(observer.takeRecords())
      from = Number.POSITIVE_INFINITY
      return sums
    },
  }
}
