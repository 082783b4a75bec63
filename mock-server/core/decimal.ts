/**
 * Decimal strings, as Bluum's API carries amounts, prices and quantities ("178.50").
 *
 * Money is kept in integer cents so balances never drift; quantities and prices are plain numbers
 * rounded on output, which is exact enough for a simulator.
 */

/** Matches a non-negative decimal string: "10", "0.5", "178.50". */
export const decimalPattern = '^\\d+(\\.\\d+)?$'

/** Parses a decimal string (already validated against {@link decimalPattern}). */
export function toNumber(value: string): number {
  return Number(value)
}

/** Amount string → integer cents, rounding half away from zero. */
export function toCents(value: string | number): number {
  return Math.round(Number(value) * 100)
}

/** Integer cents → "1234.50". */
export function formatCents(cents: number): string {
  return (cents / 100).toFixed(2)
}

/** A price with two decimals: "178.50". */
export function formatPrice(price: number): string {
  return price.toFixed(2)
}

/** A quantity with at most 9 decimals and no trailing zeros: "1", "0.5". */
export function formatQuantity(quantity: number): string {
  return String(Number(quantity.toFixed(9)))
}
