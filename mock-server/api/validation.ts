/**
 * Request validation that answers in Bluum's vocabulary: the first problem becomes a
 * `BLUM-400-00x` error naming the parameter, with a hint for the usual mistakes (`events`
 * instead of `eventTypeNames`, `qty` on the G3 route).
 */
import { FormatRegistry, Kind, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import {
  InvalidParamError,
  MalformedBodyError,
  MissingParamError,
  UnknownParamError,
  withParam,
} from '../core/errors.js'

// Fields people send by habit, and what this API calls them.
const hints: Record<string, string> = {
  events: 'eventTypeNames',
  event_types: 'eventTypeNames',
  event_type_names: 'eventTypeNames',
  enabled_events: 'eventTypeNames',
  qty: 'quantity',
  quantity: 'qty',
}

// TypeBox checks only registered formats; `date-time` is the one the schemas use.
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set(
    'date-time',
    (value) => /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value) && !Number.isNaN(Date.parse(value)),
  )
}

interface ObjectSchema extends TSchema {
  properties?: Record<string, TSchema>
  additionalProperties?: boolean | TSchema
}

function describe(schema: TSchema, value: unknown): string {
  const got = value === undefined ? 'nothing' : JSON.stringify(value)
  const options = (schema.anyOf as TSchema[] | undefined)
    ?.filter((s) => 'const' in s)
    .map((s) => String(s.const))
  if (options && options.length > 0) return `expected one of ${options.join(', ')}; got ${got}`
  if (schema.pattern === '^\\d+(\\.\\d+)?$')
    return `expected a decimal string such as "10.50"; got ${got}`
  if (schema.format === 'date-time') return `expected an ISO-8601 date-time; got ${got}`
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
  const error = Value.Errors(schema, value).First()
  if (!error) return value
  const param = error.path.split('/').filter(Boolean).join('.') || location
  if (error.value === undefined) throw withParam(new MissingParamError(param), param)
  throw withParam(new InvalidParamError(param, describe(error.schema, error.value)), param)
}
