/**
 * Strings the sandbox keeps for its life, stored flat.
 *
 * V8 keeps a string built with `+` or a template as a rope (a 32-byte node per join) and a
 * `slice` as a view that holds the whole original alive. A value kept by every resource (a
 * reference code, a timestamp, a wallet id) is cheaper copied once into one flat string: a
 * triggered event's deposit held five such ropes and two slices, ~250 bytes on top of the text.
 */

const LATIN1 = /^[\x00-\xff]*$/
/** Written into and read back from, so a short text's copy allocates nothing but itself. */
const scratch = Buffer.allocUnsafe(256)

/**
 * `text`, as one flat string. Text of Latin-1 characters (ids, codes, ISO times) is written out as
 * bytes and read back; any other text is returned as it is.
 * @example wallet_id: flatString(`wlt_${investorId.slice(4)}`)
 */
export function flatString(text: string): string {
  if (!LATIN1.test(text)) return text
  if (text.length > scratch.length) return Buffer.from(text, 'latin1').toString('latin1')
  return scratch.toString('latin1', 0, scratch.write(text, 0, 'latin1'))
}
