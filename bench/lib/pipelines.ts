/**
 * The pipelines the CPU benches compare, without HTTP: the plugin's (`createDeliveryProcessor()`
 * with one no-op `order.filled` handler) and the hand-rolled one (`hand-rolled.ts`: inline HMAC,
 * JSON.parse, a Map). Each gives a round function: it runs a batch of deliveries one after the
 * other and returns this process's CPU time per delivery in µs (`process.cpuUsage`, which a busy
 * neighbour does not inflate the way it inflates wall time). The batch is built by the caller
 * before the round, so building it is not measured.
 */
import { createDeliveryProcessor } from '../../plugin/delivery.js'
import { resolveOptions } from '../../plugin/options.js'
import { createEventRouter } from '../../plugin/router.js'
import type { DedupeStore } from '../../plugin/store.js'
import { TEST_SECRET } from '../../test/helpers/sign.js'
import type { BenchDelivery } from './deliveries.js'
import { createInlineDedupe, verifyInline } from './hand-rolled.js'

/** Runs one batch; resolves the CPU µs per delivery it took. */
export type PipelineRound = (batch: readonly BenchDelivery[]) => Promise<number>

const cpu = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}
const noop = () => {}
const log = { info: noop, warn: noop, error: noop, debug: noop }

/** The plugin's pipeline, with the default memory store unless `store` is given. */
export function pluginPipeline(store?: DedupeStore): PipelineRound {
  const router = createEventRouter()
  router.api.on('order.filled', noop)
  const options = resolveOptions(store ? { secret: TEST_SECRET, store } : { secret: TEST_SECRET })
  const processor = createDeliveryProcessor(options, router)
  return async (batch) => {
    const start = cpu()
    for (const d of batch) {
      const answer = await processor.process({ rawBody: d.body, headers: d.headers, log })
      if (!answer.ok) throw answer.error
    }
    return (cpu() - start) / batch.length
  }
}

/** What the hand-rolled route's handler does, without the HTTP around it. */
export function handRolledPipeline(): PipelineRound {
  const dedupe = createInlineDedupe()
  let handled = 0
  async function deliver(delivery: BenchDelivery): Promise<number> {
    const id = verifyInline(delivery.headers, delivery.body)
    if (id === undefined) return 401
    const event = JSON.parse(delivery.body.toString('utf8')) as { event?: unknown }
    const state = dedupe.claim(id)
    if (state !== 0) return state === 2 ? 200 : 409
    if (event.event === 'order.filled') handled++
    dedupe.complete(id)
    return 200
  }
  return async (batch) => {
    const start = cpu()
    for (const d of batch) if ((await deliver(d)) !== 200) throw new Error('hand-rolled refused')
    const us = (cpu() - start) / batch.length
    if (handled === 0) throw new Error('hand-rolled ran no handler')
    return us
  }
}

/**
 * The hand-rolled dedupe (`createInlineDedupe`: one Map, never pruned) behind the store
 * interface: what the memory store's bound, clock and tokens cost, measured by swapping it in.
 */
export function mapStore(): DedupeStore {
  const dedupe = createInlineDedupe()
  let token = 0
  return {
    claim(key) {
      const state = dedupe.claim(key)
      if (state === 2) return { status: 'done' }
      if (state === 1) return { status: 'in-flight' }
      return { status: 'claimed', token: String(++token) }
    },
    complete(key) {
      dedupe.complete(key)
      return true
    },
    release(key) {
      dedupe.release(key)
      return true
    },
  }
}
