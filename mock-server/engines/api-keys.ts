/**
 * Investor-scoped API keys created through the API ("Create an investor-scoped API key"): the
 * secret is shown once, and the pair `public_key:secret_key` authenticates at once as a key of that
 * investor (403 on tenant routes and on other investors, as the sandbox's configured investor keys
 * do). A revoked key answers 401 `BLUM-401-003`.
 */
import { randomBytes } from 'node:crypto'
import type { Clock } from '../core/clock.js'
import { NotFoundError, StateConflictError, withParam } from '../core/errors.js'
import { createId } from '../core/ids.js'
import { copyJson, findOrThrow } from '../core/resource.js'
import type { ApiKeyRecord, SandboxState } from '../core/state.js'

export interface ApiKeyService {
  /** Creates a key for `investorId`; the answer carries `secret_key`, the only time it shows. */
  create(
    investorId: string,
    input: { name?: string; environment?: 'TEST' | 'PRODUCTION' },
  ): Record<string, unknown>
  /** The investor's keys, newest first, without secrets. */
  list(investorId: string): Record<string, unknown>[]
  /** Revokes a key: it stops authenticating. */
  revoke(investorId: string, apiKeyId: string): Record<string, unknown>
  /** The active key whose public key is `key`, if any (for authentication). */
  active(key: string): ApiKeyRecord | undefined
}

/** Creates the API key service. */
export function createApiKeyService(deps: { state: SandboxState; clock: Clock }): ApiKeyService {
  const { state, clock } = deps
  const view = (key: ApiKeyRecord): Record<string, unknown> => {
    const { secret_key: _secret, ...rest } = key
    return copyJson(rest)
  }
  return {
    create(investorId, input) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      const key: ApiKeyRecord = {
        id: createId('apk'),
        object: 'api_key',
        created: Math.floor(clock.now() / 1000),
        livemode: false,
        account_id: investorId,
        name: input.name ?? null,
        environment: input.environment ?? 'TEST',
        status: 'active',
        public_key: `pk_sandbox_${randomBytes(12).toString('hex')}`,
        secret_key: `sk_sandbox_${randomBytes(24).toString('hex')}`,
        expires_at: null,
        metadata: {},
      }
      state.apiKeys.set(key.id, key)
      return { ...view(key), secret_key: key.secret_key }
    },
    list(investorId) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      return [...state.apiKeys.values()]
        .filter((k) => k.account_id === investorId)
        .reverse()
        .map(view)
    },
    revoke(investorId, apiKeyId) {
      findOrThrow(state.investors, investorId, 'investor', 'investor_id')
      const key = state.apiKeys.get(apiKeyId)
      if (!key || key.account_id !== investorId)
        throw withParam(new NotFoundError('API key', apiKeyId), 'api_key_id')
      if (key.status !== 'active')
        throw withParam(
          new StateConflictError(`API key '${apiKeyId}' is already ${key.status}.`),
          'api_key_id',
        )
      key.status = 'revoked'
      return view(key)
    },
    active(publicKey) {
      for (const key of state.apiKeys.values())
        if (key.public_key === publicKey && key.status === 'active') return key
      return undefined
    },
  }
}
