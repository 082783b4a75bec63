/**
 * Requests/s of the plugin's route against a bare Fastify JSON route, over loopback HTTP.
 *
 * Both receive the same ~1 KB signed `order.filled` deliveries; the plugin gets a webhook-id it
 * has never seen on every request (signed before the clock starts, so the load generator does
 * not sign), which makes it verify, parse, validate, claim, run its handler and complete every
 * time. Rounds alternate bare, plugin, bare, plugin... and the ratio is
 * median(plugin) / median(bare).
 *
 * Process layout: each server runs in its own child process, autocannon in this one. Measured
 * here, autocannon spends about as much CPU per request (~19 us) as the bare server (~19 us).
 * In one process they share one event loop, so every rate is 1 / (client + server) and the
 * ratio is diluted toward 1 by the client's cost: the in-process variant read 0.32 where the
 * servers' own CPU said 0.15. In a child the server gets its own core and its own CPU clock
 * (read over IPC), so the ratio is the servers' and the CPU time per request can be reported
 * apart from autocannon's. The price is sensitivity to neighbours: when another process holds
 * the second core, client and bare server share one and bare req/s halves; the run then warns
 * (bare server below 80 % of a core). Two children (not one) keep the plugin's heap (100 000
 * stored ids) and JIT state away from the bare server.
 *
 * Before round 1 the plugin receives `--prefill` unique deliveries (default: the memory store's
 * bound, 100 000), so the rounds measure a long-running server whose store evicts, not the
 * first minutes of one. `--prefill 0` measures the young server.
 *
 *   node --import=tsx bench/plugin-route.ts [--rounds 5] [--duration 3] [--warmup 1]
 *     [--connections 20] [--deliveries 400000] [--prefill 100000] [--body-bytes 1024]
 *     [--cpu-prof] [--pin]
 *
 * `--cpu-prof` writes a V8 CPU profile of each server process to `.tmp/cpu-prof/`. `--pin`
 * (Linux, taskset) keeps autocannon on CPU 0 and the servers on CPU 1; on a quiet machine it
 * changed nothing measurable, so it is off by default.
 */
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { DEFAULT_MAX_ENTRIES } from '../plugin/memory-store.js'
import { createDeliveryPool, DEFAULT_BODY_BYTES, type BenchDelivery } from './lib/deliveries.js'
import { exitAfter, printResult, round, say, thousands } from './lib/report.js'
import { pinThisProcess, startServerProcess, type ServerProcess } from './lib/server-process.js'
import { median, spread } from './lib/stats.js'

const NAME = 'plugin-route'
const TARGET = 0.85
const PATH = '/webhooks/bluum'
/** Median share of a core the bare server must reach for its req/s to be its own limit. */
const CONTENDED_BELOW = 0.8
/** The plugin accepts timestamps up to 300 s old; keep every request well inside that. */
const MAX_SIGNATURE_AGE_S = 270

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '20' },
    deliveries: { type: 'string', default: '400000' },
    prefill: { type: 'string', default: String(DEFAULT_MAX_ENTRIES) },
    'body-bytes': { type: 'string', default: String(DEFAULT_BODY_BYTES) },
    'cpu-prof': { type: 'boolean', default: false },
    pin: { type: 'boolean', default: false },
  },
})
const rounds = integer('rounds', args.rounds, 1)
const durationS = integer('duration', args.duration, 1)
const warmupS = integer('warmup', args.warmup, 0)
const connections = integer('connections', args.connections, 1)
const deliveryCount = integer('deliveries', args.deliveries, 1)
const prefill = integer('prefill', args.prefill, 0)
const bodyBytes = integer('body-bytes', args['body-bytes'], 256)

function integer(name: string, value: string | undefined, min: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) {
    throw new RangeError(`--${name} must be an integer >= ${min}`)
  }
  return n
}

type Side = 'bare' | 'plugin'

