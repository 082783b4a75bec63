/**
 * The request fields and answer envelopes the operations are written with: Bluum's documented
 * formats (amounts, dates, countries, E.164 phones), its list and error envelopes, and the codes a
 * failing field answers with (`x-bluum-error`).
 */
import { Type, type TSchema } from '@sinclair/typebox'
import { Literals, Metadata, Nullable, docs, sandboxOnly } from '../../plugin/bluum-resources.js'
import { decimalPattern, maxIntegerDigits } from '../core/decimal.js'

export { Literals, Metadata, Nullable, docs, sandboxOnly }

/** Bluum's page size: 50 unless `limit` says otherwise, at most 200 ("How the API works"). */
export const pageSize = Object.freeze({ default: 50, max: 200 })

/** A decimal string within the range the sandbox holds exactly (15 digits before the point, 9 after). */
export const Decimal = (description: string) =>
  Type.String({ pattern: decimalPattern, description })

/**
 * Bluum's amount pattern `^\d+(\.\d{1,2})?$` (BLUM-400-005), with at most as many integer digits as
 * the sandbox's decimals hold exactly (so 400 digits is a bad amount, not a number out of range).
 */
export const amountPattern = `^\\d{1,${maxIntegerDigits}}(\\.\\d{1,2})?$`
export const Amount = (description: string) =>
  Type.String({ pattern: amountPattern, description, 'x-bluum-error': 'amount' })
/** Shares: a positive decimal string (BLUM-400-006). */
export const Quantity = (description: string) =>
  Type.String({ pattern: decimalPattern, description, 'x-bluum-error': 'quantity' })
/** A calendar date `YYYY-MM-DD` that exists. */
export const IsoDate = (description: string) => Type.String({ format: 'date', description })
/** An ISO-8601 date-time. */
export const IsoDateTime = (description: string) =>
  Type.String({ format: 'date-time', description: `${description} (ISO-8601 date-time)` })
export const Country = (description: string) =>
  Type.String({ pattern: '^[A-Z]{2}$', description: `${description} (ISO 3166-1 alpha-2)` })
export const Currency = (description = 'ISO 4217 currency code') =>
  Type.String({ pattern: '^[A-Z]{3}$', description })
export const Phone = Type.String({
  pattern: '^\\+[1-9]\\d{1,14}$',
  description: 'an E.164 phone number such as "+14155551234"',
})
export const Email = Type.String({
  pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
  maxLength: 254,
  description: 'an email address',
})

/** `limit` and `offset` of an offset-paged list ("How the API works": 50 by default, at most 200). */
export const pagingFields = (max: number = pageSize.max) => ({
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: max,
      default: pageSize.default,
      description: `Page size, 1-${max}`,
    }),
  ),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'Items to skip' })),
})
export const ListQuery = Type.Object(pagingFields())

/** The list envelope: `{ object: "list", url, has_more, data }`. */
export const ListOf = (item: TSchema) =>
  Type.Object(
    {
      object: Type.Literal('list'),
      url: Type.String(),
      has_more: Type.Boolean(),
      data: Type.Array(item),
    },
    { additionalProperties: false },
  )

/** Bluum's error envelope, in the OpenAPI header of every reference page. */
export const ErrorEnvelope = Type.Object({
  error: Type.Object({
    type: Type.String(),
    code: Type.String({ description: 'BLUM-{status}-{seq}' }),
    message: Type.String(),
    param: Type.Optional(Type.String()),
  }),
})

/** A date filter `YYYY-MM-DD` of the transfer lists (pattern `^\d{4}-\d{2}-\d{2}$`). */
export const DateFilter = (description: string) =>
  Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', format: 'date', description })
