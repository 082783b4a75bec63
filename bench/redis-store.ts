/**
 * Requests/s of the plugin's route with the Redis store against the memory store (the default),
 * same run, over loopback HTTP, and the Redis round trips each delivery costs.
 *
 * Both servers run the plugin with one no-op `order.filled` handler, each in its own child
 * process (as in `plugin-route.ts`), and receive ~1 KB signed deliveries with a webhook-id never
 * seen before (precomputed, so the load generator does not sign): every request verifies,
 * claims, runs the handler and completes. Rounds alternate memory, redis, memory, redis... and
 * the ratio is median(redis) / median(memory). The Redis server is a private loopback one that
 * this script starts and stops (the test helper), never a system Redis.
 *
 * Round trips are counted by Redis itself: `INFO commandstats` deltas over each redis run,
 * EVAL/EVALSHA (and any other top-level command) per handled delivery. Commands called inside
 * the scripts (SET/GET/DEL) are shown apart: they cost no round trip.
 *
 *   node --import=tsx bench/redis-store.ts [--rounds 3] [--duration 3] [--warmup 1]
 *     [--connections 20] [--deliveries 400000] [--body-bytes 1024]
 *
 * Stops by itself: a hard time bound kills the children and the Redis server.
 */
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { startRedisServer, type RedisServer } from '../test/helpers/redis-server.js'
import { createDeliveryPool, DEFAULT_BODY_BYTES, type BenchDelivery } from './lib/deliveries.js'
import { exitAfter, printResult, round, say, thousands } from './lib/report.js'
import { loadServer } from './lib/load.js'
import { startServerProcess, type ServerProcess } from './lib/server-process.js'
import { median, spread } from './lib/stats.js'

const NAME = 'redis-store'
const TARGET = 0.7
const PATH = '/webhooks/bluum'
/** The plugin accepts timestamps up to 300 s old; keep every request well inside that. */
const MAX_SIGNATURE_AGE_S = 270
const KEY_PREFIX = 'bluum:webhook:'

type Side = 'memory' | 'redis'

interface Run {
  side: Side
  round: number
  warmup: boolean
  rps: number
  ok2xx: number
  non2xx: number
  errors: number
  handled: number
  serverUsPerRequest: number
  p99Ms: number
  /** Redis side only: top-level commands (round trips) and script-internal calls per delivery. */
  roundTrips?: number
  inScript?: number
  redisUsPerRequest?: number
}

/** `INFO commandstats` as calls per command, plus Redis' own CPU time in microseconds. */
async function redisCounters(client: Redis) {
  const calls = new Map<string, number>()
  const stats = await client.info('commandstats')
  for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1]!, Number(m[2]))
  const cpu = await client.info('cpu')
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1])
  return { calls, cpuUs: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6 }
}

