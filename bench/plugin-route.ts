/**
 * The plugin's route against the routes one would otherwise write, over loopback HTTP, in one
 * interleaved run (`npm run bench:route`):
 *
 *   bare     Fastify's JSON route with no verification and no dedupe: the ceiling
 *   plugin   the plugin with the memory store
 *   hand     the cheapest verifying route by hand: Fastify + a Buffer parser + node:crypto HMAC
 *            + timingSafeEqual + JSON.parse + a Map claim/complete
 *   express  the webhook guides' shape: express.raw() + the same HMAC + JSON.parse + a Map
 *
 * (`bench/lib/route-server.ts` has the routes.) Every route gets the same ~1 KB signed
 * `order.filled` bytes and headers; the deduping routes (plugin, hand, express) each walk their
 * own sequence of never-seen webhook ids, signed before the clock starts so the load generator
 * does not sign, which makes them verify, parse, claim, run the handler and complete every time.
 * The bare route cycles through the same deliveries.
 *
 * Process layout: each server in its own child process, all pinned with `taskset` to CPU 1, and
 * autocannon in this process pinned to CPU 0. A server is measured alone on its core, and the
 * load generator (which spends about as much CPU per request as the bare server) never competes
 * with it. Each child reports its own `process.cpuUsage()` over IPC, so server CPU time per
 * request is measured apart from the client's. Rounds are interleaved (bare, plugin, hand,
 * express, bare, ...) so a slow patch of a shared machine hits every route, and a ratio is
 * median(plugin) / median(other) within one run. With `--repeat N` the whole run (fresh
 * signatures, fresh servers) is done N times and each ratio is reported as the median of the
 * runs with its min–max.
 *
 * Ratios: by req/s (plugin req/s / other req/s) and by server CPU (other us per request /
 * plugin us per request); both read "plugin throughput as a share of the other's", and the
 * CPU one does not move when a neighbour steals the client's core.
 *
 * Before round 1 every deduping route receives `--prefill` unique deliveries (default: the
 * memory store's bound, 100 000), so the rounds measure a long-running server whose store
 * evicts, not the first minutes of one.
 *
 *   node --import=tsx bench/plugin-route.ts [--repeat 3] [--rounds 5] [--duration 3]
 *     [--warmup 1] [--connections 20] [--deliveries 800000] [--prefill 100000]
 *     [--body-bytes 1024] [--routes bare,plugin,hand,express] [--cpu-prof] [--no-pin] [--source]
 *
 * The servers run the JavaScript `tsc` emits (compiled into `.tmp/bench-build/` first), as the
 * package ships; `--source` runs them from TypeScript under tsx instead, whose keepNames
 * wrappers add a per-closure cost of their own.
 *
 * `--cpu-prof` writes a V8 CPU profile of each server process to `.tmp/cpu-prof/`
 * (`bench/lib/profile-summary.ts` reads them). `--no-pin` leaves scheduling to the kernel.
 */
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DEFAULT_MAX_ENTRIES } from '../plugin/memory-store.js'
import { createDeliveryPool, DEFAULT_BODY_BYTES, type BenchDelivery } from './lib/deliveries.js'
import { loadServer } from './lib/load.js'
import { exitAfter, printResult, round, say, thousands } from './lib/report.js'
import {
  compileRouteServer,
  pinThisProcess,
  startServerProcess,
  type ServerProcess,
} from './lib/server-process.js'
import { median, range } from './lib/stats.js'

const NAME = 'plugin-route'
const PATH = '/webhooks/bluum'
const ROUTES = ['bare', 'plugin', 'hand', 'express'] as const
type Route = (typeof ROUTES)[number]
type Other = Exclude<Route, 'plugin'>
const LABEL: Record<Route, string> = {
  bare: 'bare Fastify',
  plugin: 'plugin',
  hand: 'hand-rolled',
  express: 'Express',
}
/** Plugin req/s as a share of each other route's, at least. */
const TARGET: Record<Other, number> = { hand: 0.95, bare: 0.65, express: 3 }
/** Median share of a core a server must reach for its req/s to be its own limit. */
const CONTENDED_BELOW = 0.8
/** The routes accept timestamps up to 300 s old; keep every request well inside that. */
const MAX_SIGNATURE_AGE_S = 270

