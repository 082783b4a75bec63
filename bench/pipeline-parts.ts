/**
 * Where the plugin's pipeline spends the time the hand-rolled one does not (`bench/pipeline.ts`
 * gives the ratio): the same pipeline measured with one part of its default memory store taken
 * away, interleaved in one process with the default and the hand-rolled pipeline.
 *
 * - `no-eviction`: a bound above the run's keys, so no completed key is evicted: what the bound
 *   costs once the store is full (one delete of a long-cold key per delivery).
 * - `frozen-clock`: the store's clock a constant: what its two clock reads cost.
 * - `map-store`: the hand-rolled Map behind the store interface (no bound, no TTL, no fencing):
 *   what the memory store costs over the cheapest dedupe.
 * - `hand-rolled`: the hand-rolled pipeline; what is left between it and `map-store` is the rest
 *   of the plugin's work (header checks, UTF-8, prototype keys, schemas, answers).
 *
 * Each saving is the median over rounds of (default - variant) in CPU µs per delivery, so a slow
 * patch of the machine hits both sides of each difference. The parts are 1-5 % of a delivery, so
 * the child runs pinned to CPU 1 (`taskset`; its GC threads share that core instead of adding
 * another's time) and over 80 rounds: unpinned, 30 rounds read the bound as 0.01-0.44 us over four
 * runs; pinned, 80 rounds read it as 0.13-0.28 over nine. Informational: no target.
 *
 *   node --import=tsx bench/pipeline-parts.ts [--rounds 80] [--per-round 5000]
 */
import { parseArgs } from 'node:util'
import { exitAfter, printResult, round, say } from './lib/report.js'
import { compileRouteServer, pinThisProcess, runCompiledChild } from './lib/server-process.js'

const NAME = 'pipeline-parts'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '80' },
    'per-round': { type: 'string', default: '5000' },
  },
})
exitAfter(10 * 60 * 1000, NAME)

// The child inherits this process's CPU affinity; this process only waits for it.
const pinned = pinThisProcess('1')
compileRouteServer()
type Part = { us: number; savingUs: number }
const parts = runCompiledChild<
  Record<'default' | 'no-eviction' | 'frozen-clock' | 'map-store' | 'hand-rolled', Part>
>('pipeline-parts-run', [args.rounds, args['per-round']], 9 * 60 * 1000)
const plugin = parts.default.us
const share = (us: number) => `${((100 * us) / plugin).toFixed(1)} %`
const line = (label: string, part: Part, what: string) =>
  say(
    `  ${label.padEnd(34)} ${part.us.toFixed(2).padStart(6)} us` +
      (what ? `   ${what} ${part.savingUs.toFixed(2)} us (${share(part.savingUs)})` : ''),
  )

say(
  `${NAME}: CPU per delivery, median of ${args.rounds} interleaved rounds, ` +
    (pinned ? 'pinned to CPU 1 (taskset)' : 'not pinned: taskset is missing or refused'),
)
line('plugin, default memory store', parts.default, '')
line('memory store that never evicts', parts['no-eviction'], 'the bound costs')
line('memory store with a constant clock', parts['frozen-clock'], 'its clock reads cost')
line('a plain Map behind the store API', parts['map-store'], 'the memory store costs')
line('hand-rolled', parts['hand-rolled'], 'the plugin costs')
const rest = parts['hand-rolled'].savingUs - parts['map-store'].savingUs
say(
  `  the rest of the plugin's work (plugin with a Map store vs hand-rolled): ${rest.toFixed(2)} us (${share(rest)})`,
)
printResult({
  bench: NAME,
  valid: true,
  pass: true,
  headline:
    `bound ${parts['no-eviction'].savingUs.toFixed(2)} us, clock ${parts['frozen-clock'].savingUs.toFixed(2)} us, ` +
    `memory store ${parts['map-store'].savingUs.toFixed(2)} us, rest ${rest.toFixed(2)} us of ${plugin.toFixed(1)} us`,
  pinned,
  pluginUs: round(plugin, 2),
  boundUs: round(parts['no-eviction'].savingUs, 2),
  clockUs: round(parts['frozen-clock'].savingUs, 2),
  memoryStoreUs: round(parts['map-store'].savingUs, 2),
  restUs: round(rest, 2),
  extraUs: round(parts['hand-rolled'].savingUs, 2),
  handUs: round(parts['hand-rolled'].us, 2),
})
