/**
 * `fastify-bluum-webhooks/sandbox/msw`, the in-process face: the route table as msw handlers, so
 * app code calling the sandbox base URL with `fetch` reaches the sandbox inside the test process.
 * The sandbox's own deliveries go out through `node:http` (or `inject`), so this msw server never
 * intercepts them.
 *
 * msw is an optional peer, so this face has its own entry point: `./sandbox` loads without msw,
 * and importing this one without msw fails with `BLUUM_MISSING_PEER_DEPENDENCY` and the install
 * command (the reason for the awaited import below instead of a static one).
 */
import type { HttpHandler } from 'msw'
import { importOptionalPeer } from '../plugin/optional-peer.js'
import type { ApiResponse, RawApiRequest } from './api/route.js'
import { createOpenApiDocument } from './api/openapi.js'
import { createApi } from './api/routes/index.js'
// Evaluated before any msw server can listen: the real `http.request` is captured for deliveries.
import './delivery/transport-http.js'
import { BLUUM_SANDBOX_BASE_URL, type Sandbox } from './sandbox.js'

const { http, HttpResponse } = await importOptionalPeer(() => import('msw'), {
  name: 'msw',
  feature: 'The msw face of the sandbox (fastify-bluum-webhooks/sandbox/msw)',
  install: 'npm install --save-dev msw',
})

export { BLUUM_SANDBOX_BASE_URL }

// msw's types enter through this entry point only: the harness's `handlers` get their type here,
// so `fastify-bluum-webhooks/testing` compiles in a project without msw.
declare module './testing/contract-harness.js' {
  interface ContractHarnessTypes {
    handler: HttpHandler
  }
}

export interface BluumHandlersOptions {
  /** Where the app under test sends its requests. Default `https://sandbox.api.bluumfinance.com/v1`. */
  baseUrl?: string
  /** Largest request body, bytes; larger ones answer 400 `BLUM-400-008`. Default 10485760 (10 MiB). */
  bodyLimitBytes?: number
}

/** Whether every segment of a path is valid percent-encoding. */
function decodable(pathname: string): boolean {
  try {
    for (const segment of pathname.split('/')) decodeURIComponent(segment)
    return true
  } catch {
    return false
  }
}

function toResponse(response: ApiResponse): Response {
  const body = response.body === undefined ? null : JSON.stringify(response.body)
  return new HttpResponse(body, { status: response.status, headers: response.headers ?? {} })
}

/**
 * msw handlers for every route of the emulated API, plus a catch-all 404 under the base URL.
 * @example const server = setupServer(...createBluumHandlers(sandbox)); server.listen()
 */
export function createBluumHandlers(
  sandbox: Sandbox,
  options: BluumHandlersOptions = {},
): HttpHandler[] {
  const baseUrl = (options.baseUrl ?? BLUUM_SANDBOX_BASE_URL).replace(/\/$/, '')
  const prefix = new URL(baseUrl).pathname.replace(/\/$/, '')
  const api = createApi(sandbox, prefix, {
    ...(options.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: options.bodyLimitBytes }),
  })

  async function toRaw(request: Request): Promise<RawApiRequest> {
    const url = new URL(request.url)
    const query: Record<string, string[]> = {}
    for (const [key, value] of url.searchParams) (query[key] ??= []).push(value)
    const headers: Record<string, string> = {}
    request.headers.forEach((value, key) => (headers[key] = value))
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD'
    return {
      method: request.method,
      path: url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname,
      query,
      headers,
      body: hasBody ? new Uint8Array(await request.arrayBuffer()) : undefined,
    }
  }

  const methods = {
    GET: http.get,
    POST: http.post,
    PUT: http.put,
    PATCH: http.patch,
    DELETE: http.delete,
  } as const
  // msw decodes path parameters while it looks for a handler, and a path it cannot decode (`%ZZ`)
  // makes that lookup throw, which msw answers with a 500 of its own. This first handler matches
  // by a pattern without groups (so msw decodes nothing) and lets the core answer such a path with
  // its 400; every other request falls through to the handlers below.
  const escapedBase = baseUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const handlers: HttpHandler[] = [
    http.all(new RegExp(`^${escapedBase}/`), async ({ request }) => {
      if (decodable(new URL(request.url).pathname)) return undefined
      return toResponse(await api.handle(await toRaw(request)))
    }),
  ]
  for (const route of api.routes) {
    handlers.push(
      methods[route.method](baseUrl + route.path, async ({ request, params }) => {
        // msw has already decoded the parameters: decoding again would turn `%2525` into `%`.
        const flat: Record<string, string> = {}
        for (const [name, value] of Object.entries(params)) {
          if (typeof value === 'string') flat[name] = value
        }
        return toResponse(await api.dispatch(route, flat, await toRaw(request)))
      }),
    )
  }
  handlers.push(
    http.get(`${baseUrl}/openapi.json`, () =>
      toResponse({ status: 200, body: createOpenApiDocument(api, { serverUrl: baseUrl }) }),
    ),
    // A wrong method or an unknown path: the core's matcher answers it (404 BLUM-404-002, with
    // the methods the path does answer), exactly as the Fastify face does.
    http.all(`${baseUrl}/*`, async ({ request }) =>
      toResponse(await api.handle(await toRaw(request))),
    ),
  )
  return handlers
}
