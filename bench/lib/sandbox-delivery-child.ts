/**
 * Child process of `bench/sandbox-delivery.ts`: one sandbox and its receiver in this process, one
 * kind of measurement, run on request over IPC so the parent can interleave the kinds.
 *
 *   delivery   a custom event (`trigger(name, {}, { custom: true })`, no resource built) delivered
 *              in-process (`createInjectTransport`) to a Fastify app with the plugin (memory
 *              store), which verifies and runs an `onAny` handler: the delivery engine's figure
 *   trigger    `trigger('order.filled')` (its investor and filled market order built by the
 *              engines, then the one event delivered the same way) in a state of `prefill`
 *              earlier triggered events: reset and refilled before every round when `refill`,
 *              filled once at start otherwise (it then grows by each round's warm-up and
 *              events)
 *   retries    `count` custom events whose first attempt a receiver on 127.0.0.1 fails at once,
 *              then one `clock.advance('1m')` that makes every retry due at the same minute; the
 *              receiver answers each retry after `receiverMs` (a timer, no CPU). Measures that
 *              advance's wall time, over real HTTP (`createHttpTransport`)
 *
 *   node bench/lib/sandbox-delivery-child.js <kind> [prefill] [refill|grow] [warmup]
 *
 * Messages: parent → `{ type: 'measure', seq, events | count, receiverMs }`; child →
 * `{ type: 'ready' }`, `{ type: 'result', seq, ... }`, `{ type: 'error', message }`.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHttpTransport, createSandbox } from '../../mock-server/index.js'
import { createGcPauses, type GcPauses } from './gc-pauses.js'
import { emitMany, sandboxWithPluginReceiver } from './sandbox-receiver.js'

export type ChildKind = 'delivery' | 'trigger' | 'retries'

export type ParentMessage =
  | { type: 'measure'; seq: number; events: number }
  | { type: 'measure-retries'; seq: number; count: number; receiverMs: number }
  | { type: 'close' }

export type ChildMessage =
  | { type: 'ready'; prefillMs: number }
  | {
      type: 'result'
      seq: number
      /** Events in the sandbox's state when the round started. */
      stateEvents: number
      events: number
      /** Events the receiver's handler ran during the round. */
      handled: number
      wallMs: number
      cpuUs: number
      /** The collector's main-thread pauses in the round (part of `cpuUs`). */
      gc: GcPauses
    }
  | {
      type: 'retries'
      seq: number
      wallMs: number
      retried: number
      succeeded: number
      mostInFlight: number
    }
  | { type: 'error'; message: string }

const CUSTOM_EVENT = 'bench.delivery'

const reply = (message: ChildMessage) => process.send?.(message)

/**
 * Before each measured window a child runs `warmup` events of its own kind, unmeasured (then, for
 * the kinds that refill, its reset and refill). A child sat idle while the others measured, and
 * the first thousands of events after that cost more: rounds after a 1 000-event warm-up cost
 * 85-100 us per custom event, after 5 000 58 us, alternated in one session (the figure this bench
 * is after is a busy process's). No full collection is forced before a window: on Node 20 each
 * forced `gc()` deoptimised about 40 hot functions ("weak objects": Fastify's,
 * light-my-request's, the verifier's) and the next 2 000 events then cost 50-80 % more CPU than
 * the same events without it, a state no user's process is in. The round pays for the garbage it
 * finds, as any process does.
 */
/** Events a refilling child runs once at start, before its first fill (see `rateChild`). */
const START_WARMUP_EVENTS = 20_000

