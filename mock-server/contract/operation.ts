/**
 * The vocabulary of the contract: one operation of Bluum's API as its documentation states it
 * (method, path, parameters, body, answer, the pages it was read from), or one of the sandbox's own
 * inventions, marked as such. Pure data: the dispatcher validates with it, the route table
 * implements it, the OpenAPI document, `docs/sandbox-fidelity.md` and the conformance suite are
 * generated from it.
 */
import type { TObject, TSchema } from '@sinclair/typebox'

/** When the pages cited by the contract were read. */
export const readOn = '2026-12-03'

/** One page of Bluum's documentation an operation is transcribed from. */
export interface SourceRef {
  /** The page, `https://docs.bluumfinance.com/...`. */
  url: string
  /** What this page says that the others do not (for pages that disagree). */
  note?: string
}

/** Where two of Bluum's pages disagree about an operation, and which one the sandbox follows. */
export interface Disagreement {
  /** What the pages disagree about. */
  topic: string
  /** Each side, with its page. */
  sources: readonly SourceRef[]
  /** What the sandbox does, and why. */
  chosen: string
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** Bluum's API generation: the current one (`/investors/...`), the older trading routes, or none. */
export type Generation = 'G3' | 'G2' | 'sandbox'

/** One operation of the contract. */
export interface OperationSpec<
  P extends string = string,
  Q extends TObject | undefined = TObject | undefined,
  B extends TObject | undefined = TObject | undefined,
> {
  operationId: string
  method: HttpMethod
  /** Below the API root, with `:param` segments: `/investors/:investor_id/orders`. */
  path: P
  summary: string
  tag: string
  generation: Generation
  /**
   * The pages it is transcribed from, the chosen one first. Empty only for the sandbox's own
   * operations (`sandboxOnly`).
   */
  sources: readonly SourceRef[]
  /** An invention of the sandbox: Bluum documents no such operation. Lives under `/sandbox/`. */
  sandboxOnly?: true
  /** `tenant`: tenant-wide keys only; `investor`: investor keys too, for their own investor. */
  access: 'tenant' | 'investor'
  /** `Idempotency-Key` handling: required (deposits, withdrawals) or honoured when sent (orders). */
  idempotency?: 'required' | 'optional'
  /** Multipart bodies (documents) are parsed into fields; files become `{ filename, size, content_type }`. */
  bodyType?: 'json' | 'multipart'
  /** The success status. */
  successStatus: number
  /**
   * Path parameters that hold a prefixed id (`inv`, `ord`...): a raw UUID there answers 400, as
   * "How the API works" says; any other unknown value is a 404.
   */
  idParams?: Record<string, string>
  query?: Q
  body?: B
  /** The success answer's shape, exact: every field documented or marked `x-sandbox-only`. */
  response?: TSchema
  /** A valid request with every optional field, for the conformance suite and the docs. */
  example?: { body?: Record<string, unknown>; query?: Record<string, string> }
  /**
   * The example request bodies of Bluum's own pages, transcribed (ids are replaced by the suite's):
   * the conformance suite sends each and expects it accepted without a warning.
   */
  bluumExamples?: readonly { source: string; body: Record<string, unknown> }[]
  /** Where Bluum's pages disagree, and the sandbox's choice. */
  disagreements?: readonly Disagreement[]
  /** What the sandbox does differently from the page, in a sentence each. */
  differences?: readonly string[]
}

/** An operation as declared: its `operationId` is the key it is declared under. */
export type OperationInput = Omit<OperationSpec, 'operationId' | 'path' | 'query' | 'body'> & {
  path: string
  query?: TObject
  body?: TObject
}

/** The declared operations, each with its `operationId` and its exact path and schema types. */
export type Operations<T extends Record<string, OperationInput>> = {
  readonly [K in keyof T & string]: OperationSpec<
    T[K]['path'],
    T[K] extends { query: infer Q extends TObject } ? Q : undefined,
    T[K] extends { body: infer B extends TObject } ? B : undefined
  > & {
    operationId: K
  }
}

/**
 * Declares operations keyed by `operationId`. Checks what a typo would break: a sandbox invention
 * outside `/sandbox/`, a documented operation without its source page, an id parameter the path
 * does not have.
 */
export function defineOperations<const T extends Record<string, OperationInput>>(
  specs: T,
): Operations<T> {
  const out: Record<string, OperationSpec> = {}
  for (const [operationId, spec] of Object.entries(specs)) {
    if (spec.sandboxOnly && !spec.path.startsWith('/sandbox/'))
      throw new TypeError(`${operationId}: a sandbox-only route must live under /sandbox/`)
    if (!spec.sandboxOnly && spec.sources.length === 0)
      throw new TypeError(`${operationId}: a documented operation needs its source page`)
    for (const name of Object.keys(spec.idParams ?? {})) {
      if (!spec.path.includes(`:${name}`))
        throw new TypeError(`${operationId}: idParams names '${name}', which the path lacks`)
    }
    out[operationId] = Object.freeze({ ...spec, operationId })
  }
  return Object.freeze(out) as unknown as Operations<T>
}
