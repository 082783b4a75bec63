/**
 * The inspector's pages, as pure functions from plain data to HTML. Every page works without
 * JavaScript: lists are links, actions are forms that POST; the script only adds live updates,
 * sample swapping and validation before a trigger is sent. Every value goes through `html`, which
 * escapes it, so an event name or a receiver's answer is shown, never run.
 */
import { html, jsonForScript, raw, type HtmlValue, type SafeHtml } from './html.js'
import {
  deliveryStates,
  filtersQuery,
  isReplayable,
  prettyJson,
  receiverDiagnosis,
  type AttemptView,
  type DeliveryState,
  type DeliverySummary,
  type Feed,
  type FeedFilters,
  type HeaderMap,
} from './model.js'
import type { Delivery, Webhook } from '../core/state.js'

/** Where the assets and the live stream are served (see `routes.ts`). */
export const inspectorPaths = Object.freeze({
  css: '/_inspector/inspector.css',
  js: '/_inspector/inspector.js',
  stream: '/_inspector/stream',
})

/** An error answer of the API, shown on the page that caused it. */
export interface ApiErrorView {
  status: number
  code: string
  message: string
  param?: string
}

/** What every page shows around its content. */
export interface PageFrame {
  title: string
  /** Which navigation entry is the current page. */
  current?: 'feed' | 'webhooks' | 'trigger'
  /** Sandbox clock, ISO. */
  clockNow: string
  /** A message after a successful action (from the redirect's `notice`). */
  notice?: string | undefined
  error?: ApiErrorView | undefined
  /** This page's own path and query, where the clock form comes back to. Default `/`. */
  path?: string
}

const nav = [
  ['feed', '/', 'Events and deliveries'],
  ['webhooks', '/webhooks', 'Webhooks'],
  ['trigger', '/trigger', 'Trigger an event'],
] as const

/** A refusal (the API's, or the inspector's own), with its code and the field it names. */
export function renderApiError(error: ApiErrorView): SafeHtml {
  return html`<div class="error" role="alert" id="api-error">
    <h2>Refused: ${error.status} <code>${error.code}</code></h2>
    <p>${error.message}</p>
    ${error.param ? html`<p>Field: <code>${error.param}</code></p>` : ''}
  </div>`
}

