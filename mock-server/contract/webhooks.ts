/** Webhook management: tenant-wide keys only ("Webhooks" concepts and journey pages). */
import { Type } from '@sinclair/typebox'
import { ListOf, ListQuery, Literals, Metadata, Nullable, docs, sandboxOnly } from './fields.js'
import { defineOperations } from './operation.js'

const tag = 'Webhooks'

const subscriptionNames = Type.Array(Type.String({ minLength: 1 }), {
  minItems: 1,
  description: 'Event names or domain wildcards such as "order.*"',
})

/**
 * The registration: `url` and `eventTypeNames` (the current journey page); the older reference
 * also requires a `name`, which the sandbox accepts but does not require.
 */
export const CreateWebhookBody = Type.Object(
  {
    url: Type.String({ minLength: 1, format: 'uri', description: 'an http(s) URL' }),
    eventTypeNames: subscriptionNames,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
)

/** Status `ACTIVE`/`INACTIVE` as the reference writes it; the resource's `active`/`inactive` too. */
export const webhookStatusInputs = ['ACTIVE', 'INACTIVE', 'active', 'inactive'] as const

export const UpdateWebhookBody = Type.Object(
  {
    eventTypeNames: Type.Optional(subscriptionNames),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    url: Type.Optional(Type.String({ minLength: 1, format: 'uri', description: 'an http(s) URL' })),
    description: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
    status: Type.Optional(Literals(webhookStatusInputs)),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
)

export const WebhookSchema = Type.Object(
  {
    id: Type.String({ description: 'wh_...' }),
    object: Type.Literal('webhook'),
    url: Type.String(),
    event_type_names: Type.Array(Type.String()),
    status: Literals(['active', 'inactive'] as const),
    created_at: Type.String(),
    name: Nullable(Type.String({ description: 'The older reference names webhooks' })),
    description: Nullable(Type.String()),
    secret: Type.Optional(
      Type.String({
        description:
          'whsec_...: only on create (as the older reference returns it) and on the sandbox rotate-secret',
      }),
    ),
    created: Type.Integer(),
    livemode: Type.Boolean(),
    metadata: Metadata,
    previous_secret_expires_at: sandboxOnly(
      Nullable(Type.String()),
      'When the secret replaced by the last rotation stops signing',
    ),
    disabled_reason: sandboxOnly(
      Nullable(Type.String()),
      'Why the sandbox disabled it (a 410 Gone answer)',
    ),
  },
  { additionalProperties: false, 'x-source': docs('/get-started/journey/webhooks') },
)

export const EventTypeSchema = Type.Object(
  {
    object: Type.Literal('event_type'),
    name: Type.String(),
    description: Type.String(),
    sandbox_only: sandboxOnly(
      Type.Boolean(),
      "true: not in Bluum's published catalog; emitted by this sandbox only",
    ),
  },
  { additionalProperties: false },
)

const webhookId = { webhook_id: 'wh' }
const shapeNotDocumented =
  'Bluum documents the route but not its current-generation answer; the sandbox answers with the list envelope of "How the API works"'

export const webhookOperations = defineOperations({
  listWebhookEventTypes: {
    method: 'GET',
    path: '/webhooks/event-types',
    summary: 'The event catalog a webhook can subscribe to',
    tag,
    generation: 'G3',
    sources: [{ url: docs('/get-started/journey/webhooks') }, { url: docs('/platform/webhooks') }],
    access: 'tenant',
    successStatus: 200,
    response: ListOf(EventTypeSchema),
    differences: [shapeNotDocumented],
  },
  createWebhook: {
    method: 'POST',
    path: '/webhooks',
    summary: 'Register a webhook (its whsec_ signing secret is returned once)',
    tag,
    generation: 'G3',
    sources: [
      { url: docs('/get-started/journey/webhooks') },
      {
        url: docs('/api-reference/webhooks/create-a-new-webhook'),
        note: 'requires name; returns secret',
      },
    ],
    access: 'tenant',
    successStatus: 201,
    body: CreateWebhookBody,
    response: WebhookSchema,
    example: {
      body: {
        url: 'https://example.com/webhooks/bluum',
        eventTypeNames: ['order.*', 'transfer.*'],
        name: 'Production webhook',
        description: 'Orders and transfers',
        metadata: { team: 'payments' },
      },
    },
    disagreements: [
      {
        topic: 'whether a webhook needs a name',
        sources: [
          { url: docs('/api-reference/webhooks/create-a-new-webhook'), note: 'name required' },
          {
            url: docs('/get-started/journey/webhooks'),
            note: 'registers with url and eventTypeNames only',
          },
        ],
        chosen:
          'name is optional (null when omitted): the current journey page registers without one',
      },
    ],
    bluumExamples: [
      {
        source: docs('/get-started/journey/webhooks'),
        body: {
          url: 'https://your-app.com/webhooks/bluum',
          eventTypeNames: [
            'order.filled',
            'transfer.deposit.completed',
            'kyc.verification.approved',
          ],
        },
      },
      {
        source: docs('/concepts/webhooks'),
        body: {
          name: 'Production webhook',
          url: 'https://your-app.com/webhooks/bluum',
          eventTypeNames: ['order.*', 'transfer.*'],
        },
      },
    ],
  },
  listWebhooks: {
    method: 'GET',
    path: '/webhooks',
    summary: 'List webhooks',
    tag,
    generation: 'G3',
    sources: [{ url: docs('/concepts/webhooks') }],
    access: 'tenant',
    successStatus: 200,
    query: ListQuery,
    response: ListOf(WebhookSchema),
    differences: [shapeNotDocumented],
  },
  updateWebhook: {
    method: 'PATCH',
    path: '/webhooks/:webhook_id',
    summary: 'Update a webhook (status ACTIVE or INACTIVE)',
    tag,
    generation: 'G3',
    sources: [
      { url: docs('/api-reference/webhooks/update-a-webhook') },
      { url: docs('/get-started/journey/webhooks') },
    ],
    access: 'tenant',
    successStatus: 200,
    idParams: webhookId,
    body: UpdateWebhookBody,
    response: WebhookSchema,
    example: {
      body: {
        eventTypeNames: ['order.filled'],
        name: 'Orders',
        url: 'https://example.com/webhooks/orders',
        description: null,
        status: 'INACTIVE',
        metadata: { team: 'trading' },
      },
    },
    disagreements: [
      {
        topic: 'the casing of the webhook status',
        sources: [
          { url: docs('/api-reference/webhooks/update-a-webhook'), note: 'ACTIVE, INACTIVE' },
          { url: docs('/get-started/journey/webhooks'), note: 'the resource shows active' },
        ],
        chosen: 'both casings are accepted; the resource shows lower case',
      },
    ],
    bluumExamples: [
      {
        source: docs('/api-reference/webhooks/update-a-webhook'),
        body: {
          eventTypeNames: ['order.filled'],
          name: 'Orders',
          url: 'https://your-app.com/webhooks/orders',
          description: 'Order events',
          status: 'ACTIVE',
        },
      },
    ],
  },
  deleteWebhook: {
    method: 'DELETE',
    path: '/webhooks/:webhook_id',
    summary: 'Delete a webhook (its pending deliveries are cancelled)',
    tag,
    generation: 'G3',
    sources: [{ url: docs('/platform/webhooks') }, { url: docs('/concepts/webhooks') }],
    access: 'tenant',
    successStatus: 200,
    idParams: webhookId,
    response: Type.Object(
      { id: Type.String(), object: Type.Literal('webhook'), deleted: Type.Literal(true) },
      { additionalProperties: false },
    ),
    differences: [
      'Bluum documents the route but not its answer; the sandbox answers { id, object, deleted: true }.',
    ],
  },
})
