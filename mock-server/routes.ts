/** The whole emulated API: every route, in matching order, and its dispatcher. */
import { createApiDispatcher, type RouteDefinition, type SandboxApi } from './api.js'
import { documentRoutes } from './routes-documents.js'
import { investorRoutes } from './routes-investors.js'
import { orderRoutes } from './routes-orders.js'
import { sandboxRoutes } from './routes-sandbox.js'
import { transferRoutes } from './routes-transfers.js'
import { webhookRoutes } from './routes-webhooks.js'
import type { Sandbox } from './sandbox.js'

/** Every route of the emulated API, bound to `sandbox`. */
export function createRoutes(sandbox: Sandbox): RouteDefinition[] {
  return [
    ...webhookRoutes(sandbox),
    ...investorRoutes(sandbox),
    ...orderRoutes(sandbox),
    ...transferRoutes(sandbox),
    ...documentRoutes(sandbox),
    ...sandboxRoutes(sandbox),
  ]
}

/** The dispatcher both faces mount. @example const api = createApi(sandbox); await api.handle(req) */
export function createApi(sandbox: Sandbox, prefix = '/v1'): SandboxApi {
  return createApiDispatcher(sandbox, createRoutes(sandbox), prefix)
}