/** The page around `body`: navigation, the clock control, notices, the stylesheet and script. */
export function renderLayout(frame: PageFrame, body: HtmlValue): string {
  const links = nav.map(
    ([key, href, label]) =>
      html`<a href="${href}" ${frame.current === key ? raw(' aria-current="page"') : ''}
        >${label}</a
      >`,
  )
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${frame.title} · Bluum sandbox inspector</title>
        <link rel="stylesheet" href="${inspectorPaths.css}" />
        <script src="${inspectorPaths.js}" defer></script>
      </head>
      <body data-stream="${inspectorPaths.stream}">
        <a class="skip" href="#main">Skip to the content</a>
        <header>
          <p class="brand">Bluum sandbox inspector</p>
          <nav aria-label="Inspector">${links}</nav>
          <form class="clock" method="post" action="/clock/advance">
            <p>Sandbox clock: <time datetime="${frame.clockNow}">${frame.clockNow}</time></p>
            <label for="advance-duration">Advance the clock by</label>
            <input
              id="advance-duration"
              name="duration"
              value="1m"
              size="6"
              required
              aria-describedby="advance-help"
            />
            <input type="hidden" name="back" value="${frame.path ?? '/'}" />
            <button type="submit">Advance</button>
            <small id="advance-help"
              >Runs every retry and transfer step due on the way, e.g. <code>1m</code>,
              <code>2h</code>, <code>11h</code>.</small
            >
          </form>
          <p id="live-status" class="live-status" role="status" aria-live="polite"></p>
        </header>
        <main id="main" tabindex="-1">
          ${frame.notice ? html`<p class="notice" role="status">${frame.notice}</p>` : ''}
          ${frame.error ? renderApiError(frame.error) : ''} ${body}
        </main>
        <footer>
          <p>
            API under <code>/v1</code> (HTTP Basic with the sandbox's key and secret) ·
            <a href="/openapi.json">OpenAPI document</a>
          </p>
        </footer>
      </body>
    </html> `.text
}

const stateLabel: Record<DeliveryState, string> = {
  pending: 'pending',
  failing: 'failing',
  delivered: 'delivered',
  parked: 'parked',
  cancelled: 'cancelled',
}

function stateBadge(state: DeliveryState): SafeHtml {
  return html`<span class="state state-${state}">${stateLabel[state]}</span>`
}

/** `HTTP 401`, the error, or nothing yet. */
function answerText(last: DeliverySummary['last']): string {
  if (!last) return 'not tried yet'
  if (last.status_code !== null) return `HTTP ${last.status_code}`
  return last.error ?? 'no answer'
}

function time(iso: string | null | undefined): SafeHtml {
  return iso ? html`<time datetime="${iso}">${iso}</time>` : html`<span>—</span>`
}

/** The feed's filter form: a GET, so filtered views are links people can share and bookmark. */
function renderFilters(
  filters: FeedFilters,
  webhooks: readonly Pick<Webhook, 'id' | 'name'>[],
  eventNames: readonly string[],
): SafeHtml {
  return html`<form class="filters" method="get" action="/" role="search" aria-label="Filter">
    <label for="filter-event">Event name or pattern</label>
    <input
      id="filter-event"
      name="event"
      list="event-names"
      value="${filters.event ?? ''}"
      placeholder="order.*"
    />
    <datalist id="event-names">
      ${eventNames.map((n) => html`<option value="${n}"></option>`)}
    </datalist>
    <label for="filter-webhook">Webhook</label>
    <select id="filter-webhook" name="webhook_id">
      <option value="">any</option>
      ${webhooks.map(
        (w) =>
          html`<option value="${w.id}" ${filters.webhookId === w.id ? raw(' selected') : ''}>
            ${w.name} (${w.id})
          </option>`,
      )}
    </select>
    <label for="filter-status">Status</label>
    <select id="filter-status" name="status">
      <option value="">any</option>
      ${deliveryStates.map(
        (s) =>
          html`<option value="${s}" ${filters.state === s ? raw(' selected') : ''}>
            ${stateLabel[s]}
          </option>`,
      )}
    </select>
    <button type="submit">Filter</button>
    <a href="/">Clear filters</a>
  </form>`
}

/** The rows of the feed; the region the script refreshes live. */
export function renderFeedTable(feed: Feed): SafeHtml {
  if (feed.rows.length === 0) {
    return html`<section id="feed" data-live aria-labelledby="feed-title">
      <h2 id="feed-title">Newest first</h2>
      <p class="empty">
        Nothing yet. <a href="/trigger">Trigger an event</a>, or create orders, deposits and
        documents through the API.
      </p>
    </section>`
  }
  const rows = feed.rows.map(({ event, delivery }) => {
    const eventCell = html`<td>
      <a href="/events/${encodeURIComponent(event.id)}">${event.event}</a><br /><code
        >${event.id}</code
      >
    </td>`
    if (!delivery) {
      return html`<tr data-event-id="${event.id}">
        <td>${time(event.timestamp)}</td>
        ${eventCell}
        <td colspan="6" class="muted">no webhook subscribed</td>
      </tr>`
    }
    return html`<tr
      data-event-id="${event.id}"
      data-delivery-id="${delivery.id}"
      data-state="${delivery.state}"
    >
      <td>${time(event.timestamp)}</td>
      ${eventCell}
      <td><a href="/webhooks#${delivery.webhookId}">${delivery.webhookName}</a></td>
      <td><a href="/deliveries/${encodeURIComponent(delivery.id)}">${delivery.id}</a></td>
      <td>
        ${stateBadge(delivery.state)}${delivery.failureReason ? html` <small>(${delivery.failureReason})</small>` : ''}
      </td>
      <td>${delivery.attempts}</td>
      <td>${answerText(delivery.last)}</td>
      <td>${delivery.state === 'parked' ? 'parked' : time(delivery.nextAttemptAt)}</td>
    </tr>`
  })
  return html`<section id="feed" data-live aria-labelledby="feed-title">
    <h2 id="feed-title">
      Newest
      first${feed.total > feed.rows.length ? ` (the latest ${feed.rows.length} of ${feed.total}; filter to narrow)` : ''}
    </h2>
    <table>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Event</th>
          <th scope="col">Webhook</th>
          <th scope="col">Delivery</th>
          <th scope="col">Status</th>
          <th scope="col">Attempts</th>
          <th scope="col">Last answer</th>
          <th scope="col">Next retry</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </section>`
}

/** `GET /`: events and deliveries, newest first, filtered. */
export function renderFeedPage(
  frame: Omit<PageFrame, 'title' | 'current'>,
  view: {
    feed: Feed
    filters: FeedFilters
    webhooks: readonly Pick<Webhook, 'id' | 'name'>[]
    eventNames: readonly string[]
  },
): string {
  const filtered = filtersQuery(view.filters)
  return renderLayout(
    { ...frame, title: 'Events and deliveries', current: 'feed' },
    html`<h1>Events and deliveries</h1>
      <p>
        Every event the sandbox emitted and its delivery to each subscribed webhook. With JavaScript
        on, this page updates by itself while it is
        open${filtered ? ' (with the filters below)' : ''}.
      </p>
      ${renderFilters(view.filters, view.webhooks, view.eventNames)} ${renderFeedTable(view.feed)}`,
  )
}

function headerRows(headers: HeaderMap | undefined): SafeHtml {
  const entries = Object.entries(headers ?? {}).filter(([, v]) => v !== undefined)
  if (entries.length === 0) return html`<p class="muted">no headers recorded</p>`
  return html`<table class="headers">
    <tbody>
      ${entries.map(
        ([name, value]) =>
          html`<tr>
            <th scope="row">${name}</th>
            <td><code>${Array.isArray(value) ? value.join(', ') : String(value)}</code></td>
          </tr>`,
      )}
    </tbody>
  </table>`
}

function bodyBlock(body: string | undefined, truncated?: boolean): SafeHtml {
  if (body === undefined) return html`<p class="muted">no body recorded</p>`
  if (body === '') return html`<p class="muted">empty body</p>`
  return html`<pre><code>${prettyJson(body)}</code></pre>
    ${truncated ? html`<p class="muted">Only the first 64 KB were kept.</p>` : ''}`
}

/**
 * One attempt: its outcome, the receiver's diagnosis, the request sent and the answer (unfolded
 * when it is the latest attempt and failed: the answer people came to read).
 */
export function renderAttempt(attempt: AttemptView, latest = false): SafeHtml {
  const status = attempt.response?.status ?? attempt.status_code
  const diagnosis = receiverDiagnosis(attempt.response?.body)
  const outcome = attempt.succeeded
    ? `HTTP ${status}, delivered`
    : status !== null && status !== undefined
      ? `HTTP ${status}`
      : (attempt.error ?? 'no answer')
  return html`<li
    class="attempt ${attempt.succeeded ? 'ok' : 'failed'}"
    id="attempt-${attempt.attempt}"
  >
    <h3>
      Attempt ${attempt.attempt}:
      ${outcome}${diagnosis ? html` <code>${diagnosis.code}</code>` : ''}
    </h3>
    <p>
      ${time(attempt.attempted_at)} · ${attempt.duration_ms}
      ms${attempt.fault ? ` · fault-injected ${attempt.fault}` : ''}
    </p>
    ${
      diagnosis
        ? html`<div class="diagnosis">
            <p>
              <strong>The receiver answered <code>${diagnosis.code}</code></strong>
            </p>
            ${diagnosis.message ? html`<p>${diagnosis.message}</p>` : ''}
          </div>`
        : ''
    }
    ${
      status === null || status === undefined
        ? html`<p class="diagnosis">
            No answer:
            ${
              attempt.connection_error
                ? html`<code>${attempt.connection_error.code}</code>
                    ${attempt.connection_error.message}`
                : (attempt.error ?? 'the attempt was cut off')
            }
          </p>`
        : ''
    }
    ${
      attempt.request
        ? html`<details>
            <summary>Request sent</summary>
            <p><code>${attempt.request.method ?? 'POST'} ${attempt.request.url ?? ''}</code></p>
            ${headerRows(attempt.request.headers)}${bodyBlock(attempt.request.body)}
          </details>`
        : ''
    }
    ${
      attempt.response
        ? html`<details ${latest && !attempt.succeeded ? raw('open') : ''}>
            <summary>Response received</summary>
            ${headerRows(attempt.response.headers)}${bodyBlock(attempt.response.body, attempt.response.body_truncated)}
          </details>`
        : ''
    }
  </li>`
}

/** The part of a delivery page that changes while it is retried: refreshed live. */
export function renderDeliveryLive(view: {
  delivery: Delivery
  state: DeliveryState
  attempts: readonly AttemptView[]
}): SafeHtml {
  const { delivery, state } = view
  const next =
    delivery.status === 'parked'
      ? html`parked (${delivery.failure_reason ?? 'exhausted'}): replay it once the app is fixed`
      : delivery.status === 'pending'
        ? delivery.next_attempt_at
          ? html`${time(delivery.next_attempt_at)} (advance the clock to get there now)`
          : html`now`
        : html`none`
  return html`<section id="delivery-live" data-live aria-labelledby="attempts-title">
    <dl class="summary">
      <dt>Status</dt>
      <dd>
        ${stateBadge(state)}${delivery.failure_reason ? html` <small>(${delivery.failure_reason})</small>` : ''}
      </dd>
      <dt>Next retry</dt>
      <dd>${next}</dd>
    </dl>
    ${
      isReplayable(delivery)
        ? html`<form method="post" action="/deliveries/${encodeURIComponent(delivery.id)}/replay">
            <button type="submit" id="replay-delivery">Replay this delivery</button>
            <small>Same event id and bytes, a fresh retry ladder.</small>
          </form>`
        : html`<p class="muted">
            ${delivery.status === 'pending' ? 'It retries by itself; it can be replayed once delivered or parked.' : 'This delivery cannot be replayed.'}
          </p>`
    }
    <h2 id="attempts-title">Attempts (${view.attempts.length})</h2>
    ${
      view.attempts.length === 0
        ? html`<p class="muted">No attempt yet.</p>`
        : html`<ol class="attempts" aria-label="Attempts, newest first">
            ${[...view.attempts].reverse().map((a, i) => renderAttempt(a, i === 0))}
          </ol>`
    }
  </section>`
}

/** `GET /deliveries/:id`: the envelope, every attempt, the next retry, replay. */
export function renderDeliveryPage(
  frame: Omit<PageFrame, 'title' | 'current'>,
  view: {
    delivery: Delivery
    state: DeliveryState
    attempts: readonly AttemptView[]
    webhook: Pick<Webhook, 'id' | 'name' | 'url'> | undefined
  },
): string {
  const { delivery, webhook } = view
  return renderLayout(
    { ...frame, title: `${delivery.event} ${delivery.id}` },
    html`<p><a href="/">← Events and deliveries</a></p>
      <h1><code>${delivery.event}</code> to ${webhook?.name ?? delivery.webhook_id}</h1>
      <dl class="summary">
        <dt>Delivery</dt>
        <dd><code>${delivery.id}</code></dd>
        <dt>Event</dt>
        <dd>
          <a href="/events/${encodeURIComponent(delivery.event_id)}"
            ><code>${delivery.event_id}</code></a
          >
          (the <code>webhook-id</code> of every attempt)
        </dd>
        <dt>Webhook</dt>
        <dd>
          ${webhook ? html`<a href="/webhooks#${webhook.id}">${webhook.name}</a> <code>${webhook.url}</code>` : html`<code>${delivery.webhook_id}</code> (deleted)`}
        </dd>
        <dt>Created</dt>
        <dd>${time(new Date(delivery.created * 1000).toISOString())}</dd>
      </dl>
      ${renderDeliveryLive(view)}
      <h2>Envelope</h2>
      <p>The exact bytes every attempt sends, pretty-printed:</p>
      <pre><code>${prettyJson(delivery.payload)}</code></pre>`,
  )
}

/** `GET /events/:id`: the envelope and the event's deliveries. */
export function renderEventPage(
  frame: Omit<PageFrame, 'title' | 'current'>,
  view: {
    event: { id: string; event: string; timestamp: string; data: unknown }
    deliveries: readonly DeliverySummary[]
  },
): string {
  const { event } = view
  const rows = view.deliveries.map(
    (d) =>
      html`<tr>
        <td><a href="/webhooks#${d.webhookId}">${d.webhookName}</a></td>
        <td><a href="/deliveries/${encodeURIComponent(d.id)}">${d.id}</a></td>
        <td>${stateBadge(d.state)}</td>
        <td>${d.attempts}</td>
        <td>${answerText(d.last)}</td>
      </tr>`,
  )
  return renderLayout(
    { ...frame, title: `${event.event} ${event.id}` },
    html`<p><a href="/">← Events and deliveries</a></p>
      <h1><code>${event.event}</code> <code>${event.id}</code></h1>
      <section id="event-deliveries" data-live aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Deliveries</h2>
        ${
          rows.length === 0
            ? html`<p class="muted">
                No webhook was subscribed to this event when it was emitted.
              </p>`
            : html`<table>
                <thead>
                  <tr>
                    <th scope="col">Webhook</th>
                    <th scope="col">Delivery</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Last answer</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows}
                </tbody>
              </table>`
        }
      </section>
      <h2>Envelope</h2>
      <pre><code>${JSON.stringify({ id: event.id, event: event.event, timestamp: event.timestamp, data: event.data }, null, 2)}</code></pre>`,
  )
}

/** A webhook as the webhooks page lists it. */
export interface WebhookView {
  webhook: Pick<
    Webhook,
    'id' | 'name' | 'url' | 'event_type_names' | 'status' | 'disabled_reason' | 'created_at'
  >
  parked: number
  /** Set only on the answer to "reveal" or "rotate" for this webhook. */
  revealedSecret?: string
}

/** `GET /webhooks`: each webhook with its URL, events, hidden secret, rotate and replay-parked. */
export function renderWebhooksPage(
  frame: Omit<PageFrame, 'title' | 'current'>,
  view: { webhooks: readonly WebhookView[] },
): string {
  const items = view.webhooks.map(({ webhook, parked, revealedSecret }) => {
    const id = encodeURIComponent(webhook.id)
    return html`<article class="webhook" id="${webhook.id}" aria-labelledby="title-${webhook.id}">
      <h2 id="title-${webhook.id}">${webhook.name}</h2>
      <dl class="summary">
        <dt>Id</dt>
        <dd><code>${webhook.id}</code></dd>
        <dt>URL</dt>
        <dd><code>${webhook.url}</code></dd>
        <dt>Events</dt>
        <dd>${webhook.event_type_names.map((n) => html`<code>${n}</code> `)}</dd>
        <dt>Status</dt>
        <dd>${webhook.status}${webhook.disabled_reason ? ` (${webhook.disabled_reason})` : ''}</dd>
        <dt>Created</dt>
        <dd>${time(webhook.created_at)}</dd>
        <dt>Secret</dt>
        <dd>
          ${
            revealedSecret
              ? html`<output
                    class="secret"
                    id="secret-${webhook.id}"
                    aria-label="Secret of ${webhook.name}"
                    ><code>${revealedSecret}</code></output
                  >
                  <a href="/webhooks#${webhook.id}">Hide</a>`
              : html`<span class="secret-hidden">hidden</span>
                  <form class="inline" method="post" action="/webhooks/${id}/reveal">
                    <button type="submit" aria-label="Reveal secret of ${webhook.name}">
                      Reveal secret
                    </button>
                  </form>`
          }
        </dd>
      </dl>
      <div class="actions">
        <form class="inline" method="post" action="/webhooks/${id}/rotate">
          <button type="submit" aria-label="Rotate secret of ${webhook.name}">Rotate secret</button>
        </form>
        <form class="inline" method="post" action="/webhooks/${id}/replay-parked">
          <button
            type="submit"
            aria-label="Replay ${parked} parked ${
              parked === 1 ? 'delivery' : 'deliveries'
            } of ${webhook.name}"
          >
            Replay ${parked} parked ${parked === 1 ? 'delivery' : 'deliveries'}
          </button>
        </form>
        <a href="/?webhook_id=${id}">Its deliveries</a>
      </div>
    </article>`
  })
  return renderLayout(
    { ...frame, title: 'Webhooks', current: 'webhooks' },
    html`<h1>Webhooks</h1>
      <p>
        Secrets stay hidden until revealed; a rotated secret is shown once, and the old one keeps
        signing during the overlap.
      </p>
      ${items.length === 0 ? html`<p class="empty">No webhook yet: create one with <code>POST /v1/webhooks</code> or start the sandbox with <code>--forward-to &lt;url&gt;</code>.</p>` : items}`,
  )
}

/** `GET /trigger`: any catalog event, its sample data prefilled, validated before it is sent. */
export function renderTriggerPage(
  frame: Omit<PageFrame, 'title' | 'current'>,
  view: {
    catalog: readonly { name: string; description: string }[]
    selected: string
    data: string
    /** Every event's sample, for the script to swap in when the selection changes. */
    samples: Record<string, string>
  },
): string {
  return renderLayout(
    { ...frame, title: 'Trigger an event', current: 'trigger' },
    html`<h1>Trigger an event</h1>
      <p>
        Like <code>stripe trigger</code>: the sandbox builds the resources behind the event (its
        investor, order, transfer or document) and delivers it to every subscribed webhook.
      </p>
      <form method="post" action="/trigger" id="trigger-form" novalidate>
        <p>
          <label for="trigger-event">Event</label>
          <select id="trigger-event" name="event">
            ${view.catalog.map(
              (e) =>
                html`<option value="${e.name}" ${e.name === view.selected ? raw(' selected') : ''}>
                  ${e.name}: ${e.description}
                </option>`,
            )}
          </select>
          <button
            type="submit"
            formmethod="get"
            formaction="/trigger"
            name="load"
            value="1"
            id="load-sample"
          >
            Load its sample data
          </button>
        </p>
        <p>
          <label for="trigger-data">Data (JSON object, merged over the sandbox's sample)</label
          ><br />
          <textarea
            id="trigger-data"
            name="data"
            rows="18"
            cols="80"
            spellcheck="false"
            aria-describedby="trigger-data-help trigger-data-error"
          >
${view.data}</textarea
          ><br />
          <small id="trigger-data-help"
            >Fields the sandbox computes (ids, statuses, fill times) are left out; the API names any
            field it refuses.</small
          >
        </p>
        <p id="trigger-data-error" class="field-error" role="alert"></p>
        <p><button type="submit" id="trigger-submit">Trigger</button></p>
      </form>
      <script type="application/json" id="trigger-samples">
        ${jsonForScript(view.samples)}
      </script>`,
  )
}

/** A page that only says something (a 404, a refused request). */
export function renderMessagePage(
  frame: Omit<PageFrame, 'current'>,
  message: { heading: string; text: string },
): string {
  return renderLayout(
    frame,
    html`<h1>${message.heading}</h1>
      <p>${message.text}</p>
      <p><a href="/">Back to events and deliveries</a></p>`,
  )
}
