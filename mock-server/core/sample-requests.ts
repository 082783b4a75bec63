/**
 * Request bodies Bluum itself accepts, for tests and examples: the create-investor body of
 * Bluum's "Create an investor" guide and a manual funding source. The sandbox validates what Bluum
 * documents as required, so a three-field investor does not pass; start from these.
 */

/** A valid `POST /v1/investors` body (Bluum's guide example), with `overrides` merged on top. */
export function sampleInvestorRequest(
  overrides: Record<string, unknown> = {},
): Record<string, unknown> & { first_name: string; last_name: string; email: string } {
  return {
    account_type: 'individual',
    management_type: 'self_directed',
    first_name: 'Jane',
    last_name: 'Doe',
    date_of_birth: '1990-05-15',
    email: 'jane.doe@example.com',
    phone: '+14155551234',
    tax_id: '987-65-4321',
    tax_id_type: 'SSN',
    country_of_citizenship: 'US',
    country_of_birth: 'US',
    country_of_tax_residence: 'US',
    funding_source: ['employment_income'],
    employment_status: 'employed',
    address: {
      street: ['456 Oak Avenue'],
      city: 'San Francisco',
      state: 'CA',
      postal_code: '94102',
      country: 'US',
    },
    signed_agreements: [
      {
        type: 'investor_agreement',
        signed_at: '2026-07-01T10:30:00Z',
        ip_address: '203.0.113.42',
      },
      {
        type: 'margin_disclosure_acknowledged',
        signed_at: '2026-07-01T10:30:00Z',
        ip_address: '203.0.113.42',
      },
    ],
    ...overrides,
  } as Record<string, unknown> & { first_name: string; last_name: string; email: string }
}

/**
 * A valid `POST /v1/investors/{id}/funding-sources/connect` body: a manual checking account (the
 * answer is one `fs_` funding source).
 */
export function sampleFundingSourceRequest(overrides: Record<string, unknown> = {}) {
  return {
    type: 'manual' as const,
    bank_name: 'Chase Bank',
    account_holder_name: 'Jane Doe',
    bank_account_type: 'CHECKING' as const,
    account_number: '000123455678',
    routing_number: '021000021',
    ...overrides,
  }
}