const { values: args } = parseArgs({
  options: {
    repeat: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '20' },
    deliveries: { type: 'string', default: '800000' },
    prefill: { type: 'string', default: String(DEFAULT_MAX_ENTRIES) },
    'body-bytes': { type: 'string', default: String(DEFAULT_BODY_BYTES) },
    routes: { type: 'string', default: ROUTES.join(',') },
    'cpu-prof': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    source: { type: 'boolean', default: false },
  },
})
const repeat = integer('repeat', args.repeat, 1)
const rounds = integer('rounds', args.rounds, 1)
const durationS = integer('duration', args.duration, 1)
const warmupS = integer('warmup', args.warmup, 0)
const connections = integer('connections', args.connections, 1)
const deliveryCount = integer('deliveries', args.deliveries, 1)
const prefill = integer('prefill', args.prefill, 0)
const bodyBytes = integer('body-bytes', args['body-bytes'], 256)
const routes = args.routes.split(',').map((name) => {
  if (!(ROUTES as readonly string[]).includes(name)) {
    throw new RangeError(`--routes takes a list of ${ROUTES.join(', ')} (got ${name})`)
  }
  return name as Route
})
if (!routes.includes('plugin')) throw new RangeError('--routes must include plugin')
/** In the order the ratios are printed. */
const others = (['hand', 'bare', 'express'] as const).filter((r) => routes.includes(r))

function integer(name: string, value: string | undefined, min: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) {
    throw new RangeError(`--${name} must be an integer >= ${min}`)
  }
  return n
}

interface Load {
  route: Route
  round: number
  warmup: boolean
  rps: number
  ok2xx: number
  non2xx: number
  errors: number
  handled: number
  /** Share of one core the server process used during the load. */
  serverCpu: number
  /** Server CPU time per request that reached the handler, in microseconds. */
  serverUsPerRequest: number
  clientCpu: number
  p99Ms: number
}

/** What one run (one set of servers, interleaved rounds) measured. */
interface RunResult {
  rps: Record<Route, number>
  us: Record<Route, number>
  serverCpu: Record<Route, number>
  /** plugin rps / other rps, and other us / plugin us. */
  rpsRatio: Partial<Record<Other, number>>
  cpuRatio: Partial<Record<Other, number>>
  non2xx: number
  duplicates: number
  errors: number
  signedOnDemand: number
}

const loadSeconds = rounds * routes.length * (durationS + warmupS)
if (loadSeconds > MAX_SIGNATURE_AGE_S - 90) {
  throw new RangeError(
    `${loadSeconds} s of load per run leaves no room in the routes' 300 s timestamp tolerance ` +
      'for the precomputed deliveries: use fewer or shorter rounds.',
  )
}

const servers: ServerProcess[] = []
exitAfter(repeat * (loadSeconds + 300) * 1000, NAME, () => servers.forEach((s) => s.kill()))

