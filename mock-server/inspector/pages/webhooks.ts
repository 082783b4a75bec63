/**
 * `GET /webhooks`: every endpoint with its URL, events, state and hidden secret, and what can be
 * done to it: edit, disable or enable, send a test event to it alone, reveal or rotate its secret
 * (the old one's grace period shown), replay its parked deliveries, delete it. Every action goes
 * through the API a user calls; revealing a secret is the one read from the core (the API shows a
 * secret only on create and rotate), and only in the answer to a POST, never in a URL.
 */
import { bluumEventNames } from '../../../plugin/catalog.js'
import type { Webhook } from '../../core/state.js'
import { apiError, formBody, type InspectorContext, type PageModule } from '../context.js'
import { html, raw, url, type SafeHtml } from '../html.js'
import {
  copyButton,
  ellipsis,
  renderLayout,
  timeAgo,
  type ApiErrorView,
  type PageFrame,
} from '../layout.js'
import { webhookLabel } from '../model.js'

/** A webhook as the webhooks page lists it. */
export interface WebhookView {
  webhook: Pick<
    Webhook,
    | 'id'
    | 'name'
    | 'url'
    | 'description'
    | 'event_type_names'
    | 'status'
    | 'disabled_reason'
    | 'created_at'
  >
  parked: number
  /** When the secret before the last rotation stops signing (ISO), while it still does. */
  previousSecretExpiresAt: string | null
  /** Set only on the answer to "reveal" or "rotate" for this webhook. */
  revealedSecret?: string
}

/** Overlaps offered when rotating: how long the old secret keeps signing. */
const overlaps = [
  ['0', 'no overlap'],
  ['3600', '1 hour'],
  ['86400', '24 hours (default)'],
  ['604800', '7 days'],
] as const

function renderSecret(view: WebhookView, nowMs: number): SafeHtml {
  const { revealedSecret } = view
  const webhook = { ...view.webhook, name: webhookLabel(view.webhook) }
  const shown = revealedSecret
    ? html`<output class="secret" id="secret-${webhook.id}" aria-label="Secret of ${webhook.name}"
          ><code>${revealedSecret}</code></output
        >
        ${copyButton(`secret of ${webhook.name}`, revealedSecret)}
        <a href="${url`/webhooks#${webhook.id}`}">Hide</a>`
    : html`<span class="secret-hidden">hidden</span>
        <form class="inline" method="post" action="${url`/webhooks/${webhook.id}/reveal`}">
          <button type="submit" aria-label="Reveal secret of ${webhook.name}">Reveal secret</button>
        </form>`
  return html`${shown}
  ${
    view.previousSecretExpiresAt
      ? html`<p class="grace">
          The previous secret also signs until ${timeAgo(view.previousSecretExpiresAt, nowMs)}: apps
          on either secret verify during the overlap.
        </p>`
      : ''
  }`
}

