/**
 * Builds signed deliveries for tests with its own `node:crypto` call, never with the code under
 * test, so a bug in a signer or verifier cannot pass its own test (Standard Webhooks' habit).
 */
import { createHmac, randomBytes } from 'node:crypto'

/** A fixed test secret: `whsec_` + base64 of 32 bytes. */
export const TEST_SECRET = 'whsec_' + Buffer.alloc(32, 7).toString('base64')

/** A fresh random secret in the contract's format. */
export function randomSecret(bytes = 32): string {
  return 'whsec_' + randomBytes(bytes).toString('base64')
}

/**
 * HMAC-SHA256 over `id.timestamp.body` with the decoded secret, as a `v1,<base64>` entry. A
 * Buffer body is signed as its bytes, which need not be UTF-8.
 */
export function signatureEntry(
  secret: string,
  id: string,
  timestamp: number,
  body: string | Buffer,
): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64')
  return `v1,${mac}`
}

export interface SignedDeliveryInput {
  body: string | object
  secret?: string | string[]
  id?: string
  /** Unix seconds; defaults to now. */
  timestamp?: number
}

export interface SignedDelivery {
  headers: Record<string, string>
  payload: string
}

let counter = 0

/** Headers and payload for one delivery, ready for `app.inject` or `fetch`. */
export function signedDelivery(input: SignedDeliveryInput): SignedDelivery {
  const payload = typeof input.body === 'string' ? input.body : JSON.stringify(input.body)
  const id = input.id ?? `evt_test_${process.pid}_${++counter}`
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000)
  const secrets = [input.secret ?? TEST_SECRET].flat()
  return {
    payload,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': secrets.map((s) => signatureEntry(s, id, timestamp, payload)).join(' '),
    },
  }
}

/** A minimal valid `order.filled` envelope. */
export function orderFilled(overrides: Record<string, unknown> = {}) {
  return {
    event: 'order.filled',
    timestamp: '2026-07-01T15:10:00Z',
    data: {
      id: 'ord_01j9x8m2k7qpzwv3t5r6y8n0ab',
      investor_id: 'inv_01j9x8m2k7qpzwv3t5r6y8n0ab',
      symbol: 'AAPL',
      side: 'buy',
      status: 'filled',
      filled_quantity: '10',
      average_price: '178.50',
      ...overrides,
    },
  }
}