async function main(): Promise<void> {
  say(`${NAME}: ${routes.map((r) => LABEL[r]).join(' vs ')}, loopback HTTP, logger off`)
  say(
    `${repeat} run(s) x ${rounds} interleaved rounds x (${warmupS} s warm-up + ${durationS} s) ` +
      `per route, ${connections} connections, pipelining 1`,
  )
  const pinned = !args['no-pin'] && pinThisProcess('0')
  if (!args['no-pin']) {
    say(
      pinned
        ? 'pinned: autocannon on CPU 0, every server on CPU 1 (taskset)'
        : 'not pinned: taskset is missing or refused; client and servers share both cores',
    )
  }

  let script = fileURLToPath(new URL('./lib/route-server.ts', import.meta.url))
  if (!args.source) {
    const started = performance.now()
    script = compileRouteServer()
    say(`compiled the servers with tsc in ${seconds(performance.now() - started)}`)
  }

  const results: RunResult[] = []
  for (let n = 1; n <= repeat; n++) {
    if (repeat > 1) say(`\n--- run ${n} of ${repeat} ---`)
    results.push(await runOnce(pinned, script))
  }

  const invalid = results.some((r) => r.non2xx > 0 || r.duplicates > 0 || r.errors > 0)
  const rpsRatios = (o: Other) => results.map((r) => r.rpsRatio[o]!)
  const cpuRatios = (o: Other) => results.map((r) => r.cpuRatio[o]!)
  const fmt = (values: number[]) => {
    const { min, max } = range(values)
    const mid = median(values).toFixed(2)
    return values.length === 1 ? mid : `${mid} (${min.toFixed(2)}–${max.toFixed(2)})`
  }
  const pass = !invalid && others.every((o) => median(rpsRatios(o)) >= TARGET[o])

  say()
  say(
    `=== summary: ${results.length} run(s), ${rounds} interleaved rounds of ${durationS} s per ` +
      `route each, ${pool.bodyBytes} B order.filled, new webhook id per request` +
      (results.length > 1 ? '; median of runs (min–max)' : '') +
      ' ===',
  )
  for (const route of routes) {
    const rps = results.map((r) => r.rps[route])
    const us = results.map((r) => r.us[route])
    say(
      `${LABEL[route].padEnd(12)}  ${thousands(median(rps)).padStart(7)} req/s  ` +
        `${median(us).toFixed(1).padStart(5)} us server CPU per request`,
    )
  }
  for (const o of others) {
    const met = median(rpsRatios(o)) >= TARGET[o]
    say(
      `plugin/${LABEL[o]}`.padEnd(22) +
        `req/s ${fmt(rpsRatios(o)).padEnd(17)}  server CPU ${fmt(cpuRatios(o)).padEnd(17)}  ` +
        `target >= ${TARGET[o]}${met ? '' : ' (not met)'}`,
    )
  }
  if (invalid) say('INVALID: errors or duplicates make the numbers meaningless')

  const medianOf = (o: Other) => round(median(rpsRatios(o)))
  printResult({
    bench: NAME,
    valid: !invalid,
    pass,
    ...(others.includes('hand') ? { ratio: medianOf('hand') } : {}),
    target: others.map((o) => `${o} >= ${TARGET[o]}`).join(', '),
    headline: others
      .map((o) => `plugin/${o} ${medianOf(o).toFixed(2)} (CPU ${median(cpuRatios(o)).toFixed(2)})`)
      .join(', '),
    runs: results.length,
    rpsRatios: Object.fromEntries(others.map((o) => [o, rpsRatios(o).map((v) => round(v))])),
    cpuRatios: Object.fromEntries(others.map((o) => [o, cpuRatios(o).map((v) => round(v))])),
    medianRps: Object.fromEntries(
      routes.map((r) => [r, Math.round(median(results.map((x) => x.rps[r])))]),
    ),
    serverUsPerRequest: Object.fromEntries(
      routes.map((r) => [r, round(median(results.map((x) => x.us[r])), 1)]),
    ),
    pinned,
    compiled: !args.source,
    prefill,
    bodyBytes: pool.bodyBytes,
    connections,
    rounds,
    durationS,
    warmupS,
  })
  if (invalid) process.exitCode = 1
}

let pool = createDeliveryPool({ count: 1, bodyBytes })

