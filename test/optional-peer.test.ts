/** importOptionalPeer: a missing optional peer is a coded error with the install command; nothing else is. */
import t from 'tap'
import { MissingPeerDependencyError } from '../plugin/errors.js'
import { importOptionalPeer } from '../plugin/optional-peer.js'

const peer = {
  name: 'bluum-peer-that-is-not-installed',
  feature: 'The example face (fastify-bluum-webhooks/example)',
  install: 'npm install bluum-peer-that-is-not-installed',
}

t.test('an installed peer resolves to its module', async (t) => {
  const tap = await importOptionalPeer(() => import('tap'), { ...peer, name: 'tap' })
  t.equal(typeof tap.t.test, 'function')
})

t.test(
  'a peer that is not installed fails with the feature, the package and the install command',
  async (t) => {
    const error = await importOptionalPeer(() => import(peer.name), peer).then(
      () => undefined,
      (e: unknown) =>
        e as InstanceType<typeof MissingPeerDependencyError> & { cause?: { code?: string } },
    )
    t.ok(error instanceof MissingPeerDependencyError)
    t.equal(error?.code, 'BLUUM_MISSING_PEER_DEPENDENCY')
    t.equal(
      error?.message,
      'The example face (fastify-bluum-webhooks/example) needs the optional peer dependency "bluum-peer-that-is-not-installed", which is not installed. Install it in your app: npm install bluum-peer-that-is-not-installed',
    )
    t.match(
      error?.cause,
      { message: /^Cannot find package 'bluum-peer-that-is-not-installed'/ },
      'the original error is kept as cause',
    )
  },
)

const notFound = (message: string) =>
  Object.assign(new Error(message), { code: 'ERR_MODULE_NOT_FOUND' })
for (const [label, thrown] of [
  [
    'another package missing inside the peer (the peer is installed but broken)',
    notFound("Cannot find package 'some-dependency' imported from /app/node_modules/peer/index.js"),
  ],
  ['an error thrown while the peer loads', new TypeError('boom')],
  ['a non-error rejection', 'boom'],
] as const) {
  t.test(`${label} is rethrown unchanged`, async (t) => {
    const error = await importOptionalPeer(() => Promise.reject(thrown), peer).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.equal(error, thrown)
  })
}

t.test('a not-found error whose code a loader hook dropped is still recognised', async (t) => {
  const thrown = new Error(`Cannot find package '${peer.name}' imported from /app/index.js`)
  const error = await importOptionalPeer(() => Promise.reject(thrown), peer).then(
    () => undefined,
    (e: unknown) => e as { code?: string; cause?: unknown },
  )
  t.equal(error?.code, 'BLUUM_MISSING_PEER_DEPENDENCY')
  t.equal(error?.cause, thrown)
})
