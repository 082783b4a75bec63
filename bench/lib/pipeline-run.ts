/**
 * Child of `bench/pipeline.ts`, run as compiled JavaScript: the plugin's delivery pipeline
 * (memory store, one no-op `order.filled` handler) against the hand-rolled one (`pipelines.ts`),
 * in one process with no HTTP, on the same signed 1 KB deliveries with a new webhook id each.
 * Rounds alternate; each measures this process's CPU time per delivery.
 *
 *   node .tmp/bench-build/bench/lib/pipeline-run.js <rounds> <deliveries per round>
 */
import { createDeliveryPool } from './deliveries.js'
import { handRolledPipeline, pluginPipeline } from './pipelines.js'
import { median, range } from './stats.js'

const rounds = Number(process.argv[2] ?? 30)
const perRound = Number(process.argv[3] ?? 6_000)
const warmup = 20_000

const pool = createDeliveryPool({ count: 2 * (warmup + rounds * perRound) })
const plugin = pool.cursor()
const hand = pool.cursor()
const runPlugin = pluginPipeline()
const runHand = handRolledPipeline()

await runPlugin(Array.from({ length: warmup }, plugin))
await runHand(Array.from({ length: warmup }, hand))
const pluginUs: number[] = []
const handUs: number[] = []
for (let r = 0; r < rounds; r++) {
  pluginUs.push(await runPlugin(Array.from({ length: perRound }, plugin)))
  handUs.push(await runHand(Array.from({ length: perRound }, hand)))
}
const ratios = pluginUs.map((p, i) => handUs[i]! / p)
const { min, max } = range(ratios)
process.stdout.write(
  JSON.stringify({
    pluginUs: median(pluginUs),
    handUs: median(handUs),
    ratio: median(ratios),
    min,
    max,
  }) + '\n',
)