// Called from inside the scripts: no round trip of their own.
const IN_SCRIPT = new Set(['set', 'get', 'del'])
// Issued by this bench's observer connection, not by the store.
const OBSERVER = new Set(['info', 'config|resetstat', 'memory|usage', 'dbsize', 'ping'])

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    args: process.argv.slice(2),
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      connections: { type: 'string', default: '20' },
      deliveries: { type: 'string', default: '400000' },
      'body-bytes': { type: 'string', default: String(DEFAULT_BODY_BYTES) },
    },
  })
  const integer = (name: string, value: string | undefined, min: number) => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min)
      throw new RangeError(`--${name} must be an integer >= ${min}`)
    return n
  }
  const rounds = integer('rounds', args.rounds, 1)
  const durationS = integer('duration', args.duration, 1)
  const warmupS = integer('warmup', args.warmup, 0)
  const connections = integer('connections', args.connections, 1)
  const deliveryCount = integer('deliveries', args.deliveries, 1)
  const bodyBytes = integer('body-bytes', args['body-bytes'], 256)
  const loadSeconds = rounds * 2 * (durationS + warmupS)
  if (loadSeconds > MAX_SIGNATURE_AGE_S - 60) {
    throw new RangeError(`${loadSeconds} s of load would outlive the precomputed signatures`)
  }

  const servers: ServerProcess[] = []
  let redis: RedisServer | undefined
  exitAfter((loadSeconds + 120) * 1000, NAME, () => {
    servers.forEach((s) => s.kill())
    if (redis?.pid) process.kill(redis.pid, 'SIGKILL')
  })

  say(`${NAME}: plugin route with the Redis store vs the memory store, loopback HTTP, logger off`)
  say(
    `${rounds} rounds x (${warmupS} s warm-up + ${durationS} s) per side, alternating, ` +
      `${connections} connections, pipelining 1`,
  )
  redis = await startRedisServer()
  const observer = new Redis(redis.url)
  try {
    const version = /redis_version:(\S+)/.exec(await observer.info('server'))?.[1]
    say(`redis-server ${version} on ${redis.url} (pid ${redis.pid}), no persistence`)

    const pool = createDeliveryPool({ count: deliveryCount, bodyBytes })
    say(`precomputed ${thousands(pool.size)} signed deliveries of ${pool.bodyBytes} B`)
    const signedAt = performance.now()

    // The same child as bench/plugin-route.ts: the plugin with the memory store, or with Redis.
    const script = fileURLToPath(new URL('./lib/route-server.ts', import.meta.url))
    const [memory, redisSide] = await Promise.all([
      startServerProcess(script, ['plugin']),
      startServerProcess(script, ['redis', redis.url]),
    ])
    servers.push(memory, redisSide)
    for (const [name, server] of [
      ['memory', memory],
      ['redis', redisSide],
    ] as const) {
      const delivery = pool.nextUnique()
      const post = () =>
        fetch(`http://127.0.0.1:${server.port}${PATH}`, {
          method: 'POST',
          headers: delivery.headers,
          body: delivery.body.toString('utf8'),
        }).then(async (r) => `${r.status} ${await r.text()}`)
      const [first, second] = [await post(), await post()]
      if (
        first !== '200 {"received":true}' ||
        second !== '200 {"received":true,"duplicate":true}'
      ) {
        throw new Error(`${name} answered "${first}" then "${second}" to one delivery sent twice`)
      }
    }
    say('sanity: both servers answer 200 {"received":true}, then duplicate:true to a repeat')

    const memoryBefore = Number(/^used_memory:(\d+)/m.exec(await observer.info('memory'))?.[1])
    const keysBefore = await observer.dbsize()

    const runs: Run[] = []
    for (let r = 1; r <= rounds; r++) {
      for (const side of ['memory', 'redis'] as const) {
        if ((performance.now() - signedAt) / 1000 > MAX_SIGNATURE_AGE_S - durationS - warmupS) {
          throw new Error('the precomputed signatures would become stale: the machine is too slow')
        }
        const server = side === 'memory' ? memory : redisSide
        if (warmupS > 0) {
          runs.push(await load(server, side, r, warmupS, () => pool.nextUnique(), true))
        }
        const run = await load(server, side, r, durationS, () => pool.nextUnique())
        runs.push(run)
        say(
          `round ${r} ${side.padEnd(6)} ${thousands(run.rps).padStart(7)} req/s  ` +
            `server ${run.serverUsPerRequest.toFixed(1).padStart(5)} us/req  p99 ${run.p99Ms} ms` +
            (run.roundTrips === undefined
              ? ''
              : `  redis: ${run.roundTrips.toFixed(3)} round trips/delivery, ` +
                `${run.redisUsPerRequest!.toFixed(1)} us CPU/delivery`) +
            `  non-2xx ${run.non2xx}`,
        )
      }
    }

    // Memory per key: every delivery left one done key (24 h TTL) behind.
    const keysAfter = await observer.dbsize()
    const memoryAfter = Number(/^used_memory:(\d+)/m.exec(await observer.info('memory'))?.[1])
    const perKey = (memoryAfter - memoryBefore) / Math.max(1, keysAfter - keysBefore)
    const sampleKey = KEY_PREFIX + pool.nextUnique().headers['webhook-id']
    await observer.set(sampleKey, 'd', 'PX', 86_400_000)
    const sampleUsage = Number(await observer.call('MEMORY', 'USAGE', sampleKey))
    const claimedUsage = await (async () => {
      await observer.set(sampleKey, `c:${randomUUID()}`, 'PX', 120_000)
      return Number(await observer.call('MEMORY', 'USAGE', sampleKey))
    })()

    await Promise.all(servers.map((s) => s.close()))

    const measured = (side: Side) => runs.filter((r) => r.side === side && !r.warmup)
    const memoryRps = measured('memory').map((r) => r.rps)
    const redisRps = measured('redis').map((r) => r.rps)
    const ratio = median(redisRps) / median(memoryRps)
    const trips = median(measured('redis').map((r) => r.roundTrips!))
    const inScript = median(measured('redis').map((r) => r.inScript!))
    const memoryUs = median(measured('memory').map((r) => r.serverUsPerRequest))
    const redisUs = median(measured('redis').map((r) => r.serverUsPerRequest))
    const redisServerUs = median(measured('redis').map((r) => r.redisUsPerRequest!))
    const non2xx = runs.reduce((a, r) => a + r.non2xx, 0)
    const errors = runs.reduce((a, r) => a + r.errors, 0)
    const duplicates = runs.reduce((a, r) => a + Math.max(0, r.ok2xx - r.handled), 0)
    const idLength = sampleKey.length - KEY_PREFIX.length

    say()
    say(`memory median ${thousands(median(memoryRps))} req/s (spread ${pct(spread(memoryRps))})`)
    say(`redis  median ${thousands(median(redisRps))} req/s (spread ${pct(spread(redisRps))})`)
    say(`ratio median(redis) / median(memory): ${ratio.toFixed(3)} (target >= ${TARGET})`)
    say(
      `Redis round trips per delivery: ${trips.toFixed(3)} (target 2: claim + complete); ` +
        `commands run inside the scripts: ${inScript.toFixed(3)} per delivery`,
    )
    // CPU time per request barely moves when neighbours take cores away, unlike req/s.
    const cpuRatio = memoryUs / redisUs
    say(
      `server CPU per request: memory ${memoryUs.toFixed(1)} us, redis ${redisUs.toFixed(1)} us ` +
        `(memory/redis ${cpuRatio.toFixed(3)}, informational); redis-server CPU per delivery ` +
        `${redisServerUs.toFixed(1)} us`,
    )
    say(
      `memory per done key: ${perKey.toFixed(0)} B of used_memory per key over ` +
        `${thousands(keysAfter - keysBefore)} keys; MEMORY USAGE of one key ` +
        `(prefix ${KEY_PREFIX.length} + id ${idLength} chars): done ${sampleUsage} B, claimed ${claimedUsage} B`,
    )
    say(`non-2xx ${non2xx}, connection errors ${errors}, duplicates ${duplicates}`)
    if (pool.signedOnDemand > 0) {
      say(`note: ${thousands(pool.signedOnDemand)} deliveries signed on demand; raise --deliveries`)
    }
    const valid = non2xx === 0 && errors === 0 && duplicates === 0
    if (!valid) say('INVALID: errors or duplicates make the numbers meaningless')
    printResult({
      bench: NAME,
      valid,
      pass: valid && ratio >= TARGET && trips <= 2.01,
      ratio: round(ratio),
      target: `>= ${TARGET}, 2 round trips per delivery`,
      headline:
        `redis ${thousands(median(redisRps))} / memory ${thousands(median(memoryRps))} req/s; ` +
        `${trips.toFixed(2)} round trips/delivery`,
      memoryRps: memoryRps.map(Math.round),
      redisRps: redisRps.map(Math.round),
      roundTripsPerDelivery: round(trips),
      inScriptCommandsPerDelivery: round(inScript),
      memoryServerUsPerRequest: round(memoryUs, 1),
      redisServerUsPerRequest: round(redisUs, 1),
      redisServerCpuUsPerDelivery: round(redisServerUs, 1),
      cpuRatio: round(cpuRatio),
      bytesPerDoneKey: Math.round(perKey),
      memoryUsageDoneKey: sampleUsage,
      memoryUsageClaimedKey: claimedUsage,
      non2xx,
      errors,
      duplicates,
      connections,
      rounds,
      durationS,
      warmupS,
      bodyBytes: pool.bodyBytes,
      signedOnDemand: pool.signedOnDemand,
    })
    if (!valid) process.exitCode = 1
  } finally {
    servers.forEach((s) => s.kill())
    observer.disconnect()
    await redis.close()
  }

  async function load(
    server: ServerProcess,
    side: Side,
    roundNo: number,
    durationS: number,
    next: () => BenchDelivery,
    warmup = false,
  ): Promise<Run> {
    const redisBefore = side === 'redis' ? await redisCounters(observer) : undefined
    // Requests cut off by the end of the run still finish on the server: let them, so the
    // counters of both sides cover the same deliveries.
    const { result, handled, serverUs } = await loadServer(server, next, {
      path: PATH,
      connections,
      limit: { duration: durationS },
      settleMs: 100,
    })
    const run: Run = {
      side,
      round: roundNo,
      warmup,
      rps: result['2xx'] / result.duration,
      ok2xx: result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors,
      handled,
      serverUsPerRequest: serverUs / Math.max(1, handled),
      p99Ms: result.latency.p99,
    }
    if (redisBefore) {
      const redisAfter = await redisCounters(observer)
      let topLevel = 0
      let internal = 0
      for (const [name, calls] of redisAfter.calls) {
        const delta = calls - (redisBefore.calls.get(name) ?? 0)
        if (IN_SCRIPT.has(name)) internal += delta
        else if (!OBSERVER.has(name)) topLevel += delta
      }
      run.roundTrips = topLevel / Math.max(1, handled)
      run.inScript = internal / Math.max(1, handled)
      run.redisUsPerRequest = (redisAfter.cpuUs - redisBefore.cpuUs) / Math.max(1, handled)
    }
    return run
  }
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`
}

main().catch((err: unknown) => {
  process.stderr.write(`${NAME} failed: ${(err as Error)?.stack ?? String(err)}\n`)
  process.exitCode = 1
})
