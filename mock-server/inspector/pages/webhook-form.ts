/**
 * Adding, editing and deleting an endpoint: `GET/POST /webhooks/new`, `GET/POST
 * /webhooks/:id/edit`, `GET/POST /webhooks/:id/delete`. Each posts to the API a user calls
 * (`POST /v1/webhooks`, `PATCH` and `DELETE /v1/webhooks/{id}`), and a refusal comes back on the
 * form with what was typed kept and Bluum's message at the field it names.
 */
import { bluumEventNames } from '../../../plugin/catalog.js'
import { eventTypes } from '../../core/event-bus.js'
import type { Webhook } from '../../core/state.js'
import { apiError, formBody, type PageModule } from '../context.js'
import { html, raw, url, type SafeHtml } from '../html.js'
import { fieldError, renderLayout, type ApiErrorView, type PageFrame } from '../layout.js'
import { webhookLabel } from '../model.js'

/** What the form holds: a webhook's editable fields, as typed. */
export interface WebhookFormValues {
  name: string
  url: string
  description: string
  /** Exact names and wildcards (`*`, `order.*`, `transfer.deposit.*`). */
  events: string[]
}

/** The wildcards a subscription may use: `*`, each domain's and each sub-domain's. */
export function subscriptionChoices(
  names: readonly string[],
): { wildcard: string; names: string[] }[] {
  const groups = new Map<string, string[]>()
  for (const name of names) {
    const parts = name.split('.')
    for (let depth = 1; depth < parts.length; depth++) {
      const wildcard = `${parts.slice(0, depth).join('.')}.*`
      const list = groups.get(wildcard) ?? []
      if (depth === parts.length - 1) list.push(name)
      groups.set(wildcard, list)
    }
  }
  return [...groups.entries()].map(([wildcard, list]) => ({ wildcard, names: list }))
}

function checkbox(
  value: string,
  label: SafeHtml | string,
  checked: boolean,
  index: number,
): SafeHtml {
  return html`<label class="check" for="event-${index}"
    ><input
      type="checkbox"
      id="event-${index}"
      name="events"
      value="${value}"
      ${checked ? raw('checked') : ''}
    />
    ${label}</label
  >`
}

function renderEventChoices(
  selected: readonly string[],
  error: ApiErrorView | undefined,
): SafeHtml {
  const chosen = new Set(selected)
  const descriptions = new Map(eventTypes().map((t) => [t.name, t.description]))
  const groups = subscriptionChoices(bluumEventNames)
  const known = new Set<string>(['*', ...bluumEventNames, ...groups.map((g) => g.wildcard)])
  const others = selected.filter((s) => !known.has(s))
  const problem = fieldError(error, 'eventTypeNames')
  let index = 0
  return html`<fieldset class="events-choice" ${problem.attrs}>
    <legend>Events</legend>
    ${problem.message}
    <p>
      ${checkbox('*', html`<strong>All events</strong> <code>*</code>`, chosen.has('*'), index++)}
    </p>
    <div class="event-groups">
      ${groups.map(
        (group) =>
          html`<div class="event-group">
            <p>
              ${checkbox(group.wildcard, html`every <code>${group.wildcard}</code>`, chosen.has(group.wildcard), index++)}
            </p>
            <ul>
              ${group.names.map(
                (name) =>
                  html`<li title="${descriptions.get(name) ?? ''}">
                    ${checkbox(name, html`<code>${name}</code>`, chosen.has(name), index++)}
                  </li>`,
              )}
            </ul>
          </div>`,
      )}
    </div>
    <p>
      <label for="events-other">Other names or wildcards, comma-separated</label>
      <input id="events-other" name="events_other" value="${others.join(', ')}" size="30" />
    </p>
  </fieldset>`
}

