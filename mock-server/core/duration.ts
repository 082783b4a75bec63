/** Durations as tests and the CLI write them: milliseconds, or `'500ms'`, `'30s'`, `'1h30m'`. */
import { SandboxInvalidDurationError } from './errors.js'

/** Milliseconds as a number, or a string of `<number><unit>` parts (ms, s, m, h, d). */
export type Duration = number | string

const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
// Sticky: parts must follow each other with nothing in between.
const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y

/** Converts a {@link Duration} to milliseconds. @example parseDuration('1h30m') === 5_400_000 */
export function parseDuration(duration: Duration): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration < 0)
      throw new SandboxInvalidDurationError(String(duration))
    return duration
  }
  const text = duration.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text)
  let total = 0
  let consumed = 0
  part.lastIndex = 0
  let match: RegExpExecArray | null
  while ((match = part.exec(text)) !== null) {
    total += Number(match[1]) * unitMs[match[2]!]!
    consumed = part.lastIndex
  }
  if (text === '' || consumed !== text.length) {
    throw new SandboxInvalidDurationError(JSON.stringify(duration))
  }
  return total
}
