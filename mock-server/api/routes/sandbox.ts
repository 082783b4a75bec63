/**
 * Sandbox-only controls under `/v1/sandbox/...` (tenant keys only): trigger events, settle
 * transfers, move prices and time, inject delivery faults, reset.
 */
import { implement, json, list, type RouteDefinition } from '../route.js'
import { sandboxOperations as ops } from '../../contract/sandbox.js'
import { formatPrice, toNumber } from '../../core/decimal.js'
import { parseDuration } from '../../core/duration.js'
import { InvalidFormatError, NotFoundError, ValidationError, withParam } from '../../core/errors.js'
import { isoSeconds, matchesSubscription } from '../../core/event-bus.js'
import { createId } from '../../core/ids.js'
import { sampleEventData } from '../../core/sample-events.js'
import type { Delivery } from '../../core/state.js'
import { deliveryPhase, phaseNamed } from '../../delivery/phase.js'
import type { Sandbox } from '../../sandbox.js'
import { bluumEventNames, isBluumEventName } from '../../../plugin/catalog.js'

/**
 * A delivery as the API shows it: its `status` is its phase, the word every filter takes (`phase`
 * repeats it, under its earlier name). The internal `createdMs` and payload stay inside.
 */
export function toDeliveryResource(delivery: Delivery) {
  const { createdMs: _createdMs, payload: _payload, ...rest } = delivery
  const { attempts, ...head } = structuredClone(rest)
  const phase = deliveryPhase(delivery)
  return { ...head, status: phase, phase, attempts }
}

/** The delivery `deliveryId` of webhook `webhookId`, or Bluum's 404 naming `delivery_id`. */
function findDelivery(sandbox: Sandbox, webhookId: string, deliveryId: string): Delivery {
  sandbox.webhooks.get(webhookId)
  const delivery = sandbox.deliveries.get(deliveryId)
  if (!delivery || delivery.webhook_id !== webhookId)
    throw withParam(new NotFoundError('delivery', deliveryId), 'delivery_id')
  return delivery
}

/** The last instant a JavaScript Date can hold, ms: a clock past it cannot print a timestamp. */
const lastDateMs = 8.64e15

function duration(value: string | number, param: string, nowMs = 0): number {
  let ms: number
  try {
    ms = parseDuration(value)
  } catch (error) {
    throw withParam(new InvalidFormatError(param, (error as Error).message), param)
  }
  // "999…9" parses to Infinity: a clock moved there breaks every later answer, reset included.
  if (!Number.isFinite(ms) || nowMs + ms > lastDateMs)
    throw withParam(
      new ValidationError(
        `Invalid value for '${param}': ` +
          'expected a duration that keeps the clock within dates JavaScript can represent',
      ),
      param,
    )
  return ms
}

