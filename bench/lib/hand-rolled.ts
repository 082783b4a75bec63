/**
 * The pieces of the hand-rolled webhook route (`route-server.ts` modes `hand` and `express`,
 * and `bench/pipeline.ts`): what one writes inline when not using the plugin, verifying and
 * deduplicating like it (same secret, same Standard Webhooks signature, same 5-minute window).
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { TEST_SECRET } from '../../test/helpers/sign.js'

const KEY = Buffer.from(TEST_SECRET.slice('whsec_'.length), 'base64')
const TOLERANCE_S = 300
export const RECEIVED = '{"received":true}'
export const DUPLICATE = '{"received":true,"duplicate":true}'

/**
 * The Standard Webhooks check as one writes it inline: timestamp window, HMAC-SHA256 of
 * `id.timestamp.body` with the decoded secret, constant-time compare against each `v1,` entry.
 * Returns the webhook id, or undefined when the delivery must be refused.
 */
export function verifyInline(
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
): string | undefined {
  const id = headers['webhook-id']
  const timestamp = headers['webhook-timestamp']
  const signature = headers['webhook-signature']
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') {
    return undefined
  }
  const age = Math.floor(Date.now() / 1000) - Number(timestamp)
  if (!(Math.abs(age) <= TOLERANCE_S)) return undefined
  const expected = createHmac('sha256', KEY).update(`${id}.${timestamp}.`).update(body).digest()
  for (const entry of signature.split(' ')) {
    if (!entry.startsWith('v1,')) continue
    const given = Buffer.from(entry.slice(3), 'base64')
    if (given.length === expected.length && timingSafeEqual(given, expected)) return id
  }
  return undefined
}

/**
 * Claim/complete on a Map, as one writes it without a store: 1 = in flight, 2 = done. It is
 * never pruned (the cheapest form; a real one would need a bound, which costs time).
 */
export function createInlineDedupe() {
  const seen = new Map<string, 1 | 2>()
  return {
    claim: (id: string) => {
      const state = seen.get(id)
      if (state !== undefined) return state
      seen.set(id, 1)
      return 0
    },
    complete: (id: string) => void seen.set(id, 2),
    release: (id: string) => void seen.delete(id),
  }
}