async function runOnce(pinned: boolean, script: string): Promise<RunResult> {
  const profDir = fileURLToPath(new URL('../.tmp/cpu-prof/', import.meta.url))
  if (args['cpu-prof']) mkdirSync(profDir, { recursive: true })
  const execArgv = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []
  let started = performance.now()
  const cpus = pinned ? { cpus: '1' } : {}
  const started2 = await Promise.all(
    routes.map((r) => startServerProcess(script, [r], execArgv, cpus)),
  )
  servers.push(...started2)
  const server = Object.fromEntries(routes.map((r, i) => [r, started2[i]!])) as Record<
    Route,
    ServerProcess
  >
  say(
    `servers up in ${seconds(performance.now() - started)} ` +
      `(${routes.map((r) => `${r} ${server[r].pid}`).join(', ')})`,
  )

  // The prefill of each route gets its own deliveries, signed just before it: on a loaded
  // machine three prefills take minutes, and one pool signed before all of them would age past
  // the routes' 300 s tolerance. Its ids never meet the measured ones (each pool has its own tag).
  const loads: Load[] = []
  if (prefill > 0) {
    for (const route of routes.filter((r) => r !== 'bare')) {
      const fill = createDeliveryPool({ count: prefill, bodyBytes })
      started = performance.now()
      const load = await measure(server[route], route, 0, { amount: prefill }, fill.cursor(), true)
      loads.push(load)
      say(
        `prefill ${route.padEnd(7)}: ${thousands(load.handled)} unique deliveries in ` +
          `${seconds(performance.now() - started)}, non-2xx ${load.non2xx}`,
      )
    }
  }

  // The measured deliveries are signed after the prefill, so their age counts from round 1.
  started = performance.now()
  pool = createDeliveryPool({ count: deliveryCount, bodyBytes })
  const signedAt = performance.now()
  say(
    `precomputed ${thousands(pool.size)} signed deliveries of ${pool.bodyBytes} B ` +
      `in ${seconds(performance.now() - started)}`,
  )
  // Each deduping route walks its own unique ids; the bare route cycles.
  const next = Object.fromEntries(
    routes.map((r) => [r, r === 'bare' ? () => pool.nextCycling() : pool.cursor()]),
  ) as Record<Route, () => BenchDelivery>
  await sanityCheck(server, next)

  for (let r = 1; r <= rounds; r++) {
    for (const route of routes) {
      const ageS = (performance.now() - signedAt) / 1000
      if (ageS > MAX_SIGNATURE_AGE_S - durationS - warmupS) {
        throw new Error(
          'the precomputed signatures would become stale: the machine is too slow for ' +
            `${rounds} rounds of ${durationS + warmupS} s per route; use fewer --rounds or a shorter --duration`,
        )
      }
      if (warmupS > 0) {
        loads.push(await measure(server[route], route, r, { duration: warmupS }, next[route], true))
      }
      const load = await measure(server[route], route, r, { duration: durationS }, next[route])
      loads.push(load)
      say(
        `round ${r} ${route.padEnd(7)} ${thousands(load.rps).padStart(7)} req/s  ` +
          `server ${load.serverUsPerRequest.toFixed(1).padStart(5)} us/req at ` +
          `${pct(load.serverCpu)} of a core  client ${pct(load.clientCpu)}  ` +
          `p99 ${load.p99Ms} ms  non-2xx ${load.non2xx}`,
      )
    }
  }

  await Promise.all(routes.map((r) => server[r].close()))
  servers.length = 0

  const measured = (route: Route) => loads.filter((l) => l.route === route && !l.warmup)
  const rps = {} as Record<Route, number>
  const us = {} as Record<Route, number>
  const serverCpu = {} as Record<Route, number>
  for (const route of routes) {
    rps[route] = median(measured(route).map((l) => l.rps))
    us[route] = median(measured(route).map((l) => l.serverUsPerRequest))
    serverCpu[route] = median(measured(route).map((l) => l.serverCpu))
  }
  const rpsRatio: Partial<Record<Other, number>> = {}
  const cpuRatio: Partial<Record<Other, number>> = {}
  for (const o of others) {
    rpsRatio[o] = rps.plugin / rps[o]
    cpuRatio[o] = us[o] / us.plugin
  }

  // Every 2xx of a deduping route must come from a handler run: a 2xx without one is a
  // duplicate (or a skipped handler). Handler runs without a counted 2xx are normal, at most
  // `connections` per load: the requests in flight when autocannon stops.
  const duplicates = loads
    .filter((l) => l.route !== 'bare')
    .reduce((a, l) => a + Math.max(0, l.ok2xx - l.handled), 0)
  const non2xx = loads.reduce((a, l) => a + l.non2xx, 0)
  const errors = loads.reduce((a, l) => a + l.errors, 0)

  say()
  for (const o of others) {
    say(
      `plugin/${LABEL[o]}: req/s ${rpsRatio[o]!.toFixed(3)}, server CPU ${cpuRatio[o]!.toFixed(3)}`,
    )
  }
  say(
    `non-2xx ${non2xx}, duplicates ${duplicates}, connection errors ${errors}, unique ids sent ` +
      `${thousands(pool.used)} (${thousands(pool.signedOnDemand)} signed on demand)`,
  )
  // A server below most of a core was not its own limit (the client, or a neighbour on its
  // core): its req/s is not comparable, its CPU per request still is.
  for (const route of routes) {
    if (serverCpu[route] < CONTENDED_BELOW) {
      say(
        `WARNING: the ${LABEL[route]} server used ${pct(serverCpu[route])} of a core (median): ` +
          'its req/s was limited by something else; read the server CPU ratios',
      )
    }
  }
  if (pool.signedOnDemand > 0) {
    say('note: the pool ran dry and the client signed on demand; raise --deliveries')
  }
  return {
    rps,
    us,
    serverCpu,
    rpsRatio,
    cpuRatio,
    non2xx,
    duplicates,
    errors,
    signedOnDemand: pool.signedOnDemand,
  }
}

