/**
 * One delivery: `GET /deliveries/:id` (and the right pane of the feed, `/?delivery=`), with its
 * envelope, its attempts folded by outcome, the next retry, and the actions that make sense now:
 * "Retry now" while a retry waits on the clock (`POST /v1/sandbox/deliveries/{id}/retry`), "Replay"
 * once delivered or parked (`POST /v1/webhooks/{wid}/deliveries/{id}/replay`). A button that would
 * do nothing is shown disabled, with the reason next to it.
 */
import { signedHeaders } from '../../delivery/signer.js'
import type { Delivery, Webhook } from '../../core/state.js'
import type { Sandbox } from '../../sandbox.js'
import { groupAttempts, type AttemptGroup } from '../attempt-groups.js'
import { apiError, formBody, type PageModule } from '../context.js'
import { curlCommand } from '../curl-command.js'
import { html, raw, url, type SafeHtml } from '../html.js'
import {
  codeBlock,
  copyButton,
  ellipsis,
  renderLayout,
  stateBadge,
  timeAgo,
  type ApiErrorView,
  type PageFrame,
} from '../layout.js'
import { localPath } from '../local-path.js'
import {
  deliveryState,
  isReplayable,
  prettyJson,
  toAttemptView,
  type AttemptView,
  type DeliveryState,
  type HeaderMap,
  webhookLabel,
} from '../model.js'

/** What a delivery's detail shows. */
export interface DeliveryView {
  delivery: Delivery
  state: DeliveryState
  attempts: readonly AttemptView[]
  webhook: Pick<Webhook, 'id' | 'name' | 'url'> | undefined
  /** A `curl` command sending the envelope again, freshly signed; undefined once the webhook is gone. */
  curl: string | undefined
}

/** Can "Retry now" run? Only while a retry waits on the clock. */
function canRetryNow(delivery: Pick<Delivery, 'status' | 'next_attempt_at'>): boolean {
  return delivery.status === 'pending' && delivery.next_attempt_at !== null
}

