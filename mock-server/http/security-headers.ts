/**
 * Response headers of the standalone server. The sandbox is a local tool that holds webhook
 * secrets: no other site may embed its answers, share a window with its pages, or use powerful
 * browser features through them.
 */

/** On every answer, API and inspector alike. */
export const serverSecurityHeaders = Object.freeze({
  'x-content-type-options': 'nosniff',
  // Another site's <img>/<script>/no-cors fetch cannot read an answer of this server.
  'cross-origin-resource-policy': 'same-origin',
  // A page opened from another site gets no handle on the inspector's window, and vice versa.
  'cross-origin-opener-policy': 'same-origin',
  // Nothing here needs a camera, a microphone, payments...; copy buttons write to the clipboard.
  'permissions-policy':
    'camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=(), clipboard-read=(), clipboard-write=(self)',
  // Not `no-referrer`: under it Chromium sends `Origin: null` on the page's own form posts, which
  // the inspector's same-origin check must refuse. `same-origin` still keeps URLs from other sites.
  'referrer-policy': 'same-origin',
})

/**
 * On the inspector's pages: scripts, styles, workers and data only from the sandbox itself, and
 * never framed, so an answer body that slipped past escaping still could not run, and no other
 * site can overlay the reveal and rotate buttons. Pages can hold a revealed secret: no cache.
 */
export const pageSecurityHeaders = Object.freeze({
  'content-security-policy':
    "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'cache-control': 'no-store',
})
