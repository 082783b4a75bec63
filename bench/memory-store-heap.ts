/**
 * Heap of the default memory store (`createMemoryStore()`, bound 100 000) over one million
 * unique events, each claimed then completed with a 24 h TTL (nothing expires during the run,
 * so only the bound limits the store). `heapUsed` is sampled after a full GC every 100 000
 * events; once the bound is reached the heap must stay flat: heap(1M) / heap(200k) ≈ 1, the
 * sample after the first slice of evictions (V8 grows the Map's table once there: deleted
 * entries hold their slots until it rehashes). heap(1M) / heap(100k) is printed beside it.
 *
 * Also prints the time per event of each 100 000 slice: the store promises O(1) operations.
 *
 *   node --import=tsx bench/memory-store-heap.ts [--events 1000000] [--every 100000]
 *
 * Needs `--expose-gc`; without it the script re-runs itself with the flag.
 */
import { parseArgs } from 'node:util'
import { createMemoryStore, DEFAULT_MAX_ENTRIES } from '../plugin/memory-store.js'
import { heapAfterGc, runWithGc } from './lib/heap.js'
import { megabytes, printResult, round, say, thousands } from './lib/report.js'

const NAME = 'memory-store-heap'
/** "Flat": heap at the end within this share of heap after the first slice of evictions. */
const FLAT_TOLERANCE = 0.1
const LEASE_MS = 120_000
const TTL_MS = 24 * 60 * 60 * 1000
const TIME_LIMIT_MS = 10 * 60 * 1000

runWithGc(import.meta.url, NAME, TIME_LIMIT_MS, main)

/** Webhook ids the length of Standard Webhooks' `msg_` + 27 characters, all distinct. */
function eventId(i: number): string {
  return `msg_${i.toString(36).padStart(27, '0')}`
}

async function main(collect: () => void): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      events: { type: 'string', default: '1000000' },
      every: { type: 'string', default: '100000' },
    },
  })
  const events = Number(args.events)
  const every = Number(args.every)
  const bound = DEFAULT_MAX_ENTRIES
  if (!(events >= bound && every > 0 && bound % every === 0)) {
    throw new RangeError(`--events must be >= ${bound} and --every must divide ${bound}`)
  }

  say(
    `${NAME}: createMemoryStore() (bound ${thousands(bound)}), ${thousands(events)} unique events`,
  )
  say('each: claim(id, 120 s lease) then complete(id, token, 24 h TTL); heapUsed after full GC')
  const store = createMemoryStore()
  const baseline = heapAfterGc(collect)
  const samples: { events: number; heapUsed: number; size: number; usPerEvent: number }[] = [
    { events: 0, heapUsed: baseline, size: store.size, usPerEvent: 0 },
  ]
  say(`${'events'.padStart(9)}  ${'heapUsed'.padStart(9)}  ${'size'.padStart(7)}  us/event`)
  say(`${'0'.padStart(9)}  ${megabytes(baseline).padStart(9)}  ${'0'.padStart(7)}`)

  let sliceStart = performance.now()
  for (let i = 1; i <= events; i++) {
    const id = eventId(i)
    const claim = await store.claim(id, LEASE_MS)
    if (claim.status !== 'claimed') throw new Error(`event ${i}: claim answered ${claim.status}`)
    if (!(await store.complete(id, claim.token, TTL_MS)))
      throw new Error(`event ${i}: not completed`)
    if (i % every === 0) {
      const usPerEvent = ((performance.now() - sliceStart) * 1000) / every
      const heapUsed = heapAfterGc(collect)
      samples.push({ events: i, heapUsed, size: store.size, usPerEvent })
      say(
        `${thousands(i).padStart(9)}  ${megabytes(heapUsed).padStart(9)}  ` +
          `${thousands(store.size).padStart(7)}  ${usPerEvent.toFixed(2)}`,
      )
      sliceStart = performance.now()
    }
  }

  const atBound = samples.find((s) => s.events === bound)!
  const last = samples[samples.length - 1]!
  const ratio = last.heapUsed / atBound.heapUsed
  // After the bound, V8 may grow a Map's table once (deleted slots count until it rehashes);
  // what must not happen is growth after that: compare the end with the first sample past it.
  const firstPast = samples.find((s) => s.events > bound) ?? last
  const driftAfterBound = last.heapUsed / firstPast.heapUsed
  const bytesPerEntry = (atBound.heapUsed - baseline) / bound
  const beforeBound = samples.filter((s) => s.events > 0 && s.events <= bound)
  const afterBound = samples.filter((s) => s.events > bound)
  const meanUs = (list: typeof samples) => list.reduce((a, s) => a + s.usPerEvent, 0) / list.length
  const usBefore = meanUs(beforeBound)
  const usAfter = afterBound.length > 0 ? meanUs(afterBound) : usBefore
  const flat = Math.abs(driftAfterBound - 1) <= FLAT_TOLERANCE
  const sizeBounded = samples.every((s) => s.size <= bound)

  say()
  say(
    `heap(${thousands(last.events)}) / heap(${thousands(bound)}): ${ratio.toFixed(3)} ` +
      `(${Math.round(bytesPerEntry)} B of heap per stored id)`,
  )
  say(
    `heap(${thousands(last.events)}) / heap(${thousands(firstPast.events)}): ` +
      `${driftAfterBound.toFixed(3)} (growth after the first eviction slice; target 1 ± ${FLAT_TOLERANCE})`,
  )
  say(
    `time per event: ${usBefore.toFixed(2)} us below the bound, ${usAfter.toFixed(2)} us once ` +
      `it evicts (${(usAfter / usBefore).toFixed(1)}x)`,
  )
  if (!sizeBounded) say('INVALID: the store held more than its bound')

  printResult({
    bench: NAME,
    valid: sizeBounded,
    pass: sizeBounded && flat,
    ratio: round(driftAfterBound),
    target: `heap flat after the first evictions (1 ± ${FLAT_TOLERANCE})`,
    headline:
      `heap ${megabytes(atBound.heapUsed)} at ${thousands(bound)} -> ${megabytes(last.heapUsed)} ` +
      `at ${thousands(last.events)}; ${usBefore.toFixed(1)} -> ${usAfter.toFixed(1)} us/event`,
    baselineHeapUsed: baseline,
    heapUsedAtBound: atBound.heapUsed,
    heapUsedAtEnd: last.heapUsed,
    heapEndOverBound: round(ratio),
    bytesPerEntry: Math.round(bytesPerEntry),
    usPerEventBeforeBound: round(usBefore, 2),
    usPerEventAfterBound: round(usAfter, 2),
    samples: samples.map((s) => ({
      events: s.events,
      heapUsed: s.heapUsed,
      size: s.size,
      usPerEvent: round(s.usPerEvent, 2),
    })),
    events,
    bound,
  })
}
