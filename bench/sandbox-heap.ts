/**
 * What a triggered event leaves on the sandbox's heap, and what a full collection of it costs.
 * A sandbox keeps every resource and delivery it made, so its heap grows with the events; what
 * must not happen is growth per event (each one keeping more than the last). That is also what
 * `bench/sandbox-delivery.ts` reads at 100 000 events: a major collection walks all of it.
 *
 * `trigger('order.filled')` (its investor, KYC, deposit and filled order built by the engines)
 * delivered in-process (`createInjectTransport`) to a Fastify app with the plugin, as the
 * sandbox-delivery bench does; `heapUsed` after full collections every `--every` events; then
 * the median time of five full collections of the whole. The figure is what each event keeps
 * from the first sample on, (heap at the end - heap at the first sample) / events between: by
 * then the event log (the newest 10 000 events, cut in slices) holds as many events at every
 * sample, so what grows is what the sandbox keeps for its life. Target: that figure over the
 * second half of the samples within 10 % of the first half's (linear, not growing per event).
 *
 *   node --import=tsx bench/sandbox-heap.ts [--events 50000] [--every 10000]
 *
 * Needs `--expose-gc`; without it the script re-runs itself with the flag. Bounded: a fixed
 * number of events, no port, a hard time limit.
 */
import { parseArgs } from 'node:util'
import { heapAfterGc, runWithGc } from './lib/heap.js'
import { megabytes, printResult, round, say, thousands } from './lib/report.js'
import { EMIT_BATCH, emitMany, sandboxWithPluginReceiver } from './lib/sandbox-receiver.js'
import { median } from './lib/stats.js'

const NAME = 'sandbox-heap'
/** "Linear": bytes kept per event over the second half within this share of the first half's. */
const LINEAR_TOLERANCE = 0.1
const TIME_LIMIT_MS = 10 * 60 * 1000

runWithGc(import.meta.url, NAME, TIME_LIMIT_MS, main)

async function main(collect: () => void): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      events: { type: 'string', default: '50000' },
      every: { type: 'string', default: '10000' },
    },
  })
  const events = Number(args.events)
  const every = Number(args.every)
  if (!(
    every >= EMIT_BATCH &&
    every % EMIT_BATCH === 0 &&
    events >= 3 * every &&
    events % every === 0
  )) {
    throw new RangeError(
      `--every must be a multiple of ${EMIT_BATCH}, and --events a multiple of it giving 3 samples or more`,
    )
  }

  say(`${NAME}: ${thousands(events)} triggered order.filled, delivered through the plugin`)
  const { sandbox, app, handled } = await sandboxWithPluginReceiver()
  const trigger = (count: number) => emitMany(sandbox, () => sandbox.trigger('order.filled'), count)
  // Warm: the code, the receiver's store and the caches every event shares, then a clean state.
  await trigger(2_000)
  sandbox.reset()
  const handledBefore = handled()
  const baseline = heapAfterGc(collect)

  say(`${'events'.padStart(9)}  ${'heapUsed'.padStart(9)}  bytes/event since the last sample`)
  const samples: { events: number; heapUsed: number }[] = []
  for (let at = every; at <= events; at += every) {
    await trigger(every)
    const heapUsed = heapAfterGc(collect)
    const since = samples.at(-1)
    samples.push({ events: at, heapUsed })
    say(
      `${thousands(at).padStart(9)}  ${megabytes(heapUsed).padStart(9)}  ` +
        (since ? thousands((heapUsed - since.heapUsed) / every) : '(the event log filling)'),
    )
  }
  if (handled() - handledBefore !== events) {
    throw new Error(`the receiver handled ${handled() - handledBefore} of ${events} events`)
  }

  const collections: number[] = []
  for (let i = 0; i < 5; i++) {
    const started = performance.now()
    collect()
    collections.push(performance.now() - started)
  }
  const fullGcMs = median(collections)
  /** Bytes kept per event between two samples. */
  const kept = (from: (typeof samples)[number], to: (typeof samples)[number]) =>
    (to.heapUsed - from.heapUsed) / (to.events - from.events)
  const first = samples[0]!
  const middle = samples[Math.floor((samples.length - 1) / 2)]!
  const last = samples.at(-1)!
  const perEvent = kept(first, last)
  const growth = kept(middle, last) / kept(first, middle)
  say()
  say(
    `${thousands(perEvent)} bytes kept per triggered event from ${thousands(first.events)} to ` +
      `${thousands(last.events)} (second half ÷ first half ${growth.toFixed(3)}; target 1 ± ` +
      `${LINEAR_TOLERANCE}); a full collection at ${thousands(events)} events ` +
      `${fullGcMs.toFixed(0)} ms (median of 5), heap ${megabytes(last.heapUsed)}`,
  )
  await app.close()
  await sandbox.close()
  printResult({
    bench: NAME,
    valid: true,
    pass: Math.abs(growth - 1) <= LINEAR_TOLERANCE,
    ratio: round(growth),
    target: `bytes kept per event flat (1 ± ${LINEAR_TOLERANCE})`,
    headline:
      `${thousands(perEvent)} B kept per triggered event, ` +
      `full GC at ${thousands(events)} ${fullGcMs.toFixed(0)} ms`,
    bytesPerEvent: Math.round(perEvent),
    fullGcMs: round(fullGcMs, 1),
    heapUsed: last.heapUsed,
    samples,
  })
}
