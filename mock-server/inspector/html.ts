/**
 * HTML built by a tagged template that escapes every interpolated value unless it is already
 * {@link SafeHtml}: event names, response bodies and URLs come from receivers and API callers, so
 * a `<script>` in any of them must arrive as text. Links get the same treatment from {@link url}:
 * every interpolated value is percent-encoded, so an id with `/`, `?` or `#` stays one path
 * segment. Pure; no DOM, no Fastify.
 */

const kSafe = Symbol('safeHtml')
const kUrl = Symbol('safeUrl')

/** A same-origin link built by {@link url}: its values are encoded, its text is the literal parts'. */
export interface SafeUrl {
  readonly [kUrl]: true
  /** The path and query, ready for a `Location` header or an attribute (after HTML escaping). */
  readonly href: string
}

function isUrl(value: unknown): value is SafeUrl {
  return typeof value === 'object' && value !== null && kUrl in value
}

/** What a {@link url} value may be: text (one encoded component), a number, or a built query. */
export type UrlValue = string | number | URLSearchParams

/**
 * Builds a link whose interpolated values are encoded by construction: path values with
 * `encodeURIComponent`, a `URLSearchParams` as its query text (without a `?` when empty).
 * @example url`/deliveries/${id}` // an id 'a/b?c' gives '/deliveries/a%2Fb%3Fc'
 */
export function url(strings: TemplateStringsArray, ...values: UrlValue[]): SafeUrl {
  let out = strings[0]!
  values.forEach((value, i) => {
    let text: string
    if (value instanceof URLSearchParams) {
      text = value.toString()
      // `?${query}` with an empty query: drop the dangling `?`.
      if (text === '' && out.endsWith('?')) out = out.slice(0, -1)
      else if (text === '' && out.endsWith('&')) out = out.slice(0, -1)
    } else text = encodeURIComponent(String(value))
    out += text + strings[i + 1]!
  })
  return { [kUrl]: true, href: out }
}

/** A fragment of markup that is already escaped (built by {@link html} or {@link raw}). */
export interface SafeHtml {
  readonly [kSafe]: true
  readonly text: string
}

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for an element's content or a quoted attribute value. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => entities[c]!)
}

/** Marks markup as safe without escaping it: only for strings this module's callers wrote. */
export function raw(text: string): SafeHtml {
  return { [kSafe]: true, text }
}

function isSafe(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && kSafe in value
}

/** What may be interpolated: text (escaped), safe markup, links, lists of them, or nothing. */
export type HtmlValue =
  SafeHtml | SafeUrl | string | number | boolean | null | undefined | readonly HtmlValue[]

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return ''
  if (Array.isArray(value)) return value.map((v: HtmlValue) => render(v)).join('')
  if (isSafe(value)) return value.text
  if (isUrl(value)) return escapeHtml(value.href)
  return escapeHtml(String(value))
}

/**
 * Builds escaped markup.
 * @example html`<td>${delivery.event}</td>` // an event named `<script>` renders as text
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!
  })
  return raw(out)
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` become `\u003c`-style
 * escapes, so a `</script>` inside a value cannot end the block early.
 */
export function jsonForScript(value: unknown): SafeHtml {
  return raw(
    JSON.stringify(value)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029'),
  )
}
