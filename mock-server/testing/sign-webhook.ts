/**
 * Signed deliveries for plain `inject` tests, made with the sandbox's own signer (never the
 * plugin's verifier code), exactly as the sandbox sends them.
 */
import { createId } from '../core/ids.js'
import { signedHeaders, type SignedHeaders } from '../delivery/signer.js'

export interface SignBluumWebhookInput {
  /** The envelope (e.g. from `buildEvent`), or the exact body to send. */
  event: object | string
  /** The webhook's `whsec_` secret, or several (rotation overlap: one entry each). */
  secret: string | readonly string[]
  /** `webhook-id`. Default the envelope `id`, else a fresh `evt_...`. */
  id?: string
  /** `webhook-timestamp`, unix seconds. Default now. */
  timestamp?: number
}

/** What `app.inject` and `fetch` need: `{ headers, payload }`. */
export interface SignedBluumWebhook {
  headers: SignedHeaders
  payload: string
}

/**
 * Signs one delivery.
 * @example
 * const signed = signBluumWebhook({ event: buildEvent('order.filled'), secret })
 * await app.inject({ method: 'POST', url: '/webhooks/bluum', ...signed })
 */
export function signBluumWebhook(input: SignBluumWebhookInput): SignedBluumWebhook {
  const payload = typeof input.event === 'string' ? input.event : JSON.stringify(input.event)
  const envelopeId =
    typeof input.event === 'object' && typeof (input.event as { id?: unknown }).id === 'string'
      ? (input.event as { id: string }).id
      : undefined
  const id = input.id ?? envelopeId ?? createId('evt')
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000)
  const secrets = typeof input.secret === 'string' ? [input.secret] : [...input.secret]
  return {
    headers: signedHeaders(secrets, id, timestamp, payload),
    payload,
  }
}
