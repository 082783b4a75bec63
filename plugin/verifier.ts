/**
 * The pluggable verification step. The default is the contract's Standard Webhooks convention;
 * the day Bluum publishes its own scheme, a `verifier` option replaces it without touching
 * dedupe or routing.
 */
import { decodeSecrets, verifyWithKeys, type VerificationResult } from './signature.js'
import type { CodedError, HeaderBag } from './types.js'

/** What a verifier gets: the exact received bytes, the headers, and this server's clock. */
export interface VerifierInput {
  readonly rawBody: Buffer
  readonly headers: HeaderBag
  /** Unix milliseconds. */
  readonly now: number
}

/** What a custom verifier returns on success: the delivery id is used as the dedupe key. */
interface CustomVerified {
  readonly ok: true
  /** The sender's stable event id if the scheme has one (else the envelope id or a body hash). */
  readonly webhookId?: string
  readonly secretIndex?: number
}

export type VerifierResult =
  CustomVerified | VerificationResult | { readonly ok: false; readonly error: CodedError }

/** Raw body and headers in, verified or a coded failure (with `statusCode`) out. */
export interface BluumVerifier {
  verify(input: VerifierInput): VerifierResult | Promise<VerifierResult>
}

/**
 * The default verifier: secrets are decoded once here, never on the request path.
 * @example createStandardWebhooksVerifier({ secret: [newSecret, oldSecret] })
 */
export function createStandardWebhooksVerifier(options: {
  secret: string | readonly string[]
  toleranceSeconds: number
}): BluumVerifier {
  const keys = decodeSecrets(options.secret)
  const tolerance = options.toleranceSeconds
  return {
    verify: ({ rawBody, headers, now }) =>
      verifyWithKeys(rawBody, headers, keys, tolerance, Math.floor(now / 1000)),
  }
}
