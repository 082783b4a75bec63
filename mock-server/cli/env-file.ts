/**
 * `bluum-sandbox --forward-to <url> --write-env`: the webhook's secret kept in a dotenv file
 * (`.env`), where the app reads it (`node --env-file=.env server.js`). The sandbox and the app then
 * share one secret without copy and paste, and the next start reuses it, so a restarted sandbox
 * does not leave the app verifying with a secret nobody signs with anymore.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { parseEnv } from 'node:util'
import { SandboxEnvFileError } from '../core/errors.js'

/** The variable the examples and the plugin's docs read the secret from. */
export const WEBHOOK_SECRET_VARIABLE = 'BLUUM_WEBHOOK_SECRET'

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw new SandboxEnvFileError(path, 'read', code ?? (error as Error).message)
  }
}

/** The value of `name` in the dotenv file at `path`; undefined when the file or the line is missing. */
export function readEnvValue(path: string, name: string): string | undefined {
  const text = read(path)
  return text === undefined ? undefined : parseEnv(text)[name] || undefined
}

/**
 * Sets `name=value` in the dotenv file at `path`: its line is replaced in place (an `export`
 * prefix kept), or appended; every other line stays as it was. A new file is created with mode
 * 0600, since it holds a secret.
 */
export function writeEnvValue(
  path: string,
  name: string,
  value: string,
): 'created' | 'updated' | 'unchanged' {
  const text = read(path)
  const line = new RegExp(`^(\\s*(?:export\\s+)?)${name}\\s*=.*$`, 'm')
  let next: string
  if (text === undefined) next = `${name}=${value}\n`
  else if (line.test(text))
    next = text.replace(line, (_, prefix: string) => `${prefix}${name}=${value}`)
  else next = `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${name}=${value}\n`
  if (next === text) return 'unchanged'
  try {
    writeFileSync(path, next, { mode: 0o600 })
  } catch (error) {
    const err = error as NodeJS.ErrnoException
    throw new SandboxEnvFileError(path, 'written', err.code ?? err.message)
  }
  return text === undefined ? 'created' : 'updated'
}
