/**
 * One line per delivery attempt, for the terminal: time, event name, `evt_` id, the status (with
 * the receiver's error code when its answer names one, e.g. `401 BLUUM_SIGNATURE_MISMATCH`) or
 * the connection error, the duration, and the next retry or "parked". Pure: the serving CLI,
 * `logs` and `listen` all print through it.
 */
import type { AttemptActivity } from '../api/stream.js'
import { receiverError } from '../delivery/receiver-error.js'

export interface AttemptLineOptions {
  /** `text` for people, `json` for one JSON object per line. */
  format: 'text' | 'json'
  /** ANSI colours (text only). */
  colour: boolean
}

/**
 * Colour when `stream` is a terminal and `NO_COLOR` is unset or empty (https://no-color.org/);
 * `FORCE_COLOR` set to anything but `0` turns it on anywhere.
 */
export function shouldColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR) return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0'
  return stream.isTTY === true
}

/** The error code a receiver's JSON answer names (`code`, or Bluum-style `error.code`), if any. */
export function receiverCode(body: string | undefined): string | undefined {
  return receiverError(body)?.code
}

/** ANSI colours for a terminal, and the same names without colour. */
export const paint = {
  dim: (s: string) => `\u001b[2m${s}\u001b[22m`,
  green: (s: string) => `\u001b[32m${s}\u001b[39m`,
  red: (s: string) => `\u001b[31m${s}\u001b[39m`,
  yellow: (s: string) => `\u001b[33m${s}\u001b[39m`,
  bold: (s: string) => `\u001b[1m${s}\u001b[22m`,
}
export const plain = { dim: String, green: String, red: String, yellow: String, bold: String }

/** `HH:MM:SS` of an ISO time, in the machine's time zone. */
export function clockTime(iso: string): string {
  const date = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

/**
 * The line (without its last newline) for one attempt; in text, a failed attempt adds an
 * indented second line with the receiver's message or the connection error's.
 */
export function formatAttempt(activity: AttemptActivity, options: AttemptLineOptions): string {
  const { attempt } = activity
  const answered = attempt.succeeded ? undefined : receiverError(attempt.response?.body)
  const code = answered?.code
  if (options.format === 'json') {
    return JSON.stringify({
      type: 'attempt',
      time: attempt.attempted_at,
      event: activity.event,
      event_id: activity.event_id,
      delivery_id: activity.delivery_id,
      webhook_id: activity.webhook_id,
      attempt: attempt.attempt,
      status: attempt.status_code,
      receiver_code: code ?? null,
      receiver_message: answered?.message ?? null,
      error: attempt.connection_error ?? null,
      succeeded: attempt.succeeded,
      duration_ms: attempt.duration_ms,
      phase: activity.phase,
      next_attempt_at: activity.next_attempt_at,
      parked: activity.parked,
      failure_reason: activity.failure_reason,
      fault: attempt.fault,
    })
  }
  const c = options.colour ? paint : plain
  const outcome = attempt.connection_error
    ? c.red(attempt.connection_error.code)
    : attempt.succeeded
      ? c.green(String(attempt.status_code))
      : c.red(`${attempt.status_code}${code ? ` ${code}` : ''}`)
  let next: string
  if (activity.parked) next = c.yellow(`parked (${activity.failure_reason ?? 'failed'})`)
  else if (activity.next_attempt_at)
    next = c.yellow(`retry at ${clockTime(activity.next_attempt_at)}`)
  else if (attempt.succeeded) next = 'delivered'
  else next = activity.phase
  const fault = attempt.fault ? ` ${c.dim(`[${attempt.fault}]`)}` : ''
  const line = [
    c.dim(clockTime(attempt.attempted_at)),
    c.bold(activity.event),
    activity.event_id,
    `#${attempt.attempt}`,
    `→ ${outcome}`,
    c.dim(`${attempt.duration_ms} ms`),
    `· ${next}${fault}`,
  ].join('  ')
  // Why it failed, on a line of its own: the receiver's diagnosis, or the connection error.
  const why = answered?.message ?? attempt.connection_error?.message
  return why ? `${line}\n          ${c.dim(`↳ ${why.replace(/\s+/g, ' ')}`)}` : line
}
