/**
 * How an answer differs from the shape the contract documents, in words: a missing field, a field
 * Bluum does not document, a value of the wrong type or outside its enum, each with its path.
 */
import type { TSchema } from '@sinclair/typebox'
import { ValueErrorType } from '@sinclair/typebox/value'
import { compiledSchema } from '../core/compiled-schema.js'

/** At most this many differences are named per answer: past them, one answer is broken anyway. */
const maxNamed = 8

function where(path: string): string {
  return path === '' ? '(the answer)' : path.slice(1).replaceAll('/', '.')
}

/** The differences between `value` and `schema`, one sentence each; empty when it fits. */
export function shapeDifferences(schema: TSchema, value: unknown): string[] {
  const check = compiledSchema(schema)
  if (check.Check(value)) return []
  const out: string[] = []
  const reported = new Set<string>()
  for (const error of check.Errors(value)) {
    if ([...reported].some((p) => error.path === p || error.path.startsWith(`${p}/`))) continue
    if (error.type === ValueErrorType.ObjectRequiredProperty) {
      out.push(`${where(error.path)}: missing (documented)`)
    } else if (error.type === ValueErrorType.ObjectAdditionalProperties) {
      out.push(`${where(error.path)}: not documented`)
    } else {
      const got = JSON.stringify(error.value)
      out.push(
        `${where(error.path)}: ${error.message.toLowerCase()}, got ${got === undefined ? 'nothing' : got.length > 60 ? `${got.slice(0, 60)}…` : got}`,
      )
    }
    reported.add(error.path)
    if (out.length >= maxNamed) {
      out.push('…')
      break
    }
  }
  return out
}