function renderWebhook(view: WebhookView, nowMs: number): SafeHtml {
  const { parked } = view
  const webhook = { ...view.webhook, name: webhookLabel(view.webhook) }
  const active = webhook.status === 'active'
  const parkedText = `Replay ${parked} parked ${parked === 1 ? 'delivery' : 'deliveries'}`
  return html`<article class="webhook" id="${webhook.id}" aria-labelledby="title-${webhook.id}">
    <h2 id="title-${webhook.id}" class="webhook-title">
      ${ellipsis(webhook.name)}
      <span class="badge ${active ? 'badge-on' : 'badge-off'}"
        >${active ? 'active' : 'disabled'}</span
      >
    </h2>
    <dl class="summary">
      <dt>Id</dt>
      <dd class="id">
        <code>${webhook.id}</code> ${copyButton(`id of ${webhook.name}`, webhook.id)}
      </dd>
      <dt>URL</dt>
      <dd>${ellipsis(webhook.url, 'url-text')}</dd>
      <dt>Events</dt>
      <dd class="events">${webhook.event_type_names.map((n) => html`<code>${n}</code> `)}</dd>
      ${
        webhook.description
          ? html`<dt>Description</dt>
              <dd>${webhook.description}</dd>`
          : ''
      }
      ${
        webhook.disabled_reason
          ? html`<dt>Disabled</dt>
              <dd>${webhook.disabled_reason}</dd>`
          : ''
      }
      <dt>Created</dt>
      <dd>${timeAgo(webhook.created_at, nowMs)}</dd>
      <dt>Secret</dt>
      <dd>${renderSecret(view, nowMs)}</dd>
    </dl>
    <div class="actions">
      <a
        class="button"
        href="${url`/webhooks/${webhook.id}/edit`}"
        aria-label="Edit ${webhook.name}"
        >Edit</a
      >
      <form class="inline" method="post" action="${url`/webhooks/${webhook.id}/status`}">
        <input type="hidden" name="status" value="${active ? 'inactive' : 'active'}" />
        <button type="submit" aria-label="${active ? 'Disable' : 'Enable'} ${webhook.name}">
          ${active ? 'Disable' : 'Enable'}
        </button>
      </form>
      <a href="${url`/?webhook_id=${webhook.id}`}">Its deliveries</a>
      <a href="${url`/webhooks/${webhook.id}/delete`}" aria-label="Delete ${webhook.name}…"
        >Delete…</a
      >
    </div>
    <div class="actions">
      <form class="inline" method="post" action="${url`/webhooks/${webhook.id}/test`}">
        <label for="test-event-${webhook.id}">Test event</label>
        <select id="test-event-${webhook.id}" name="event" ${active ? '' : raw('disabled')}>
          ${bluumEventNames.map((n) => html`<option value="${n}">${n}</option>`)}
        </select>
        <button
          type="submit"
          aria-label="Send test event to ${webhook.name}"
          ${active ? '' : raw(`disabled aria-describedby="inactive-${webhook.id}"`)}
        >
          Send test event
        </button>
      </form>
      <form class="inline" method="post" action="${url`/webhooks/${webhook.id}/rotate`}">
        <label for="overlap-${webhook.id}">Old secret keeps signing</label>
        <select id="overlap-${webhook.id}" name="overlap_seconds">
          ${overlaps.map(([value, label]) => html`<option value="${value}" ${value === '86400' ? raw('selected') : ''}>${label}</option>`)}
        </select>
        <button type="submit" aria-label="Rotate secret of ${webhook.name}">Rotate secret</button>
      </form>
      <form class="inline" method="post" action="${url`/webhooks/${webhook.id}/replay-parked`}">
        <button
          type="submit"
          aria-label="${parkedText} of ${webhook.name}"
          ${parked === 0 ? raw(`disabled aria-describedby="none-parked-${webhook.id}"`) : ''}
        >
          ${parkedText}
        </button>
      </form>
    </div>
    ${active ? '' : html`<p class="muted" id="inactive-${webhook.id}">Disabled: enable it to send to it.</p>`}
    ${parked === 0 ? html`<p class="visually-hidden" id="none-parked-${webhook.id}">Nothing is parked.</p>` : ''}
  </article>`
}

/** `GET /webhooks`. */
export function renderWebhooksPage(
  frame: Omit<PageFrame, 'title' | 'current'>,
  view: { webhooks: readonly WebhookView[] },
): string {
  return renderLayout(
    { ...frame, title: 'Webhooks', current: 'webhooks' },
    html`<div class="page-head">
        <h1>Webhooks</h1>
        <a class="button primary" href="/webhooks/new">Add endpoint</a>
      </div>
      <p>
        Secrets stay hidden until revealed; a rotated secret is shown once, and the old one keeps
        signing during the overlap you choose.
      </p>
      ${
        view.webhooks.length === 0
          ? html`<p class="empty">
              No webhook yet: <a href="/webhooks/new">add an endpoint</a>, or start the sandbox with
              <code>--forward-to &lt;url&gt;</code>.
            </p>`
          : view.webhooks.map((w) => renderWebhook(w, frame.nowMs))
      }`,
  )
}