async function rateChild(
  kind: 'delivery' | 'trigger',
  prefill: number,
  refill: boolean,
  warmup: number,
) {
  const { sandbox, app, handled } = await sandboxWithPluginReceiver()
  const emit =
    kind === 'delivery'
      ? () => sandbox.trigger(CUSTOM_EVENT, {}, { custom: true })
      : () => sandbox.trigger('order.filled')
  const fill = async () => {
    sandbox.reset()
    await emitMany(sandbox, emit, prefill)
  }
  const started = performance.now()
  // The child that fills 100 000 events has its code warm by its first round; the refilling
  // ones run as many events first, so the first round compares steady states, not a JIT warm-up.
  if (refill) await emitMany(sandbox, emit, START_WARMUP_EVENTS)
  await fill()
  reply({ type: 'ready', prefillMs: Math.round(performance.now() - started) })
  let stateEvents = prefill
  const gcPauses = createGcPauses()
  return {
    async measure(seq: number, events: number) {
      await emitMany(sandbox, emit, warmup)
      if (refill) {
        await fill()
        stateEvents = prefill
      } else stateEvents += warmup
      const before = handled()
      gcPauses.start()
      const cpu = process.cpuUsage()
      const start = performance.now()
      await emitMany(sandbox, emit, events)
      const wallMs = performance.now() - start
      const used = process.cpuUsage(cpu)
      const gc = await gcPauses.stop()
      reply({
        type: 'result',
        seq,
        stateEvents,
        events,
        handled: handled() - before,
        wallMs,
        cpuUs: used.user + used.system,
        gc,
      })
      stateEvents += events
    },
    close: async () => {
      await app.close()
      await sandbox.close()
    },
  }
}

/** A receiver that fails each delivery's first attempt at once and answers retries later. */
async function slowReceiver(receiverMs: () => number): Promise<Server> {
  const seen = new Set<string>()
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      const id = String(request.headers['webhook-id'])
      if (!seen.has(id)) {
        seen.add(id)
        response.writeHead(500).end()
        return
      }
      setTimeout(() => response.writeHead(200).end('{}'), receiverMs())
    })
  })
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  return server
}

async function retriesChild() {
  let receiverMs = 50
  const server = await slowReceiver(() => receiverMs)
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/bluum`
  const transport = createHttpTransport()
  let inFlight = 0
  let most = 0
  const counting = {
    async send(request: Parameters<typeof transport.send>[0]) {
      inFlight += 1
      most = Math.max(most, inFlight)
      try {
        return await transport.send(request)
      } finally {
        inFlight -= 1
      }
    },
  }
  reply({ type: 'ready', prefillMs: 0 })
  return {
    async measure(seq: number, count: number, ms: number) {
      receiverMs = ms
      const sandbox = createSandbox({ transport: counting })
      sandbox.webhooks.create({ name: 'slow', url, eventTypeNames: ['*'] })
      for (let i = 0; i < count; i++) sandbox.trigger(CUSTOM_EVENT, { i }, { custom: true })
      await sandbox.idle()
      most = 0
      const start = performance.now()
      await sandbox.clock.advance('1m')
      const wallMs = performance.now() - start
      const deliveries = sandbox.deliveries.list()
      reply({
        type: 'retries',
        seq,
        wallMs,
        retried: deliveries.filter((d) => d.attempts.length === 2).length,
        succeeded: deliveries.filter((d) => d.status === 'delivered').length,
        mostInFlight: most,
      })
      await sandbox.close()
    },
    close: async () => {
      await transport.close?.()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

async function main(): Promise<void> {
  const [kind, prefillArg, refillArg, warmupArg] = process.argv.slice(2)
  const prefill = Number(prefillArg ?? 0)
  const warmup = Number(warmupArg ?? 0)
  const child =
    kind === 'retries'
      ? await retriesChild()
      : kind === 'delivery' || kind === 'trigger'
        ? await rateChild(kind, prefill, refillArg === 'refill', warmup)
        : undefined
  if (!child) throw new Error(`unknown kind ${kind}`)
  // One measurement at a time, in the order asked.
  let queue = Promise.resolve()
  process.on('message', (message: ParentMessage) => {
    queue = queue.then(async () => {
      try {
        if (message.type === 'measure' && 'measure' in child && kind !== 'retries')
          await (child as Awaited<ReturnType<typeof rateChild>>).measure(
            message.seq,
            message.events,
          )
        else if (message.type === 'measure-retries' && kind === 'retries')
          await (child as Awaited<ReturnType<typeof retriesChild>>).measure(
            message.seq,
            message.count,
            message.receiverMs,
          )
        else if (message.type === 'close') {
          await child.close()
          process.exit(0)
        }
      } catch (error) {
        reply({ type: 'error', message: String((error as Error)?.stack ?? error) })
      }
    })
  })
  process.on('disconnect', () => process.exit(0))
}

main().catch((error: unknown) => {
  reply({ type: 'error', message: String((error as Error)?.stack ?? error) })
  process.exitCode = 1
})
