/**
 * Signed `order.filled` deliveries for benchmarks, precomputed before the clock starts so the
 * load generator spends no time signing. Signatures come from the test signer
 * (`test/helpers/sign.ts`, its own node:crypto call), never from the plugin under measurement.
 */
import { randomBytes } from 'node:crypto'
import { signatureEntry, TEST_SECRET } from '../../test/helpers/sign.js'

/** Default body size: a realistic order snapshot with a few extension fields. */
export const DEFAULT_BODY_BYTES = 1024

/**
 * The JSON of one `order.filled` envelope, padded with extra `data` fields to exactly
 * `targetBytes` (when the fixed part is smaller). Ids are inserted as given, so ids of one
 * length give bodies of one length.
 */
export function orderFilledBody(eventId: string, orderId: string, targetBytes: number): string {
  const data: Record<string, unknown> = {
    id: orderId,
    object: 'order',
    investor_id: 'inv_01j9x8m2k7qpzwv3t5r6y8n0ab',
    created: 1782918600,
    livemode: false,
    symbol: 'AAPL',
    side: 'buy',
    type: 'limit',
    time_in_force: 'day',
    status: 'filled',
    quantity: '10',
    notional: null,
    limit_price: '179.00',
    stop_price: null,
    filled_quantity: '10',
    remaining_quantity: '0',
    average_price: '178.50',
    submitted_at: '2026-07-01T15:09:58Z',
    filled_at: '2026-07-01T15:10:00Z',
    cancelled_at: null,
    failure_reason: null,
    client_order_id: 'rebalance-2026-07-01-aapl-0001',
    metadata: { portfolio: 'growth', strategy: 'monthly-rebalance', source: 'bench' },
  }
  const envelope = { id: eventId, event: 'order.filled', timestamp: '2026-07-01T15:10:00Z', data }
  // Extension fields as Bluum may add them; the last one is sized to land on targetBytes
  // (each filler adds 58 bytes, so the loop stops 22 to 80 bytes short and ext_pad fits).
  for (let i = 1; Buffer.byteLength(JSON.stringify(envelope)) < targetBytes - 80; i++) {
    data[`ext_field_${String(i).padStart(2, '0')}`] = 'x'.repeat(40)
  }
  const missing = targetBytes - Buffer.byteLength(JSON.stringify(envelope)) - ',"ext_pad":""'.length
  if (missing >= 0) data.ext_pad = 'x'.repeat(missing)
  return JSON.stringify(envelope)
}

/** One request's worth: headers and the exact body bytes that were signed. */
export interface BenchDelivery {
  headers: Record<string, string>
  body: Buffer
}

export interface DeliveryPool {
  /** Deliveries precomputed. */
  readonly size: number
  /** Bytes of every body. */
  readonly bodyBytes: number
  /** The signing secret (the test secret). */
  readonly secret: string
  /** Unix seconds every precomputed delivery was signed with. */
  readonly timestampSeconds: number
  /** Unique deliveries handed out so far by {@link DeliveryPool.nextUnique} and every cursor. */
  readonly used: number
  /** Deliveries signed on demand because the pool ran dry (client CPU spent signing). */
  readonly signedOnDemand: number
  /** A delivery with a webhook-id never handed out before by this pool. */
  nextUnique(): BenchDelivery
  /**
   * A separate walk through the same deliveries: ids unique within the cursor, shared with other
   * cursors. For several servers that each keep their own dedupe state, so one precomputed
   * pool serves them all.
   */
  cursor(): () => BenchDelivery
  /** A precomputed delivery, cycling (repeats ids): for receivers that do not dedupe. */
  nextCycling(): BenchDelivery
}

/**
 * Precomputes `count` signed deliveries with unique ids (`msg_<run tag><index>`, one length).
 * What costs time is precomputed (the HMAC); what costs memory is not: a body is a copy of one
 * ASCII template with its two ids written in (~0.2 us), so 400 000 deliveries hold ~40 MB of
 * ids and signatures instead of 400 MB of bodies.
 */
export function createDeliveryPool(options: {
  count: number
  bodyBytes?: number
  secret?: string
  timestampSeconds?: number
}): DeliveryPool {
  const count = options.count
  const secret = options.secret ?? TEST_SECRET
  const timestamp = options.timestampSeconds ?? Math.floor(Date.now() / 1000)
  const tag = randomBytes(4).toString('hex')
  const suffix = (i: number) => `${tag}${i.toString(36).padStart(9, '0')}`
  const idOf = (i: number) => `msg_${suffix(i)}`
  const orderIdOf = (i: number) => `ord_${suffix(i)}`
  const template = orderFilledBody(idOf(0), orderIdOf(0), options.bodyBytes ?? DEFAULT_BODY_BYTES)
  const templateBytes = Buffer.from(template)
  // ASCII only, so character offsets are byte offsets.
  if (templateBytes.length !== template.length) throw new Error('body template is not ASCII')
  const idAt = template.indexOf(idOf(0))
  const orderIdAt = template.indexOf(orderIdOf(0))
  const idLength = idOf(0).length
  const timestampHeader = String(timestamp)

  const bodyText = (i: number) =>
    template.slice(0, idAt) +
    idOf(i) +
    template.slice(idAt + idLength, orderIdAt) +
    orderIdOf(i) +
    template.slice(orderIdAt + idLength)
  const bodyBuffer = (i: number) => {
    const body = Buffer.allocUnsafe(templateBytes.length)
    templateBytes.copy(body)
    body.write(idOf(i), idAt, 'latin1')
    body.write(orderIdOf(i), orderIdAt, 'latin1')
    return body
  }
  const signatures: string[] = new Array<string>(count)
  for (let i = 0; i < count; i++) {
    signatures[i] = signatureEntry(secret, idOf(i), timestamp, bodyText(i))
  }

  const delivery = (i: number, signature: string): BenchDelivery => ({
    headers: {
      'content-type': 'application/json',
      'webhook-id': idOf(i),
      'webhook-timestamp': timestampHeader,
      'webhook-signature': signature,
    },
    body: bodyBuffer(i),
  })
  let used = 0
  let cycling = 0
  let signedOnDemand = 0
  const at = (i: number): BenchDelivery => {
    used++
    if (i < count) return delivery(i, signatures[i]!)
    signedOnDemand++
    return delivery(i, signatureEntry(secret, idOf(i), timestamp, bodyText(i)))
  }
  const cursor = () => {
    let next = 0
    return () => at(next++)
  }
  const main = cursor()
  return {
    size: count,
    bodyBytes: templateBytes.length,
    secret,
    timestampSeconds: timestamp,
    get used() {
      return used
    },
    get signedOnDemand() {
      return signedOnDemand
    },
    nextUnique: main,
    cursor,
    nextCycling() {
      const i = cycling++ % count
      return delivery(i, signatures[i]!)
    },
  }
}
