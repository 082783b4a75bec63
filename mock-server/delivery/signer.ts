/**
 * The sandbox's own Standard Webhooks v1 signer.
 *
 * Deliberately independent of the plugin's verifier: the sandbox is what the verifier is tested
 * against, so it must not share its code (a shared bug would pass its own test). Known-answer
 * vectors in `test/fixtures/signature-vectors.json` pin both sides.
 */
import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto'

const secretPrefix = 'whsec_'

/** A new webhook secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return secretPrefix + randomBytes(32).toString('base64')
}

// Keys decoded per secret, not per signature: a webhook signs every attempt with the same few.
const keys = new Map<string, KeyObject>()

/** The HMAC key of a secret: the base64-decoded bytes after `whsec_`. */
function secretKey(secret: string): KeyObject {
  let key = keys.get(secret)
  if (key === undefined) {
    // Bounded: a long-running sandbox rotating secrets keeps the newest ones only.
    if (keys.size >= 64) keys.delete(keys.keys().next().value!)
    key = createSecretKey(
      Buffer.from(
        secret.startsWith(secretPrefix) ? secret.slice(secretPrefix.length) : secret,
        'base64',
      ),
    )
    keys.set(secret, key)
  }
  return key
}

/** One `v1,<base64>` entry: HMAC-SHA256 of `${id}.${timestamp}.${body}` keyed by the secret. */
export function signEntry(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret))
    .update(`${id}.${timestamp}.${body}`)
    .digest('base64')
  return `v1,${mac}`
}

/** The `webhook-signature` header: one entry per secret, space-separated (rotation overlap). */
export function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): string {
  return secrets.map((secret) => signEntry(secret, id, timestamp, body)).join(' ')
}

/** The headers of one signed delivery, as the sandbox sends them (Standard Webhooks v1). */
// A type, not an interface: it must fit header bags with an index signature (inject, fetch).
export type SignedHeaders = {
  'content-type': 'application/json'
  'webhook-id': string
  'webhook-timestamp': string
  'webhook-signature': string
}

/**
 * The one place that builds a delivery's signed headers: the delivery engine and the testing
 * kit's `signBluumWebhook` both use it, so what a test signs is exactly what the sandbox sends.
 */
export function signedHeaders(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): SignedHeaders {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signatureHeader(secrets, id, timestampSeconds, body),
  }
}