interface Run {
  side: Side
  round: number
  warmup: boolean
  rps: number
  ok2xx: number
  non2xx: number
  errors: number
  handled: number
  /** Share of one core the server process used during the run. */
  serverCpu: number
  /** Server CPU time per request that reached the handler, in microseconds. */
  serverUsPerRequest: number
  /** The kernel's part of it (socket reads and writes), in microseconds. */
  serverSysUsPerRequest: number
  clientCpu: number
  p99Ms: number
}

const loadSeconds = rounds * 2 * (durationS + warmupS)
if (loadSeconds > MAX_SIGNATURE_AGE_S - 60) {
  throw new RangeError(
    `${loadSeconds} s of load leaves no room in the plugin's 300 s timestamp tolerance for the ` +
      'precomputed deliveries: use fewer or shorter rounds.',
  )
}

const servers: ServerProcess[] = []
exitAfter((loadSeconds + 240) * 1000, NAME, () => servers.forEach((s) => s.kill()))

async function main(): Promise<void> {
  say(`${NAME}: bare Fastify JSON route vs plugin route, loopback HTTP, logger off`)
  say(
    `${rounds} rounds x (${warmupS} s warm-up + ${durationS} s) per side, alternating, ` +
      `${connections} connections, pipelining 1`,
  )

  let started = performance.now()
  const pool = createDeliveryPool({ count: deliveryCount, bodyBytes })
  const signedAt = performance.now()
  say(
    `precomputed ${thousands(pool.size)} signed deliveries of ${pool.bodyBytes} B ` +
      `in ${seconds(performance.now() - started)}`,
  )

  const script = fileURLToPath(new URL('./lib/route-server.ts', import.meta.url))
  const profDir = fileURLToPath(new URL('../.tmp/cpu-prof/', import.meta.url))
  if (args['cpu-prof']) mkdirSync(profDir, { recursive: true })
  const execArgv = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []
  started = performance.now()
  const pinned = args.pin && pinThisProcess('0')
  if (args.pin) {
    say(pinned ? 'pinned: autocannon on CPU 0, servers on CPU 1' : 'pin: taskset failed')
  }
  const cpus = pinned ? { cpus: '1' } : {}
  const [bare, plugin] = await Promise.all([
    startServerProcess(script, ['bare'], execArgv, cpus),
    startServerProcess(script, ['plugin'], execArgv, cpus),
  ])
  servers.push(bare, plugin)
  say(`servers up in ${seconds(performance.now() - started)} (pids ${bare.pid}, ${plugin.pid})`)

  await sanityCheck(bare, plugin, pool.nextUnique())

  const runs: Run[] = []
  if (prefill > 0) {
    started = performance.now()
    const run = await load(plugin, 'plugin', 0, { amount: prefill }, () => pool.nextUnique())
    runs.push(run)
    say(
      `prefill: ${thousands(run.handled)} unique deliveries to the plugin in ` +
        `${seconds(performance.now() - started)} (${thousands(run.rps)} req/s), non-2xx ${run.non2xx}`,
    )
  }

  for (let r = 1; r <= rounds; r++) {
    for (const side of ['bare', 'plugin'] as const) {
      const server = side === 'bare' ? bare : plugin
      // The bare route does not dedupe, so it cycles through the pool and leaves the unique ids
      // to the plugin; it still gets the same bytes and headers.
      const next = side === 'bare' ? () => pool.nextCycling() : () => pool.nextUnique()
      if ((performance.now() - signedAt) / 1000 > MAX_SIGNATURE_AGE_S - durationS - warmupS) {
        throw new Error('the precomputed signatures would become stale: the machine is too slow')
      }
      if (warmupS > 0) runs.push(await load(server, side, r, { duration: warmupS }, next, true))
      const run = await load(server, side, r, { duration: durationS }, next)
      runs.push(run)
      say(
        `round ${r} ${side.padEnd(6)} ${thousands(run.rps).padStart(7)} req/s  ` +
          `server ${run.serverUsPerRequest.toFixed(1).padStart(5)} us/req ` +
          `(sys ${run.serverSysUsPerRequest.toFixed(1)}) at ${pct(run.serverCpu)} of a core  ` +
          `client ${pct(run.clientCpu)}  p99 ${run.p99Ms} ms  non-2xx ${run.non2xx}`,
      )
    }
  }

  const pluginFinal = await plugin.stats()
  await Promise.all(servers.map((s) => s.close()))

  const measured = (side: Side) => runs.filter((r) => r.side === side && !r.warmup && r.round > 0)
  const all = (side: Side) => runs.filter((r) => r.side === side)
  const total = (list: Run[], key: 'non2xx' | 'errors') => list.reduce((a, r) => a + r[key], 0)
  const bareRps = measured('bare').map((r) => r.rps)
  const pluginRps = measured('plugin').map((r) => r.rps)
  const ratio = median(pluginRps) / median(bareRps)
  const bareUs = median(measured('bare').map((r) => r.serverUsPerRequest))
  const pluginUs = median(measured('plugin').map((r) => r.serverUsPerRequest))
  const cpuRatio = bareUs / pluginUs

  // Every plugin 2xx must come from a handler run: a 2xx without one is a duplicate (or a
  // skipped handler). Handler runs without a counted 2xx are normal, at most `connections` per
  // run: the requests in flight when autocannon stops.
  const pluginRuns = all('plugin')
  const duplicates = pluginRuns.reduce((a, r) => a + Math.max(0, r.ok2xx - r.handled), 0)
  const pluginNon2xx = total(pluginRuns, 'non2xx')
  const bareNon2xx = total(all('bare'), 'non2xx')
  const connectionErrors = total(runs, 'errors')

  say()
  say(`bare   median ${thousands(median(bareRps))} req/s (spread ${pct(spread(bareRps))})`)
  say(`plugin median ${thousands(median(pluginRps))} req/s (spread ${pct(spread(pluginRps))})`)
  say(`ratio median(plugin) / median(bare): ${ratio.toFixed(3)} (target >= ${TARGET})`)
  say(
    `server CPU per request: bare ${bareUs.toFixed(1)} us, plugin ${pluginUs.toFixed(1)} us, ` +
      `bare/plugin ${cpuRatio.toFixed(3)} (informational, insensitive to neighbours)`,
  )
  say(
    `plugin: non-2xx ${pluginNon2xx}, duplicates ${duplicates}, connection errors ` +
      `${connectionErrors}, handler runs ${thousands(pluginFinal.handled)}, unique ids sent ` +
      `${thousands(pool.used)} (${thousands(pool.signedOnDemand)} signed on demand), heap ` +
      `${(pluginFinal.heapUsed / 1048576).toFixed(1)} MB`,
  )
  say(`bare:   non-2xx ${bareNon2xx}`)
  // The bare server needs about as much CPU per request as autocannon: when a neighbour holds
  // the second core they share one, bare req/s halves and the ratio is inflated toward
  // (client + bare) / (client + plugin). Flag it; the CPU-per-request ratio is unaffected.
  const bareServerCpu = median(measured('bare').map((r) => r.serverCpu))
  const contended = bareServerCpu < CONTENDED_BELOW
  if (contended) {
    say(
      `WARNING: the bare server used ${pct(bareServerCpu)} of a core (median): it shared a core ` +
        'with the load generator or a neighbour, so the req/s ratio is inflated; re-run on a ' +
        'quieter machine or read the CPU-per-request ratio',
    )
  }
  if (pool.signedOnDemand > 0) {
    say('note: the pool ran dry and the client signed on demand; raise --deliveries')
  }

  const valid = pluginNon2xx === 0 && bareNon2xx === 0 && duplicates === 0 && connectionErrors === 0
  if (!valid) say('INVALID: errors or duplicates make the plugin number meaningless')
  printResult({
    bench: NAME,
    valid,
    pass: valid && ratio >= TARGET,
    ratio: round(ratio),
    target: `>= ${TARGET}`,
    headline:
      `plugin ${thousands(median(pluginRps))} / bare ${thousands(median(bareRps))} req/s; ` +
      `CPU/req bare/plugin ${cpuRatio.toFixed(2)}`,
    bareRps: bareRps.map(Math.round),
    pluginRps: pluginRps.map(Math.round),
    bareMedianRps: Math.round(median(bareRps)),
    pluginMedianRps: Math.round(median(pluginRps)),
    bareServerUsPerRequest: round(bareUs, 1),
    pluginServerUsPerRequest: round(pluginUs, 1),
    cpuRatio: round(cpuRatio),
    pluginNon2xx,
    bareNon2xx,
    duplicates,
    connectionErrors,
    bareServerCpu: round(bareServerCpu),
    contended,
    prefill,
    uniqueIdsSent: pool.used,
    signedOnDemand: pool.signedOnDemand,
    bodyBytes: pool.bodyBytes,
    connections,
    rounds,
    durationS,
    warmupS,
  })
  if (!valid) process.exitCode = 1
}

