/** The whole emulated API: every route, in matching order, and its dispatcher. */
import { createApiDispatcher, type SandboxApi } from '../dispatcher.js'
import type { RouteDefinition } from '../route.js'
import { documentRoutes } from './documents.js'
import { investorRoutes } from './investors.js'
import { orderRoutes } from './orders.js'
import { sandboxRoutes } from './sandbox.js'
import { transferRoutes } from './transfers.js'
import { webhookRoutes } from './webhooks.js'
import type { Sandbox } from '../../sandbox.js'

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