export function sandboxRoutes(sandbox: Sandbox): RouteDefinition[] {
  const clockBody = () => ({
    object: 'sandbox_clock',
    kind: sandbox.clock.kind,
    now: new Date(sandbox.clock.now()).toISOString(),
    now_ms: sandbox.clock.now(),
    pending_timers: sandbox.clock.pendingTimers(),
  })
  return [
    implement(ops.triggerEvent, (req) =>
      json(201, {
        object: 'event',
        ...sandbox.trigger(req.body.event, req.body.data, { custom: req.body.custom === true }),
      }),
    ),
    implement(ops.listSandboxEvents, (req) =>
      json(200, {
        object: 'list',
        url: req.url,
        has_more: false,
        data: [...sandbox.events()].reverse(),
      }),
    ),
    implement(ops.listSandboxDeliveries, (req) => {
      const { status, event, webhook_id } = req.query
      if (webhook_id !== undefined) sandbox.webhooks.get(webhook_id)
      const found = sandbox.deliveries.list({
        ...(status === undefined ? {} : { phase: phaseNamed(status) }),
        ...(event === undefined ? {} : { event }),
        ...(webhook_id === undefined ? {} : { webhookId: webhook_id }),
      })
      return list(req.url, found.map(toDeliveryResource), req.query)
    }),
    implement(ops.getSandboxDelivery, (req) => {
      const delivery = sandbox.deliveries.get(req.params.delivery_id)
      if (!delivery)
        throw withParam(new NotFoundError('delivery', req.params.delivery_id), 'delivery_id')
      return json(200, toDeliveryResource(delivery))
    }),
    implement(ops.listSandboxRequests, (req) => {
      const all = [...sandbox.requestLog.list()].reverse()
      return list(
        req.url,
        req.query.warned ? all.filter((r) => r.warnings.length > 0) : all,
        req.query,
      )
    }),
    implement(ops.retrySandboxDelivery, (req) => {
      if (!sandbox.deliveries.get(req.params.delivery_id))
        throw withParam(new NotFoundError('delivery', req.params.delivery_id), 'delivery_id')
      return json(202, toDeliveryResource(sandbox.deliveries.retryNow(req.params.delivery_id)))
    }),
    implement(ops.sendTestEvent, (req) => {
      const webhook = sandbox.webhooks.get(req.params.webhook_id)
      const name =
        req.body.event ??
        bluumEventNames.find((n) =>
          webhook.event_type_names.some((pattern) => matchesSubscription(pattern, n)),
        ) ??
        bluumEventNames[0]!
      if (!isBluumEventName(name))
        throw withParam(
          new ValidationError(
            `Invalid value for 'event': ${JSON.stringify(name)} is not a catalog event (GET /v1/webhooks/event-types lists them)`,
          ),
          'event',
        )
      const now = sandbox.clock.now()
      const event = {
        id: createId('evt'),
        event: name,
        timestamp: isoSeconds(now),
        data: sampleEventData(name, now),
      }
      return json(202, toDeliveryResource(sandbox.deliveries.deliverTo(event, webhook.id)))
    }),
    implement(ops.getWebhook, (req) =>
      json(200, sandbox.webhooks.toResource(sandbox.webhooks.get(req.params.webhook_id))),
    ),
    implement(ops.rotateWebhookSecret, (req) => {
      const overlap = req.body.overlap_seconds
      const webhook = sandbox.webhooks.rotateSecret(
        req.params.webhook_id,
        overlap === undefined ? undefined : overlap * 1000,
      )
      return json(200, sandbox.webhooks.toResource(webhook, { withSecret: true }))
    }),
    implement(ops.listWebhookDeliveries, (req) => {
      sandbox.webhooks.get(req.params.webhook_id)
      const filter = {
        webhookId: req.params.webhook_id,
        ...(req.query.status ? { phase: phaseNamed(req.query.status) } : {}),
      }
      return list(req.url, sandbox.deliveries.list(filter).map(toDeliveryResource), req.query)
    }),
    implement(ops.replayFailedDeliveries, (req) => {
      sandbox.webhooks.get(req.params.webhook_id)
      const since = req.body.since
      const sinceMs =
        since === undefined ? 0 : typeof since === 'number' ? since * 1000 : Date.parse(since)
      const replayed = sandbox.deliveries.replayFailed({
        webhookId: req.params.webhook_id,
        sinceMs,
      })
      return json(202, {
        object: 'list',
        url: req.url,
        has_more: false,
        data: replayed.map(toDeliveryResource),
      })
    }),
    implement(ops.replayDelivery, (req) => {
      const delivery = findDelivery(sandbox, req.params.webhook_id, req.params.delivery_id)
      return json(202, toDeliveryResource(sandbox.deliveries.replay(delivery.id)))
    }),
    implement(ops.getWebhookDelivery, (req) =>
      json(
        200,
        toDeliveryResource(findDelivery(sandbox, req.params.webhook_id, req.params.delivery_id)),
      ),
    ),
    implement(ops.updateInvestor, (req) =>
      json(200, sandbox.investors.update(req.params.investor_id, req.body)),
    ),
    implement(ops.completeTransfer, (req) =>
      json(200, sandbox.transfers.complete(req.params.transfer_id)),
    ),
    implement(ops.failTransfer, (req) =>
      json(200, sandbox.transfers.fail(req.params.transfer_id, req.body.reason)),
    ),
    implement(ops.setPrice, (req) => {
      const symbol = req.params.symbol.toUpperCase()
      const price = toNumber(req.body.price)
      // A zero price would turn every notional order into an infinite quantity.
      if (!(price > 0))
        throw withParam(
          new ValidationError(`Invalid value for '${'price'}': ` + 'expected a price above 0'),
          'price',
        )
      if (req.body.tradable !== undefined) sandbox.orders.setTradable(symbol, req.body.tradable)
      sandbox.orders.setPrice(symbol, price)
      return json(200, { object: 'price', symbol, price: formatPrice(price) })
    }),
    implement(ops.getClock, () => json(200, clockBody())),
    implement(ops.advanceClock, async (req) => {
      await sandbox.clock.advance(duration(req.body.duration, 'duration', sandbox.clock.now()))
      return json(200, clockBody())
    }),
    implement(ops.setWebhookFaults, (req) => {
      const { duplicates, reorder, delay } = req.body
      const webhook = sandbox.webhooks.setFaults(req.params.webhook_id, {
        ...(duplicates === undefined ? {} : { duplicates }),
        ...(reorder === undefined ? {} : { reorder }),
        ...(delay === undefined ? {} : { delayMs: duration(delay, 'delay', sandbox.clock.now()) }),
      })
      const { faults } = webhook
      return json(200, {
        object: 'webhook_faults',
        webhook_id: webhook.id,
        duplicates: faults.duplicates,
        reorder: faults.reorder,
        delay_ms: faults.delayMs,
      })
    }),
    implement(ops.clearWebhookFaults, (req) => {
      const webhook = sandbox.webhooks.setFaults(req.params.webhook_id, {
        duplicates: 0,
        reorder: false,
        delayMs: 0,
      })
      return json(200, {
        object: 'webhook_faults',
        webhook_id: webhook.id,
        duplicates: 0,
        reorder: false,
        delay_ms: 0,
      })
    }),
    implement(ops.rejectNextDocument, (req) => {
      sandbox.documents.rejectNext(req.body.reason)
      return json(200, {
        object: 'sandbox_settings',
        queued_document_rejections: sandbox.state.documentRejections.length,
      })
    }),
    implement(ops.updateSandboxSettings, (req) => {
      const { partial_fills, market_hours, kyc_mode, strict } = req.body
      if (partial_fills !== undefined) sandbox.state.partialFills = partial_fills
      if (market_hours !== undefined) sandbox.state.marketHours = market_hours
      if (kyc_mode !== undefined) sandbox.state.kycMode = kyc_mode
      if (strict !== undefined) sandbox.state.strict = strict
      return json(200, {
        object: 'sandbox_settings',
        partial_fills: sandbox.state.partialFills,
        market_hours: sandbox.state.marketHours,
        market_open: sandbox.orders.marketOpen(),
        kyc_mode: sandbox.state.kycMode,
        strict: sandbox.state.strict,
      })
    }),
    implement(ops.resetSandbox, (req) => {
      const keepWebhooks = req.body.keep_webhooks ?? true
      sandbox.reset({ keepWebhooks })
      return json(200, {
        object: 'sandbox',
        reset: true,
        kept_webhooks: sandbox.state.webhooks.size,
        clock: clockBody(),
      })
    }),
  ]
}
