/**
 * A ready `curl` command that sends a delivery's exact bytes again, freshly signed, to its
 * webhook's URL: the quickest way to replay one request against a local app under a debugger.
 * Pure; the signing is the caller's (the sandbox's signer, not the plugin's).
 */

/** Quotes `text` for a POSIX shell: single quotes, with `'` written as `'\''`. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

/** `curl` with each header and the body, one option per line. */
export function curlCommand(request: {
  url: string
  headers: Record<string, string>
  body: string
}): string {
  const lines = [`curl -X POST ${shellQuote(request.url)}`]
  for (const [name, value] of Object.entries(request.headers))
    lines.push(`  -H ${shellQuote(`${name}: ${value}`)}`)
  lines.push(`  --data-binary ${shellQuote(request.body)}`)
  return lines.join(' \\\n')
}
