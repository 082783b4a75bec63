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
import type { CodedError, HeaderBag } from './types.js'

const SECRET_PREFIX = 'whsec_'
const MIN_SECRET_BYTES = 24
const MAX_SECRET_BYTES = 64
/** A rotation overlap needs two entries; more than this is not a sender we know. */
const MAX_SIGNATURE_ENTRIES = 10 // MAC_SLOTS holds one decoded entry each
/**
 * Longest entry of any version: `v1,` + 44 is 47 characters, Standard Webhooks' `v1a,` (the
 * base64 of a 64-byte ed25519 signature) is 92. Entries of other versions are skipped, not
 * decoded, but still count towards the cap.
 */
const MAX_ENTRY_CHARS = 128
/** Checked first, so that scanning the header costs at most this, whatever was sent. */
const MAX_SIGNATURE_HEADER_CHARS = MAX_SIGNATURE_ENTRIES * (MAX_ENTRY_CHARS + 1) - 1
/** `v1,` + the canonical base64 of 32 bytes. */
const V1_ENTRY_CHARS = 47
/**
 * The canonical, padded base64 of a 32-byte HMAC-SHA256: 43 characters of 6 bits and one `=`.
 * The 43rd carries 4 bits and 2 unused ones that must be zero. Node's base64 decoder skips what
 * it does not know (a missing `=`, text after it, a comma, base64url) and ignores the unused
 * bits, so anything it would accept that is not this exact spelling is refused here rather than
 * decoded. The check and the decoding are one pass over the entry in place, through a table of
 * every UTF-16 code unit (-1 where not base64): no copy of the entry, no regular expression and
 * no buffer allocated per delivery (measured: the decoder call and its buffer cost as much as the
 * rest of the header checks together).
 */
const BASE64_VALUES = new Int8Array(0x10000).fill(-1)
for (const [value, c] of [
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
].entries()) {
  BASE64_VALUES[c.charCodeAt(0)] = value
}

/**
 * Decodes the canonical base64 of 32 bytes held by `header` from `from` to `from + 44` into
 * `into`; false, leaving `into` partly written, when it is not exactly that spelling.
 */
function decodeCanonicalMac(header: string, from: number, into: Buffer): boolean {
  let at = 0
  // Ten groups of four characters: 30 bytes.
  for (let i = from; i < from + 40; i += 4) {
    const a = BASE64_VALUES[header.charCodeAt(i)]!
    const b = BASE64_VALUES[header.charCodeAt(i + 1)]!
    const c = BASE64_VALUES[header.charCodeAt(i + 2)]!
    const d = BASE64_VALUES[header.charCodeAt(i + 3)]!
    if ((a | b | c | d) < 0) return false
    into[at++] = (a << 2) | (b >> 4)
    into[at++] = ((b & 15) << 4) | (c >> 2)
    into[at++] = ((c & 3) << 6) | d
  }
  // Three characters and the pad: 2 bytes, and the last character's 2 unused bits are zero.
  const a = BASE64_VALUES[header.charCodeAt(from + 40)]!
  const b = BASE64_VALUES[header.charCodeAt(from + 41)]!
  const c = BASE64_VALUES[header.charCodeAt(from + 42)]!
  if ((a | b | c) < 0 || (c & 3) !== 0 || header.charCodeAt(from + 43) !== 0x3d) return false
  into[at++] = (a << 2) | (b >> 4)
  into[at] = ((b & 15) << 4) | (c >> 2)
  return true
}

/**
 * Where the decoded `v1,` entries of the delivery being verified go: one slot per entry the
 * header may hold, reused by every call (verification is synchronous, so never shared).
 */
const MAC_SLOTS = Array.from({ length: MAX_SIGNATURE_ENTRIES }, () => Buffer.alloc(32))

/** Unix seconds as sent: 1 to 12 ASCII digits, else undefined. */
function unixSeconds(text: string): number | undefined {
  if (text.length === 0 || text.length > 12) return undefined
  let value = 0
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 0x30
    if (digit < 0 || digit > 9) return undefined
    value = value * 10 + digit
  }
  return value
}
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
/** How Node joins a repeated header it does not know, such as the three webhook-* headers. */
const JOINED = ', '

/** Default tolerance between the sender's timestamp and this clock, in both directions. */
export const DEFAULT_TOLERANCE_SECONDS = 300

/** A decoded secret, ready to key an HMAC. */
interface WebhookKey {
  /** Position of the secret in the configured list: logged on a match, never the secret. */
  readonly index: number
  readonly bytes: Buffer
}

/** What a successful verification tells the caller. */
interface VerifiedDelivery {
  readonly ok: true
  readonly webhookId: string
  readonly timestampSeconds: number
  /** Index of the secret that matched (rotation), never the secret itself. */
  readonly secretIndex: number
}