/** The add/edit form. */
function renderWebhookForm(
  frame: Omit<PageFrame, 'title' | 'current'>,
  view: { webhookId?: string; values: WebhookFormValues; error?: ApiErrorView | undefined },
): string {
  const editing = view.webhookId !== undefined
  const action = editing ? url`/webhooks/${view.webhookId!}/edit` : url`/webhooks/new`
  const { values, error } = view
  const name = fieldError(error, 'name')
  const target = fieldError(error, 'url')
  const description = fieldError(error, 'description')
  return renderLayout(
    {
      ...frame,
      title: editing ? `Edit ${values.name}` : 'Add endpoint',
      current: 'webhooks',
      error,
    },
    html`<p><a href="/webhooks">← Webhooks</a></p>
      <h1>${editing ? html`Edit <span class="ellipsis">${values.name}</span>` : 'Add endpoint'}</h1>
      <form method="post" action="${action}" class="webhook-form" id="webhook-form">
        <p>
          <label for="webhook-name">Name</label>
          <input
            id="webhook-name"
            name="name"
            value="${values.name}"
            required
            maxlength="200"
            ${name.attrs}
          />
          ${name.message}
        </p>
        <p>
          <label for="webhook-url">Endpoint URL</label>
          <input
            id="webhook-url"
            name="url"
            type="url"
            value="${values.url}"
            required
            placeholder="http://127.0.0.1:3000/webhooks/bluum"
            ${target.attrs}
          />
          ${target.message}
        </p>
        <p>
          <label for="webhook-description">Description (optional)</label>
          <textarea
            id="webhook-description"
            name="description"
            rows="2"
            maxlength="1000"
            ${description.attrs}
          >
${values.description}</textarea>
          ${description.message}
        </p>
        ${renderEventChoices(values.events, error)}
        <p>
          <button type="submit" class="primary">${editing ? 'Save' : 'Add endpoint'}</button>
          <a href="${editing ? url`/webhooks#${view.webhookId!}` : '/webhooks'}">Cancel</a>
        </p>
      </form>`,
  )
}

/** The delete confirmation: what goes away, and the button that does it. */
function renderDeleteConfirm(
  frame: Omit<PageFrame, 'title' | 'current'>,
  webhook: Pick<Webhook, 'id' | 'name' | 'url'>,
  pending: number,
): string {
  const name = webhookLabel(webhook)
  return renderLayout(
    { ...frame, title: `Delete ${name}`, current: 'webhooks' },
    html`<p><a href="/webhooks">← Webhooks</a></p>
      <h1>Delete <span class="ellipsis">${name}</span>?</h1>
      <p>
        <code>${webhook.id}</code> stops receiving events at
        <code class="url-text">${webhook.url}</code>.
        ${pending > 0 ? html`Its ${pending} waiting ${pending === 1 ? 'retry is' : 'retries are'} cancelled.` : ''}
        Its past deliveries stay listed. This cannot be undone.
      </p>
      <form method="post" action="${url`/webhooks/${webhook.id}/delete`}">
        <button type="submit" class="danger">Delete ${name}</button>
        <a href="${url`/webhooks#${webhook.id}`}">Keep it</a>
      </form>`,
  )
}

/** The form's fields as typed. */
function readForm(form: URLSearchParams): WebhookFormValues {
  const other = (form.get('events_other') ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean)
  return {
    name: (form.get('name') ?? '').trim(),
    url: (form.get('url') ?? '').trim(),
    description: (form.get('description') ?? '').trim(),
    events: [...new Set([...form.getAll('events'), ...other])],
  }
}

export const registerWebhookForms: PageModule = (scope, context) => {
  const { sandbox } = context
  const id = (request: { params: unknown }) => (request.params as { webhook_id: string }).webhook_id
  const form = (
    request: Parameters<typeof context.frame>[0],
    reply: Parameters<typeof context.sendPage>[0],
    view: Parameters<typeof renderWebhookForm>[1],
    status = 200,
  ) => {
    const path = view.webhookId ? url`/webhooks/${view.webhookId}/edit` : url`/webhooks/new`
    return context.sendPage(reply, status, renderWebhookForm(context.frame(request, path), view))
  }

  scope.get('/webhooks/new', async (request, reply) =>
    form(request, reply, { values: { name: '', url: '', description: '', events: ['*'] } }),
  )

  scope.post('/webhooks/new', async (request, reply) => {
    const values = readForm(formBody(request))
    const answer = await context.callApi('POST', '/webhooks', {
      name: values.name,
      url: values.url,
      eventTypeNames: values.events,
      ...(values.description ? { description: values.description } : {}),
    })
    if (answer.status >= 400)
      return form(request, reply, { values, error: apiError(answer) }, answer.status)
    const created = answer.body as { id: string }
    return context.redirect(reply, url`/webhooks#${created.id}`, 'webhook-created')
  })

  scope.get('/webhooks/:webhook_id/edit', async (request, reply) => {
    const webhook = sandbox.state.webhooks.get(id(request))
    if (!webhook) return context.notFound(request, reply, `No webhook '${id(request)}'.`)
    return form(request, reply, {
      webhookId: webhook.id,
      values: {
        name: webhook.name ?? '',
        url: webhook.url,
        description: webhook.description ?? '',
        events: [...webhook.event_type_names],
      },
    })
  })

  scope.post('/webhooks/:webhook_id/edit', async (request, reply) => {
    const values = readForm(formBody(request))
    const answer = await context.callApi('PATCH', url`/webhooks/${id(request)}`, {
      name: values.name,
      url: values.url,
      eventTypeNames: values.events,
      description: values.description === '' ? null : values.description,
    })
    if (answer.status >= 400)
      return form(
        request,
        reply,
        { webhookId: id(request), values, error: apiError(answer) },
        answer.status,
      )
    return context.redirect(reply, url`/webhooks#${id(request)}`, 'webhook-updated')
  })

  scope.get('/webhooks/:webhook_id/delete', async (request, reply) => {
    const webhook = sandbox.state.webhooks.get(id(request))
    if (!webhook) return context.notFound(request, reply, `No webhook '${id(request)}'.`)
    const pending = sandbox.deliveries.list({ webhookId: webhook.id, status: 'pending' }).length
    return context.sendPage(
      reply,
      200,
      renderDeleteConfirm(
        context.frame(request, url`/webhooks/${webhook.id}/delete`),
        webhook,
        pending,
      ),
    )
  })

  scope.post('/webhooks/:webhook_id/delete', async (request, reply) => {
    const answer = await context.callApi('DELETE', url`/webhooks/${id(request)}`)
    if (answer.status >= 400) {
      const webhook = sandbox.state.webhooks.get(id(request))
      if (!webhook) return context.notFound(request, reply, `No webhook '${id(request)}'.`)
      return context.sendPage(
        reply,
        answer.status,
        renderDeleteConfirm(
          {
            ...context.frame(request, url`/webhooks/${webhook.id}/delete`),
            error: apiError(answer),
          },
          webhook,
          0,
        ),
      )
    }
    return context.redirect(reply, url`/webhooks`, 'webhook-deleted')
  })
}
