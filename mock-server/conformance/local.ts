/**
 * The sandbox the full suite runs against: the standalone server on 127.0.0.1 (a free port), real
 * HTTP, no rate limit, and deliveries answered in-process (the suite's webhooks point nowhere and
 * must reach no network).
 */
import { createSandbox } from '../sandbox.js'
import { createSandboxServer } from '../server.js'

export interface LocalSandbox {
  /** The API root, `http://127.0.0.1:<port>/v1`. */
  readonly base: string
  close(): Promise<void>
}

/** Starts the standalone sandbox for the suite; `close()` stops it. */
export async function startLocalSandbox(credentials: {
  apiKey: string
  apiSecret: string
}): Promise<LocalSandbox> {
  const sandbox = createSandbox({
    ...credentials,
    rateLimitPerSecond: 0,
    transport: { send: async () => ({ status: 200, headers: {}, body: '' }) },
  })
  const server = createSandboxServer(sandbox)
  const address = await server.listen({ port: 0, host: '127.0.0.1' })
  return {
    base: `${address}/v1`,
    async close() {
      await server.close()
      await sandbox.close()
    },
  }
}
