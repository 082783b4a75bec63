/**
 * Funding sources (linked bank accounts) and the money that moves through them: deposits and
 * withdrawals, as Bluum documents them.
 */
import { Type } from '@sinclair/typebox'
import {
  DepositSchema,
  WithdrawalSchema,
  depositMethods,
  withdrawalMethods,
} from '../../plugin/bluum-resources.js'
import {
  Amount,
  Country,
  Currency,
  DateFilter,
  ListOf,
  Literals,
  Metadata,
  Nullable,
  docs,
  pagingFields,
  sandboxOnly,
} from './fields.js'
import { defineOperations } from './operation.js'

const fundingTag = 'Funding sources'
const transferTag = 'Transfers'

/**
 * A funding source ("Connect a funding source", "Update a funding source"): the bank account's
 * details, envelope-wrapped. The sandbox adds `type` and `investor_id` so a list can be filtered
 * and an owner checked without a second call.
 */
export const FundingSourceSchema = Type.Object(
  {
    id: Type.String({ description: 'fs_...' }),
    object: Type.Literal('funding_source'),
    created: Type.Integer(),
    livemode: Type.Boolean(),
    metadata: Metadata,
    bank_name: Nullable(Type.String()),
    mask: Nullable(Type.String({ description: 'Last four digits of the account number' })),
    provider_id: Nullable(Type.String()),
    account_name: Nullable(Type.String()),
    account_type: Nullable(Type.String()),
    account_subtype: Nullable(Type.String()),
    account_holder_name: Nullable(Type.String()),
    account_number: Nullable(
      Type.String({ description: 'Masked: only the last four digits show' }),
    ),
    routing_number: Nullable(Type.String()),
    swift_code: Nullable(Type.String()),
    iban: Nullable(Type.String()),
    wire_routing_kind: Nullable(Type.String()),
    bank_code: Nullable(Type.String()),
    beneficiary_address: Nullable(Type.String()),
    address_line_1: Nullable(Type.String()),
    payout_country: Nullable(Type.String()),
    payout_currency: Nullable(Type.String()),
    payout_city: Nullable(Type.String()),
    payout_region: Nullable(Type.String()),
    payout_postal_code: Nullable(Type.String()),
    wire_payout_complete: Type.Boolean(),
    updated_at: Type.String(),
    type: sandboxOnly(
      Literals(['plaid', 'manual'] as const),
      'How it was connected (Bluum filters lists by it but shows no such field)',
    ),
    investor_id: sandboxOnly(Type.String(), 'The owning investor (Bluum shows none)'),
  },
  {
    additionalProperties: false,
    'x-source': docs('/api-reference/funding-sources/update-a-funding-source'),
  },
)

const bankFields = {
  bank_name: Type.String({ minLength: 1 }),
  account_holder_name: Type.String({ minLength: 1 }),
  bank_account_type: Literals(['CHECKING', 'SAVINGS'] as const),
  account_number: Type.String({
    pattern: '^[A-Za-z0-9]{4,34}$',
    description: '4 to 34 characters',
  }),
  routing_number: Type.String({
    pattern: '^\\d{9}$',
    description: '9-digit US ABA routing number',
  }),
  swift_code: Type.String({ pattern: '^[A-Z0-9]{8}([A-Z0-9]{3})?$', description: 'BIC, 8 or 11' }),
  beneficiary_address: Type.String(),
  bank_code: Type.String(),
  country: Country('Bank country'),
  address_line_1: Type.String(),
  city: Type.String(),
  currency: Currency(),
}
const optional = <T extends Record<string, import('@sinclair/typebox').TSchema>>(fields: T) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof T]: import('@sinclair/typebox').TOptional<T[K]>
  }

/**
 * `POST .../funding-sources/connect`: discriminated on `type`. Plaid exchanges a Link
 * `public_token` (single use); manual takes the bank details (the concepts page names
 * `bank_name`, `account_holder_name`, `account_number` "and so on"; the update page lists the rest).
 */