/** One autocannon load on `server`, with the server's counters read before and after. */
async function measure(
  server: ServerProcess,
  route: Route,
  roundNo: number,
  limit: { duration: number } | { amount: number },
  next: () => BenchDelivery,
  warmup = false,
): Promise<Load> {
  const { result, handled, serverUs, wallUs, clientUs } = await loadServer(server, next, {
    path: PATH,
    connections,
    limit,
  })
  return {
    route,
    round: roundNo,
    warmup,
    rps: result['2xx'] / (wallUs / 1e6),
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    handled,
    serverCpu: serverUs / wallUs,
    serverUsPerRequest: serverUs / Math.max(1, handled),
    clientCpu: clientUs / wallUs,
    p99Ms: result.latency.p99,
  }
}

/**
 * One delivery through each server before the clock starts, and a forged one through each
 * verifying server: wrong wiring fails loudly here.
 */
async function sanityCheck(
  server: Record<Route, ServerProcess>,
  next: Record<Route, () => BenchDelivery>,
): Promise<void> {
  const post = (route: Route, delivery: BenchDelivery, headers = delivery.headers) =>
    fetch(`http://127.0.0.1:${server[route].port}${PATH}`, {
      method: 'POST',
      headers,
      body: delivery.body.toString('utf8'),
    })
  const forgedStatus: string[] = []
  for (const route of routes) {
    const delivery = next[route]()
    const response = await post(route, delivery)
    const text = await response.text()
    if (response.status !== 200 || text !== '{"received":true}') {
      throw new Error(`${route} answered ${response.status} ${text} to a valid delivery`)
    }
    if (route === 'bare') continue
    const forged = await post(route, delivery, {
      ...delivery.headers,
      'webhook-id': delivery.headers['webhook-id'] + 'x',
    })
    await forged.text()
    if (forged.status !== 401 && forged.status !== 400) {
      throw new Error(`${route} answered ${forged.status} to a forged delivery`)
    }
    forgedStatus.push(`${route} ${forged.status}`)
  }
  say(
    `sanity: every route answers 200 {"received":true}; to a forged id: ${forgedStatus.join(', ')}`,
  )
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

main().catch((err: unknown) => {
  servers.forEach((s) => s.kill())
  process.stderr.write(`${NAME} failed: ${(err as Error)?.stack ?? String(err)}\n`)
  process.exitCode = 1
})
