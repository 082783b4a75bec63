/** Webhook management routes: tenant-wide keys only, as Bluum documents. */
import { Type } from '@sinclair/typebox'
import { defineRoute, json, list, type RouteDefinition } from '../route.js'
import { NotFoundError, withParam } from '../../core/errors.js'
import { eventTypes } from '../../core/event-bus.js'
import type { Sandbox } from '../../sandbox.js'
import {
  CreateWebhookBody,
  DeliveryListQuery,
  DeliverySchema,
  ListOf,
  ListQuery,
  ReplayFailedBody,
  RotateSecretBody,
  UpdateWebhookBody,
  WebhookSchema,
} from '../schemas.js'
import type { Delivery } from '../../core/state.js'
import { deliveryPhase, phaseNamed } from '../../delivery/phase.js'

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
export function findDelivery(sandbox: Sandbox, webhookId: string, deliveryId: string): Delivery {
  sandbox.webhooks.get(webhookId)
  const delivery = sandbox.deliveries.get(deliveryId)
  if (!delivery || delivery.webhook_id !== webhookId)
    throw withParam(new NotFoundError('delivery', deliveryId), 'delivery_id')
  return delivery
}

const tag = 'Webhook management'

/**
 * Catalog events that Bluum's published pages do not list: the platform webhooks page
 * (https://docs.bluumfinance.com/platform/webhooks) lists the account, order, transfer and
 * document events, and the concepts page names `kyc.verification.approved`; no page names a KYC
 * rejection event. The sandbox emits it (a KYC document rejected in `document` KYC mode), and
 * says so here, so nobody builds on it as if Bluum had promised it.
 */
export const sandboxOnlyEvents: ReadonlySet<string> = new Set(['kyc.verification.rejected'])

export function webhookRoutes(sandbox: Sandbox): RouteDefinition[] {
  const { webhooks, deliveries } = sandbox
  return [
    defineRoute({
      method: 'GET',
      path: '/webhooks/event-types',
      operationId: 'listWebhookEventTypes',
      summary: 'List the event types a webhook can subscribe to',
      tag,
      access: 'tenant',
      schema: {
        response: ListOf(
          Type.Object({
            name: Type.String(),
            description: Type.String(),
            sandbox_only: Type.Boolean({
              description: "true: not in Bluum's published catalog; emitted by this sandbox only",
            }),
          }),
        ),
      },
      handler: (req) =>
        json(200, {
          object: 'list',
          url: req.url,
          has_more: false,
          data: eventTypes().map((t) => {
            const sandboxOnly = sandboxOnlyEvents.has(t.name)
            return {
              object: 'event_type',
              name: t.name,
              description: sandboxOnly
                ? `${t.description} (sandbox-only: not in Bluum's published catalog)`
                : t.description,
              sandbox_only: sandboxOnly,
            }
          }),
        }),
    }),
    defineRoute({
      method: 'POST',
      path: '/webhooks',
      operationId: 'createWebhook',
      summary: 'Create a webhook',
      tag,
      access: 'tenant',
      successStatus: 201,
      schema: { body: CreateWebhookBody, response: WebhookSchema },
      handler: (req) =>
        json(201, webhooks.toResource(webhooks.create(req.body), { withSecret: true })),
    }),
    defineRoute({
      method: 'GET',
      path: '/webhooks',
      operationId: 'listWebhooks',
      summary: 'List webhooks',
      tag,
      access: 'tenant',
      schema: { query: ListQuery, response: ListOf(WebhookSchema) },
      handler: (req) =>
        list(
          req.url,
          webhooks.list().map((w) => webhooks.toResource(w)),
          req.query,
        ),
    }),
    defineRoute({
      method: 'GET',
      path: '/webhooks/:webhook_id',
      operationId: 'getWebhook',
      summary: 'Retrieve a webhook',
      tag,
      access: 'tenant',
      schema: { response: WebhookSchema },
      handler: (req) => json(200, webhooks.toResource(webhooks.get(req.params.webhook_id))),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/webhooks/:webhook_id',
      operationId: 'updateWebhook',
      summary: 'Update a webhook',
      tag,
      access: 'tenant',
      schema: { body: UpdateWebhookBody, response: WebhookSchema },
      handler: (req) =>
        json(200, webhooks.toResource(webhooks.update(req.params.webhook_id, req.body))),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/webhooks/:webhook_id',
      operationId: 'deleteWebhook',
      summary: 'Delete a webhook',
      tag,
      access: 'tenant',
      schema: {
        response: Type.Object({
          id: Type.String(),
          object: Type.Literal('webhook'),
          deleted: Type.Literal(true),
        }),
      },
      handler: (req) => {
        webhooks.delete(req.params.webhook_id)
        return json(200, { id: req.params.webhook_id, object: 'webhook', deleted: true })
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/webhooks/:webhook_id/rotate-secret',
      operationId: 'rotateWebhookSecret',
      summary: 'Rotate the signing secret; the old one keeps signing during the overlap',
      tag,
      access: 'tenant',
      schema: { body: RotateSecretBody, response: WebhookSchema },
      handler: (req) => {
        const overlap = req.body.overlap_seconds
        const webhook = webhooks.rotateSecret(
          req.params.webhook_id,
          overlap === undefined ? undefined : overlap * 1000,
        )
        return json(200, webhooks.toResource(webhook, { withSecret: true }))
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/webhooks/:webhook_id/deliveries',
      operationId: 'listWebhookDeliveries',
      summary: 'List deliveries with every attempt (status, duration, error)',
      tag,
      access: 'tenant',
      schema: { query: DeliveryListQuery, response: ListOf(DeliverySchema) },
      handler: (req) => {
        webhooks.get(req.params.webhook_id)
        const filter = {
          webhookId: req.params.webhook_id,
          ...(req.query.status ? { phase: phaseNamed(req.query.status) } : {}),
        }
        return list(req.url, deliveries.list(filter).map(toDeliveryResource), req.query)
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/webhooks/:webhook_id/deliveries/replay',
      operationId: 'replayFailedDeliveries',
      summary: 'Replay every parked delivery created since a time',
      tag,
      access: 'tenant',
      successStatus: 202,
      schema: { body: ReplayFailedBody, response: ListOf(DeliverySchema) },
      handler: (req) => {
        webhooks.get(req.params.webhook_id)
        const since = req.body.since
        const sinceMs =
          since === undefined ? 0 : typeof since === 'number' ? since * 1000 : Date.parse(since)
        const replayed = deliveries.replayFailed({ webhookId: req.params.webhook_id, sinceMs })
        return json(202, {
          object: 'list',
          url: req.url,
          has_more: false,
          data: replayed.map(toDeliveryResource),
        })
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/webhooks/:webhook_id/deliveries/:delivery_id/replay',
      operationId: 'replayDelivery',
      summary: 'Replay one delivery (same event id, fresh retry ladder)',
      tag,
      access: 'tenant',
      successStatus: 202,
      schema: { response: DeliverySchema },
      handler: (req) => {
        const delivery = findDelivery(sandbox, req.params.webhook_id, req.params.delivery_id)
        return json(202, toDeliveryResource(deliveries.replay(delivery.id)))
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/webhooks/:webhook_id/deliveries/:delivery_id',
      operationId: 'getWebhookDelivery',
      summary:
        'Retrieve one delivery: every attempt with the request sent and the answer received, and the next retry time',
      tag,
      access: 'tenant',
      schema: { response: DeliverySchema },
      handler: (req) =>
        json(
          200,
          toDeliveryResource(findDelivery(sandbox, req.params.webhook_id, req.params.delivery_id)),
        ),
    }),
  ]
}