export const ConnectFundingSourceBody = Type.Object(
  {
    type: Literals(['plaid', 'manual'] as const),
    public_token: Type.Optional(
      Type.String({ minLength: 1, description: 'type plaid: the token from Plaid Link' }),
    ),
    ...optional(bankFields),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
)

export const UpdateFundingSourceBody = Type.Object(
  { ...optional(bankFields), metadata: Type.Optional(Metadata) },
  { additionalProperties: false },
)

const bankExample = {
  bank_name: 'Chase Bank',
  account_holder_name: 'Jane Doe',
  bank_account_type: 'CHECKING',
  account_number: '000123455678',
  routing_number: '021000021',
  swift_code: 'CHASUS33',
  beneficiary_address: '456 Oak Avenue, San Francisco, CA',
  bank_code: '021',
  country: 'US',
  address_line_1: '456 Oak Avenue',
  city: 'San Francisco',
  currency: 'USD',
}

// --- Transfers ------------------------------------------------------------------------------

const transferInputFields = {
  amount: Amount('A decimal string with up to 2 decimals, e.g. "1000.00"'),
  currency: Type.Optional(Currency('ISO 4217; default USD')),
  description: Type.Optional(Type.String({ maxLength: 500 })),
  metadata: Type.Optional(Metadata),
}

export const DepositBody = Type.Object(
  {
    ...transferInputFields,
    method: Literals(depositMethods),
    funding_source_id: Type.Optional(
      Type.String({ minLength: 1, description: 'fs_...: required for ach' }),
    ),
    manual_options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    wire_options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
)

export const WithdrawalBody = Type.Object(
  {
    ...transferInputFields,
    method: Literals(withdrawalMethods),
    funding_source_id: Type.String({
      minLength: 1,
      description: "The investor's active funding source (fs_... or its UUID)",
    }),
    wire_options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
)

const transferListQuery = (statuses: readonly string[], methods: readonly string[]) =>
  Type.Object({
    ...pagingFields(),
    method: Type.Optional(Literals(methods)),
    status: Type.Optional(
      Literals(statuses, {
        description:
          'The internal lifecycle values (canceled with one l); answers use the external vocabulary',
      }),
    ),
    currency: Type.Optional(
      Type.String({ minLength: 3, maxLength: 3, description: '3-letter ISO' }),
    ),
    date_from: Type.Optional(DateFilter('Transfers initiated on or after this date (YYYY-MM-DD)')),
    date_to: Type.Optional(DateFilter('Transfers initiated on or before this date (YYYY-MM-DD)')),
  })

export const DepositListQuery = transferListQuery(
  ['pending', 'processing', 'received', 'completed', 'expired', 'canceled', 'failed'],
  depositMethods,
)
export const WithdrawalListQuery = transferListQuery(
  ['pending', 'processing', 'submitted', 'completed', 'canceled', 'failed'],
  withdrawalMethods,
)

const investorId = { investor_id: 'inv' }
const idempotencyDisagreement = {
  topic: 'whether Idempotency-Key is required',
  sources: [
    {
      url: docs('/get-started/how-the-api-works'),
      note: 'required on deposits and withdrawals',
    },
    {
      url: docs('/api-reference/transfers/initiate-a-new-withdrawal'),
      note: 'lists the header without "required"',
    },
  ],
  chosen:
    'required (400 BLUM-400-002 without it): code written against the sandbox then works against either reading',
}
const filterNote =
  'status filters take the internal vocabulary (canceled); the answers use the external one (cancelled)'

export const fundingOperations = defineOperations({
  createPlaidLinkToken: {
    method: 'POST',
    path: '/investors/:investor_id/funding-sources/plaid/link-token',
    summary: 'Create a Plaid Link token (the sandbox makes a link-sandbox-... token)',
    tag: fundingTag,
    generation: 'G3',
    sources: [
      { url: docs('/get-started/journey/fund-wallet') },
      { url: docs('/api-reference/funding-sources/create-a-plaid-link-token') },
    ],
    access: 'investor',
    successStatus: 200,
    idParams: investorId,
    body: Type.Object(
      { enable_hosted_link: Type.Optional(Type.Boolean()) },
      { additionalProperties: false },
    ),
    response: Type.Object(
      { link_token: Type.String(), hosted_link_url: Nullable(Type.String()) },
      { additionalProperties: false },
    ),
    example: { body: { enable_hosted_link: true } },
    bluumExamples: [
      { source: docs('/get-started/journey/fund-wallet'), body: { enable_hosted_link: false } },
    ],
  },
  connectFundingSource: {
    method: 'POST',
    path: '/investors/:investor_id/funding-sources/connect',
    summary:
      'Connect a funding source: type plaid exchanges a public_token (sandbox: any public-sandbox-... token, once) and answers a list; type manual answers one source',
    tag: fundingTag,
    generation: 'G3',
    sources: [
      { url: docs('/api-reference/funding-sources/connect-a-funding-source') },
      { url: docs('/concepts/funding') },
    ],
    access: 'investor',
    successStatus: 201,
    idParams: investorId,
    body: ConnectFundingSourceBody,
    response: Type.Union([FundingSourceSchema, ListOf(FundingSourceSchema)]),
    example: { body: { type: 'manual', ...bankExample, metadata: { nickname: 'main' } } },
    differences: [
      'A Plaid public_token is accepted when it starts with public-sandbox- and has not been used; it links one checking account.',
      'The success status is 201, as "Errors" (/platform/errors) says creates answer.',
    ],
    bluumExamples: [
      {
        source: docs('/api-reference/funding-sources/connect-a-funding-source'),
        body: { type: 'plaid', public_token: 'public-sandbox-1234abcd-5678-90ef' },
      },
    ],
  },
  listFundingSources: {
    method: 'GET',
    path: '/investors/:investor_id/funding-sources',
    summary: 'List funding sources (filter: type plaid, manual or all)',
    tag: fundingTag,
    generation: 'G3',
    sources: [{ url: docs('/api-reference/funding-sources/list-funding-sources-for-an-investor') }],
    access: 'investor',
    successStatus: 200,
    idParams: investorId,
    query: Type.Object({
      ...pagingFields(),
      type: Type.Optional(Literals(['plaid', 'manual', 'all'] as const)),
    }),
    response: ListOf(FundingSourceSchema),
    example: { query: { type: 'manual' } },
  },
  updateFundingSource: {
    method: 'PATCH',
    path: '/investors/:investor_id/funding-sources/:id',
    summary: "Update a funding source's bank details",
    tag: fundingTag,
    generation: 'G3',
    sources: [{ url: docs('/api-reference/funding-sources/update-a-funding-source') }],
    access: 'investor',
    successStatus: 200,
    idParams: { ...investorId, id: 'fs' },
    body: UpdateFundingSourceBody,
    response: FundingSourceSchema,
    example: {
      body: {
        bank_name: 'Deutsche Bank',
        account_holder_name: 'Jane Doe',
        bank_account_type: 'SAVINGS',
        account_number: '0123456789',
        routing_number: '021000021',
        swift_code: 'DEUTDEFF',
        beneficiary_address: '123 Hauptstrasse, Berlin',
        bank_code: '500',
        address_line_1: '123 Hauptstrasse',
        city: 'Berlin',
        country: 'DE',
        currency: 'EUR',
        metadata: { nickname: 'savings' },
      },
    },
    bluumExamples: [
      {
        source: docs('/api-reference/funding-sources/update-a-funding-source'),
        body: {
          bank_name: 'Deutsche Bank',
          account_holder_name: 'Jane Doe',
          account_number: '0123456789',
          swift_code: 'DEUTDEFF',
          address_line_1: '123 Hauptstrasse',
          city: 'Berlin',
          country: 'DE',
          currency: 'EUR',
        },
      },
    ],
  },
  disconnectFundingSource: {
    method: 'DELETE',
    path: '/investors/:investor_id/funding-sources/:id',
    summary: 'Disconnect a funding source',
    tag: fundingTag,
    generation: 'G3',
    sources: [
      {
        url: docs('/api-reference/funding-sources/disconnect-a-funding-source'),
        note: "documented on the /accounts/{account_id} path only; the answer shape is that page's",
      },
    ],
    access: 'investor',
    successStatus: 200,
    idParams: { ...investorId, id: 'fs' },
    query: Type.Object({ type: Type.Optional(Literals(['plaid', 'manual'] as const)) }),
    response: Type.Object(
      { status: Type.Literal('success'), message: Type.String() },
      { additionalProperties: false },
    ),
  },
})

export const transferOperations = defineOperations({
  createDeposit: {
    method: 'POST',
    path: '/investors/:investor_id/deposits',
    summary:
      'Initiate a deposit: ACH (with a funding source), wire and card settle on the clock, a manual bank transfer waits for its funds',
    tag: transferTag,
    generation: 'G3',
    sources: [
      {
        url: docs('/api-reference/transfers/initiate-a-new-deposit'),
        note: 'the body and fields (page on the /accounts/{account_id} path)',
      },
      { url: docs('/get-started/how-the-api-works'), note: 'the /investors/{investor_id} path' },
      { url: docs('/concepts/funding'), note: 'the card method' },
    ],
    access: 'investor',
    idempotency: 'required',
    successStatus: 201,
    idParams: investorId,
    body: DepositBody,
    response: DepositSchema,
    example: {
      body: {
        amount: '1000.00',
        method: 'manual_bank_transfer',
        currency: 'USD',
        description: 'Initial funding',
        metadata: { source: 'onboarding' },
        manual_options: {},
        wire_options: {},
      },
    },
    disagreements: [
      idempotencyDisagreement,
      {
        topic: 'card deposits',
        sources: [
          { url: docs('/concepts/funding'), note: 'lists card, "Card-funded deposit"' },
          {
            url: docs('/api-reference/transfers/initiate-a-new-deposit'),
            note: 'method enum ach, manual_bank_transfer, wire',
          },
        ],
        chosen: 'card is accepted (never refuse what a page documents) and settles like ACH',
      },
    ],
    bluumExamples: [
      {
        source: docs('/api-reference/transfers/initiate-a-new-deposit'),
        body: {
          amount: '1000.00',
          method: 'manual_bank_transfer',
          currency: 'USD',
          description: 'Initial funding for investment account',
          metadata: {
            phone_number: '+233123456789',
            redirect_url: 'https://app.example.com/deposit/callback',
          },
          manual_options: {},
          wire_options: {},
        },
      },
    ],
  },
  listDeposits: {
    method: 'GET',
    path: '/investors/:investor_id/deposits',
    summary: 'List deposits (filters: method, status, currency, date_from, date_to)',
    tag: transferTag,
    generation: 'G3',
    sources: [
      {
        url: docs('/api-reference/transfers/list-deposits-for-an-account'),
        note: 'filters (page on the /accounts/{account_id} path, which answers {deposits, total})',
      },
      { url: docs('/get-started/how-the-api-works'), note: 'the list envelope' },
    ],
    access: 'investor',
    successStatus: 200,
    idParams: investorId,
    query: DepositListQuery,
    response: ListOf(DepositSchema),
    example: {
      query: {
        method: 'ach',
        status: 'completed',
        currency: 'USD',
        date_from: '2026-01-01',
        date_to: '2026-12-31',
      },
    },
    differences: [filterNote],
  },
  getDeposit: {
    method: 'GET',
    path: '/investors/:investor_id/deposits/:deposit_id',
    summary: 'Retrieve a deposit',
    tag: transferTag,
    generation: 'G3',
    sources: [
      {
        url: docs('/guides/self-directed/deposits-withdrawals'),
        note: 'documented on the /accounts/{account_id} path',
      },
    ],
    access: 'investor',
    successStatus: 200,
    idParams: { ...investorId, deposit_id: 'dep' },
    response: DepositSchema,
  },
  cancelDeposit: {
    method: 'POST',
    path: '/investors/:investor_id/deposits/:deposit_id/cancel',
    summary: 'Cancel a pending deposit (409 BLUM-409-003 once it is processing or settled)',
    tag: transferTag,
    generation: 'G3',
    sources: [
      {
        url: docs('/api-reference/transfers/cancel-a-pending-deposit'),
        note: 'documented on the /accounts/{account_id} path',
      },
    ],
    access: 'investor',
    successStatus: 200,
    idParams: { ...investorId, deposit_id: 'dep' },
    response: DepositSchema,
  },
  createWithdrawal: {
    method: 'POST',
    path: '/investors/:investor_id/withdrawals',
    summary:
      "Initiate a withdrawal to one of the investor's funding sources (422 BLUM-422-005 over the withdrawable cash)",
    tag: transferTag,
    generation: 'G3',
    sources: [{ url: docs('/api-reference/transfers/initiate-a-new-withdrawal') }],
    access: 'investor',
    idempotency: 'required',
    successStatus: 201,
    idParams: investorId,
    body: WithdrawalBody,
    response: WithdrawalSchema,
    example: {
      body: {
        amount: '50.00',
        currency: 'USD',
        method: 'ach',
        description: 'Monthly withdrawal',
        funding_source_id: 'fs_01j9x8m2k7qpzwv3t5r6y8n0ef',
        metadata: { reason: 'rent' },
        wire_options: {},
      },
    },
    disagreements: [idempotencyDisagreement],
    bluumExamples: [
      {
        source: docs('/api-reference/transfers/initiate-a-new-withdrawal'),
        body: {
          amount: '500.00',
          currency: 'USD',
          method: 'ach',
          funding_source_id: 'fs_01j9x8m2k7qpzwv3t5r6y8n0ef',
        },
      },
    ],
  },
  listWithdrawals: {
    method: 'GET',
    path: '/investors/:investor_id/withdrawals',
    summary: 'List withdrawals (filters: method, status, currency, date_from, date_to)',
    tag: transferTag,
    generation: 'G3',
    sources: [{ url: docs('/api-reference/transfers/list-withdrawals-for-an-account') }],
    access: 'investor',
    successStatus: 200,
    idParams: investorId,
    query: WithdrawalListQuery,
    response: ListOf(WithdrawalSchema),
    example: {
      query: {
        method: 'ach',
        status: 'pending',
        currency: 'USD',
        date_from: '2026-01-01',
        date_to: '2026-12-31',
      },
    },
    differences: [filterNote],
  },
  getWithdrawal: {
    method: 'GET',
    path: '/investors/:investor_id/withdrawals/:withdrawal_id',
    summary: 'Retrieve a withdrawal',
    tag: transferTag,
    generation: 'G3',
    sources: [
      {
        url: docs('/api-reference/transfers/get-withdrawal-details'),
        note: 'documented on the /accounts/{account_id} path',
      },
    ],
    access: 'investor',
    successStatus: 200,
    idParams: { ...investorId, withdrawal_id: 'wd' },
    response: WithdrawalSchema,
  },
  cancelWithdrawal: {
    method: 'POST',
    path: '/investors/:investor_id/withdrawals/:withdrawal_id/cancel',
    summary: 'Cancel a pending withdrawal (its amount returns to the wallet)',
    tag: transferTag,
    generation: 'G3',
    sources: [
      {
        url: docs('/api-reference/transfers/cancel-a-pending-withdrawal'),
        note: 'documented on the /accounts/{account_id} path',
      },
    ],
    access: 'investor',
    successStatus: 200,
    idParams: { ...investorId, withdrawal_id: 'wd' },
    response: WithdrawalSchema,
  },
})
