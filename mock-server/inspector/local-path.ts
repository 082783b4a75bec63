/**
 * Where a form may send the browser back to (the clock form's `back`): a path of this server,
 * parsed as a URL, never another site. Pure.
 *
 * Browsers strip tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example` and
 * `/\evil.example` are `//evil.example` to them: such input is refused outright rather than
 * cleaned. What remains is resolved against a placeholder origin and kept only when it stayed on
 * that origin; the answer is the parsed path, query and fragment, so it is encoded as a URL is.
 */

const placeholder = 'http://sandbox.invalid'

/** The same-origin path `target` names, or `fallback` when it names anything else. */
export function localPath(target: string | undefined, fallback = '/'): string {
  if (target === undefined || target.length > 2000) return fallback
  // Control characters (tab, CR, LF, NUL...) and backslashes: never part of a path we produce.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(target)) return fallback
  if (!target.startsWith('/') || target.startsWith('//')) return fallback
  let parsed: URL
  try {
    parsed = new URL(target, placeholder)
  } catch {
    return fallback
  }
  if (parsed.origin !== placeholder) return fallback
  return parsed.pathname + parsed.search + parsed.hash
}
