/**
 * Writes `docs/sandbox-fidelity.md` from the contract (`mock-server/contract`): every documented
 * operation with its source pages and the sandbox's differences, where Bluum's pages disagree and
 * which one the sandbox follows, the event catalog with the request that causes each event, and
 * every invention of the sandbox in one section. `npm run docs:fidelity` writes it; a test in
 * `npm test` fails when the file and the contract differ, so the page cannot drift from the code.
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Kind, type TSchema } from '@sinclair/typebox'
import prettier from 'prettier'
import { bluumEventCatalog, bluumEventNames } from '../plugin/catalog.js'
import {
  documentedOperations,
  eventCauses,
  magicValues,
  operations,
  readOn,
  type OperationSpec,
} from '../mock-server/contract/index.js'

export const fidelityDocPath = fileURLToPath(
  new URL('../docs/sandbox-fidelity.md', import.meta.url),
)

const docsSite = 'https://docs.bluumfinance.com'
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ')
const route = (o: OperationSpec) => `\`${o.method} ${o.path.replace(/:(\w+)/g, '{$1}')}\``
const page = (url: string) => {
  const path = url.startsWith(docsSite) ? url.slice(docsSite.length) : url
  return `[${path}](${url})`
}

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n')
}

function generation(o: OperationSpec): string {
  if (o.generation === 'G2') return 'older generation (own shape)'
  const older = o.sources.some((s) => s.note?.includes('/accounts/{account_id}'))
  return older ? 'current; page on the older path' : 'current'
}

/**
 * Fields marked sandbox-only in an answer, as `resource.field: why`; the resource is named by its
 * `object` literal (`webhook`, `funding_source`...), a list by its items'.
 */
function sandboxOnlyFields(schema: TSchema | undefined, label: string, out: Map<string, string>) {
  if (!schema) return
  if (schema[Kind] === 'Array') return sandboxOnlyFields(schema.items as TSchema, label, out)
  if (schema[Kind] === 'Union') {
    for (const inner of schema.anyOf as TSchema[]) sandboxOnlyFields(inner, label, out)
    return
  }
  if (schema[Kind] !== 'Object') return
  const properties = schema.properties as Record<string, TSchema>
  const object = properties.object?.const
  const name = typeof object === 'string' && object !== 'list' ? object : label
  for (const [field, inner] of Object.entries(properties)) {
    if ((inner as { 'x-sandbox-only'?: boolean })['x-sandbox-only'])
      out.set(`${name}.${field}`, String(inner.description ?? ''))
    sandboxOnlyFields(inner, `${name}.${field}`, out)
  }
}

