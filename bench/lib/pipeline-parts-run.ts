/**
 * Child of `bench/pipeline-parts.ts`, run as compiled JavaScript: the plugin's pipeline with its
 * default memory store, against the same pipeline with one part of that store taken away, and
 * the hand-rolled pipeline, in one process, rounds interleaved (each round runs every variant,
 * starting from a different one each time, so none always follows the same neighbour). Prints
 * one JSON line: per variant its median CPU µs per delivery and the median over rounds of
 * (default - variant), the variant's saving.
 *
 *   node .tmp/bench-build/bench/lib/pipeline-parts-run.js <rounds> <deliveries per round>
 */
import { createMemoryStore } from '../../plugin/memory-store.js'
import { createDeliveryPool, type BenchDelivery } from './deliveries.js'
import { handRolledPipeline, mapStore, pluginPipeline, type PipelineRound } from './pipelines.js'
import { median } from './stats.js'

const rounds = Number(process.argv[2] ?? 80)
const perRound = Number(process.argv[3] ?? 5_000)
const warmup = 20_000
const perVariant = warmup + rounds * perRound
const frozen = Date.now()

/** Names as the report prints them; `default` is what the plugin registers with no `store`. */
const variants: Record<string, PipelineRound> = {
  default: pluginPipeline(),
  // More room than the run's keys: no completed key is ever evicted.
  'no-eviction': pluginPipeline(createMemoryStore({ maxEntries: perVariant + 1 })),
  // Nothing expires within a run (leases of 30 s, TTLs of a day): a constant clock changes no
  // answer, only what the store's two reads per delivery cost.
  'frozen-clock': pluginPipeline(createMemoryStore({ now: () => frozen })),
  'map-store': pluginPipeline(mapStore()),
  'hand-rolled': handRolledPipeline(),
}
const names = Object.keys(variants)
const pool = createDeliveryPool({ count: names.length * perVariant })
const cursors = Object.fromEntries(names.map((name) => [name, pool.cursor()]))
const batch = (name: string, n: number): BenchDelivery[] =>
  Array.from({ length: n }, cursors[name]!)

for (const name of names) await variants[name]!(batch(name, warmup))
const us: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]))
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(r + i) % names.length]!
    us[name]!.push(await variants[name]!(batch(name, perRound)))
  }
}
const result = Object.fromEntries(
  names.map((name) => [
    name,
    {
      us: median(us[name]!),
      savingUs: median(us.default!.map((d, r) => d - us[name]![r]!)),
    },
  ]),
)
process.stdout.write(JSON.stringify(result) + '\n')
