/**
 * Investors, their trusted contact and wallets, their compliance workflow and their API keys, as
 * Bluum's current-generation reference pages document them.
 */
import { Type } from '@sinclair/typebox'
import {
  ComplianceSchema,
  InvestorSchema,
  TrustedContactFields,
  accountTypes,
  agreementTypes,
  employmentStatuses,
  fundingSourceKinds,
  managementTypes,
  taxIdTypes,
} from '../../plugin/bluum-resources.js'
import {
  Country,
  Email,
  IsoDate,
  IsoDateTime,
  ListOf,
  ListQuery,
  Literals,
  Metadata,
  Nullable,
  Phone,
  docs,
} from './fields.js'
import { defineOperations } from './operation.js'

const tag = 'Investors'

const Range = Type.Object(
  {
    min: Type.String({ description: 'Lower bound, a decimal string' }),
    max: Type.String({ description: 'Upper bound, a decimal string' }),
  },
  { additionalProperties: false },
)

export const AddressInput = Type.Object(
  {
    street: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'One entry per street line',
    }),
    unit: Type.Optional(Type.String()),
    city: Type.String({ minLength: 1 }),
    state: Type.Optional(Type.String({ minLength: 1 })),
    postal_code: Type.Optional(Type.String({ minLength: 1 })),
    country: Country('Country'),
  },
  { additionalProperties: false },
)

export const TrustedContactInput = Type.Object(
  {
    first_name: Type.String({ minLength: 1 }),
    last_name: Type.String({ minLength: 1 }),
    email: Email,
    phone: Phone,
  },
  { additionalProperties: false },
)

/**
 * `POST /investors`: a flat body; only `address`, `signed_agreements[]` and `trusted_contact` nest.
 * The reference page lists the required fields first; its OpenAPI excerpt was cut before the
 * `required` list, so the required set is read from that order.
 */
