/**
 * The sandbox's live feed as server-sent events (`GET /v1/sandbox/stream`): one `event` frame per
 * emitted event, one `attempt` frame per delivery attempt once the engine has decided what follows
 * (next retry time, or parked), and a `: keepalive` comment so proxies and clients keep an idle
 * stream open. Pure: it writes text through a callback and knows neither Fastify nor sockets; the
 * standalone server (`server.ts`) owns the HTTP side.
 *
 * Frames follow the WHATWG event-stream format
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html): `event: <name>`, one
 * `data: <json>` line (JSON never holds a raw newline), a blank line.
 */
import type { SandboxEvent } from '../core/event-bus.js'
import type { Delivery, DeliveryAttempt } from '../core/state.js'
import { deliveryPhase, type DeliveryPhase } from '../delivery/phase.js'
import type { Sandbox } from '../sandbox.js'

/** The data of an `attempt` frame. */
export interface AttemptActivity {
  delivery_id: string
  webhook_id: string
  /** The event name, e.g. `order.filled`. */
  event: string
  /** `evt_...`, the `webhook-id` the receiver dedupes on. */
  event_id: string
  /** The attempt record, as `GET .../deliveries/{id}` shows it. */
  attempt: DeliveryAttempt
  /** The delivery's phase after this attempt: failing (a retry is due), delivered, parked... */
  phase: DeliveryPhase
  /** When the next retry runs (sandbox time, ISO), or null. */
  next_attempt_at: string | null
  /** True when this attempt parked the delivery (ladder exhausted, 410, inactive endpoint). */
  parked: boolean
  /** Why it was parked or cancelled, else null. */
  failure_reason: string | null
}

/** The `attempt` frame's data for `attempt` of `delivery`, read right after the engine decided. */
export function attemptActivity(delivery: Delivery, attempt: DeliveryAttempt): AttemptActivity {
  const phase = deliveryPhase(delivery)
  return {
    delivery_id: delivery.id,
    webhook_id: delivery.webhook_id,
    event: delivery.event,
    event_id: delivery.event_id,
    attempt: structuredClone(attempt),
    phase,
    next_attempt_at: delivery.next_attempt_at,
    parked: phase === 'parked',
    failure_reason: delivery.failure_reason,
  }
}

/** One server-sent event frame. */
export function sseFrame(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`
}

export interface SandboxStreamOptions {
  /** Wall ms between `: keepalive` comments. Default 15000. */
  keepaliveMs?: number
  /** Only attempts of this webhook (events are all sent). Default every webhook. */
  webhookId?: string
}

export const streamDefaults = Object.freeze({ keepaliveMs: 15_000 })

/**
 * Subscribes `write` to `sandbox`'s events and attempts; returns the function that stops it.
 * The first frame is a `retry` hint and a comment, so a client sees the stream open at once.
 * @example const stop = openSandboxStream(sandbox, (text) => res.write(text))
 */
export function openSandboxStream(
  sandbox: Sandbox,
  write: (text: string) => void,
  options: SandboxStreamOptions = {},
): () => void {
  const keepaliveMs = options.keepaliveMs ?? streamDefaults.keepaliveMs
  write(`retry: 3000\n: bluum-sandbox stream\n\n`)
  const offEvent = sandbox.onEvent((event: SandboxEvent) => write(sseFrame('event', event)))
  const offAttempt = sandbox.deliveries.onAttempt((delivery, attempt) => {
    if (options.webhookId !== undefined && delivery.webhook_id !== options.webhookId) return
    write(sseFrame('attempt', attemptActivity(delivery, attempt)))
  })
  // Wall time, not sandbox time: it keeps a TCP stream alive, whatever the sandbox clock does.
  const keepalive = setInterval(() => write(': keepalive\n\n'), keepaliveMs)
  keepalive.unref()
  let stopped = false
  return () => {
    if (stopped) return
    stopped = true
    clearInterval(keepalive)
    offEvent()
    offAttempt()
  }
}
