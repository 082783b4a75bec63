/**
 * `GET /`: deliveries as a list and a detail, side by side (stacked on a phone). The list holds
 * every event and its delivery to each webhook, newest first, one compact row each (event,
 * webhook, state, the last answer's status and the receiver's code, when), filtered and paged by
 * cursor; the URL keeps the filters, the page and the selected delivery (`?delivery=dlv_...`), so a
 * view is a link to share, bookmark or open in another tab.
 */
import { eventTypes } from '../../core/event-bus.js'
import type { Webhook } from '../../core/state.js'
import type { PageModule } from '../context.js'
import { html, raw, url, type SafeHtml } from '../html.js'
import {
  ellipsis,
  renderLayout,
  stateBadge,
  stateLabelOf,
  timeAgo,
  type PageFrame,
} from '../layout.js'
import {
  buildFeed,
  deliveryStates,
  filtersQuery,
  pageFeed,
  parseCursor,
  parseFilters,
  type DeliverySummary,
  type FeedCursor,
  type FeedFilters,
  type FeedPage,
  type FeedRow,
  webhookLabel,
} from '../model.js'
import { deliveryView, renderDeliveryDetail, type DeliveryView } from './delivery.js'

/** The last answer in a few words: `401 BLUUM_SIGNATURE_MISMATCH`, `ECONNREFUSED`, `not tried yet`. */
export function lastAnswerText(last: DeliverySummary['last']): string {
  if (!last) return 'not tried yet'
  if (last.status_code !== null) return `${last.status_code}${last.code ? ` ${last.code}` : ''}`
  return last.connectionCode ?? last.error ?? 'no answer'
}

/** The query of the feed's URL: filters, page cursor and selection, in a stable order. */
function feedQuery(filters: FeedFilters, cursor: FeedCursor, delivery?: string): URLSearchParams {
  const params = new URLSearchParams(filtersQuery(filters))
  if (cursor.after) params.set('after', cursor.after)
  if (cursor.before) params.set('before', cursor.before)
  if (delivery) params.set('delivery', delivery)
  return params
}

/** The feed's filter form: a GET, so a filtered view is a link. */
function renderFilters(
  filters: FeedFilters,
  webhooks: readonly Pick<Webhook, 'id' | 'name'>[],
  eventNames: readonly string[],
): SafeHtml {
  return html`<form
    class="filters"
    method="get"
    action="/"
    role="search"
    aria-label="Filter deliveries"
  >
    <p>
      <label for="filter-event">Event</label>
      <input
        id="filter-event"
        name="event"
        list="event-names"
        value="${filters.event ?? ''}"
        placeholder="order.*"
        size="14"
      />
      <datalist id="event-names">
        ${eventNames.map((n) => html`<option value="${n}"></option>`)}
      </datalist>
    </p>
    <p>
      <label for="filter-webhook">Webhook</label>
      <select id="filter-webhook" name="webhook_id">
        <option value="">any</option>
        ${webhooks.map((w) => {
          const name = webhookLabel(w)
          return html`<option value="${w.id}" ${filters.webhookId === w.id ? raw(' selected') : ''}>
            ${name.length > 40 ? `${name.slice(0, 39)}…` : name}
          </option>`
        })}
      </select>
    </p>
    <p>
      <label for="filter-status">Status</label>
      <select id="filter-status" name="status">
        <option value="">any</option>
        ${deliveryStates.map(
          (s) =>
            html`<option value="${s}" ${filters.state === s ? raw(' selected') : ''}>
              ${stateLabelOf(s)}
            </option>`,
        )}
      </select>
    </p>
    <p><button type="submit">Filter</button> <a href="/">Clear</a></p>
  </form>`
}

function renderRow(
  row: FeedRow,
  filters: FeedFilters,
  cursor: FeedCursor,
  selected: string | undefined,
  nowMs: number,
): SafeHtml {
  const { event, delivery } = row
  if (!delivery) {
    return html`<li class="row" data-event-id="${event.id}">
      <a class="row-link" href="${url`/events/${event.id}`}">
        <span class="row-main"><span class="row-event">${ellipsis(event.event)}</span></span>
        <span class="row-meta"
          ><span class="muted">no webhook subscribed</span> ${timeAgo(event.timestamp, nowMs)}</span
        >
      </a>
    </li>`
  }
  const current = delivery.id === selected
  return html`<li
    class="row${current ? ' selected' : ''}"
    data-event-id="${event.id}"
    data-delivery-id="${delivery.id}"
    data-state="${delivery.state}"
  >
    <a
      class="row-link"
      href="${url`/?${feedQuery(filters, cursor, delivery.id)}`}"
      ${current ? raw('aria-current="true"') : ''}
    >
      <span class="row-main">
        <span class="row-event">${ellipsis(event.event)}</span>
        <span class="row-endpoint">${ellipsis(delivery.webhookName)}</span>
      </span>
      <span class="row-meta">
        ${stateBadge(delivery.state)}
        <span class="row-answer">${lastAnswerText(delivery.last)}</span>
        ${delivery.attempts > 1 ? html`<span class="muted">${delivery.attempts} attempts</span>` : ''}
        ${timeAgo(event.timestamp, nowMs)}
      </span>
    </a>
  </li>`
}

