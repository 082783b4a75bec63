/** Real HTTP deliveries to a listening app, and a bounded pool to send many. */
import type { SignedDelivery } from './sign.js'

export interface HttpAnswer {
  status: number
  body: { received?: boolean; duplicate?: boolean; code?: string }
}

/** POSTs a signed delivery to `<base>/webhooks/bluum` over real HTTP. */
export async function deliverHttp(base: string, delivery: SignedDelivery): Promise<HttpAnswer> {
  const response = await fetch(`${base}/webhooks/bluum`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.payload,
  })
  return { status: response.status, body: (await response.json()) as HttpAnswer['body'] }
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T)
  })
  await Promise.all(lanes)
}
