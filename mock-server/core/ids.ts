/** Prefixed resource ids (`inv_`, `ord_`, `evt_`...), shaped like Bluum's: prefix + 26 base32 chars. */
import { randomBytes } from 'node:crypto'

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz'

/** A new id with the given prefix. @example createId('ord') // 'ord_01j9x8m2k7qpzwv3t5r6y8n0ab' */
export function createId(prefix: string): string {
  const bytes = randomBytes(26)
  let out = ''
  for (const byte of bytes) out += alphabet[byte & 31]
  return `${prefix}_${out}`
}
