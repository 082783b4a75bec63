/**
 * Turns verified bytes into an event: JSON parsing that rejects prototype poisoning (as Fastify
 * does), the envelope schema, then the catalog schema of the event's `data`. Pure.
 */
import { createHash } from 'node:crypto'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { TSchema } from '@sinclair/typebox'
import secureJson from 'secure-json-parse'
import {
  bluumEventCatalog,
  bluumEventNames,
  EnvelopeSchema,
  isBluumEventName,
  type AnyBluumEvent,
  type BluumEventName,
} from './catalog.js'
import { InvalidEnvelopeError, InvalidJsonError } from './errors.js'

const envelopeCheck = TypeCompiler.Compile(EnvelopeSchema)
const dataChecks = new Map<BluumEventName, TypeCheck<TSchema>>(
  bluumEventNames.map((name) => [name, TypeCompiler.Compile(bluumEventCatalog[name].data)]),
)

type ParsedEnvelope =
  | { readonly ok: true; readonly event: AnyBluumEvent; readonly known: boolean }
  | { readonly ok: false; readonly error: InstanceType<typeof InvalidJsonError> }

function firstError(check: TypeCheck<TSchema>, value: unknown, where: string): string {
  const error = check.Errors(value).First()
  return error ? `${where}${error.path || '/'} ${error.message}` : `${where} is invalid`
}

/**
 * `JSON.parse`, refusing `__proto__` keys and `constructor` keys holding a `prototype` key, as
 * secure-json-parse does. That library scans every text with two regular expressions; here a
 * text takes its path only when it could hold such a key: one of those keys needs `proto`
 * spelled literally (in `__proto__` or in `prototype`) or a `\u` escape. Two native substring
 * scans, measured at a third of the three (`__proto__`, `constructor`, `\u`) they replace; almost
 * every delivery then goes straight to `JSON.parse`. A byte-order mark takes the library's path
 * too, which strips it.
 */
function parseJson(text: string): unknown {
  if (text.includes('proto') || text.includes('\\u') || text.charCodeAt(0) === 0xfeff) {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  }
  return JSON.parse(text)
}

/** Parses and validates an envelope; unknown event names are valid (Bluum adds events). */
export function parseEnvelope(rawBody: Buffer): ParsedEnvelope {
  let value: unknown
  try {
    value = parseJson(rawBody.toString('utf8'))
  } catch (err) {
    return { ok: false, error: new InvalidJsonError((err as Error).message) }
  }
  if (!envelopeCheck.Check(value)) {
    return { ok: false, error: new InvalidEnvelopeError(firstError(envelopeCheck, value, '')) }
  }
  const name = value.event
  if (!isBluumEventName(name)) return { ok: true, event: value as AnyBluumEvent, known: false }
  const dataCheck = dataChecks.get(name)!
  if (!dataCheck.Check(value.data)) {
    const detail = firstError(dataCheck, value.data, `data of ${name} at `)
    return { ok: false, error: new InvalidEnvelopeError(detail) }
  }
  return { ok: true, event: value as AnyBluumEvent, known: true }
}

/**
 * The dedupe key: the sender's stable delivery id, else the envelope id, else a hash of the
 * bytes. Never `data.id`: that names the resource, and would drop `order.filled` as a repeat of
 * `order.accepted` for the same order.
 */
export function dedupeKey(
  webhookId: string | undefined,
  event: AnyBluumEvent,
  rawBody: Buffer,
): string {
  if (webhookId) return webhookId
  if (event.id) return event.id
  return 'sha256:' + createHash('sha256').update(rawBody).digest('hex')
}
