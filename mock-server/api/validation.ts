/**
 * Request validation that answers in Bluum's vocabulary: the first problem becomes the
 * `BLUM-400-00x` error Bluum's catalog names for it (https://docs.bluumfinance.com/resources/error-codes):
 * 400-002 a missing required field, 400-003 a wrong type or format (ISO dates, E.164 phones,
 * ISO alpha-2 countries), 400-004 a value outside an enum, 400-005 an invalid amount,
 * 400-006 an invalid quantity, and 400-001 anything else (unknown fields, bounds). Each names the
 * parameter in `param`, with a hint for the usual mistakes (`events` instead of `eventTypeNames`,
 * `qty` on the G3 route).
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

/** Which catalog code a schema's failures answer with, beyond the defaults (schema option `x-bluum-error`). */
export type ValueKind = 'amount' | 'quantity'

interface ObjectSchema extends TSchema {
  properties?: Record<string, TSchema>
  additionalProperties?: boolean | TSchema
}

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
  if (schema.description && (schema.format || schema.pattern))
    return `expected ${schema.description}; got ${got}`
  if (schema.pattern === decimalPattern)
    return `expected a decimal string such as "10.50" (at most ${maxIntegerDigits} digits before the point and ${maxFractionDigits} after); got ${got}`
  if (schema.format === 'date-time') return `expected an ISO-8601 date-time; got ${got}`
  if (schema.format === 'date') return `expected an ISO-8601 date (YYYY-MM-DD); got ${got}`
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
  const kind = (schema as { 'x-bluum-error'?: ValueKind })['x-bluum-error']
  if (kind === 'amount') return withParam(new InvalidAmountError(param, why), param)
  if (kind === 'quantity') return withParam(new InvalidQuantityError(param, why), param)
  if (enumOptions(schema) && typeof value === 'string')
    return withParam(new InvalidEnumError(param, why), param)
  if (formatTypes.has(error.type) || enumOptions(schema) || error.type === ValueErrorType.Union)
    return withParam(new InvalidFormatError(param, why), param)
  return withParam(new ValidationError(`Invalid value for '${param}': ${why}.`), param)
}

/**
 * Checks `value` against `schema` and returns it (query strings converted, defaults applied).
 * `location` tunes the messages: query values arrive as strings and are converted first.
 */
export function validate(schema: TSchema, input: unknown, location: 'body' | 'query'): unknown {
  let value = input
  if (location === 'query') value = Value.Default(schema, Value.Convert(schema, value))
  const objectSchema = schema as ObjectSchema
  if (objectSchema.type === 'object') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new MalformedBodyError('expected a JSON object')
    }
    if (objectSchema.additionalProperties === false && objectSchema.properties) {
      for (const key of Object.keys(value)) {
        if (Object.hasOwn(objectSchema.properties, key)) continue
        const hint =
          hints[key] && Object.hasOwn(objectSchema.properties, hints[key])
            ? ` Did you mean '${hints[key]}'?`
            : ''
        throw withParam(new UnknownParamError(key, hint), key)
      }
    }
  }
  const error = firstSchemaError(schema, value)
  if (!error) return value
  throw errorFor(error, location)
}
