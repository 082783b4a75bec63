/**
 * `fastify-bluum-webhooks/sandbox`: a local Bluum sandbox with one core and two faces.
 *
 * - `createSandbox()` holds the state, the clock and the engines (no HTTP, no msw).
 * - `createBluumHandlers(sandbox)` mounts the API in-process under msw.
 * - `createSandboxServer(sandbox)` mounts it on a Fastify server (`bluum-sandbox` CLI).
 */
export {
  createSandbox,
  resolveSandboxOptions,
  sandboxDefaults,
  DEFAULT_SANDBOX_API_KEY,
  DEFAULT_SANDBOX_API_SECRET,
} from './sandbox.js'
export type { Sandbox, SandboxOptions, ResolvedSandboxOptions, InvestorKey } from './sandbox.js'
export { createClock, createVirtualClock, createRealClock } from './clock.js'
export type { Clock, ClockOptions, TimerHandle } from './clock.js'
export { parseDuration } from './duration.js'
export type { Duration } from './duration.js'
export { createBluumHandlers, BLUUM_SANDBOX_BASE_URL } from './msw-handlers.js'
export type { BluumHandlersOptions } from './msw-handlers.js'
export { createSandboxServer } from './server.js'
export type { SandboxServerOptions } from './server.js'
export { createApi, createRoutes } from './routes.js'
export { defineRoute, errorResponse } from './api.js'
export type {
  ApiRequest,
  ApiResponse,
  RawApiRequest,
  RouteDefinition,
  SandboxApi,
  AuthContext,
} from './api.js'
export { createOpenApiDocument } from './openapi.js'
export { bluumRetryScheduleMs, defaultDeliveryOptions } from './delivery-engine.js'
export type { DeliveryEngine, DeliveryEngineOptions, AttemptListener } from './delivery-engine.js'
export { createHttpTransport } from './transport-http.js'
export { createInjectTransport } from './transport-inject.js'
export type { InjectTarget } from './transport-inject.js'
export type { DeliveryTransport, DeliveryRequest, DeliveryResponse } from './transport.js'
export { signEntry, signatureHeader, generateWebhookSecret } from './signer.js'
export { matchesSubscription } from './event-bus.js'
export type { SandboxEvent, EventBus, EventListener } from './event-bus.js'
export type {
  SandboxState,
  Investor,
  Order,
  Transfer,
  BluumDocument,
  Webhook,
  WebhookFaults,
  Delivery,
  DeliveryAttempt,
} from './state.js'
export * as sandboxErrors from './errors.js'
