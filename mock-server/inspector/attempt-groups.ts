/**
 * A delivery's attempts as a person reads them: consecutive attempts with the same outcome (the
 * same status, receiver code and message, or the same connection error) folded into one group with
 * a count, so six identical refusals read as one line "×6", and each group's answer body shown
 * once, with a line diff against the group before when the answer changed. Pure.
 */
import { prettyJson, receiverDiagnosis, type AttemptView, type Diagnosis } from './model.js'
import { diffLines, type DiffLine } from './text-diff.js'

export interface AttemptGroup {
  /** Oldest first within the group. */
  attempts: AttemptView[]
  succeeded: boolean
  /** `HTTP 401`, `HTTP 200, delivered`, or the connection error's code. */
  outcome: string
  diagnosis: Diagnosis | undefined
  connectionError: { code: string; message: string } | undefined
  /** The latest answer body of the group, pretty-printed, if any. */
  responseBody: string | undefined
  /** How this group's answer differs from the previous group's, when both answered and differ. */
  diff: DiffLine[] | undefined
}

/** The HTTP status of an attempt, from its answer or its record. */
function statusOf(attempt: AttemptView): number | null {
  return attempt.response?.status ?? attempt.status_code
}

function outcomeOf(attempt: AttemptView): string {
  const status = statusOf(attempt)
  if (attempt.succeeded) return `HTTP ${status}, delivered`
  if (status !== null && status !== undefined) return `HTTP ${status}`
  return attempt.connection_error?.code ?? attempt.error ?? 'no answer'
}

/** Groups `attempts` (oldest first, as recorded); the groups come oldest first too. */
export function groupAttempts(attempts: readonly AttemptView[]): AttemptGroup[] {
  const groups: AttemptGroup[] = []
  let previousKey: string | undefined
  for (const attempt of attempts) {
    const diagnosis = receiverDiagnosis(attempt.response?.body)
    const outcome = outcomeOf(attempt)
    const key = JSON.stringify([
      attempt.succeeded,
      outcome,
      diagnosis?.code,
      diagnosis?.message,
      attempt.connection_error?.message,
      attempt.fault,
    ])
    const body = attempt.response?.body ? prettyJson(attempt.response.body) : undefined
    const current = groups.at(-1)
    if (current && key === previousKey) {
      current.attempts.push(attempt)
      current.responseBody = body ?? current.responseBody
      continue
    }
    previousKey = key
    const before = current?.responseBody
    groups.push({
      attempts: [attempt],
      succeeded: attempt.succeeded,
      outcome,
      diagnosis,
      connectionError: attempt.connection_error ?? undefined,
      responseBody: body,
      diff:
        before !== undefined && body !== undefined && before !== body
          ? diffLines(before, body)
          : undefined,
    })
  }
  return groups
}
