/**
 * The requests the contract implies for one documented operation: a valid request with every
 * optional field (the operation's example), one per missing required field, one per enum set to a
 * value Bluum does not list, one with a wrongly typed field, and one carrying a field Bluum does
 * not document; each with the answer the catalog says it gets.
 */
import { Kind, type TSchema } from '@sinclair/typebox'
import type { OperationSpec } from '../contract/operation.js'

/** What one request must get back. */
export interface Expectation {
  status: number
  /** `BLUM-...` for an error answer. */
  code?: string
  /** The `param` an error names. */
  param?: string
  /** The field a `Bluum-Sandbox-Warning` must name. */
  warns?: string
  /** Check the success answer against the operation's documented shape. */
  shape?: boolean
}

/** One request of the suite, before its path parameters are known. */
export interface Scenario {
  /** Short, for the report: `missing first_name`, `enum side`... */
  name: string
  /** The request body (JSON, or the multipart fields). */
  body?: Record<string, unknown>
  query?: Record<string, string>
  expect: Expectation
}

/** A value no Bluum enum has. */
export const notAnEnumValue = 'not_a_documented_value'
/** The field the "unknown field" request carries. */
export const undocumentedField = 'x_conformance_undocumented'

function isStringEnum(schema: TSchema): boolean {
  return (
    schema[Kind] === 'Union' &&
    (schema.anyOf as TSchema[]).every((o) => o[Kind] === 'Literal' && typeof o.const === 'string')
  )
}

/** The scenarios of `operation`, given its example body and query (ids already filled in). */
export function scenariosFor(
  operation: OperationSpec,
  body: Record<string, unknown> | undefined,
  query: Record<string, string>,
): Scenario[] {
  const ok = { status: operation.successStatus, shape: operation.response !== undefined }
  const out: Scenario[] = [{ name: 'valid, every optional field', body, query, expect: ok }]
  const bodyProps = (operation.body?.properties ?? {}) as Record<string, TSchema>
  const queryProps = (operation.query?.properties ?? {}) as Record<string, TSchema>
  const required = (operation.body?.required ?? []) as string[]
  const multipart = operation.bodyType === 'multipart'

  for (const field of required) {
    if (!body) break
    const { [field]: _dropped, ...rest } = body
    out.push({
      name: `missing ${field}`,
      body: rest,
      query,
      expect: { status: 400, code: 'BLUM-400-002', param: field },
    })
  }
  for (const [field, schema] of Object.entries(bodyProps)) {
    if (!body || !isStringEnum(schema)) continue
    out.push({
      name: `enum ${field}`,
      body: { ...body, [field]: notAnEnumValue },
      query,
      expect: { status: 400, code: 'BLUM-400-004', param: field },
    })
  }
  for (const [field, schema] of Object.entries(queryProps)) {
    if (!isStringEnum(schema)) continue
    out.push({
      name: `enum ?${field}`,
      body,
      query: { ...query, [field]: notAnEnumValue },
      expect: { status: 400, code: 'BLUM-400-004', param: field },
    })
  }
  // One wrongly typed field: a number where a string belongs, or text where an integer does.
  const stringField = Object.keys(body ?? {}).find(
    (field) => bodyProps[field]?.type === 'string' && !isStringEnum(bodyProps[field]!),
  )
  if (body && stringField && !multipart)
    out.push({
      name: `type ${stringField}`,
      body: { ...body, [stringField]: 12345 },
      query,
      expect: { status: 400, code: 'BLUM-400-003', param: stringField },
    })
  else if (queryProps.limit)
    out.push({
      name: 'type ?limit',
      body,
      query: { ...query, limit: 'many' },
      expect: { status: 400, code: 'BLUM-400-003', param: 'limit' },
    })
  out.push(
    body && operation.body
      ? {
          name: 'undocumented field',
          body: { ...body, [undocumentedField]: 'x' },
          query,
          expect: { ...ok, warns: undocumentedField },
        }
      : {
          name: 'undocumented query parameter',
          body,
          query: { ...query, [undocumentedField]: 'x' },
          expect: { ...ok, warns: undocumentedField },
        },
  )
  return out
}
