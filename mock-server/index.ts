/**
 * `fastify-bluum-webhooks/sandbox`: a local Bluum sandbox with one core and two faces.
 *
 * - `createSandbox()` holds the state, the clock and the engines (no HTTP, no msw).
 * - `createBluumHandlers(sandbox)` mounts the API in-process under msw; it lives in
 *   `fastify-bluum-webhooks/sandbox/msw`, so that this entry point loads without msw installed.
 * - `createSandboxServer(sandbox)` mounts it on a Fastify server (`bluum-sandbox` CLI).
 */
export {
  createSandbox,
  resolveSandboxOptions,
  sandboxDefaults,
  DEFAULT_SANDBOX_API_KEY,
  DEFAULT_SANDBOX_API_SECRET,
  BLUUM_SANDBOX_BASE_URL,
} from './sandbox.js'
export type {
  Sandbox,
  SandboxOptions,
  ResolvedSandboxOptions,
  InvestorKey,
  ResetOptions,
} from './sandbox.js'
export { createClock, createVirtualClock, createRealClock } from './core/clock.js'
export type { Clock, ClockOptions, TimerHandle } from './core/clock.js'
export { parseDuration } from './core/duration.js'
export type { Duration } from './core/duration.js'
export { createSandboxServer } from './server.js'
export type { SandboxServerOptions } from './server.js'
export { createApi, createRoutes } from './api/routes/index.js'
export { defineRoute } from './api/route.js'
export { errorResponse } from './api/error-response.js'
export type {
  ApiRequest,
  ApiResponse,
  RawApiRequest,
  RouteDefinition,
  AuthContext,
} from './api/route.js'
export type { SandboxApi, ApiDispatcherOptions } from './api/dispatcher.js'
export type { TriggerOptions } from './engines/triggers.js'
export { createOpenApiDocument } from './api/openapi.js'
export { bluumRetryScheduleMs, defaultDeliveryOptions } from './delivery/engine.js'
export type {
  DeliveryEngine,
  DeliveryEngineOptions,
  DeliveryFilter,
  AttemptListener,
} from './delivery/engine.js'
export { deliveryPhase, deliveryPhases } from './delivery/phase.js'
export type { DeliveryPhase } from './delivery/phase.js'
export { attemptActivity, openSandboxStream, sseFrame } from './api/stream.js'
export type { AttemptActivity, SandboxStreamOptions } from './api/stream.js'
export { createHttpTransport } from './delivery/transport-http.js'
export { createInjectTransport } from './delivery/transport-inject.js'
export type { InjectTarget, InjectTransportOptions } from './delivery/transport-inject.js'
export type { DeliveryTransport, DeliveryRequest, DeliveryResponse } from './delivery/transport.js'
export { signEntry, signatureHeader, generateWebhookSecret } from './delivery/signer.js'
export { matchesSubscription } from './core/event-bus.js'
export { sampleFundingSourceRequest, sampleInvestorRequest } from './core/sample-requests.js'
export type { SandboxEvent, EventBus, EventListener } from './core/event-bus.js'
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
  AttemptRequest,
  AttemptResponse,
  AttemptConnectionError,
} from './core/state.js'
export { maxRecordedBodyBytes } from './core/state.js'
export * as sandboxErrors from './core/errors.js'