/** A failed verification: a coded error carrying its HTTP status. */
interface FailedVerification {
  readonly ok: false
  readonly error: CodedError
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

/** A header that was sent twice: one message for the array and the joined forms. */
function repeated(name: string): FailedVerification {
  return fail(
    new InvalidSignatureHeaderError(
      `${name} arrived more than once (Node joins a repeated header into one value with ", "), ` +
        `and a delivery carries each signature header once. A proxy or client that repeats headers`,
    ),
  )
}

/**
 * One header's value. A bag may hold a repeated header as an array (`headersDistinct`, a test
 * harness); Node's own `headers` joins it with ", ", which `webhook-id` checks here and
 * `webhook-signature` after its length cap. Neither form is guessed apart: both are refused.
 */
function singleHeader(headers: HeaderBag, name: string): string | undefined | FailedVerification {
  const value = headers[name]
  if (typeof value === 'string' || value === undefined) return value
  return value.length < 2 ? value[0] : repeated(name)
}

/** Verifies one delivery against decoded keys. `nowSeconds` is this server's clock. */
export function verifyWithKeys(
  payload: Buffer | string,
  headers: HeaderBag,
  keys: readonly WebhookKey[],
  toleranceSeconds: number,
  nowSeconds: number,
): VerificationResult {
  const id = singleHeader(headers, 'webhook-id')
  const timestamp = singleHeader(headers, 'webhook-timestamp')
  const signature = singleHeader(headers, 'webhook-signature')
  if (!id || !timestamp || !signature) {
    const missing = [
      id ? '' : 'webhook-id',
      timestamp ? '' : 'webhook-timestamp',
      signature ? '' : 'webhook-signature',
    ]
    return fail(new MissingSignatureHeadersError(missing.filter(Boolean).join(', ')))
  }
  if (typeof id !== 'string') return id
  if (typeof timestamp !== 'string') return timestamp
  if (typeof signature !== 'string') return signature
  // An id holding ", " is two ids joined by Node; a timestamp holding it fails the digits test.
  if (id.includes(JOINED)) return repeated('webhook-id')
  if (timestamp.includes(JOINED)) return repeated('webhook-timestamp')
  // Every malformed header is a 400, answered before the clock and the HMAC are looked at: a
  // sender bug is told apart from a replay (stale) or a wrong secret (mismatch).
  const timestampSeconds = unixSeconds(timestamp)
  if (timestampSeconds === undefined) {
    return fail(new InvalidSignatureHeaderError('webhook-timestamp must be unix seconds'))
  }
  const candidates = parseSignatures(signature)
  if (typeof candidates !== 'number') return candidates

  const age = nowSeconds - timestampSeconds
  if (age > toleranceSeconds) return fail(new TimestampStaleError(age, toleranceSeconds))
  if (-age > toleranceSeconds) return fail(new TimestampFutureError(-age, toleranceSeconds))

  // The algorithm is fixed by this verifier, never chosen by the header: entries of another
  // version were skipped rather than trusted.
  const prefix = `${id}.${timestamp}.`
  for (const key of keys) {
    const expected = createHmac('sha256', key.bytes).update(prefix).update(payload).digest()
    for (let k = 0; k < candidates; k++) {
      if (timingSafeEqual(MAC_SLOTS[k]!, expected)) {
        return { ok: true, webhookId: id, timestampSeconds, secretIndex: key.index }
      }
    }
  }
  return fail(new SignatureMismatchError())
}

const ENTRIES_EXPECTED = `1 to ${MAX_SIGNATURE_ENTRIES} "version,signature" entries separated by single spaces`

/**
 * The number of `v1,` entries of a `webhook-signature` value, decoded into `MAC_SLOTS` from
 * slot 0, or what is wrong with it.
 *
 * Only canonical entries are decoded (exactly 44 characters of padded base64, nothing after);
 * a `v1,` entry spelled any other way is never a match. A header without a single canonical
 * `v1,` entry cannot be verified by this scheme at all and is refused as malformed. The length
 * is capped before the scan, and the scan walks the string in place (no split), so the cost of
 * a hostile header is bounded by the cap.
 */
function parseSignatures(header: string): number | FailedVerification {
  if (header.length > MAX_SIGNATURE_HEADER_CHARS) {
    return malformed(
      `webhook-signature is ${header.length} characters, more than ${ENTRIES_EXPECTED} can take`,
    )
  }
  let v1 = 0
  let nonCanonical = 0
  let entries = 0
  let start = 0
  for (;;) {
    let end = header.indexOf(' ', start)
    if (end === -1) end = header.length
    // Entries hold one comma each and single spaces between them, so an entry that ends with a
    // comma before a space is Node's ", " join of two headers.
    else if (header.charCodeAt(end - 1) === 0x2c) return repeated('webhook-signature')
    if (++entries > MAX_SIGNATURE_ENTRIES) {
      return malformed(`webhook-signature must hold ${ENTRIES_EXPECTED}`)
    }
    const comma = header.indexOf(',', start)
    if (end === start || comma <= start || comma >= end) {
      return malformed(
        `webhook-signature entry #${entries} is not "version,signature"; expected ${ENTRIES_EXPECTED}`,
      )
    }
    // Versions are case-sensitive tokens: `V1`, `v1a` or `v10` are other versions, not v1.
    if (
      comma === start + 2 &&
      header.charCodeAt(start) === 0x76 &&
      header.charCodeAt(start + 1) === 0x31
    ) {
      if (end - start === V1_ENTRY_CHARS && decodeCanonicalMac(header, comma + 1, MAC_SLOTS[v1]!)) {
        v1++
      } else {
        nonCanonical++
      }
    }
    if (end === header.length) break
    start = end + 1
  }
  if (v1 > 0) return v1
  return malformed(
    nonCanonical > 0
      ? `no "v1," entry of webhook-signature is the padded base64 of a 32-byte HMAC-SHA256 ` +
          `(44 characters ending in "="). A sender that strips the padding or uses base64url, ` +
          `or a proxy that rewrote the header`
      : `webhook-signature has no "v1," entry (versions are case-sensitive; only v1, ` +
          `HMAC-SHA256, is checked). A sender using another scheme, or the wrong header`,
  )
}

function malformed(detail: string): FailedVerification {
  return fail(new InvalidSignatureHeaderError(detail))
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
