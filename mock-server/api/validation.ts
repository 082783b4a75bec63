/**
 * Request validation that answers in Bluum's vocabulary: the first problem becomes the
 * `BLUM-400-00x` error Bluum's catalog names for it (https://docs.bluumfinance.com/resources/error-codes):
 * 400-002 a missing required field, 400-003 a wrong type or format (ISO dates, E.164 phones,
 * ISO alpha-2 countries), 400-004 a value outside an enum, 400-005 an invalid amount,
 * 400-006 an invalid quantity, and 400-001 anything else (bounds; unknown fields in strict mode).
 * Each names the parameter in `param`, with a hint for the usual mistakes (`events` instead of
 * `eventTypeNames`, `qty` on the current-generation route).
 *
 * Every schema is compiled once (TypeBox's compiler, cached per schema object) rather than
 * interpreted per request. A field the contract does not document is not an error by default: it
 * is removed before the handler sees it and named in the answer's `Bluum-Sandbox-Warning` header,
 * since Bluum may accept it; in strict mode it is refused with `BLUM-400-001`.
 */
import { FormatRegistry, Kind, type TSchema } from '@sinclair/typebox'
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value'
import {
  InvalidAmountError,
  InvalidEnumError,
  InvalidFormatError,
  InvalidQuantityError,
  MalformedBodyError,
  MissingFieldError,
  UnknownParamError,
  ValidationError,
  withParam,
} from '../core/errors.js'
import { firstSchemaError } from '../core/compiled-schema.js'
import { decimalPattern, maxFractionDigits, maxIntegerDigits } from '../core/decimal.js'

// Fields people send by habit, and what this API calls them.
const hints: Record<string, string> = {
  events: 'eventTypeNames',
  event_types: 'eventTypeNames',
  event_type_names: 'eventTypeNames',
  enabled_events: 'eventTypeNames',
  qty: 'quantity',
  quantity: 'qty',
  file: 'document',
}

// TypeBox checks only registered formats: the ones the schemas use.
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set(
    'date-time',
    (value) =>
      /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(value) &&
      !Number.isNaN(Date.parse(value)),
  )
}
if (!FormatRegistry.Has('date')) {
  // A calendar date that exists: `2024-02-30` is as wrong as `yesterday`.
  FormatRegistry.Set('date', (value) => {
    const match = /^(\d{4})-(\d\d)-(\d\d)$/.exec(value)
    if (!match) return false
    const date = new Date(`${value}T00:00:00Z`)
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value)
  })
}
if (!FormatRegistry.Has('uri')) {
  FormatRegistry.Set('uri', (value) => {
    try {
      const url = new URL(value)
      return url.protocol === 'http:' || url.protocol === 'https:'
    } catch {
      return false
    }
  })
}

/** Which catalog code a schema's failures answer with, beyond the defaults (schema option `x-bluum-error`). */
export type ValueKind = 'amount' | 'quantity'

function enumOptions(schema: TSchema): string[] | undefined {
  if ('const' in schema) return [String(schema.const)]
  const options = (schema.anyOf as TSchema[] | undefined)?.filter((s) => 'const' in s)
  return options && options.length > 0 && options.length === (schema.anyOf as TSchema[]).length
    ? options.map((s) => String(s.const))
    : undefined
}

function describe(schema: TSchema, value: unknown): string {
  const got = JSON.stringify(value)
  const options = enumOptions(schema)
  if (options) return `expected one of ${options.join(', ')}; got ${got}`
  if (schema.type === 'string' && typeof value !== 'string')
    return `expected a string${schema.description ? ` (${schema.description})` : ''}; got ${got}`
  if (schema.description && (schema.format || schema.pattern))
    return `expected ${schema.description}; got ${got}`
  if (schema.pattern === decimalPattern)
    return `expected a decimal string such as "10.50" (at most ${maxIntegerDigits} digits before the point and ${maxFractionDigits} after); got ${got}`
  if (schema.format === 'date-time') return `expected an ISO-8601 date-time; got ${got}`
  if (schema.format === 'date') return `expected an ISO-8601 date (YYYY-MM-DD); got ${got}`
  if (schema.format === 'uri') return `expected an absolute http(s) URL; got ${got}`
  const type =
    schema[Kind] === 'Union'
      ? 'a valid value'
      : `a ${String(schema.type ?? schema[Kind]).toLowerCase()}`
  const bounds = [
    schema.minimum !== undefined ? `>= ${schema.minimum}` : '',
    schema.maximum !== undefined ? `<= ${schema.maximum}` : '',
    schema.minLength !== undefined ? `at least ${schema.minLength} character(s)` : '',
    schema.maxLength !== undefined ? `at most ${schema.maxLength} characters` : '',
    schema.minItems !== undefined ? `at least ${schema.minItems} item(s)` : '',
    schema.pattern !== undefined ? `matching ${schema.pattern}` : '',
  ].filter(Boolean)
  return `expected ${type}${bounds.length ? ` (${bounds.join(', ')})` : ''}; got ${got}`
}

const typeMismatches = new Set<ValueErrorType>([
  ValueErrorType.String,
  ValueErrorType.Number,
  ValueErrorType.Integer,
  ValueErrorType.Boolean,
  ValueErrorType.Object,
  ValueErrorType.Array,
])

const formatTypes = new Set<ValueErrorType>([
  ValueErrorType.StringFormat,
  ValueErrorType.StringPattern,
  ValueErrorType.String,
  ValueErrorType.Number,
  ValueErrorType.Integer,
  ValueErrorType.Boolean,
  ValueErrorType.Object,
  ValueErrorType.Array,
  ValueErrorType.Null,
])