function renderPager(page: FeedPage, filters: FeedFilters, selected: string | undefined): SafeHtml {
  if (page.total <= page.rows.length && page.start === 0) return html``
  const newer = page.newer
    ? html`<a rel="prev" href="${url`/?${feedQuery(filters, { before: page.newer }, selected)}`}"
        >← Newer</a
      >`
    : html`<span class="muted" aria-disabled="true">← Newer</span>`
  const older = page.older
    ? html`<a rel="next" href="${url`/?${feedQuery(filters, { after: page.older }, selected)}`}"
        >Older →</a
      >`
    : html`<span class="muted" aria-disabled="true">Older →</span>`
  return html`<nav class="pager" aria-label="Pages of deliveries">
    ${newer}
    <span class="pager-range"
      >${page.start + 1}–${page.start + page.rows.length} of
      ${page.total.toLocaleString('en-US')}</span
    >
    ${older}
  </nav>`
}

/** The list: the region the script refreshes live. */
function renderFeedList(
  page: FeedPage,
  filters: FeedFilters,
  cursor: FeedCursor,
  selected: string | undefined,
  nowMs: number,
): SafeHtml {
  const filtered = filtersQuery(filters) !== ''
  return html`<section id="feed" class="feed" data-live aria-labelledby="feed-title">
    <h2 id="feed-title" class="feed-title">
      Newest first
      <span class="muted"
        >(${page.total.toLocaleString('en-US')}${filtered ? ' matching' : ''})</span
      >
    </h2>
    ${
      page.rows.length === 0
        ? html`<p class="empty">
            ${filtered ? html`Nothing matches these filters. <a href="/">Clear them</a>.` : html`Nothing yet. <a href="/trigger">Trigger an event</a>, or create orders, deposits and documents through the API.`}
          </p>`
        : html`<ol class="rows" aria-labelledby="feed-title">
            ${page.rows.map((row) => renderRow(row, filters, cursor, selected, nowMs))}
          </ol>`
    }
    ${renderPager(page, filters, selected)}
  </section>`
}

/** `GET /`: the filters, the list and the selected delivery. */
export function renderFeedPage(
  frame: Omit<PageFrame, 'title' | 'current'>,
  view: {
    page: FeedPage
    filters: FeedFilters
    cursor: FeedCursor
    webhooks: readonly Pick<Webhook, 'id' | 'name'>[]
    eventNames: readonly string[]
    /** The delivery asked for with `?delivery=`, its view when it exists. */
    selected: { id: string; view: DeliveryView | undefined } | undefined
  },
): string {
  const { selected } = view
  const back = url`/?${feedQuery(view.filters, view.cursor, selected?.id)}`.href
  const detail = !selected
    ? html`<section
        id="delivery-live"
        class="delivery placeholder"
        data-live
        aria-label="Selected delivery"
      >
        <p class="muted">
          Select a delivery to read its attempts, the receiver's answers and the envelope.
        </p>
      </section>`
    : selected.view
      ? renderDeliveryDetail(selected.view, frame.nowMs, back)
      : html`<section id="delivery-live" class="delivery" data-live aria-label="Selected delivery">
          <p>No delivery <code>${selected.id}</code>: it may have been cleared by a reset.</p>
        </section>`
  return renderLayout(
    { ...frame, title: selected ? `Delivery ${selected.id}` : 'Deliveries', current: 'feed' },
    html`<h1>Deliveries</h1>
      ${renderFilters(view.filters, view.webhooks, view.eventNames)}
      <div class="split${selected ? ' has-selection' : ''}">
        ${renderFeedList(view.page, view.filters, view.cursor, selected?.id, frame.nowMs)} ${detail}
      </div>`,
  )
}

export const registerFeedPage: PageModule = (scope, context) => {
  const { sandbox } = context
  scope.get('/', async (request, reply) => {
    const query = request.query as Record<string, unknown>
    const filters = parseFilters(query)
    const cursor = parseCursor(query)
    const webhooks = sandbox.webhooks.list()
    const feed = buildFeed(
      { events: sandbox.events(), deliveries: [...sandbox.state.deliveries.values()], webhooks },
      filters,
    )
    const page = pageFeed(feed, cursor)
    const asked =
      typeof query.delivery === 'string' && query.delivery !== ''
        ? query.delivery.slice(0, 64)
        : undefined
    const found = asked === undefined ? undefined : sandbox.deliveries.get(asked)
    return context.sendPage(
      reply,
      200,
      renderFeedPage(context.frame(request), {
        page,
        filters,
        cursor,
        webhooks,
        eventNames: eventTypes().map((t) => t.name),
        selected:
          asked === undefined
            ? undefined
            : { id: asked, view: found && deliveryView(sandbox, found) },
      }),
    )
  })
}
