/**
 * Standard Webhooks v1 verification, the contract's convention until Bluum publishes its own
 * scheme: HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${raw body}`, keyed by the
 * base64-decoded part of a `whsec_` secret, sent as space-separated `v1,<base64>` entries.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 *
 * Pure: imports neither Fastify nor any transport, so it serves any Node server.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import {
  InvalidSecretError,
  InvalidSignatureHeaderError,
  MissingSignatureHeadersError,
  SignatureMismatchError,
  TimestampFutureError,
  TimestampStaleError,
} from './errors.js'

const SECRET_PREFIX = 'whsec_'
const MIN_SECRET_BYTES = 24
const MAX_SECRET_BYTES = 64
const SHA256_BYTES = 32
/** A rotation overlap needs two entries; more than this is not a sender we know. */
const MAX_SIGNATURE_ENTRIES = 10
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/** Default tolerance between the sender's timestamp and this clock, in both directions. */
export const DEFAULT_TOLERANCE_SECONDS = 300

/** A decoded secret, ready to key an HMAC. */
export interface WebhookKey {
  /** Position of the secret in the configured list: logged on a match, never the secret. */
  readonly index: number
  readonly bytes: Buffer
}

/** Request headers as Node gives them. */
export type HeaderBag = Record<string, string | string[] | undefined>

/** What a successful verification tells the caller. */
export interface VerifiedDelivery {
  readonly ok: true
  readonly webhookId: string
  readonly timestampSeconds: number
  /** Index of the secret that matched (rotation), never the secret itself. */
  readonly secretIndex: number
}

/** A failed verification: a coded error carrying its HTTP status. */
export interface FailedVerification {
  readonly ok: false
  readonly error: Error & { code: string; statusCode?: number }
}

export type VerificationResult = VerifiedDelivery | FailedVerification

/**
 * Decodes `whsec_<base64>` secrets once, at start-up, with a coded error per defect.
 * @example const keys = decodeSecrets(process.env.BLUUM_WEBHOOK_SECRET)
 */
export function decodeSecrets(secret: string | readonly string[] | undefined): WebhookKey[] {
  const list = typeof secret === 'string' ? [secret] : (secret ?? [])
  if (list.length === 0) throw new InvalidSecretError('no secret was given')
  return list.map((value, index) => ({ index, bytes: decodeSecret(value, index) }))
}

function decodeSecret(value: unknown, index: number): Buffer {
  const where = `secret #${index}`
  if (typeof value !== 'string') throw new InvalidSecretError(`${where} is a ${typeof value}`)
  if (value.trim() !== value) {
    throw new InvalidSecretError(`${where} has leading or trailing whitespace`)
  }
  if (!value.startsWith(SECRET_PREFIX)) {
    throw new InvalidSecretError(`${where} does not start with "${SECRET_PREFIX}"`)
  }
  const encoded = value.slice(SECRET_PREFIX.length)
  if (!BASE64.test(encoded)) throw new InvalidSecretError(`${where} is not base64 after the prefix`)
  const bytes = Buffer.from(encoded, 'base64')
  if (bytes.length < MIN_SECRET_BYTES || bytes.length > MAX_SECRET_BYTES) {
    throw new InvalidSecretError(`${where} decodes to ${bytes.length} bytes`)
  }
  return bytes
}

function headerValue(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** Verifies one delivery against decoded keys. `nowSeconds` is this server's clock. */
export function verifyWithKeys(
  payload: Buffer | string,
  headers: HeaderBag,
  keys: readonly WebhookKey[],
  toleranceSeconds: number,
  nowSeconds: number,
): VerificationResult {
  const id = headerValue(headers, 'webhook-id')
  const timestamp = headerValue(headers, 'webhook-timestamp')
  const signature = headerValue(headers, 'webhook-signature')
  if (!id || !timestamp || !signature) {
    const missing = [
      id ? '' : 'webhook-id',
      timestamp ? '' : 'webhook-timestamp',
      signature ? '' : 'webhook-signature',
    ]
    return fail(new MissingSignatureHeadersError(missing.filter(Boolean).join(', ')))
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return fail(new InvalidSignatureHeaderError('webhook-timestamp must be unix seconds'))
  }
  const timestampSeconds = Number(timestamp)
  const age = nowSeconds - timestampSeconds
  if (age > toleranceSeconds) return fail(new TimestampStaleError(age, toleranceSeconds))
  if (-age > toleranceSeconds) return fail(new TimestampFutureError(-age, toleranceSeconds))

  const candidates = parseSignatures(signature)
  if (candidates === undefined) {
    return fail(
      new InvalidSignatureHeaderError(
        `webhook-signature must hold 1 to ${MAX_SIGNATURE_ENTRIES} space-separated "v1,<base64>" entries`,
      ),
    )
  }
  // The algorithm is fixed by this verifier, never chosen by the header: entries of another
  // version are ignored rather than trusted.
  const prefix = `${id}.${timestamp}.`
  for (const key of keys) {
    const expected = createHmac('sha256', key.bytes).update(prefix).update(payload).digest()
    for (const candidate of candidates) {
      if (candidate.length === SHA256_BYTES && timingSafeEqual(candidate, expected)) {
        return { ok: true, webhookId: id, timestampSeconds, secretIndex: key.index }
      }
    }
  }
  return fail(new SignatureMismatchError())
}

function parseSignatures(header: string): Buffer[] | undefined {
  // One entry is the common case (no rotation): skip the split.
  const entries = header.includes(' ') ? header.split(' ').filter(Boolean) : [header]
  if (entries.length === 0 || entries.length > MAX_SIGNATURE_ENTRIES) return undefined
  const v1: Buffer[] = []
  for (const entry of entries) {
    const comma = entry.indexOf(',')
    if (comma <= 0) return undefined
    if (comma === 2 && entry.startsWith('v1')) v1.push(Buffer.from(entry.slice(3), 'base64'))
  }
  return v1
}

function fail(error: FailedVerification['error']): FailedVerification {
  return { ok: false, error }
}

/** Input of {@link verifyBluumSignature}. */
export interface VerifyBluumSignatureInput {
  /** The exact bytes received, before any JSON parsing. */
  payload: Buffer | string
  headers: HeaderBag
  /** One `whsec_` secret, or several during a rotation. */
  secret: string | readonly string[]
  /** Default 300. */
  toleranceSeconds?: number
  /** This server's clock in unix seconds; default now. */
  nowSeconds?: number
}

/**
 * Verifies a Bluum delivery outside Fastify. Returns a result rather than throwing so callers
 * can answer with `result.error.statusCode` and `result.error.code`.
 * @example
 * const result = verifyBluumSignature({ payload: rawBody, headers: req.headers, secret })
 * if (!result.ok) return res.writeHead(result.error.statusCode ?? 400).end(result.error.code)
 */
export function verifyBluumSignature(input: VerifyBluumSignatureInput): VerificationResult {
  return verifyWithKeys(
    input.payload,
    input.headers,
    decodeSecrets(input.secret),
    input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
    input.nowSeconds ?? Math.floor(Date.now() / 1000),
  )
}