export const CreateInvestorBody = Type.Object(
  {
    account_type: Literals(accountTypes),
    first_name: Type.String({ minLength: 1 }),
    last_name: Type.String({ minLength: 1 }),
    date_of_birth: IsoDate('Date of birth, YYYY-MM-DD'),
    email: Type.String({
      pattern: Email.pattern,
      maxLength: 254,
      description: 'an email address, unique per tenant',
    }),
    phone: Phone,
    tax_id: Type.String({ minLength: 1, description: 'Never shown back: only tax_id_type is' }),
    tax_id_type: Literals(taxIdTypes),
    country_of_citizenship: Country('Citizenship'),
    country_of_birth: Country('Country of birth'),
    country_of_tax_residence: Country('Tax residence'),
    funding_source: Type.Array(Literals(fundingSourceKinds), { minItems: 1 }),
    employment_status: Literals(employmentStatuses),
    signed_agreements: Type.Array(
      Type.Object(
        {
          type: Literals(agreementTypes),
          signed_at: IsoDateTime('When the user signed'),
          ip_address: Type.String({ minLength: 1 }),
        },
        { additionalProperties: false },
      ),
      {
        minItems: 2,
        description:
          'At least investor_agreement and margin_disclosure_acknowledged; non-US tax residents add w8ben_certification',
      },
    ),
    management_type: Type.Optional(Literals(managementTypes)),
    tax_advantaged: Type.Optional(Type.Boolean()),
    middle_name: Type.Optional(Type.String()),
    address: Type.Optional(AddressInput),
    tax_id_country: Type.Optional(Country('Country that issued the tax id')),
    annual_income: Type.Optional(Range),
    liquid_net_worth: Type.Optional(Range),
    is_control_person: Type.Optional(Type.Boolean()),
    is_affiliated_exchange_or_finra: Type.Optional(Type.Boolean()),
    is_politically_exposed: Type.Optional(Type.Boolean()),
    immediate_family_exposed: Type.Optional(Type.Boolean()),
    employer_name: Type.Optional(Type.String()),
    employer_address: Type.Optional(Type.String()),
    employment_position: Type.Optional(Type.String()),
    visa_type: Type.Optional(
      Literals([
        'E1',
        'E2',
        'E3',
        'F1',
        'H1B',
        'TN1',
        'O1',
        'J1',
        'L1',
        'DACA',
        'G4',
        'OTHER',
      ] as const),
    ),
    trusted_contact: Type.Optional(TrustedContactInput),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
)

/** The body of Bluum's own example ("Create a new investor"), every optional field included. */
export const exampleInvestorBody = {
  account_type: 'individual',
  management_type: 'self_directed',
  tax_advantaged: false,
  first_name: 'Jane',
  middle_name: 'Q',
  last_name: 'Doe',
  date_of_birth: '1990-05-15',
  email: 'jane.doe@example.com',
  phone: '+14155551234',
  address: {
    street: ['456 Oak Avenue'],
    unit: '2B',
    city: 'San Francisco',
    state: 'CA',
    postal_code: '94102',
    country: 'US',
  },
  tax_id: '987-65-4321',
  tax_id_type: 'SSN',
  tax_id_country: 'US',
  country_of_tax_residence: 'US',
  country_of_citizenship: 'US',
  country_of_birth: 'US',
  funding_source: ['employment_income'],
  annual_income: { min: '75000', max: '99999' },
  liquid_net_worth: { min: '20000', max: '49999' },
  is_control_person: false,
  is_affiliated_exchange_or_finra: false,
  is_politically_exposed: false,
  immediate_family_exposed: false,
  employment_status: 'employed',
  employer_name: 'Acme Inc',
  employer_address: '1 Tech Way, Berkeley, CA',
  employment_position: 'Engineer',
  visa_type: 'OTHER',
  signed_agreements: [
    {
      type: 'investor_agreement',
      signed_at: '2026-01-15T10:30:00.000Z',
      ip_address: '203.0.113.42',
    },
    {
      type: 'margin_disclosure_acknowledged',
      signed_at: '2026-01-15T10:30:00.000Z',
      ip_address: '203.0.113.42',
    },
  ],
  trusted_contact: {
    first_name: 'Mary',
    last_name: 'Doe',
    email: 'mary@example.com',
    phone: '+15555550199',
  },
  metadata: { crm_id: 'c-42' },
}

export const WalletSchema = Type.Object(
  {
    id: Type.String({ description: 'wlt_...' }),
    object: Type.Literal('wallet'),
    created: Type.Integer(),
    livemode: Type.Boolean(),
    metadata: Metadata,
    currency: Type.String(),
    balance: Type.String({ description: 'available_balance + reserved_balance' }),
    available_balance: Type.String(),
    reserved_balance: Type.String({ description: 'Held by active orders' }),
    cash_withdrawable: Type.String(),
    buying_power: Type.String(),
    equity: Type.String({ description: 'Cash plus positions at the simulated price' }),
    status: Literals(['active'] as const),
  },
  {
    additionalProperties: false,
    'x-source': docs('/api-reference/investors/list-wallets-for-an-investor'),
  },
)

export const TrustedContactSchema = Type.Object(
  {
    object: Type.Literal('trusted_contact'),
    livemode: Type.Boolean(),
    investor_id: Type.String(),
    ...TrustedContactFields,
  },
  { additionalProperties: false },
)

/** A workflow and its checks ("Get a compliance workflow's status"). */
export const ComplianceWorkflowSchema = Type.Object(
  {
    id: Type.String({ description: 'cw_...' }),
    status: Literals([
      'in_progress',
      'pending_review',
      'approved',
      'rejected',
      'suspended',
      'expired',
    ] as const),
    risk_level: Nullable(Literals(['low', 'medium', 'high', 'prohibited'] as const)),
    checks: Type.Array(
      Type.Object(
        {
          check_type: Type.String(),
          status: Type.String(),
          provider: Type.String(),
          external_id: Nullable(Type.String()),
          started_at: Type.String(),
          completed_at: Nullable(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    created_at: Type.String(),
    updated_at: Type.String(),
  },
  { additionalProperties: false },
)

export const checkTypes = [
  'identity_verification',
  'tax_id_verification',
  'screening',
  'business_verification',
] as const

export const SubmitCheckBody = Type.Object(
  {
    workflow_id: Type.String({ minLength: 1, description: 'cw_...' }),
    check_type: Literals(checkTypes),
    provider_payload: Type.Record(Type.String(), Type.Unknown(), {
      description:
        "The provider's completion data. Sandbox: a status of approved/completed/clear passes the check, declined/failed fails it, anything else leaves it pending",
    }),
  },
  { additionalProperties: false },
)

export const CheckResultSchema = Type.Object(
  {
    workflow_id: Type.String(),
    check_type: Literals([...checkTypes, 'risk_assessment'] as const),
    status: Literals(['pending', 'clear', 'failed', 'review_required', 'error'] as const),
    provider: Type.String(),
    external_id: Nullable(Type.String()),
    verification_url: Nullable(Type.String()),
    verification_token: Nullable(Type.String()),
  },
  { additionalProperties: false },
)

const ApiKeyFields = {
  id: Type.String({ description: 'apk_...' }),
  object: Type.Literal('api_key'),
  created: Nullable(Type.Integer()),
  livemode: Type.Boolean(),
  account_id: Type.String({ description: 'The investor the key is scoped to (inv_...)' }),
  name: Nullable(Type.String()),
  environment: Literals(['TEST', 'PRODUCTION'] as const),
  status: Literals(['active', 'revoked', 'expired'] as const),
  public_key: Type.String({ description: 'The key: the user name of HTTP Basic' }),
  expires_at: Nullable(Type.String()),
  metadata: Metadata,
}
export const ApiKeySchema = Type.Object(ApiKeyFields, { additionalProperties: false })
export const CreatedApiKeySchema = Type.Object(
  {
    ...ApiKeyFields,
    secret_key: Type.String({ description: 'Returned only once, at creation' }),
  },
  { additionalProperties: false },
)

const investorId = { investor_id: 'inv' }

export const investorOperations = defineOperations({
  createInvestor: {
    method: 'POST',
    path: '/investors',
    summary:
      'Create an investor (answers onboarding; the sandbox approves KYC at once and the investor turns active)',
    tag,
    generation: 'G3',
    sources: [
      { url: docs('/api-reference/investors/create-a-new-investor') },
      { url: docs('/get-started/journey/create-investor') },
    ],
    access: 'tenant',
    successStatus: 201,
    body: CreateInvestorBody,
    response: InvestorSchema,
    example: { body: exampleInvestorBody },
    disagreements: [
      {
        topic: 'the status right after creation',
        sources: [
          {
            url: docs('/api-reference/investors/create-a-new-investor'),
            note: 'answers status onboarding, "pending compliance approval"',
          },
          {
            url: docs('/guides/operations/testing-and-sandbox'),
            note: 'successful creation: verify ACTIVE status',
          },
        ],
        chosen:
          'the create answer says onboarding, as the reference shows; the sandbox then approves KYC at once (kyc.verification.approved, account.updated) and the investor reads active',
      },
    ],
    differences: [
      'The required field list is read from the reference page order (its OpenAPI excerpt was cut): every field before the optional ones is required.',
      'The rule "non-US tax residents add w8ben_certification" is not enforced.',
    ],
    bluumExamples: [
      {
        source: docs('/api-reference/investors/create-a-new-investor'),
        body: {
          account_type: 'individual',
          management_type: 'self_directed',
          tax_advantaged: false,
          first_name: 'Jane',
          last_name: 'Doe',
          date_of_birth: '1990-05-15',
          email: 'jane.doe@example.com',
          phone: '+14155551234',
          address: {
            street: ['456 Oak Avenue'],
            city: 'San Francisco',
            state: 'CA',
            postal_code: '94102',
            country: 'US',
          },
          tax_id: '987-65-4321',
          tax_id_type: 'SSN',
          country_of_tax_residence: 'US',
          country_of_citizenship: 'US',
          country_of_birth: 'US',
          funding_source: ['employment_income'],
          annual_income: { min: '75000', max: '99999' },
          liquid_net_worth: { min: '20000', max: '49999' },
          is_control_person: false,
          is_affiliated_exchange_or_finra: false,
          is_politically_exposed: false,
          immediate_family_exposed: false,
          employment_status: 'employed',
          employer_name: 'Acme Inc',
          signed_agreements: [
            {
              type: 'investor_agreement',
              signed_at: '2026-01-15T10:30:00.000Z',
              ip_address: '203.0.113.42',
            },
            {
              type: 'margin_disclosure_acknowledged',
              signed_at: '2026-01-15T10:30:00.000Z',
              ip_address: '203.0.113.42',
            },
          ],
        },
      },
      {
        source: docs('/get-started/journey/create-investor'),
        body: {
          account_type: 'individual',
          management_type: 'self_directed',
          first_name: 'Jane',
          last_name: 'Doe',
          date_of_birth: '1990-05-15',
          tax_id: '987-65-4321',
          tax_id_type: 'SSN',
          tax_id_country: 'US',
          country_of_citizenship: 'US',
          country_of_birth: 'US',
          country_of_tax_residence: 'US',
          funding_source: ['employment_income'],
          annual_income: { min: '100000', max: '150000' },
          liquid_net_worth: { min: '50000', max: '100000' },
          email: 'jane.doe@example.com',
          phone: '+14155551234',
          employment_status: 'employed',
          address: {
            street: ['456 Oak Avenue'],
            city: 'San Francisco',
            state: 'CA',
            postal_code: '94102',
            country: 'US',
          },
          is_control_person: false,
          is_affiliated_exchange_or_finra: false,
          is_politically_exposed: false,
          immediate_family_exposed: false,
          signed_agreements: [
            {
              type: 'investor_agreement',
              signed_at: '2026-01-15T10:30:00.000Z',
              ip_address: '203.0.113.42',
            },
            {
              type: 'margin_disclosure_acknowledged',
              signed_at: '2026-01-15T10:30:00.000Z',
              ip_address: '203.0.113.42',
            },
          ],
        },
      },
    ],
  },
  listInvestors: {
    method: 'GET',
    path: '/investors',
    summary: 'List the investors of the tenant, newest first',
    tag,
    generation: 'G3',
    sources: [
      { url: docs('/api-reference/investors/list-all-investors-for-the-authenticated-tenant') },
    ],
    access: 'tenant',
    successStatus: 200,
    query: ListQuery,
    response: ListOf(InvestorSchema),
    example: { query: { limit: '10', offset: '0' } },
  },
  getInvestor: {
    method: 'GET',
    path: '/investors/:investor_id',
    summary: 'Retrieve an investor, with its balances as the engines hold them',
    tag,
    generation: 'G3',
    sources: [{ url: docs('/api-reference/investors/retrieve-a-specific-investor') }],
    access: 'investor',
    successStatus: 200,
    idParams: investorId,
    response: InvestorSchema,
  },
  setTrustedContact: {
    method: 'PUT',
    path: '/investors/:investor_id/trusted-contact',
    summary:
      "Set or replace the investor's trusted contact (all four fields; emits account.updated)",
    tag,
    generation: 'G3',
    sources: [{ url: docs('/api-reference/investors/set-or-update-an-investors-trusted-contact') }],
    access: 'investor',
    successStatus: 200,
    idParams: investorId,
    body: TrustedContactInput,
    response: TrustedContactSchema,
    example: {
      body: {
        first_name: 'Mary',
        last_name: 'Doe',
        email: 'mary@example.com',
        phone: '+15555550199',
      },
    },
    bluumExamples: [
      {
        source: docs('/api-reference/investors/set-or-update-an-investors-trusted-contact'),
        body: {
          first_name: 'Mary',
          last_name: 'Doe',
          email: 'mary@example.com',
          phone: '+15555550199',
        },
      },
    ],
  },
  listWallets: {
    method: 'GET',
    path: '/investors/:investor_id/wallets',
    summary: "List the investor's wallets: balances from deposits, holds of open orders",
    tag,
    generation: 'G3',
    sources: [
      { url: docs('/api-reference/investors/list-wallets-for-an-investor') },
      { url: docs('/concepts/wallets') },
    ],
    access: 'investor',
    successStatus: 200,
    idParams: investorId,
    query: ListQuery,
    response: ListOf(WalletSchema),
    differences: [
      'One USD wallet: the sandbox keeps cash in one currency (the concepts page says USD, NGN and KES wallets are created).',
    ],
  },
  getComplianceStatus: {
    method: 'GET',
    path: '/investors/:investor_id/compliance',
    summary: "The investor's latest compliance workflow",
    tag: 'Compliance',
    generation: 'G3',
    sources: [{ url: docs('/api-reference/investors/get-compliance-status-for-an-investor') }],
    access: 'investor',
    successStatus: 200,
    idParams: investorId,
    response: ComplianceSchema,
  },
  getComplianceWorkflow: {
    method: 'GET',
    path: '/investors/:investor_id/compliance/workflows/:workflow_id',
    summary: 'A compliance workflow and its checks',
    tag: 'Compliance',
    generation: 'G3',
    sources: [{ url: docs('/api-reference/compliance/get-a-compliance-workflows-status') }],
    access: 'investor',
    successStatus: 200,
    idParams: { ...investorId, workflow_id: 'cw' },
    response: ComplianceWorkflowSchema,
    disagreements: [
      {
        topic: 'the workflow status vocabulary',
        sources: [
          {
            url: docs('/api-reference/compliance/get-a-compliance-workflows-status'),
            note: 'enum in_progress, pending_review, approved, rejected, suspended, expired',
          },
          {
            url: docs('/api-reference/compliance/get-a-compliance-workflows-status.md'),
            note: 'introduction: running, awaiting_review, approved, declined, suspended, expired',
          },
        ],
        chosen: "the enum of the reference's response schema",
      },
    ],
  },
  submitComplianceCheck: {
    method: 'POST',
    path: '/investors/:investor_id/compliance/submit',
    summary:
      "Submit a verification provider's result for a check (a failed identity check rejects the workflow)",
    tag: 'Compliance',
    generation: 'G3',
    sources: [{ url: docs('/api-reference/compliance/submit-a-compliance-check-result') }],
    access: 'investor',
    successStatus: 200,
    idParams: investorId,
    body: SubmitCheckBody,
    response: CheckResultSchema,
    example: {
      body: {
        workflow_id: 'cw_01j9x8m2k7qpzwv3t5r6y8n0ab',
        check_type: 'identity_verification',
        provider_payload: {
          event_type: 'inquiry.approved',
          inquiry_id: 'inq_abc123def456',
          status: 'approved',
        },
      },
    },
    bluumExamples: [
      {
        source: docs('/api-reference/compliance/submit-a-compliance-check-result'),
        body: {
          workflow_id: 'cw_01j9x8m2k7qpzwv3t5r6y8n0ab',
          check_type: 'identity_verification',
          provider_payload: {
            event_type: 'inquiry.approved',
            inquiry_id: 'inq_abc123def456',
            status: 'approved',
          },
        },
      },
    ],
  },
  createInvestorApiKey: {
    method: 'POST',
    path: '/investors/:investor_id/api-keys',
    summary:
      'Create an investor-scoped API key (the secret is shown once; it authenticates at once)',
    tag: 'API keys',
    generation: 'G3',
    sources: [{ url: docs('/api-reference/api-keys/create-an-investor-scoped-api-key') }],
    access: 'tenant',
    successStatus: 201,
    idParams: investorId,
    body: Type.Object(
      {
        name: Type.Optional(Type.String({ maxLength: 120 })),
        environment: Type.Optional(Literals(['TEST', 'PRODUCTION'] as const)),
      },
      { additionalProperties: false },
    ),
    response: CreatedApiKeySchema,
    example: { body: { name: 'Mobile app (prod)', environment: 'PRODUCTION' } },
    bluumExamples: [
      {
        source: docs('/api-reference/api-keys/create-an-investor-scoped-api-key'),
        body: { name: 'Mobile app (prod)', environment: 'PRODUCTION' },
      },
    ],
  },
  listInvestorApiKeys: {
    method: 'GET',
    path: '/investors/:investor_id/api-keys',
    summary: "List the investor's API keys (without secrets)",
    tag: 'API keys',
    generation: 'G3',
    sources: [{ url: docs('/api-reference/api-keys/list-an-investors-api-keys') }],
    access: 'tenant',
    successStatus: 200,
    idParams: investorId,
    query: ListQuery,
    response: ListOf(ApiKeySchema),
  },
  revokeInvestorApiKey: {
    method: 'POST',
    path: '/investors/:investor_id/api-keys/:api_key_id/revoke',
    summary: 'Revoke an investor-scoped key: it answers 401 BLUM-401-003 from then on',
    tag: 'API keys',
    generation: 'G3',
    sources: [{ url: docs('/api-reference/api-keys/revoke-an-investors-api-key') }],
    access: 'tenant',
    successStatus: 200,
    idParams: { ...investorId, api_key_id: 'apk' },
    response: ApiKeySchema,
  },
})
