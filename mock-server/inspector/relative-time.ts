/** "3 min ago", "in 2 h": a time relative to the sandbox clock's now. Pure. */

const units: readonly [limitMs: number, sizeMs: number, name: string][] = [
  [60_000, 1_000, 's'],
  [3_600_000, 60_000, 'min'],
  [86_400_000, 3_600_000, 'h'],
  [Infinity, 86_400_000, 'd'],
]

/** `iso` relative to `nowMs`, in whole units, e.g. `4 min ago` or `in 1 h`; `now` under a second. */
export function relativeTime(iso: string, nowMs: number): string {
  const at = Date.parse(iso)
  if (Number.isNaN(at)) return iso
  const delta = at - nowMs
  const size = Math.abs(delta)
  if (size < 1_000) return 'now'
  const [, unit, name] = units.find(([limit]) => size < limit)!
  const count = Math.floor(size / unit)
  return delta < 0 ? `${count} ${name} ago` : `in ${count} ${name}`
}

/** The exact UTC time people read on hover: `2026-07-01 15:10:03.123 UTC`. */
export function exactUtc(iso: string): string {
  const at = Date.parse(iso)
  if (Number.isNaN(at)) return iso
  return new Date(at).toISOString().replace('T', ' ').replace('Z', ' UTC')
}
