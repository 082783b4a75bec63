/** The sandbox's event log: bounded, oldest first, the newest always kept. */
import t from 'tap'
import { createClock } from '../mock-server/index.js'
import { createEventBus } from '../mock-server/core/event-bus.js'

t.test('the log keeps the newest events up to its bound, however many were emitted', async (t) => {
  const bus = createEventBus(createClock({ startMs: 0 }), 3)
  const seen: number[] = []
  bus.subscribe((event) => seen.push(Number(event.data.n)))
  for (let n = 1; n <= 10; n++) {
    bus.emitAny('test.log', { n })
    const logged = bus.list().map((event) => Number(event.data.n))
    t.same(
      logged,
      Array.from({ length: Math.min(n, 3) }, (_, i) => n - Math.min(n, 3) + 1 + i),
      `after ${n} events`,
    )
  }
  t.equal(seen.length, 10, 'every event reached the subscribers')
  bus.restore(Array.from({ length: 5 }, (_, i) => ({ ...bus.list()[0]!, data: { n: 100 + i } })))
  t.same(
    bus.list().map((event) => event.data.n),
    [102, 103, 104],
    'a restored log is cut to the bound',
  )
})

t.test('an emitter can ask whether an emission would be dropped unbuilt', async (t) => {
  const bus = createEventBus(createClock({ startMs: 0 }))
  const seen: string[] = []
  bus.subscribe((event) => seen.push(event.event))
  const heard: string[] = []
  t.notOk(bus.dropsEmissions(), 'not muted: emissions go out')
  bus.muted(() => {
    t.ok(bus.dropsEmissions(), 'muted, nobody hearing: dropped')
    t.equal(bus.emitAny('test.dropped', { n: 1 }).id, '', 'and not stamped')
    bus.muted(
      () => {
        t.notOk(bus.dropsEmissions(), 'muted with a heard listener: built for it')
        bus.emitAny('test.heard', { n: 2 })
        bus.muted(() => t.notOk(bus.dropsEmissions(), 'a nested mute keeps the listener'))
      },
      (event) => heard.push(event.event),
    )
    t.ok(bus.dropsEmissions(), 'the listener ends with its mute')
  })
  t.notOk(bus.dropsEmissions(), 'unmuted again')
  t.same(heard, ['test.heard'])
  t.same(seen, [], 'no muted emission reached a subscriber')
  t.same(bus.list(), [], 'nor the log')
})
