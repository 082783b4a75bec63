/**
 * The inbox contract: where a verified delivery goes instead of the dedupe store when the app
 * wants its handlers' effects to commit with the "processed" mark (Postgres inbox).
 *
 * The plugin keeps verification, parsing and the HTTP answer; the inbox decides everything after
 * (dedupe, running or queueing the handlers) and answers through answers.ts. Pure of Fastify.
 */
import type { AnyBluumEvent } from './catalog.js'
import type { DeliveryAnswer, DeliveryLogger, EventDispatcher } from './types.js'

/** One verified, parsed delivery handed to an inbox. */
export interface InboxDelivery {
  /** The dedupe key: `webhook-id`, else envelope `id`, else a body hash. */
  readonly deliveryId: string
  readonly event: AnyBluumEvent
  /** False when the event name is not in the catalog (routed to `onAny` handlers only). */
  readonly known: boolean
  readonly log: DeliveryLogger
}

/** What the plugin calls on an inbox, in this order: `attach`, `start`, `accept`..., `close`. */
export interface BluumInbox {
  /**
   * When the handlers run: inside the delivery's request, before the answer (`transactional`),
   * or after it, by workers (`queue`). The plugin labels its telemetry with it
   * (`BluumDeliveryMessage.mode`).
   */
  readonly mode: 'transactional' | 'queue'
  /** At `register`: receives the router and the app's logger; runs the migration if enabled. */
  attach(router: EventDispatcher, log: DeliveryLogger): Promise<void>
  /** At `ready`, once every handler is registered: checks handler ids, starts workers. */
  start(): Promise<void>
  /**
   * Dedupes and runs or queues one delivery; never rejects. A stored delivery whose handlers
   * run later answers with the `queued` outcome, one whose handlers ran with `processed`.
   */
  accept(delivery: InboxDelivery): Promise<DeliveryAnswer>
  /** At `close`: stops taking work and waits for the running work. */
  close(): Promise<void>
}