/** One autocannon run against `server`, with the server's counters read before and after. */
async function load(
  server: ServerProcess,
  side: Side,
  roundNo: number,
  limit: { duration: number } | { amount: number },
  next: () => BenchDelivery,
  warmup = false,
): Promise<Run> {
  const before = await server.stats()
  const clientBefore = process.cpuUsage()
  const t0 = performance.now()
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}${PATH}`,
    connections,
    pipelining: 1,
    ...limit,
    method: 'POST',
    requests: [
      {
        setupRequest(req) {
          const delivery = next()
          req.headers = delivery.headers
          req.body = delivery.body
          return req
        },
      },
    ],
  })
  const wallUs = (performance.now() - t0) * 1000
  const client = process.cpuUsage(clientBefore)
  const after = await server.stats()
  const serverUs = after.cpuUserUs - before.cpuUserUs + after.cpuSystemUs - before.cpuSystemUs
  const handled = after.handled - before.handled
  return {
    side,
    round: roundNo,
    warmup,
    rps: result['2xx'] / (wallUs / 1e6),
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    handled,
    serverCpu: serverUs / wallUs,
    serverUsPerRequest: serverUs / Math.max(1, handled),
    serverSysUsPerRequest: (after.cpuSystemUs - before.cpuSystemUs) / Math.max(1, handled),
    clientCpu: (client.user + client.system) / wallUs,
    p99Ms: result.latency.p99,
  }
}

/** One delivery through each server before the clock starts: wrong wiring fails loudly here. */
async function sanityCheck(bare: ServerProcess, plugin: ServerProcess, delivery: BenchDelivery) {
  const post = (server: ServerProcess, headers: Record<string, string>) =>
    fetch(`http://127.0.0.1:${server.port}${PATH}`, {
      method: 'POST',
      headers,
      body: delivery.body.toString('utf8'),
    })
  for (const [name, server] of [
    ['bare', bare],
    ['plugin', plugin],
  ] as const) {
    const response = await post(server, delivery.headers)
    const text = await response.text()
    if (response.status !== 200 || text !== '{"received":true}') {
      throw new Error(`${name} answered ${response.status} ${text} to a valid delivery`)
    }
  }
  const forged = await post(plugin, {
    ...delivery.headers,
    'webhook-id': delivery.headers['webhook-id'] + 'x',
  })
  await forged.text()
  if (forged.status !== 401 && forged.status !== 400) {
    throw new Error(`plugin answered ${forged.status} to a forged delivery`)
  }
  say(
    `sanity: both answer 200 {"received":true}; the plugin answers ${forged.status} to a forged id`,
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
