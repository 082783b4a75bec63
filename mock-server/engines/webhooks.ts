/** Webhook endpoints: create, update, delete, rotate secrets, inject faults. */
import type { Clock } from '../core/clock.js'
import type { DeliveryEngine } from '../delivery/engine.js'
import { resolveFaults } from '../delivery/engine.js'
import { isoSeconds } from '../core/event-bus.js'
import { InvalidFormatError, withParam } from '../core/errors.js'
import { createId } from '../core/ids.js'
import { copyJson, findOrThrow } from '../core/resource.js'
import { generateWebhookSecret } from '../delivery/signer.js'
import type { SandboxState, Webhook, WebhookFaults } from '../core/state.js'

export interface CreateWebhookInput {
  /** Optional: Bluum's current journey page registers without one. */
  name?: string | null
  url: string
  eventTypeNames: string[]
  description?: string | null
  metadata?: Record<string, unknown>
  /**
   * In-process and CLI only (the REST API always generates one): a fixed `whsec_` secret, so a
   * local app and the sandbox can share it from one environment variable.
   */
  secret?: string
  /** In-process and CLI only: survives `reset({ keepWebhooks: false })` (the `--forward-to` webhook). */
  pinned?: boolean
}

export interface UpdateWebhookInput {
  name?: string
  url?: string
  description?: string | null
  eventTypeNames?: string[]
  /** `ACTIVE`/`INACTIVE` as the reference writes them, or the resource's lower case. */
  status?: 'active' | 'inactive' | 'ACTIVE' | 'INACTIVE'
  metadata?: Record<string, unknown>
}

/** A webhook as the API shows it; `secret` only on create and rotate. */
export type WebhookResource = Omit<Webhook, 'secret' | 'previousSecrets' | 'faults' | 'pinned'> & {
  secret?: string
  previous_secret_expires_at?: string | null
}

export interface WebhookService {
  create(input: CreateWebhookInput): Webhook
  get(webhookId: string): Webhook
  list(): Webhook[]
  update(webhookId: string, patch: UpdateWebhookInput): Webhook
  delete(webhookId: string): void
  /** New secret; the old one keeps signing for `overlapMs` (sandbox time). */
  rotateSecret(webhookId: string, overlapMs?: number): Webhook
  /** Sets (merges) the faults injected into this webhook's deliveries. */
  setFaults(webhookId: string, faults: Partial<WebhookFaults>): Webhook
  /** The API shape. */
  toResource(webhook: Webhook, options?: { withSecret?: boolean }): WebhookResource
}

// Exact names, domain wildcards (`order.*`, `transfer.deposit.*`) or `*` for everything.
const subscriptionPattern = /^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$/

/** Throws 400 unless `url` is an absolute http(s) URL. */
export function checkUrl(url: string): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw withParam(
      new InvalidFormatError('url', `expected an absolute http(s) URL, got ${JSON.stringify(url)}`),
      'url',
    )
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw withParam(
      new InvalidFormatError('url', `expected an http(s) URL, got ${parsed.protocol}`),
      'url',
    )
  }
}

/** Throws 400 unless `secret` is `whsec_` + base64 of 24 to 64 bytes. */
export function checkSecret(secret: string): void {
  const bytes = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : undefined
  if (
    !bytes ||
    !/^[A-Za-z0-9+/]+={0,2}$/.test(secret.slice(6)) ||
    bytes.length < 24 ||
    bytes.length > 64
  ) {
    throw withParam(
      new InvalidFormatError(
        'secret',
        'expected "whsec_" followed by the base64 of 24 to 64 bytes',
      ),
      'secret',
    )
  }
}

