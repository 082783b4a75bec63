/**
 * The contract's own invariants: every documented operation cites Bluum's pages, every route
 * implements an operation of the contract (no route outside it), inventions live under
 * `/sandbox/`, the examples (the sandbox's and Bluum's own) fit their schemas without an
 * undocumented field, and the samples the trigger and the inspector start from are documented
 * resources.
 */
import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { bluumEventNames } from '../plugin/catalog.js'
import { documentedOperations, eventResource, operations } from '../mock-server/contract/index.js'
import { sampleEventData } from '../mock-server/core/sample-events.js'
import { triggerSampleData } from '../mock-server/engines/triggers.js'
import { createRoutes, createSandbox } from '../mock-server/index.js'
import { validate } from '../mock-server/api/validation.js'

t.test('every documented operation cites the Bluum pages it is transcribed from', async (t) => {
  t.equal(documentedOperations.length, 43)
  for (const operation of documentedOperations) {
    t.ok(operation.sources.length > 0, operation.operationId)
    for (const source of operation.sources)
      t.match(source.url, /^https:\/\/docs\.bluumfinance\.com\//, operation.operationId)
    t.notOk(operation.path.startsWith('/sandbox/'), `${operation.operationId} is not an invention`)
  }
})

t.test('every route implements an operation, and every operation has its route', async (t) => {
  const sandbox = createSandbox()
  t.teardown(() => sandbox.close())
  const routes = createRoutes(sandbox)
  const implemented = new Set(routes.map((r) => r.operation?.operationId))
  for (const route of routes)
    t.ok(route.operation, `${route.method} ${route.path} implements an operation of the contract`)
  for (const operation of operations) {
    // The live stream is the standalone server's own route (server-sent events, not JSON).
    if (operation.operationId === 'streamSandboxActivity') continue
    t.ok(implemented.has(operation.operationId), `${operation.operationId} has its route`)
  }
  for (const route of routes)
    t.equal(
      route.path.startsWith('/sandbox/'),
      route.operation?.sandboxOnly === true,
      `${route.path}: under /sandbox/ exactly when it is an invention`,
    )
})

t.test('the examples fit their operation, with no undocumented field', async (t) => {
  for (const operation of operations) {
    const bodies = [
      ...(operation.example?.body ? [operation.example.body] : []),
      ...(operation.bluumExamples ?? []).map((e) => e.body),
    ]
    for (const body of bodies) {
      if (!operation.body || operation.bodyType === 'multipart') continue
      const undocumented: string[] = []
      t.doesNotThrow(
        () => validate(operation.body!, structuredClone(body), 'body', { undocumented }),
        `${operation.operationId}: its example is valid`,
      )
      t.same(undocumented, [], `${operation.operationId}: every field of its example is documented`)
    }
  }
})

t.test('the samples of events and of the trigger form are documented resources', async (t) => {
  for (const name of bluumEventNames) {
    const resource = eventResource(name)
    const properties = resource.properties as Record<string, Parameters<typeof Value.Check>[0]>
    for (const [label, sample] of [
      ['sample', sampleEventData(name, Date.parse('2026-07-01T15:10:00Z'))],
      ['trigger form', triggerSampleData(name, Date.parse('2026-07-01T15:10:00Z'))],
    ] as const) {
      for (const [field, value] of Object.entries(sample)) {
        const schema = properties[field]
        t.ok(schema, `${name} ${label}: ${field} is a documented field`)
        if (schema) t.ok(Value.Check(schema, value), `${name} ${label}: ${field} has its type`)
      }
    }
  }
})
