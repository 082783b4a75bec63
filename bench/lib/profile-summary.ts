/**
 * Summarises a V8 `.cpuprofile` (from `plugin-route.ts --cpu-prof`) per function, over the
 * last `--window-s` seconds before the last sample that was serving a request, so start-up and
 * the idle rounds of the other server are left out. With `--requests N` (requests served in
 * that window: req/s of the last round x window) times are printed per request.
 *
 *   node --import=tsx bench/lib/profile-summary.ts .tmp/cpu-prof/CPU.<pid>.0.001.cpuprofile \
 *     [--window-s 3] [--requests 24000] [--top 25] [--match plugin/] [--serving REGEX]
 *
 * Two tables: self time per function (where the CPU was), and inclusive time of the functions
 * whose `name file` matches `--match` (what each step costs with everything it calls). The
 * window ends at the last sample whose stack has a function matching `--serving` (default the
 * HTTP server's request entry points; `--serving '^trigger$'` for the sandbox bench). The
 * sampler counts wall time, so `writev` also holds the time the process was preempted inside
 * that system call; the bench's CPU-per-request figures do not. V8 inlines small functions
 * into their callers: run with `--no-turbo-inlining` to see them apart.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  samples: number[]
  timeDeltas: number[]
}

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'window-s': { type: 'string', default: '3' },
    requests: { type: 'string' },
    top: { type: 'string', default: '25' },
    match: { type: 'string', default: 'plugin/' },
    serving: { type: 'string', default: '^(parserOnIncoming|onEnd|handleRequest)$' },
  },
})
const file = positionals[0]
if (file === undefined) throw new Error('usage: profile-summary.ts <file.cpuprofile> [options]')

const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parentOf = new Map<number, number>()
for (const node of profile.nodes)
  for (const child of node.children ?? []) parentOf.set(child, node.id)

const root = new URL('../../', import.meta.url).href
const label = (node: ProfileNode) => {
  const url = node.callFrame.url.replace(root, '').replace(/^.*node_modules\//, '')
  return `${node.callFrame.functionName || '(anonymous)'} ${url}`.trim()
}
function stackOf(id: number): ProfileNode[] {
  const stack: ProfileNode[] = []
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    stack.push(byId.get(at)!)
  }
  return stack // leaf first
}
const servingName = new RegExp(args.serving)
const serving = (stack: ProfileNode[]) =>
  stack.some((n) => servingName.test(n.callFrame.functionName))

const times: number[] = []
let clock = profile.startTime
for (const delta of profile.timeDeltas) times.push((clock += delta))
let end = 0
for (let i = profile.samples.length - 1; i >= 0 && end === 0; i--) {
  if (serving(stackOf(profile.samples[i]!))) end = times[i]!
}
const start = end - Number(args['window-s']) * 1e6

const self = new Map<string, number>()
const inclusive = new Map<string, number>()
const match = new RegExp(args.match.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
let busy = 0
for (let i = 0; i < profile.samples.length; i++) {
  if (times[i]! < start || times[i]! > end) continue
  const dt = profile.timeDeltas[i] ?? 0
  const stack = stackOf(profile.samples[i]!)
  const leaf = label(stack[0]!)
  if (leaf.startsWith('(idle)')) continue
  busy += dt
  self.set(leaf, (self.get(leaf) ?? 0) + dt)
  for (const name of new Set(stack.map(label).filter((l) => match.test(l)))) {
    inclusive.set(name, (inclusive.get(name) ?? 0) + dt)
  }
}

const requests = args.requests === undefined ? undefined : Number(args.requests)
const show = (us: number) =>
  requests === undefined
    ? `${((us / busy) * 100).toFixed(1).padStart(5)} %`
    : `${(us / requests).toFixed(2).padStart(7)} us/req`
const top = Number(args.top)
process.stdout.write(
  `${file}\nwindow ${args['window-s']} s, busy ${(busy / 1e6).toFixed(2)} s` +
    (requests === undefined ? '' : `, ${(busy / requests).toFixed(1)} us per request`) +
    '\n\nself time\n',
)
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  process.stdout.write(`${show(us)}  ${name}\n`)
}
process.stdout.write(`\ninclusive time of functions matching "${args.match}"\n`)
for (const [name, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  process.stdout.write(`${show(us)}  ${name}\n`)
}
