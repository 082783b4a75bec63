/**
 * Decimal strings, as Bluum's API carries amounts, prices and quantities ("178.50").
 *
 * Money is kept in integer cents so balances never drift; quantities and prices are plain numbers
 * rounded on output, which is exact enough for a simulator. Every function here refuses a number
 * that is not finite (or cents beyond the safe-integer range) with a coded 400 instead of
 * producing it: one "Infinity" or "NaN" stored in the state would make every later answer that
 * prints it wrong, so the guard sits where numbers are made.
 */
import { DecimalRangeError } from './errors.js'

/** Digits a decimal string may have before the point: 10^15 is far past any amount, and exact in a double. */
export const maxIntegerDigits = 15
/** Digits a decimal string may have after the point (quantities go to 9 decimals). */
export const maxFractionDigits = 9

/** Matches a non-negative decimal string within range: "10", "0.5", "178.50". */
export const decimalPattern = `^\\d{1,${maxIntegerDigits}}(\\.\\d{1,${maxFractionDigits}})?$`

function finite(value: number, what: unknown): number {
  if (!Number.isFinite(value)) throw new DecimalRangeError(describe(what))
  return value
}

function describe(what: unknown): string {
  const text = typeof what === 'string' ? JSON.stringify(what) : String(what)
  return text.length > 40 ? `${text.slice(0, 40)}… (${text.length} characters)` : text
}

/** Parses a decimal string (already validated against {@link decimalPattern}); throws when not finite. */
export function toNumber(value: string): number {
  return finite(Number(value), value)
}

/** Amount string → integer cents, rounding half away from zero; throws past the safe-integer range. */
export function toCents(value: string | number): number {
  const cents = Math.round(finite(Number(value), value) * 100)
  if (!Number.isSafeInteger(cents)) throw new DecimalRangeError(describe(value))
  return cents
}

/** Integer cents → "1234.50". */
export function formatCents(cents: number): string {
  return (finite(cents, cents) / 100).toFixed(2)
}

/** A price with two decimals: "178.50". */
export function formatPrice(price: number): string {
  return finite(price, price).toFixed(2)
}

/** A quantity with at most 9 decimals and no trailing zeros, never in exponent form: "1", "0.5". */
export function formatQuantity(quantity: number): string {
  const fixed = finite(quantity, quantity).toFixed(maxFractionDigits)
  const trimmed = fixed.replace(/\.?0+$/, '')
  return trimmed === '-0' || trimmed === '' ? '0' : trimmed
}