const errorCodes: [string, string, string][] = [
  [
    'BLUM-400-001',
    'Generic validation error',
    'an undocumented field in strict mode, a body that is not a JSON object, malformed JSON, a non-JSON content type, a value out of bounds (`limit=201`), `quantity` and `notional` together, `notional` off a market buy, a reused Plaid `public_token`, an unknown `starting_after`',
  ],
  [
    'BLUM-400-002',
    'Missing required field',
    'a required field or the `Idempotency-Key` header is missing; `limit_price` / `stop_price` / `trail_percent` for their order types; `funding_source_id` on an ACH deposit; a habitual misspelling sent instead (`events`, `qty`) is named in the message',
  ],
  [
    'BLUM-400-003',
    'Invalid field format',
    'a value of the wrong JSON type, a date that is not ISO 8601 (or does not exist), a phone not E.164, a country not ISO alpha-2, a URL that is not http(s), a raw UUID where a prefixed id belongs, a bad subscription name, a bad duration, document `metadata` that is not a JSON object',
  ],
  [
    'BLUM-400-004',
    'Invalid enum value',
    'a string outside a documented enum, in a body or a query',
  ],
  [
    'BLUM-400-005',
    'Invalid amount',
    'an amount string not matching `^\\d+(\\.\\d{1,2})?$`, or `0.00`; a `notional` likewise',
  ],
  [
    'BLUM-400-006',
    'Invalid quantity',
    'a quantity string (`quantity`, `qty`) that is not a positive decimal',
  ],
  ['BLUM-400-007', 'Invalid date range', '`date_from` after `date_to` on the transfer lists'],
  ['BLUM-400-008', 'Request body too large', 'a body over 10 MiB, a document over 10 MB'],
  ['BLUM-401-001', 'Missing authorization header', 'no `Authorization` header'],
  [
    'BLUM-401-002',
    'Malformed authorization header',
    'not `Basic`, not base64, or no `:` between key and secret',
  ],
  [
    'BLUM-401-003',
    'Invalid API key or secret',
    'unknown key, wrong secret, a revoked investor API key',
  ],
  ['BLUM-401-004`, `-005', 'API key inactive, expired', 'not answered: sandbox keys never expire'],
  [
    'BLUM-403-001',
    'Insufficient permissions',
    'an investor-scoped key on a tenant route or on another investor',
  ],
  ['BLUM-403-002', 'Account not approved', 'an order before KYC approval (`kyc_mode: document`)'],
  ['BLUM-403-003`, `-004', 'Production access required, operation not allowed', 'not answered'],
  [
    'BLUM-404-001',
    'Resource not found',
    'an unknown investor, order, transfer, funding source, document, webhook, workflow, API key, delivery, position',
  ],
  ['BLUM-404-002', 'Endpoint not found', 'no route matches the method and path'],
  ['BLUM-404-003', 'Asset not found', "a symbol outside the sandbox's price table"],
  ['BLUM-409-001', 'Duplicate resource', 'an investor e-mail already in use'],
  ['BLUM-409-002', 'Idempotency conflict', 'the same `Idempotency-Key` with another body or route'],
  [
    'BLUM-409-003',
    'State conflict',
    'cancelling a final order or a non-pending transfer; revoking a revoked key; completing or failing a settled transfer; replaying a delivery still pending',
  ],
  [
    'BLUM-422-001',
    'Insufficient funds',
    'not answered as an error: an order the buying power cannot pay for is accepted and rejected (`order.rejected`); see `BLUM-422-005` for withdrawals',
  ],
  ['BLUM-422-002', 'Market closed', 'a non-`gtc` order outside market hours (`market_hours` on)'],
  [
    'BLUM-422-003',
    'Asset not tradable',
    'a symbol made untradable with `POST /sandbox/prices/{symbol} { tradable: false }`',
  ],
  ['BLUM-422-004', 'Position insufficient', 'selling more shares than held minus open sell orders'],
  [
    'BLUM-422-005',
    'Withdrawal limit exceeded',
    'a withdrawal above the cash not held by open buy orders',
  ],
  [
    'BLUM-429-001',
    'Rate limit exceeded',
    'past `rateLimitPerSecond` requests in a second per key, with `Retry-After`',
  ],
  ['BLUM-500-001', 'Internal error', 'an unexpected failure inside the sandbox'],
  ['BLUM-500-017', 'External service error', 'not answered: the sandbox has no upstream'],
]

const liveStream = `## Live stream (\`GET /v1/sandbox/stream\`)

A sandbox invention with no Bluum counterpart (Bluum's dashboard shows deliveries; this is what
the sandbox's inspector page and \`bluum-sandbox logs\` / \`listen\` read). The standalone server
answers it with server-sent events (\`text/event-stream\`); the msw face has no stream (one answer
per request there: subscribe with \`sandbox.onEvent()\` and \`sandbox.deliveries.onAttempt()\`
instead).

- Auth as every \`/v1/sandbox\` route: HTTP Basic with a tenant key (401 \`BLUM-401-00x\`, 403
  \`BLUM-403-001\` for an investor key), the rate limit counts the request that opens it.
  \`?webhook_id=wh_...\` keeps the attempts of one webhook (404 \`BLUM-404-001\` when unknown).
- \`event: event\`, data the envelope of each new event (\`id\`, \`event\`, \`timestamp\`, \`data\`).
- \`event: attempt\` for every attempt (duplicates injected by a fault included), with data
  \`delivery_id\`, \`webhook_id\`, \`event\`, \`event_id\`, \`attempt\`, \`phase\`, \`next_attempt_at\`,
  \`parked\`, \`failure_reason\`. It is sent once the sandbox has decided what follows:
  \`next_attempt_at\` is the retry's time (sandbox clock), or \`parked\` is true. \`attempt\` is the
  record that \`GET /sandbox/webhooks/{id}/deliveries/{delivery_id}\` shows: the request sent, the
  answer or the \`connection_error\`.
- \`: keepalive\` comments every 15 s (\`createSandboxServer(sandbox, { streamKeepaliveMs })\`).
- The stream carries no ids: a client that reconnects reads what it missed from
  \`GET /v1/sandbox/events\` and \`GET /v1/sandbox/deliveries\`. A client that falls 1 MiB behind is
  disconnected. Closing the server ends every open stream first, so \`close()\` never waits on one.

\`\`\`sh
curl -N -u bluum_sandbox_key:bluum_sandbox_secret http://127.0.0.1:4010/v1/sandbox/stream
\`\`\`
`

