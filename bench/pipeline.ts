/**
 * CPU time per delivery of the plugin's pipeline against the hand-rolled one, with no HTTP:
 * verification, parsing, claim, handler and completion only (`lib/pipeline-run.ts`). Where
 * `plugin-route.ts` says how the routes compare, this says how much of the difference is the
 * plugin's own work, and it holds up on a busy machine better (CPU time of one process, no
 * wake-ups between processes).
 *
 * The pipeline runs as the JavaScript `tsc` emits (compiled into `.tmp/bench-build/` first).
 * The ratio is hand-rolled us / plugin us per round (1 = as cheap), median over rounds. Many
 * short rounds rather than a few long ones: a neighbour's burst then spoils a few rounds that
 * the median leaves out, instead of one of nine (on a loaded machine single rounds ranged
 * 0.43-1.90 while the median of 40 moved by 0.01).
 *
 *   node --import=tsx bench/pipeline.ts [--rounds 30] [--per-round 6000]
 */
import { parseArgs } from 'node:util'
import { exitAfter, printResult, round, say } from './lib/report.js'
import { compileRouteServer, runCompiledChild } from './lib/server-process.js'

const NAME = 'pipeline'
const TARGET = 0.9

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '30' },
    'per-round': { type: 'string', default: '6000' },
  },
})
exitAfter(10 * 60 * 1000, NAME)

const started = performance.now()
compileRouteServer()
say(`${NAME}: compiled in ${((performance.now() - started) / 1000).toFixed(1)} s`)
const result = runCompiledChild<{
  pluginUs: number
  handUs: number
  ratio: number
  min: number
  max: number
}>('pipeline-run', [args.rounds, args['per-round']], 9 * 60 * 1000)
say(
  `pipeline CPU per delivery: plugin ${result.pluginUs.toFixed(1)} us, hand-rolled ` +
    `${result.handUs.toFixed(1)} us; hand-rolled/plugin ${result.ratio.toFixed(2)} ` +
    `(${result.min.toFixed(2)}–${result.max.toFixed(2)} across rounds), target >= ${TARGET}`,
)
printResult({
  bench: NAME,
  valid: true,
  pass: result.ratio >= TARGET,
  ratio: round(result.ratio),
  target: `>= ${TARGET}`,
  headline: `plugin ${result.pluginUs.toFixed(1)} us vs hand-rolled ${result.handUs.toFixed(1)} us per delivery`,
  pluginUs: round(result.pluginUs, 2),
  handUs: round(result.handUs, 2),
  min: round(result.min),
  max: round(result.max),
})
