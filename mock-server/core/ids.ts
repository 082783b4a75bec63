/** Prefixed resource ids (`inv_`, `ord_`, `evt_`...), shaped like Bluum's: prefix + 26 base32 chars. */
import { randomFillSync } from 'node:crypto'

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz'
const idLength = 26

// One `randomFillSync` per 157 ids instead of one `randomBytes` (a Buffer and a system call) per
// id: every event, delivery and resource takes an id, so this was a tenth of a delivery's CPU.
const pool = Buffer.allocUnsafe(idLength * 157)
let offset = pool.length

/** A new id with the given prefix. @example createId('ord') // 'ord_01j9x8m2k7qpzwv3t5r6y8n0ab' */
export function createId(prefix: string): string {
  if (offset + idLength > pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  let out = `${prefix}_`
  for (let i = offset; i < offset + idLength; i++) out += alphabet[pool[i]! & 31]
  offset += idLength
  return out
}
