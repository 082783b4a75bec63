/**
 * Child of `bench/pipeline.ts`, run as compiled JavaScript: the plugin's delivery pipeline
 * (`createDeliveryProcessor().process()`, memory store, one no-op `order.filled` handler)
 * against the hand-rolled one (`hand-rolled.ts`: inline HMAC, JSON.parse, a Map), in one
 * process with no HTTP, on the same signed 1 KB deliveries with a new webhook id each.
 * Rounds alternate; each measures this process's CPU time per delivery (`process.cpuUsage`),
 * which a busy neighbour does not inflate the way it inflates wall time.
 *
 *   node .tmp/bench-build/bench/lib/pipeline-run.js <rounds> <deliveries per round>
 */
import { createDeliveryProcessor } from '../../plugin/delivery.js'
import { resolveOptions } from '../../plugin/options.js'
import { createEventRouter } from '../../plugin/router.js'
import { TEST_SECRET } from '../../test/helpers/sign.js'
import { createDeliveryPool, type BenchDelivery } from './deliveries.js'
import { createInlineDedupe, verifyInline } from './hand-rolled.js'
import { median, range } from './stats.js'

const rounds = Number(process.argv[2] ?? 30)
const perRound = Number(process.argv[3] ?? 6_000)
const warmup = 20_000

let handled = 0
const router = createEventRouter()
router.api.on('order.filled', () => {
  handled++
})
const processor = createDeliveryProcessor(resolveOptions({ secret: TEST_SECRET }), router)
const noop = () => {}
const log = { info: noop, warn: noop, error: noop, debug: noop }
const dedupe = createInlineDedupe()

/** What the hand-rolled route's handler does, without the HTTP around it. */
async function handRolled(delivery: BenchDelivery): Promise<number> {
  const id = verifyInline(delivery.headers, delivery.body)
  if (id === undefined) return 401
  const event = JSON.parse(delivery.body.toString('utf8')) as { event?: unknown }
  const state = dedupe.claim(id)
  if (state !== 0) return state === 2 ? 200 : 409
  if (event.event === 'order.filled') handled++
  dedupe.complete(id)
  return 200
}

const pool = createDeliveryPool({ count: 2 * (warmup + rounds * perRound) })
const plugin = pool.cursor()
const hand = pool.cursor()
const cpu = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}

async function runPlugin(n: number): Promise<number> {
  const batch = Array.from({ length: n }, plugin)
  const start = cpu()
  for (const d of batch) {
    const answer = await processor.process({ rawBody: d.body, headers: d.headers, log })
    if (!answer.ok) throw answer.error
  }
  return (cpu() - start) / n
}

async function runHand(n: number): Promise<number> {
  const batch = Array.from({ length: n }, hand)
  const start = cpu()
  for (const d of batch) if ((await handRolled(d)) !== 200) throw new Error('hand-rolled refused')
  return (cpu() - start) / n
}

await runPlugin(warmup)
await runHand(warmup)
const pluginUs: number[] = []
const handUs: number[] = []
for (let r = 0; r < rounds; r++) {
  pluginUs.push(await runPlugin(perRound))
  handUs.push(await runHand(perRound))
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
    handled,
  }) + '\n',
)
