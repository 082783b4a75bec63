/**
 * The error a receiver's JSON answer names, read from an attempt's recorded body: this plugin
 * answers `{ code, message }`, Bluum-style APIs `{ error: { code, message } }`. It is what tells a
 * person why a delivery failed (`BLUUM_TIMESTAMP_FUTURE` and its diagnosis), so the CLI's lines
 * and the contract harness's failure message both show it.
 */

/** `{ code, message? }` from a JSON answer body, or undefined when the body names no code. */
export function receiverError(
  body: string | undefined,
): { code: string; message: string | undefined } | undefined {
  if (!body || !body.trimStart().startsWith('{')) return undefined
  let parsed: { code?: unknown; message?: unknown; error?: { code?: unknown; message?: unknown } }
  try {
    parsed = JSON.parse(body) as typeof parsed
  } catch {
    return undefined
  }
  const source = typeof parsed.code === 'string' ? parsed : parsed.error
  const code = source?.code
  if (typeof code !== 'string' || code.length === 0 || code.length > 100) return undefined
  const message = typeof source?.message === 'string' ? source.message.slice(0, 500) : undefined
  return { code, message }
}
