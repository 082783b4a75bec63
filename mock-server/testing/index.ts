/**
 * `fastify-bluum-webhooks/testing`: helpers for your own tests.
 *
 * - `createContractHarness({ app })`: your app against a sandbox, both ways, on a virtual clock.
 * - `buildEvent(name, overrides)` and `signBluumWebhook({ event, secret })` for plain `inject`.
 * - `sampleInvestorRequest()` and `sampleFundingSourceRequest()`: bodies Bluum itself accepts.
 */
export { createContractHarness } from './contract-harness.js'
export type {
  ContractEnvironment,
  ContractHarness,
  ContractHarnessOptions,
  HarnessAttempt,
} from './contract-harness.js'
export { buildEvent, type BuildEventOptions } from './build-event.js'
export {
  signBluumWebhook,
  type SignBluumWebhookInput,
  type SignedBluumWebhook,
} from './sign-webhook.js'
export { sampleFundingSourceRequest, sampleInvestorRequest } from '../core/sample-requests.js'
