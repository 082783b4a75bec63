/**
 * The ioredis peer of `fastify-bluum-webhooks/redis`, loaded once when that entry point is
 * imported: without ioredis the import fails with `BLUUM_MISSING_PEER_DEPENDENCY` and the
 * install command, and the other entry points never load it.
 */
import type * as IORedis from 'ioredis'
import { importOptionalPeer } from './optional-peer.js'

const ioredis = await importOptionalPeer(() => import('ioredis'), {
  name: 'ioredis',
  feature: 'createRedisStore (fastify-bluum-webhooks/redis)',
  install: 'npm install ioredis',
})

/** The ioredis client class (value and instance type, as `import { Redis } from 'ioredis'`). */
export const Redis: typeof IORedis.Redis = ioredis.Redis
export type Redis = IORedis.Redis