/** The catalog error for one schema failure. */
export function errorFor(error: ValueError, location: 'body' | 'query'): Error {
  const param = error.path.split('/').filter(Boolean).join('.') || location
  const { schema, value } = error
  if (error.type === ValueErrorType.ObjectRequiredProperty || value === undefined)
    return withParam(new MissingFieldError(param), param)
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    return withParam(new UnknownParamError(param, ''), param)
  }
  const why = describe(schema, value)
  // A value of the wrong JSON type is a format error whatever the field ("match expected types").
  if (typeMismatches.has(error.type)) return withParam(new InvalidFormatError(param, why), param)
  const kind = (schema as { 'x-bluum-error'?: ValueKind })['x-bluum-error']
  if (kind === 'amount') return withParam(new InvalidAmountError(param, why), param)
  if (kind === 'quantity') return withParam(new InvalidQuantityError(param, why), param)
  if (enumOptions(schema) && typeof value === 'string')
    return withParam(new InvalidEnumError(param, why), param)
  if (formatTypes.has(error.type) || enumOptions(schema) || error.type === ValueErrorType.Union)
    return withParam(new InvalidFormatError(param, why), param)
  return withParam(new ValidationError(`Invalid value for '${param}': ${why}.`), param)
}

/** What a value carried that the schema does not document: each field's dotted path. */
export type UndocumentedFields = string[]

/** The object branch of a schema (an object, or the object of a nullable union), if any. */
function objectOf(schema: TSchema): TSchema | undefined {
  if (schema[Kind] === 'Object' && schema.properties) return schema
  if (schema[Kind] === 'Union')
    return (schema.anyOf as TSchema[]).map(objectOf).find((s) => s !== undefined)
  return undefined
}

/**
 * Removes (or, in strict mode, refuses) the fields `schema` does not declare, recursively through
 * nested objects and arrays of objects, and returns their paths. Only closed objects
 * (`additionalProperties: false`) and query objects are checked: a record is open by design.
 */
function undocumented(
  schema: TSchema,
  value: unknown,
  path: string,
  strict: boolean,
  open: boolean,
  found: UndocumentedFields,
): void {
  if (Array.isArray(value)) {
    if (schema[Kind] !== 'Array') return
    value.forEach((item, i) =>
      undocumented(schema.items as TSchema, item, `${path}[${i}]`, strict, false, found),
    )
    return
  }
  if (typeof value !== 'object' || value === null) return
  const object = objectOf(schema)
  if (!object) return
  const properties = object.properties as Record<string, TSchema>
  const closed = object.additionalProperties === false || open
  for (const key of Object.keys(value)) {
    const name = path ? `${path}.${key}` : key
    const property = Object.hasOwn(properties, key) ? properties[key] : undefined
    if (property) {
      undocumented(property, (value as Record<string, unknown>)[key], name, strict, false, found)
      continue
    }
    if (!closed) continue
    if (strict) {
      const hint =
        hints[key] && Object.hasOwn(properties, hints[key]) ? ` Did you mean '${hints[key]}'?` : ''
      throw withParam(
        new UnknownParamError(
          name,
          `${hint} Bluum documents no such field; the sandbox runs in strict mode.`,
        ),
        name,
      )
    }
    found.push(name)
    delete (value as Record<string, unknown>)[key]
  }
}

/** How to validate one request part. */
export interface ValidateOptions {
  /** Refuse undocumented fields (400 `BLUM-400-001`) instead of removing them. Default false. */
  strict?: boolean
  /** Where removed fields are named (dotted paths), for the `Bluum-Sandbox-Warning` header. */
  undocumented?: UndocumentedFields
}

/**
 * Checks `input` against `schema` and returns it (query strings converted, defaults applied,
 * undocumented fields removed). `location` tunes the messages: query values arrive as strings
 * and are converted first, and every query key the schema lacks is undocumented.
 */
export function validate(
  schema: TSchema,
  input: unknown,
  location: 'body' | 'query',
  options: ValidateOptions = {},
): unknown {
  let value = input
  if (location === 'query') value = Value.Default(schema, Value.Convert(schema, value))
  if (
    schema.type === 'object' &&
    (typeof value !== 'object' || value === null || Array.isArray(value))
  )
    throw new MalformedBodyError('expected a JSON object')
  const found = options.undocumented ?? []
  undocumented(schema, value, '', options.strict ?? false, location === 'query', found)
  const first = firstSchemaError(schema, value)
  if (!first) return value
  throw withMisspelling(errorFor(first, location), found)
}

/**
 * A missing required field whose habitual misspelling was sent (and removed as undocumented):
 * the error says so. Other errors come back unchanged.
 */
export function withMisspelling<E>(error: E, removed: UndocumentedFields): E {
  const coded = error as { code?: unknown; param?: unknown; message?: unknown }
  if (coded.code !== 'BLUM-400-002' || typeof coded.param !== 'string') return error
  const misspelt = removed.find((name) => hints[name] === coded.param)
  if (misspelt)
    coded.message = `${String(coded.message)} The request sent '${misspelt}', which Bluum does not document: did you mean '${coded.param}'?`
  return error
}

/** The warning that names removed fields, as the `Bluum-Sandbox-Warning` header carries it. */
export function undocumentedWarning(fields: UndocumentedFields): string {
  const named = fields.map((f) => (hints[f] ? `${f} (did you mean ${hints[f]}?)` : f))
  return `Ignored field(s) Bluum does not document: ${named.join(', ')}`
}
