/**
 * Sandbox-only controls under `/v1/sandbox/...` (tenant keys only): trigger events, settle
 * transfers, move prices and time, inject delivery faults, reset.
 */
import { Type } from '@sinclair/typebox'
import { defineRoute, json, list, type RouteDefinition } from '../route.js'
import { toDeliveryResource } from './webhooks.js'
import { formatPrice, toNumber } from '../../core/decimal.js'
import { parseDuration } from '../../core/duration.js'
import { phaseNamed } from '../../delivery/phase.js'
import { InvalidFormatError, NotFoundError, ValidationError, withParam } from '../../core/errors.js'
import type { Sandbox } from '../../sandbox.js'
import {
  AdvanceClockBody,
  DeliverySchema,
  FailTransferBody,
  FaultsBody,
  RejectDocumentBody,
  ListOf,
  ResetBody,
  SandboxDeliveryListQuery,
  SetPriceBody,
  SettingsBody,
  TestWebhookBody,
  TriggerBody,
} from '../schemas.js'
import { bluumEventNames, isBluumEventName } from '../../../plugin/catalog.js'
import { isoSeconds, matchesSubscription } from '../../core/event-bus.js'
import { createId } from '../../core/ids.js'
import { sampleEventData } from '../../core/sample-events.js'

const tag = 'Sandbox controls'

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
    defineRoute({
      method: 'POST',
      path: '/sandbox/trigger',
      operationId: 'triggerEvent',
      summary:
        'Emit one catalog event, its resources built by the engines, with data overrides (like `stripe trigger`)',
      tag,
      access: 'tenant',
      successStatus: 201,
      schema: { body: TriggerBody },
      handler: (req) =>
        json(201, {
          object: 'event',
          ...sandbox.trigger(req.body.event, req.body.data, { custom: req.body.custom === true }),
        }),
    }),
    defineRoute({
      method: 'GET',
      path: '/sandbox/events',
      operationId: 'listSandboxEvents',
      summary: 'Every event emitted so far, newest first',
      tag,
      access: 'tenant',
      schema: {},
      handler: (req) =>
        json(200, {
          object: 'list',
          url: req.url,
          has_more: false,
          data: [...sandbox.events()].reverse(),
        }),
    }),
    defineRoute({
      method: 'GET',
      path: '/sandbox/deliveries',
      operationId: 'listSandboxDeliveries',
      summary:
        'Deliveries of every webhook, newest first, filtered by phase (status), event name or wildcard, and webhook',
      tag,
      access: 'tenant',
      schema: { query: SandboxDeliveryListQuery, response: ListOf(DeliverySchema) },
      handler: (req) => {
        const { status, event, webhook_id } = req.query
        if (webhook_id !== undefined) sandbox.webhooks.get(webhook_id)
        const found = sandbox.deliveries.list({
          ...(status === undefined ? {} : { phase: phaseNamed(status) }),
          ...(event === undefined ? {} : { event }),
          ...(webhook_id === undefined ? {} : { webhookId: webhook_id }),
        })
        return list(req.url, found.map(toDeliveryResource), req.query)
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/sandbox/deliveries/:delivery_id',
      operationId: 'getSandboxDelivery',
      summary: 'Retrieve one delivery by its id alone, whatever its webhook',
      tag,
      access: 'tenant',
      schema: { response: DeliverySchema },
      handler: (req) => {
        const delivery = sandbox.deliveries.get(req.params.delivery_id)
        if (!delivery)
          throw withParam(new NotFoundError('delivery', req.params.delivery_id), 'delivery_id')
        return json(200, toDeliveryResource(delivery))
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/sandbox/deliveries/:delivery_id/retry',
      operationId: 'retrySandboxDelivery',
      summary:
        "Run a failing delivery's next attempt now, without moving the clock (the ladder goes on from there)",
      tag,
      access: 'tenant',
      successStatus: 202,
      schema: { response: DeliverySchema },
      handler: (req) => {
        if (!sandbox.deliveries.get(req.params.delivery_id))
          throw withParam(new NotFoundError('delivery', req.params.delivery_id), 'delivery_id')
        return json(202, toDeliveryResource(sandbox.deliveries.retryNow(req.params.delivery_id)))
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/sandbox/webhooks/:webhook_id/test',
      operationId: 'sendTestEvent',
      summary:
        'Send a sample event to this webhook only (whatever it subscribes to), signed and retried like any delivery; the event is not logged and builds no resource',
      tag,
      access: 'tenant',
      successStatus: 202,
      schema: { body: TestWebhookBody, response: DeliverySchema },
      handler: (req) => {
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
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/sandbox/transfers/:transfer_id/complete',
      operationId: 'completeTransfer',
      summary: 'Complete a pending deposit or withdrawal',
      tag,
      access: 'tenant',
      schema: {},
      handler: (req) => json(200, sandbox.transfers.complete(req.params.transfer_id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/sandbox/transfers/:transfer_id/fail',
      operationId: 'failTransfer',
      summary: 'Fail a pending deposit or withdrawal',
      tag,
      access: 'tenant',
      schema: { body: FailTransferBody },
      handler: (req) => json(200, sandbox.transfers.fail(req.params.transfer_id, req.body.reason)),
    }),
    defineRoute({
      method: 'POST',
      path: '/sandbox/prices/:symbol',
      operationId: 'setPrice',
      summary: "Set a symbol's simulated price (fills the resting orders it crosses)",
      tag,
      access: 'tenant',
      schema: { body: SetPriceBody },
      handler: (req) => {
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
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/sandbox/clock',
      operationId: 'getClock',
      summary: "The sandbox clock's time",
      tag,
      access: 'tenant',
      schema: {},
      handler: () => json(200, clockBody()),
    }),
    defineRoute({
      method: 'POST',
      path: '/sandbox/clock/advance',
      operationId: 'advanceClock',
      summary:
        'Advance the clock (at most 30 days), running every transfer step and retry due on the way, in order (answers when they ran)',
      tag,
      access: 'tenant',
      schema: { body: AdvanceClockBody },
      handler: async (req) => {
        await sandbox.clock.advance(duration(req.body.duration, 'duration', sandbox.clock.now()))
        return json(200, clockBody())
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/sandbox/webhooks/:webhook_id/faults',
      operationId: 'setWebhookFaults',
      summary: "Inject faults into a webhook's deliveries (duplicates, reordering, delay)",
      tag,
      access: 'tenant',
      schema: {
        body: FaultsBody,
        response: Type.Object({
          duplicates: Type.Integer(),
          reorder: Type.Boolean(),
          delay_ms: Type.Number(),
        }),
      },
      handler: (req) => {
        const { duplicates, reorder, delay } = req.body
        const webhook = sandbox.webhooks.setFaults(req.params.webhook_id, {
          ...(duplicates === undefined ? {} : { duplicates }),
          ...(reorder === undefined ? {} : { reorder }),
          ...(delay === undefined
            ? {}
            : { delayMs: duration(delay, 'delay', sandbox.clock.now()) }),
        })
        const { faults } = webhook
        return json(200, {
          object: 'webhook_faults',
          webhook_id: webhook.id,
          duplicates: faults.duplicates,
          reorder: faults.reorder,
          delay_ms: faults.delayMs,
        })
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/sandbox/webhooks/:webhook_id/faults',
      operationId: 'clearWebhookFaults',
      summary: "Stop injecting faults into a webhook's deliveries",
      tag,
      access: 'tenant',
      schema: {},
      handler: (req) => {
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
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/sandbox/documents/reject-next',
      operationId: 'rejectNextDocument',
      summary: 'Make the next uploaded document be rejected with a reason',
      tag,
      access: 'tenant',
      schema: { body: RejectDocumentBody },
      handler: (req) => {
        sandbox.documents.rejectNext(req.body.reason)
        return json(200, {
          object: 'sandbox_settings',
          queued_document_rejections: sandbox.state.documentRejections.length,
        })
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/sandbox/settings',
      operationId: 'updateSandboxSettings',
      summary: 'Sandbox behaviour switches: partial fills, market hours, KYC mode',
      tag,
      access: 'tenant',
      schema: { body: SettingsBody },
      handler: (req) => {
        const { partial_fills, market_hours, kyc_mode } = req.body
        if (partial_fills !== undefined) sandbox.state.partialFills = partial_fills
        if (market_hours !== undefined) sandbox.state.marketHours = market_hours
        if (kyc_mode !== undefined) sandbox.state.kycMode = kyc_mode
        return json(200, {
          object: 'sandbox_settings',
          partial_fills: sandbox.state.partialFills,
          market_hours: sandbox.state.marketHours,
          market_open: sandbox.orders.marketOpen(),
          kyc_mode: sandbox.state.kycMode,
        })
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/sandbox/reset',
      operationId: 'resetSandbox',
      summary:
        'Forget every investor, order, transfer, document, delivery and event, and bring the clock back to now; webhook registrations stay unless keep_webhooks is false',
      tag,
      access: 'tenant',
      schema: { body: ResetBody },
      handler: (req) => {
        const keepWebhooks = req.body.keep_webhooks ?? true
        sandbox.reset({ keepWebhooks })
        return json(200, {
          object: 'sandbox',
          reset: true,
          kept_webhooks: sandbox.state.webhooks.size,
          clock: clockBody(),
        })
      },
    }),
  ]
}