/** The page, formatted as the repository's Prettier formats Markdown. */
export async function renderFidelityDoc(): Promise<string> {
  const parts: string[] = []
  parts.push(`# Sandbox fidelity: what the sandbox emulates of Bluum's published API

<!-- Generated from mock-server/contract by \`npm run docs:fidelity\`; edit the contract, not this file. -->

The sandbox is built from one contract (\`mock-server/contract\`): every operation Bluum documents,
transcribed from its reference pages at ${docsSite} (read ${readOn}), with its parameters, body,
required fields, enums in Bluum's casing, formats and answer shape. The routes, the request
validation, the OpenAPI document (\`GET /v1/openapi.json\`), this page and the conformance suite
(\`npm run conformance\`) all read it. The suite sends every operation a valid request with every
optional field, one request per missing required field, per enum with a value Bluum does not list,
a wrongly typed field and an undocumented field, over HTTP, and checks the status, the code and the
answer against the documented shape, and sends the example bodies of Bluum's own pages, which
must be accepted as written; then it causes every documented event with its documented request
and checks its \`data\`.

Bluum documents several generations of its API: the sandbox follows the current one
(\`/v1/investors/...\`) and keeps the older \`/v1/trading/accounts/...\` order routes that Bluum's
webhook guide still uses, each in its own shape. A field Bluum does not document is accepted and
ignored, and the answer names it in a \`Bluum-Sandbox-Warning\` header (strict mode refuses it
with \`BLUM-400-001\`): what passes here is what Bluum documents as valid.`)

  parts.push(`## Operations Bluum documents (${documentedOperations.length})

All paths are below \`/v1\`. "Current; page on the older path" means Bluum's reference shows the
operation on \`/accounts/{account_id}/...\` only and the current path elsewhere; the sandbox
serves the current path with the current generation's envelope.`)
  parts.push(
    table(
      ['operation', 'route', "Bluum's pages", 'generation', 'differences and notes'],
      documentedOperations.map((o) => [
        `\`${o.operationId}\``,
        route(o),
        o.sources.map((s) => page(s.url)).join(', '),
        generation(o),
        [
          ...(o.bluumExamples?.length
            ? [
                `Bluum's example ${o.bluumExamples.length === 1 ? 'body is' : `bodies (${o.bluumExamples.length}) are`} accepted as written.`,
              ]
            : []),
          ...(o.idempotency === 'required' ? ['`Idempotency-Key` required.'] : []),
          ...(o.differences ?? []),
          ...(o.disagreements ?? []).map((d) => `Pages disagree on ${d.topic}: see below.`),
        ].join(' ') || 'none known',
      ]),
    ),
  )

  parts.push(`## Where Bluum's pages disagree

Each disagreement keeps both sources in the contract; the sandbox follows the choice below.`)
  const seen = new Set<string>()
  for (const o of documentedOperations)
    for (const d of o.disagreements ?? []) {
      if (seen.has(d.topic)) continue
      seen.add(d.topic)
      const sides = d.sources.map((s) => `  - ${page(s.url)}: ${s.note ?? ''}`).join('\n')
      parts.push(`- **${d.topic}** (${route(o)})\n${sides}\n  - the sandbox: ${d.chosen}.`)
    }

  parts.push(`## Events

Every event of the catalog, where Bluum documents it, and the documented request that causes it in
the sandbox (no sandbox control needed: the clock only lets seconds pass for ACH, wire and card
settlements). Each event's \`data\` has the documented resource's shape.`)
  parts.push(
    table(
      ['event', 'documented on', 'caused by', 'magic value'],
      bluumEventNames.map((name) => {
        const entry = bluumEventCatalog[name] as { source: string; sandboxOnly?: true }
        return [
          `\`${name}\`${entry.sandboxOnly ? ' (sandbox-only)' : ''}`,
          entry.sandboxOnly ? 'no Bluum page (see inventions)' : page(entry.source),
          eventCauses[name].map((c) => `\`${c.operationId}\`: ${c.how}`).join('; '),
          eventCauses[name]
            .map((c) => c.magic)
            .filter(Boolean)
            .join('; ') || '',
        ]
      }),
    ),
  )

  parts.push(`## Magic values

Where Bluum's testing guide documents no way to cause an outcome (its failure values live in its
dashboard), the sandbox answers to a value in a documented field, as Stripe's test card numbers do.`)
  parts.push(
    table(
      ['in', 'value', 'outcome'],
      [
        [
          'deposits and withdrawals (ACH, wire, card)',
          `an \`amount\` ending in \`.${magicValues.failingAmountCents}\``,
          'fails where it would complete: `transfer.*.failed`',
        ],
        [
          'orders',
          `\`client_order_id: "${magicValues.partialFillClientOrderId}"\``,
          'fills in two halves: `order.partially_filled`, then `order.filled`',
        ],
        [
          'document uploads',
          `\`metadata: {"${magicValues.rejectionMetadataKey}": "<reason>"}\``,
          'rejected with that reason: `document.rejected`',
        ],
        [
          'compliance check results',
          '`provider_payload.status` `approved`/`completed`/`clear`/`passed`, or `declined`/`failed`/`rejected`',
          'passes or fails the check; every check clear approves KYC, a failed one rejects it',
        ],
        [
          'Plaid funding-source connect',
          `a \`public_token\` starting with \`${magicValues.plaidPublicTokenPrefix}\``,
          'links one checking account (each token once)',
        ],
      ],
    ),
  )

  const inventions = operations.filter((o) => o.sandboxOnly)
  parts.push(`## Inventions: what Bluum does not document

Everything below is the sandbox's own, marked \`x-sandbox-only\` in the contract and in the
OpenAPI document. Routes live under \`/v1/sandbox/\`.

### Routes (${inventions.length})`)
  parts.push(
    table(
      ['route', 'does'],
      inventions.map((o) => [route(o), o.summary]),
    ),
  )
  const fields = new Map<string, string>()
  for (const o of documentedOperations) sandboxOnlyFields(o.response, o.operationId, fields)
  parts.push(`### Fields in documented answers`)
  parts.push(
    table(
      ['field', 'why'],
      [...fields].map(([path, why]) => [`\`${path}\``, why]),
    ),
  )
  parts.push(`### Events, headers, error types and options

- \`kyc.verification.rejected\`: no Bluum page names it ("Compliance decisions surface as kyc.* and
  compliance.* events"); the sandbox emits it when KYC is rejected, and
  \`GET /v1/webhooks/event-types\` marks it \`sandbox_only\`.
- The \`Bluum-Sandbox-Warning\` answer header, naming the undocumented fields a request carried.
- Error \`type\` values: \`invalid_request_error\` is the only one Bluum's pages show; the sandbox
  answers \`authentication_error\`, \`permission_error\`, \`not_found_error\`, \`conflict_error\`
  (409-002: \`idempotency_error\`), \`unprocessable_entity_error\`, \`rate_limit_error\` and
  \`api_error\` for the other statuses.
- \`createSandbox\` options and CLI flags: the virtual clock and time scale, \`initialCash\` (default
  \`0.00\`: an investor has what its deposits brought), \`strict\`, \`kycMode\`, \`partialFills\`,
  \`marketHours\`, \`prices\`, \`stateFile\`, and the simulated prices themselves.`)

  parts.push(`## Error codes as emulated

Every code of Bluum's catalog (${page(`${docsSite}/resources/error-codes`)}) and when the sandbox
answers it.`)
  parts.push(
    table(
      ['code', 'catalog meaning', 'the sandbox answers it when'],
      errorCodes.map(([code, meaning, when]) => [`\`${code}\``, meaning, when]),
    ),
  )
  parts.push(liveStream)
  const text = parts.join('\n\n')
  const options = (await prettier.resolveConfig(fidelityDocPath)) ?? {}
  return prettier.format(text, { ...options, filepath: fidelityDocPath })
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(fidelityDocPath, await renderFidelityDoc())
  process.stdout.write(`wrote ${fidelityDocPath}\n`)
}
