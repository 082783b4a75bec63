/**
 * Loads an optional peer dependency (msw, ioredis), so a missing one is a coded error that says
 * which feature needed it and how to install it, instead of a bare `ERR_MODULE_NOT_FOUND`.
 *
 * The caller passes a thunk with a literal `import('name')`, so bundlers still see and bundle the
 * peer; only the module that needs the peer awaits it, so the other entry points load without it.
 */
import { MissingPeerDependencyError } from './errors.js'

/** What to say when the peer is missing. */
interface OptionalPeer {
  /** The package name, as imported: `'msw'`. */
  name: string
  /** The feature that needs it, as the user knows it: `'createContractHarness (fastify-bluum-webhooks/testing)'`. */
  feature: string
  /** The command that installs it: `'npm install --save-dev msw'`. */
  install: string
}

/** True when `error` says that the package `name` itself (not one of its own imports) is absent. */
function isPackageMissing(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  if (typeof message !== 'string') return false
  // Node: "Cannot find package 'msw' imported from /app/node_modules/fastify-bluum-webhooks/...".
  // The code is lost when the error crosses from off-thread loader hooks (tsx, tap; Node >= 22),
  // so the message alone counts too.
  const notFound =
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /^Cannot find (package|module) /.test(message)
  return notFound && message.includes(`'${name}'`)
}

/**
 * Imports an optional peer, or throws `BLUUM_MISSING_PEER_DEPENDENCY`.
 * @example const { setupServer } = await importOptionalPeer(() => import('msw/node'), peer)
 */
export async function importOptionalPeer<T>(
  load: () => Promise<T>,
  peer: OptionalPeer,
): Promise<T> {
  try {
    return await load()
  } catch (error) {
    if (isPackageMissing(error, peer.name)) {
      throw new MissingPeerDependencyError(peer.feature, peer.name, peer.install, { cause: error })
    }
    throw error
  }
}
