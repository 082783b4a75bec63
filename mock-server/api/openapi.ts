/** The OpenAPI 3.1 document of the emulated API, generated from the route declarations. */
import type { TSchema } from '@sinclair/typebox'
import type { SandboxApi } from './dispatcher.js'
import { ErrorEnvelope } from './schemas.js'

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
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    const parameters: unknown[] = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }))
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
      ...(parameters.length ? { parameters } : {}),
      responses: {
        [status]: {
          description: 'Success',
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
      description:
        'The subset of the Bluum API emulated by the local sandbox, with sandbox-only controls under /v1/sandbox.',
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
