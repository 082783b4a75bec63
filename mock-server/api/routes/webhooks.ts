/** Webhook management routes: tenant-wide keys only, as Bluum documents. */
import { implement, json, list, type RouteDefinition } from '../route.js'
import { webhookOperations as ops } from '../../contract/webhooks.js'
import { bluumEventCatalog } from '../../../plugin/catalog.js'
import type { Sandbox } from '../../sandbox.js'

export function webhookRoutes({ webhooks }: Sandbox): RouteDefinition[] {
  return [
    implement(ops.listWebhookEventTypes, (req) =>
      json(200, {
        object: 'list',
        url: req.url,
        has_more: false,
        data: Object.entries(bluumEventCatalog).map(([name, entry]) => {
          const sandboxOnly = 'sandboxOnly' in entry && entry.sandboxOnly === true
          return {
            object: 'event_type',
            name,
            description: sandboxOnly
              ? `${entry.description} (sandbox-only: not in Bluum's published catalog)`
              : entry.description,
            sandbox_only: sandboxOnly,
          }
        }),
      }),
    ),
    implement(ops.createWebhook, (req) =>
      json(201, webhooks.toResource(webhooks.create(req.body), { withSecret: true })),
    ),
    implement(ops.listWebhooks, (req) =>
      list(
        req.url,
        webhooks.list().map((w) => webhooks.toResource(w)),
        req.query,
      ),
    ),
    implement(ops.updateWebhook, (req) =>
      json(200, webhooks.toResource(webhooks.update(req.params.webhook_id, req.body))),
    ),
    implement(ops.deleteWebhook, (req) => {
      webhooks.delete(req.params.webhook_id)
      return json(200, { id: req.params.webhook_id, object: 'webhook', deleted: true })
    }),
  ]
}
