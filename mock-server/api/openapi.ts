/**
 * The OpenAPI 3.1 document of the emulated API, generated from the contract the routes implement:
 * every operation with its source pages (`x-bluum-sources`), the inventions marked
 * `x-sandbox-only`, and the same schemas that validate requests and shape answers.
 */
import type { TSchema } from '@sinclair/typebox'
import { ErrorEnvelope } from '../contract/fields.js'
import { readOn } from '../contract/operation.js'
import type { SandboxApi } from './dispatcher.js'

export interface OpenApiOptions {
  /** The server URL listed in the document, e.g. `http://127.0.0.1:4010/v1`. */
  serverUrl: string
  /** Document version. Default `'0.1.0'`. */
  version?: string
}

/** Plain JSON Schema: TypeBox's symbol keys vanish in the JSON round trip. */
const plain = (schema: TSchema): unknown => JSON.parse(JSON.stringify(schema))

/** Builds the OpenAPI document for `api`. */
export function createOpenApiDocument(
  api: SandboxApi,
  options: OpenApiOptions,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of api.routes) {
    const spec = route.operation
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    const parameters: unknown[] = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => {
      const prefix = route.idParams?.[m[1]!]
      return {
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
        ...(prefix ? { description: `A prefixed id (${prefix}_...); a raw UUID answers 400` } : {}),
      }
    })
    const query = route.schema.query as
      { properties?: Record<string, TSchema>; required?: string[] } | undefined
    for (const [name, schema] of Object.entries(query?.properties ?? {})) {
      parameters.push({
        name,
        in: 'query',
        required: query?.required?.includes(name) ?? false,
        schema: plain(schema),
      })
    }
    if (route.idempotency) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: route.idempotency === 'required',
        schema: { type: 'string' },
        description: 'Kept 24 h; the same key with the same body answers the original answer again',
      })
    }
    const status = String(route.successStatus ?? 200)
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      ...(spec?.sandboxOnly ? { 'x-sandbox-only': true } : {}),
      ...(spec && spec.sources.length > 0
        ? { 'x-bluum-sources': spec.sources.map((s) => s.url) }
        : {}),
      ...(parameters.length ? { parameters } : {}),
      responses: {
        [status]: {
          description: 'Success',
          headers: {
            'Bluum-Sandbox-Warning': {
              description:
                'Sandbox only: the request fields Bluum does not document, which were ignored',
              schema: { type: 'string' },
            },
          },
          ...(route.schema.response
            ? { content: { 'application/json': { schema: plain(route.schema.response) } } }
            : {}),
        },
        default: {
          description: "Bluum's error envelope",
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    }
    if (route.schema.body) {
      const media = route.bodyType === 'multipart' ? 'multipart/form-data' : 'application/json'
      const schema = plain(route.schema.body) as { properties?: Record<string, unknown> }
      if (route.bodyType === 'multipart' && schema.properties?.document) {
        schema.properties.document = { type: 'string', format: 'binary' }
      }
      operation.requestBody = { required: true, content: { [media]: { schema } } }
    }
    paths[api.prefix + path] = {
      ...paths[api.prefix + path],
      [route.method.toLowerCase()]: operation,
    }
  }
  const serverUrl = options.serverUrl.replace(new RegExp(`${api.prefix}/?$`), '')
  return {
    openapi: '3.1.0',
    info: {
      title: 'Bluum sandbox (fastify-bluum-webhooks mock)',
      version: options.version ?? '0.1.0',
      description: `The Bluum API as the local sandbox emulates it, transcribed from docs.bluumfinance.com (read ${readOn}); every operation names its source pages in x-bluum-sources, and the sandbox's own controls are marked x-sandbox-only and live under /v1/sandbox.`,
    },
    servers: [{ url: serverUrl }],
    security: [{ basicAuth: [] }],
    components: {
      securitySchemes: {
        basicAuth: { type: 'http', scheme: 'basic', description: 'base64(API_KEY:API_SECRET)' },
      },
      schemas: { Error: plain(ErrorEnvelope) },
    },
    paths,
  }
}