/** Renders the list, with `reveal` secrets shown (the answer to a reveal or rotate). */
function sendWebhooksPage(
  context: InspectorContext,
  request: Parameters<InspectorContext['frame']>[0],
  reply: Parameters<InspectorContext['sendPage']>[0],
  extra: {
    status?: number
    error?: ApiErrorView
    notice?: string
    reveal?: Map<string, string>
  } = {},
) {
  const { sandbox } = context
  const now = sandbox.clock.now()
  return context.sendPage(
    reply,
    extra.status ?? 200,
    renderWebhooksPage(
      {
        ...context.frame(request, '/webhooks'),
        error: extra.error,
        ...(extra.notice ? { notice: extra.notice } : {}),
      },
      {
        webhooks: sandbox.webhooks.list().map((webhook) => {
          const revealedSecret = extra.reveal?.get(webhook.id)
          const expiry = webhook.previousSecrets
            .map((s) => s.expiresAtMs)
            .filter((ms) => ms > now)
            .sort((a, b) => b - a)[0]
          return {
            webhook,
            parked: sandbox.deliveries.list({ webhookId: webhook.id, status: 'parked' }).length,
            previousSecretExpiresAt: expiry === undefined ? null : new Date(expiry).toISOString(),
            ...(revealedSecret ? { revealedSecret } : {}),
          }
        }),
      },
    ),
  )
}

export const registerWebhooksPage: PageModule = (scope, context) => {
  const { sandbox } = context
  const id = (request: { params: unknown }) => (request.params as { webhook_id: string }).webhook_id

  scope.get('/webhooks', async (request, reply) => sendWebhooksPage(context, request, reply))

  // A reload or a bookmark of an action's URL is a GET: lead back to the webhook, not a 404.
  for (const action of ['reveal', 'rotate', 'replay-parked', 'status', 'test']) {
    scope.get(`/webhooks/:webhook_id/${action}`, async (request, reply) =>
      context.redirect(reply, url`/webhooks#${id(request)}`),
    )
  }

  // A revealed or rotated secret is rendered in the POST's answer, never put in a URL (where
  // history, logs and the Referer would keep it).
  scope.post('/webhooks/:webhook_id/reveal', async (request, reply) => {
    const webhook = sandbox.state.webhooks.get(id(request))
    if (!webhook) return context.notFound(request, reply, `No webhook '${id(request)}'.`)
    return sendWebhooksPage(context, request, reply, {
      reveal: new Map([[webhook.id, webhook.secret]]),
    })
  })

  scope.post('/webhooks/:webhook_id/rotate', async (request, reply) => {
    const overlap = formBody(request).get('overlap_seconds')
    const answer = await context.callApi(
      'POST',
      url`/sandbox/webhooks/${id(request)}/rotate-secret`,
      {
        ...(overlap ? { overlap_seconds: Number(overlap) } : {}),
      },
    )
    if (answer.status >= 400)
      return sendWebhooksPage(context, request, reply, {
        status: answer.status,
        error: apiError(answer),
      })
    const rotated = answer.body as { secret: string }
    return sendWebhooksPage(context, request, reply, {
      notice:
        'Secret rotated. Give the new secret to your app; the old one keeps signing until the time shown.',
      reveal: new Map([[id(request), rotated.secret]]),
    })
  })

  scope.post('/webhooks/:webhook_id/replay-parked', async (request, reply) => {
    const answer = await context.callApi(
      'POST',
      url`/sandbox/webhooks/${id(request)}/deliveries/replay`,
      {},
    )
    if (answer.status >= 400)
      return sendWebhooksPage(context, request, reply, {
        status: answer.status,
        error: apiError(answer),
      })
    return context.redirect(reply, url`/?webhook_id=${id(request)}`, 'replayed-parked')
  })

  scope.post('/webhooks/:webhook_id/status', async (request, reply) => {
    const status = formBody(request).get('status') === 'active' ? 'active' : 'inactive'
    const answer = await context.callApi('PATCH', url`/webhooks/${id(request)}`, { status })
    if (answer.status >= 400)
      return sendWebhooksPage(context, request, reply, {
        status: answer.status,
        error: apiError(answer),
      })
    return context.redirect(
      reply,
      url`/webhooks#${id(request)}`,
      status === 'active' ? 'webhook-enabled' : 'webhook-disabled',
    )
  })

  scope.post('/webhooks/:webhook_id/test', async (request, reply) => {
    const event = formBody(request).get('event')
    const answer = await context.callApi('POST', url`/sandbox/webhooks/${id(request)}/test`, {
      ...(event ? { event } : {}),
    })
    if (answer.status >= 400)
      return sendWebhooksPage(context, request, reply, {
        status: answer.status,
        error: apiError(answer),
      })
    const delivery = answer.body as { id: string }
    return context.redirect(reply, url`/?delivery=${delivery.id}`, 'test-sent')
  })
}
