/** Real HTTP deliveries to a listening app, and a bounded pool to send many. */
import { request } from 'node:http'
import type { SignedDelivery } from './sign.js'

export interface HttpAnswer {
  status: number
  body: { received?: boolean; duplicate?: boolean; code?: string }
}

/**
 * POSTs a signed delivery to `<base>/webhooks/bluum` over real HTTP: the delivery's headers and
 * body, as they would arrive from Bluum. `node:http` rather than `fetch`: on Node 20, undici's
 * streams took a third of the CPU of the files that send thousands of deliveries
 * (test/redis-store-plugin.test.ts: about 8.5 s with fetch, 5.3 s with node:http).
 */
export function deliverHttp(base: string, delivery: SignedDelivery): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/webhooks/bluum`, { method: 'POST', headers: delivery.headers })
    req.once('error', reject)
    req.once('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.once('error', reject)
      res.once('end', () => {
        try {
          resolve({ status: res.statusCode!, body: JSON.parse(text) as HttpAnswer['body'] })
        } catch (error) {
          reject(error)
        }
      })
    })
    req.end(delivery.payload)
  })
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
