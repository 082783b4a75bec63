/**
 * The vocabulary the routes are written in: requests, answers, route definitions and the small
 * answer helpers. A route implements one operation of the contract (`implement`), which gives it
 * its method, path, schemas and access rules. Pure data and types; the machine that runs routes is
 * `dispatcher.ts`.
 */
import type { Static, TObject, TSchema } from '@sinclair/typebox'
import { OtherInvestorError, withParam } from '../core/errors.js'
import { pageSize } from '../contract/fields.js'
import type { OperationSpec } from '../contract/operation.js'

/** Who is calling. */
export type AuthContext =
  | { kind: 'tenant'; apiKey: string }
  | { kind: 'investor'; apiKey: string; investorId: string | undefined }

/** A request as a face received it, before any parsing. */
export interface RawApiRequest {
  method: string
  /** Path below the API root, e.g. `/webhooks/wh_123` (no `/v1`). */
  path: string
  query: Record<string, string | string[] | undefined>
  /** Header names in lower case. */
  headers: Record<string, string | string[] | undefined>
  /** The raw body bytes (or text), exactly as received. */
  body?: Uint8Array | string | undefined
}

/** What a handler or the dispatcher answers. */
export interface ApiResponse {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

/** `:name` segments of a path, as an object type. */
export type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? { [K in Name]: string } & PathParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? { [K in Name]: string }
    : Record<never, string>

type StaticOr<T, D> = [T] extends [TSchema] ? Static<T> : D

export interface RouteSchemas {
  query?: TSchema
  body?: TSchema
  /** The success answer, for the OpenAPI document. */
  response?: TSchema
}

/** The parsed, validated request a handler receives. */
export interface ApiRequest<P extends string = string, S extends RouteSchemas = RouteSchemas> {
  method: string
  /** The full path as the client sent it, with the API prefix (`/v1/...`). */
  url: string
  params: PathParams<P>
  query: StaticOr<S['query'], Record<string, unknown>>
  headers: Record<string, string>
  body: StaticOr<S['body'], undefined>
  auth: AuthContext
}

export interface RouteDefinition<P extends string = string, S extends RouteSchemas = RouteSchemas> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** Below the API root, with `:param` segments: `/webhooks/:webhook_id`. */
  path: P
  operationId: string
  summary: string
  tag: string
  /** `tenant`: tenant-wide keys only; `investor`: investor keys too, for their own investor. */
  access: 'tenant' | 'investor'
  /** `Idempotency-Key` handling: required (deposits, withdrawals) or honoured when sent (orders). */
  idempotency?: 'required' | 'optional'
  /** Multipart bodies (documents) are parsed into fields; files become `{ filename, size, content_type }`. */
  bodyType?: 'json' | 'multipart'
  /** Success status, for the OpenAPI document. Default 200. */
  successStatus?: number
  /** The contract operation the route implements (absent only on routes defined by hand). */
  operation?: OperationSpec
  /** Path parameters holding a prefixed id: a raw UUID there answers 400. */
  idParams?: Record<string, string>
  schema: S
  handler(request: ApiRequest<P, S>): ApiResponse | Promise<ApiResponse>
}

/** Declares a route with its handler typed from its path and schemas. */
export function defineRoute<const P extends string, S extends RouteSchemas>(
  route: RouteDefinition<P, S>,
): RouteDefinition {
  return route as unknown as RouteDefinition
}

/** `T` without `undefined`, or `undefined` when nothing else is left (an operation without it). */
type Present<T> = [Exclude<T, undefined>] extends [never] ? undefined : Exclude<T, undefined>

type SchemasOf<O extends OperationSpec> = {
  query: Present<O['query']>
  body: Present<O['body']>
  response: Present<O['response']>
}

/**
 * The route of one contract operation: method, path, schemas, access, idempotency and status come
 * from the operation, the handler is the sandbox's.
 * @example implement(orderOperations.cancelOrder, (req) => json(200, orders.cancel(...)))
 */
export function implement<
  O extends OperationSpec<string, TObject | undefined, TObject | undefined>,
>(
  operation: O,
  handler: (request: ApiRequest<O['path'], SchemasOf<O>>) => ApiResponse | Promise<ApiResponse>,
): RouteDefinition {
  const route: RouteDefinition<O['path'], SchemasOf<O>> = {
    method: operation.method,
    path: operation.path,
    operationId: operation.operationId,
    summary: operation.summary,
    tag: operation.tag,
    access: operation.access,
    successStatus: operation.successStatus,
    operation,
    schema: {
      query: operation.query,
      body: operation.body,
      response: operation.response,
    } as SchemasOf<O>,
    handler,
    ...(operation.idempotency ? { idempotency: operation.idempotency } : {}),
    ...(operation.bodyType ? { bodyType: operation.bodyType } : {}),
    ...(operation.idParams ? { idParams: operation.idParams } : {}),
  }
  return route as unknown as RouteDefinition
}

/** Helper for handlers: a JSON answer. */
export function json(status: number, body: unknown): ApiResponse {
  return { status, headers: { 'content-type': 'application/json' }, body }
}

/** Helper for list handlers: Bluum's list envelope with `limit`/`offset` paging. */
export function list<T>(
  url: string,
  items: readonly T[],
  query: { limit?: number; offset?: number },
): ApiResponse {
  const limit = query.limit ?? pageSize.default
  const offset = query.offset ?? 0
  return json(200, {
    object: 'list',
    url,
    has_more: offset + limit < items.length,
    data: items.slice(offset, offset + limit),
  })
}

/** Investor-scoped keys may only act for their own investor (for routes with no `:investor_id`). */
export function assertInvestorAccess(auth: AuthContext, investorId: string): void {
  if (auth.kind === 'investor' && auth.investorId !== investorId) {
    throw withParam(new OtherInvestorError(investorId), 'investor_id')
  }
}
