/**
 * What every inspector page shares: the frame around it (navigation, the sandbox clock and its
 * form, the live status, notices and refusals), the asset paths, and the small parts pages repeat
 * (a time, a state badge, a copy button, an error at its field). Pure: data in, HTML out.
 */
import { html, raw, type HtmlValue, type SafeHtml } from './html.js'
import type { DeliveryState } from './model.js'
import { exactUtc, relativeTime } from './relative-time.js'

/** Where the assets and the live stream are served (see `routes.ts`). */
export const inspectorPaths = Object.freeze({
  css: '/_inspector/inspector.css',
  js: '/_inspector/inspector.js',
  worker: '/_inspector/live-worker.js',
  stream: '/_inspector/stream',
})

/** An error answer of the API (or the inspector's own), shown on the page that caused it. */
export interface ApiErrorView {
  status: number
  code: string
  message: string
  /** The request field it names (`url`, `eventTypeNames`, `data.amount`). */
  param?: string
}

/** What every page shows around its content. */
export interface PageFrame {
  title: string
  /** Which navigation entry is the current page. */
  current?: 'feed' | 'webhooks' | 'trigger'
  /** Sandbox clock, ms. */
  nowMs: number
  /** A message after a successful action (a server-chosen text, see notices.ts). */
  notice?: string | undefined
  error?: ApiErrorView | undefined
  /** This page's own path and query, where the clock form comes back to. Default `/`. */
  path?: string
}

const nav = [
  ['feed', '/', 'Deliveries'],
  ['webhooks', '/webhooks', 'Webhooks'],
  ['trigger', '/trigger', 'Trigger an event'],
] as const

/** A refusal (the API's, or the inspector's own), with its code and the field it names. */
function renderApiError(error: ApiErrorView): SafeHtml {
  return html`<div class="error" role="alert" id="api-error">
    <h2>Refused: ${error.status} <code>${error.code}</code></h2>
    <p>${error.message}</p>
    ${error.param ? html`<p>Field: <code>${error.param}</code></p>` : ''}
  </div>`
}

/** The error of `field` when the refusal names it (or a field under it), for `aria-describedby`. */
export function fieldError(
  error: ApiErrorView | undefined,
  field: string,
): { attrs: SafeHtml; message: SafeHtml } {
  const id = `error-${field}`
  const named =
    error?.param !== undefined &&
    (error.param === field ||
      error.param.startsWith(`${field}.`) ||
      error.param.startsWith(`${field}[`) ||
      error.param.startsWith(`${field}/`))
  if (!named) return { attrs: raw(''), message: raw('') }
  return {
    attrs: html` aria-invalid="true" aria-describedby="${id}"`,
    message: html`<p class="field-error" id="${id}">${error!.message}</p>`,
  }
}

/** A time relative to the sandbox clock, with the exact UTC time on hover (the script adds local time). */
export function timeAgo(iso: string | null | undefined, nowMs: number): SafeHtml {
  if (!iso) return html`<span>—</span>`
  return html`<time datetime="${iso}" title="${exactUtc(iso)}">${relativeTime(iso, nowMs)}</time>`
}

const stateLabel: Record<DeliveryState, string> = {
  pending: 'pending',
  failing: 'failing',
  delivered: 'delivered',
  parked: 'parked',
  cancelled: 'cancelled',
}

export function stateLabelOf(state: DeliveryState): string {
  return stateLabel[state]
}

export function stateBadge(state: DeliveryState): SafeHtml {
  return html`<span class="state state-${state}">${stateLabel[state]}</span>`
}

/**
 * A button that copies `text`; hidden until the script runs (without JavaScript the text itself is
 * on the page to select). `what` names it for screen readers: "Copy delivery id".
 */
export function copyButton(what: string, text: string): SafeHtml {
  return html`<button
    type="button"
    class="copy"
    data-copy="${text}"
    aria-label="Copy ${what}"
    hidden
  >
    Copy
  </button>`
}

/** Text cut with an ellipsis by CSS, the whole of it on hover. */
export function ellipsis(text: string, className = ''): SafeHtml {
  return html`<span class="ellipsis ${className}" title="${text}">${text}</span>`
}

/** A `<pre>` people can scroll by keyboard: focusable, and named for screen readers. */
export function codeBlock(label: string, text: string, id?: string): SafeHtml {
  return html`<pre
    tabindex="0"
    aria-label="${label}"
    ${id ? html`id="${id}"` : ''}
  ><code>${text}</code></pre>`
}

/** The page around `body`: navigation, the clock control, notices, the stylesheet and script. */
export function renderLayout(frame: PageFrame, body: HtmlValue): string {
  const clockNow = new Date(frame.nowMs).toISOString()
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
      <body
        data-stream="${inspectorPaths.stream}"
        data-worker="${inspectorPaths.worker}"
        data-now="${frame.nowMs}"
      >
        <a class="skip" href="#main">Skip to the content</a>
        <header class="top">
          <p class="brand">Bluum sandbox inspector</p>
          <nav aria-label="Inspector">${links}</nav>
          <form class="clock" method="post" action="/clock/advance">
            <p>
              Sandbox clock:
              <time id="sandbox-now" datetime="${clockNow}" title="${exactUtc(clockNow)}"
                >${exactUtc(clockNow).replace(/\.\d{3} UTC$/, ' UTC')}</time
              >
            </p>
            <label for="advance-duration">Advance the clock by</label>
            <input
              id="advance-duration"
              name="duration"
              value="1m"
              size="5"
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

/** A page that only says something (a 404, a refused request). */
export function renderMessagePage(
  frame: Omit<PageFrame, 'current'>,
  message: { heading: string; text: string },
): string {
  return renderLayout(
    frame,
    html`<h1>${message.heading}</h1>
      <p>${message.text}</p>
      <p><a href="/">Back to deliveries</a></p>`,
  )
}

/**
 * The page a request for a foreign `Host` gets: no navigation, no clock, nothing of the sandbox's
 * state, only the code and why.
 */
export function renderRefusalPage(code: string, message: string): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Refused · Bluum sandbox</title>
      </head>
      <body>
        <main>
          <h1>${code}</h1>
          <p>${message}</p>
        </main>
      </body>
    </html>`.text
}
