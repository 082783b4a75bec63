/**
 * One vocabulary for where a delivery stands: the API's `status` field, the `?status=` filter of
 * both delivery lists, `bluum-sandbox deliveries --status`, the inspector's filter and the
 * harness's deliveries all say pending, failing, delivered, parked or cancelled; `succeeded` (what
 * `status` said of a delivered delivery before) is still taken as a filter word for delivered.
 * The sandbox's own server on 127.0.0.1; deliveries go to a transport whose answers the test picks.
 */
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { deliveryPhases } from '../mock-server/delivery/phase.js'
import { parseFilters } from '../mock-server/inspector/model.js'
import {
  createSandbox,
  createSandboxServer,
  type DeliveryRequest,
  type DeliveryResponse,
} from '../mock-server/index.js'
import { runCommand } from './helpers/sandbox-cli.js'

const authorization =
  'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

/** A sandbox with one delivery in each of the five states, behind its server on 127.0.0.1. */
async function sandboxWithEveryStatus(t: Test) {
  const held: Array<() => void> = []
  const answers: Record<string, (request: DeliveryRequest) => Promise<DeliveryResponse>> = {
    ok: async () => ({ status: 200, headers: {}, body: '{"received":true}' }),
    down: async () => ({ status: 500, headers: {}, body: '{}' }),
    // Never answers until the test lets it: the delivery stays pending.
    slow: () =>
      new Promise((resolve) => held.push(() => resolve({ status: 200, headers: {}, body: '' }))),
  }
  const sandbox = createSandbox({
    transport: { send: (request) => answers[new URL(request.url).hostname]!(request) },
  })
  t.teardown(async () => {
    for (const release of held) release()
    await sandbox.close()
  })
  const hook = (name: string, eventTypeNames: string[]) =>
    sandbox.webhooks.create({ name, url: `http://${name}/hook`, eventTypeNames })
  const ok = hook('ok', ['order.filled'])
  const down = hook('down', ['order.canceled'])
  hook('slow', ['order.accepted'])
  const gone = hook('down', ['order.rejected'])

  sandbox.trigger('order.canceled') // down: parked after the ladder
  await sandbox.clock.advance('11h')
  sandbox.trigger('order.filled') // ok: delivered
  sandbox.trigger('order.rejected') // down, then its webhook is deleted: cancelled
  await sandbox.idle()
  sandbox.webhooks.delete(gone.id)
  sandbox.webhooks.update(down.id, { eventTypeNames: ['order.canceled', 'order.partially_filled'] })
  sandbox.trigger('order.partially_filled') // down: failing, a retry scheduled
  await sandbox.idle()
  sandbox.trigger('order.accepted') // slow: pending, its first attempt unanswered

  const server = createSandboxServer(sandbox)
  t.teardown(() => server.close())
  await server.listen({ port: 0, host: '127.0.0.1' })
  const origin = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`
  const get = async (path: string) => {
    const response = await fetch(`${origin}/v1${path}`, { headers: { authorization } })
    return { status: response.status, body: (await response.json()) as any }
  }
  return { sandbox, origin, get, ok }
}

const byEvent = {
  'order.accepted': 'pending',
  'order.partially_filled': 'failing',
  'order.filled': 'delivered',
  'order.canceled': 'parked',
  'order.rejected': 'cancelled',
} as const

t.test("the API's status is the phase, and phase repeats it", async (t) => {
  const { get } = await sandboxWithEveryStatus(t)
  const listed = (await get('/sandbox/deliveries')).body.data as Array<Record<string, string>>
  t.same(
    Object.fromEntries(listed.map((d) => [d.event, d.status])),
    byEvent,
    'one delivery in each state, named as the filters name it',
  )
  t.ok(
    listed.every((d) => d.phase === d.status),
    'phase, its earlier name, says the same',
  )
})

t.test('every status filter takes every word the status field says, and succeeded', async (t) => {
  const { get, ok } = await sandboxWithEveryStatus(t)
  for (const status of deliveryPhases) {
    const all = (await get(`/sandbox/deliveries?status=${status}`)).body.data
    t.same(
      all.map((d: { status: string }) => d.status),
      [status],
      `/sandbox/deliveries?status=${status}`,
    )
  }
  const alias = await get('/sandbox/deliveries?status=succeeded')
  t.same(
    alias.body.data.map((d: { event: string }) => d.event),
    ['order.filled'],
    'succeeded is delivered',
  )
  for (const status of ['delivered', 'succeeded']) {
    const one = await get(`/sandbox/webhooks/${ok.id}/deliveries?status=${status}`)
    t.match(one.body.data, [{ event: 'order.filled', status: 'delivered' }], status)
  }
  const unknown = await get('/sandbox/deliveries?status=done')
  t.equal(unknown.status, 400)
  t.match(unknown.body, { error: { code: /^BLUM-400-/, param: 'status' } })
})

t.test('bluum-sandbox deliveries --status and the inspector take the same words', async (t) => {
  const { origin } = await sandboxWithEveryStatus(t)
  for (const status of ['delivered', 'succeeded']) {
    const { code, stdout, stderr } = await runCommand([
      'deliveries',
      '--status',
      status,
      '--url',
      origin,
    ])
    t.equal(code, 0, stderr)
    const [header, row, ...rest] = stdout.trimEnd().split('\n')
    t.match(header, /STATUS/, `${status}: the column is named status`)
    t.match(row, /order\.filled .* delivered /, `${status}: the delivered one`)
    t.same(rest, [], `${status}: only it`)
  }
  t.same(parseFilters({ status: 'succeeded' }), { state: 'delivered' }, 'the inspector too')
  t.same(parseFilters({ status: 'failing' }), { state: 'failing' })
  t.same(parseFilters({ status: 'done' }), {}, 'an unknown word is dropped')
})

t.test("the engine's own status speaks the same words", async (t) => {
  const { sandbox } = await sandboxWithEveryStatus(t)
  for (const delivery of sandbox.deliveries.list())
    t.ok(
      (deliveryPhases as readonly string[]).includes(delivery.status),
      `${delivery.event}: ${delivery.status}`,
    )
})