function checkSubscriptions(names: string[]): void {
  if (names.length === 0) {
    throw withParam(
      new InvalidFormatError('eventTypeNames', 'expected at least one event name or wildcard'),
      'eventTypeNames',
    )
  }
  for (const name of names) {
    if (!subscriptionPattern.test(name)) {
      throw withParam(
        new InvalidFormatError(
          'eventTypeNames',
          `${JSON.stringify(name)} is neither an event name ("order.filled") nor a domain wildcard ("order.*")`,
        ),
        'eventTypeNames',
      )
    }
  }
}

export interface WebhookServiceDeps {
  state: SandboxState
  clock: Clock
  deliveries: DeliveryEngine
  /** How long a rotated-out secret keeps signing, ms. */
  rotationOverlapMs: number
}

/** Creates the webhook service. */
export function createWebhookService({
  state,
  clock,
  deliveries,
  rotationOverlapMs,
}: WebhookServiceDeps): WebhookService {
  const get = (id: string) => findOrThrow(state.webhooks, id, 'webhook', 'webhook_id')
  return {
    create(input) {
      checkUrl(input.url)
      checkSubscriptions(input.eventTypeNames)
      if (input.secret !== undefined) checkSecret(input.secret)
      const now = clock.now()
      const webhook: Webhook = {
        id: createId('wh'),
        object: 'webhook',
        name: input.name ?? null,
        url: input.url,
        description: input.description ?? null,
        event_type_names: [...input.eventTypeNames],
        status: 'active',
        created_at: isoSeconds(now),
        created: Math.floor(now / 1000),
        livemode: false,
        metadata: input.metadata ?? {},
        secret: input.secret ?? generateWebhookSecret(),
        previousSecrets: [],
        faults: resolveFaults(),
        disabled_reason: null,
        ...(input.pinned ? { pinned: true } : {}),
      }
      state.webhooks.set(webhook.id, webhook)
      return webhook
    },
    get,
    list: () => [...state.webhooks.values()].reverse(),
    update(id, patch) {
      const webhook = get(id)
      if (patch.url !== undefined) checkUrl(patch.url)
      if (patch.eventTypeNames !== undefined) checkSubscriptions(patch.eventTypeNames)
      if (patch.name !== undefined) webhook.name = patch.name
      if (patch.url !== undefined) webhook.url = patch.url
      if (patch.description !== undefined) webhook.description = patch.description
      if (patch.eventTypeNames !== undefined) webhook.event_type_names = [...patch.eventTypeNames]
      if (patch.metadata !== undefined) webhook.metadata = patch.metadata
      if (patch.status !== undefined) {
        const status = patch.status.toLowerCase() as Webhook['status']
        webhook.status = status
        if (status === 'active') webhook.disabled_reason = null
      }
      return webhook
    },
    delete(id) {
      get(id)
      state.webhooks.delete(id)
      deliveries.cancelForWebhook(id, 'webhook_deleted')
    },
    rotateSecret(id, overlapMs = rotationOverlapMs) {
      const webhook = get(id)
      // Standard Webhooks' rotation: both secrets sign during the overlap, so receivers can
      // switch to the new one at their own pace without rejecting a single delivery.
      if (overlapMs > 0)
        webhook.previousSecrets.unshift({
          secret: webhook.secret,
          expiresAtMs: clock.now() + overlapMs,
        })
      webhook.secret = generateWebhookSecret()
      return webhook
    },
    setFaults(id, faults) {
      const webhook = get(id)
      webhook.faults = resolveFaults({ ...webhook.faults, ...faults })
      return webhook
    },
    toResource(webhook, options = {}) {
      const { secret, previousSecrets, faults: _faults, pinned: _pinned, ...rest } = webhook
      const live = previousSecrets.filter((s) => s.expiresAtMs > clock.now())
      const expiry = live.length > 0 ? Math.max(...live.map((s) => s.expiresAtMs)) : undefined
      return {
        ...copyJson(rest),
        ...(options.withSecret ? { secret } : {}),
        previous_secret_expires_at: expiry === undefined ? null : new Date(expiry).toISOString(),
      }
    },
  }
}