/** The view of `delivery`, read from the sandbox. */
export function deliveryView(sandbox: Sandbox, delivery: Delivery): DeliveryView {
  const webhook = sandbox.state.webhooks.get(delivery.webhook_id)
  let curl: string | undefined
  if (webhook) {
    // Signed now, with wall time as the engine signs, so a receiver's 5-minute window accepts it;
    // the signature is the sandbox's own (delivery/signer.ts), never the secret itself.
    const headers = signedHeaders(
      sandbox.deliveries.liveSecrets(webhook),
      delivery.event_id,
      Math.floor(Date.now() / 1000),
      delivery.payload,
    )
    curl = curlCommand({ url: webhook.url, headers: { ...headers }, body: delivery.payload })
  }
  return {
    delivery,
    state: deliveryState(delivery),
    attempts: delivery.attempts.map(toAttemptView),
    webhook,
    curl,
  }
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

function attemptRange(group: AttemptGroup): string {
  const first = group.attempts[0]!.attempt
  const last = group.attempts.at(-1)!.attempt
  return first === last ? `Attempt ${first}` : `Attempts ${first}–${last}`
}

/**
 * One group of consecutive attempts with the same outcome: the outcome and the receiver's code
 * once, ×count, its times, the latest request headers, and the answer body once (with a diff
 * against the group before when the answer changed).
 */
export function renderAttemptGroup(
  group: AttemptGroup,
  payload: string,
  nowMs: number,
  latest: boolean,
): SafeHtml {
  const last = group.attempts.at(-1)!
  const count = group.attempts.length
  const request = last.request
  return html`<li
    class="attempt ${group.succeeded ? 'ok' : 'failed'}"
    id="attempt-${last.attempt}"
    data-attempts="${group.attempts.map((a) => a.attempt).join(' ')}"
  >
    <h3>
      ${attemptRange(group)}:
      ${group.outcome}${group.diagnosis ? html` <code>${group.diagnosis.code}</code>` : ''}${count > 1 ? html` <span class="count">×${count}</span>` : ''}
    </h3>
    <p class="muted">
      ${group.attempts.map(
        (a, i) =>
          html`${i > 0 ? ', ' : ''}${timeAgo(a.attempted_at, nowMs)} (${a.duration_ms}
          ms${a.fault ? ` · fault-injected ${a.fault}` : ''})`,
      )}
    </p>
    ${
      group.diagnosis
        ? html`<div class="diagnosis">
            <p>
              <strong>The receiver answered <code>${group.diagnosis.code}</code></strong>
            </p>
            ${group.diagnosis.message ? html`<p>${group.diagnosis.message}</p>` : ''}
          </div>`
        : ''
    }
    ${
      group.connectionError || (!group.succeeded && last.status_code === null)
        ? html`<p class="diagnosis">
            No answer:
            ${
              group.connectionError
                ? html`<code>${group.connectionError.code}</code> ${group.connectionError.message}`
                : (last.error ?? 'the attempt was cut off')
            }
          </p>`
        : ''
    }
    ${
      request
        ? html`<details>
            <summary>
              Request sent${count > 1 ? ' (the latest; every attempt sends the same body)' : ''}
            </summary>
            <p><code>${request.method ?? 'POST'} ${request.url ?? ''}</code></p>
            ${headerRows(request.headers)}
            ${
              request.body !== undefined && request.body !== payload
                ? codeBlock(`Request body of attempt ${last.attempt}`, prettyJson(request.body))
                : html`<p class="muted">Body: the envelope below, byte for byte.</p>`
            }
          </details>`
        : ''
    }
    ${
      last.response
        ? html`<details ${latest && !group.succeeded ? raw('open') : ''}>
            <summary>Response received</summary>
            ${headerRows(last.response.headers)}
            ${
              group.diff
                ? html`<p>Changed since the attempt before:</p>
                    <pre
                      class="diff"
                      tabindex="0"
                      aria-label="How the answer of ${attemptRange(group).toLowerCase()} differs from the one before"
                    ><code>${group.diff.map(
                      (line) =>
                        html`<span class="diff-${line.kind}"
                          >${line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}${line.text}</span
                        > `,
                    )}</code></pre>`
                : group.responseBody === undefined || group.responseBody === ''
                  ? html`<p class="muted">empty body</p>`
                  : codeBlock(
                      `Response body of ${attemptRange(group).toLowerCase()}`,
                      group.responseBody,
                    )
            }
            ${last.response.body_truncated ? html`<p class="muted">Only the first 64 KB were kept.</p>` : ''}
          </details>`
        : ''
    }
  </li>`
}

/** The delivery's actions: each enabled only when it would do something, else the reason. */
function renderActions(delivery: Delivery, back: string): SafeHtml {
  const retry = canRetryNow(delivery)
  const replay = isReplayable(delivery)
  const backField = html`<input type="hidden" name="back" value="${back}" />`
  return html`<div class="actions">
    <form class="inline" method="post" action="${url`/deliveries/${delivery.id}/retry`}">
      ${backField}
      <button
        type="submit"
        id="retry-now"
        ${retry ? '' : raw('disabled aria-describedby="retry-why"')}
      >
        Retry now
      </button>
    </form>
    <form class="inline" method="post" action="${url`/deliveries/${delivery.id}/replay`}">
      ${backField}
      <button
        type="submit"
        id="replay-delivery"
        ${replay ? '' : raw('disabled aria-describedby="replay-why"')}
      >
        Replay this delivery
      </button>
    </form>
    ${retry ? '' : html`<small id="retry-why" class="muted">Retry now: only while a retry waits on the clock.</small>`}
    ${
      replay
        ? html`<small class="muted">Replay: same event id and bytes, a fresh retry ladder.</small>`
        : html`<small id="replay-why" class="muted"
            >Replay: once delivered or parked (a pending delivery retries by itself).</small
          >`
    }
  </div>`
}

/** The part of a delivery that changes while it is retried: refreshed live. */
export function renderDeliveryDetail(view: DeliveryView, nowMs: number, back: string): SafeHtml {
  const { delivery, state, webhook } = view
  const next =
    delivery.status === 'parked'
      ? html`parked (${delivery.failure_reason ?? 'exhausted'}): replay it once the app is fixed`
      : delivery.status === 'pending'
        ? delivery.next_attempt_at
          ? html`${timeAgo(delivery.next_attempt_at, nowMs)} (retry now, or advance the clock)`
          : html`now`
        : html`none`
  const groups = groupAttempts(view.attempts)
  return html`<section
    id="delivery-live"
    class="delivery"
    data-live
    data-delivery-id="${delivery.id}"
    aria-labelledby="delivery-title"
  >
    <h2 id="delivery-title" class="delivery-title">
      <code>${delivery.event}</code> to
      ${ellipsis(webhook?.name ?? `${delivery.webhook_id} (deleted)`)}
    </h2>
    <dl class="summary">
      <dt>Status</dt>
      <dd>
        ${stateBadge(state)}${delivery.failure_reason ? html` <small>(${delivery.failure_reason})</small>` : ''}
      </dd>
      <dt>Next retry</dt>
      <dd>${next}</dd>
      <dt>Delivery</dt>
      <dd class="id"><code>${delivery.id}</code> ${copyButton('delivery id', delivery.id)}</dd>
      <dt>Event</dt>
      <dd class="id">
        <a href="${url`/events/${delivery.event_id}`}"><code>${delivery.event_id}</code></a>
        ${copyButton('event id', delivery.event_id)}
        <small class="muted">(the <code>webhook-id</code> of every attempt)</small>
      </dd>
      <dt>Webhook</dt>
      <dd class="id">
        ${
          webhook
            ? html`<a href="${url`/webhooks#${webhook.id}`}">${ellipsis(webhookLabel(webhook))}</a>
                ${ellipsis(webhook.url, 'url-text')}`
            : html`<code>${delivery.webhook_id}</code> (deleted)`
        }
      </dd>
      <dt>Created</dt>
      <dd>${timeAgo(new Date(delivery.createdMs).toISOString(), nowMs)}</dd>
    </dl>
    ${renderActions(delivery, back)}
    <h3 id="attempts-title">Attempts (${view.attempts.length})</h3>
    ${
      groups.length === 0
        ? html`<p class="muted">No attempt yet.</p>`
        : html`<ol class="attempts" aria-labelledby="attempts-title">
            ${[...groups].reverse().map((g, i) => renderAttemptGroup(g, delivery.payload, nowMs, i === 0))}
          </ol>`
    }
    <h3>Envelope ${copyButton('envelope', delivery.payload)}</h3>
    <p class="muted">The exact bytes every attempt sends, pretty-printed:</p>
    ${codeBlock('Envelope', prettyJson(delivery.payload), 'envelope')}
    ${
      view.curl
        ? html`<details class="curl">
            <summary>Send it again with curl (freshly signed)</summary>
            <p class="muted">
              Signed when this page was rendered: receivers accept it for 5 minutes. The same
              <code>webhook-id</code>, so a receiver that already processed it answers as a
              duplicate.
            </p>
            ${copyButton('curl command', view.curl)} ${codeBlock('curl command', view.curl)}
          </details>`
        : ''
    }
  </section>`
}

/** `GET /deliveries/:id`: one delivery on its own page (the feed shows it beside the list). */
export function renderDeliveryPage(
  frame: Omit<PageFrame, 'title' | 'current'>,
  view: DeliveryView,
): string {
  const path = url`/deliveries/${view.delivery.id}`.href
  return renderLayout(
    { ...frame, title: `${view.delivery.event} ${view.delivery.id}`, current: 'feed' },
    html`<p><a href="${url`/?delivery=${view.delivery.id}`}">← Deliveries</a></p>
      <h1 class="visually-hidden">Delivery ${view.delivery.id}</h1>
      ${renderDeliveryDetail(view, frame.nowMs, path)}`,
  )
}

export const registerDeliveryPages: PageModule = (scope, context) => {
  const { sandbox } = context

  const page = (
    request: Parameters<typeof context.frame>[0],
    reply: Parameters<typeof context.sendPage>[0],
    id: string,
    status = 200,
    error?: ApiErrorView,
  ) => {
    const delivery = sandbox.deliveries.get(id)
    if (!delivery) return context.notFound(request, reply, `No delivery '${id}'.`)
    return context.sendPage(
      reply,
      status,
      renderDeliveryPage(
        { ...context.frame(request, url`/deliveries/${id}`), error },
        deliveryView(sandbox, delivery),
      ),
    )
  }

  scope.get('/deliveries/:delivery_id', async (request, reply) =>
    page(request, reply, (request.params as { delivery_id: string }).delivery_id),
  )

  const action =
    (kind: 'replay' | 'retry') =>
    async (
      request: Parameters<typeof context.frame>[0],
      reply: Parameters<typeof context.sendPage>[0],
    ) => {
      const { delivery_id: id } = request.params as { delivery_id: string }
      const delivery = sandbox.deliveries.get(id)
      if (!delivery) return context.notFound(request, reply, `No delivery '${id}'.`)
      const back = localPath(
        formBody(request).get('back') ?? undefined,
        url`/deliveries/${id}`.href,
      )
      const answer =
        kind === 'replay'
          ? await context.callApi(
              'POST',
              url`/sandbox/webhooks/${delivery.webhook_id}/deliveries/${id}/replay`,
              {},
            )
          : await context.callApi('POST', url`/sandbox/deliveries/${id}/retry`)
      if (answer.status >= 400) return page(request, reply, id, answer.status, apiError(answer))
      return context.redirect(reply, back, kind === 'replay' ? 'replayed' : 'retried')
    }
  scope.post('/deliveries/:delivery_id/replay', action('replay'))
  scope.post('/deliveries/:delivery_id/retry', action('retry'))
}
