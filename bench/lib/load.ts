/**
 * One autocannon load on a bench server (`server-process.ts`), with the server's counters read
 * before and after it: what `plugin-route.ts`, `redis-store.ts` and `postgres-inbox.ts` each
 * turn into their own row. Every request is a fresh signed delivery from `next`.
 */
import autocannon from 'autocannon'
import type { BenchDelivery } from './deliveries.js'
import type { ServerProcess } from './server-process.js'

export interface ServerLoad {
  result: autocannon.Result
  /** Requests the server's route handled during the load (and the settling wait). */
  handled: number
  /** The server's CPU time (user + system) over the load, in microseconds. */
  serverUs: number
  /** Wall time of the load itself, in microseconds. */
  wallUs: number
  /** This process's CPU time (the load generator's) over the load, in microseconds. */
  clientUs: number
}

export interface LoadOptions {
  path: string
  connections: number
  /** How long, or how many requests. */
  limit: { duration: number } | { amount: number }
  /**
   * A wait after the load before the counters are read: requests cut off by the end of the run
   * still finish on the server, so the counters cover the deliveries the load sent. Default 0.
   */
  settleMs?: number
}

export async function loadServer(
  server: ServerProcess,
  next: () => BenchDelivery,
  options: LoadOptions,
): Promise<ServerLoad> {
  const before = await server.stats()
  const clientBefore = process.cpuUsage()
  const started = performance.now()
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}${options.path}`,
    connections: options.connections,
    pipelining: 1,
    ...options.limit,
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
  const wallUs = (performance.now() - started) * 1000
  const client = process.cpuUsage(clientBefore)
  if (options.settleMs) await new Promise((resolve) => setTimeout(resolve, options.settleMs))
  const after = await server.stats()
  return {
    result,
    handled: after.handled - before.handled,
    serverUs: after.cpuUserUs - before.cpuUserUs + after.cpuSystemUs - before.cpuSystemUs,
    wallUs,
    clientUs: client.user + client.system,
  }
}
