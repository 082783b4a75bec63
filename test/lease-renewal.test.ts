/**
 * The renewal queue alone, against a recording store: which claims get renewed, when renewals
 * stop, and what a refused or failing renewal does.
 */
import t from 'tap'
import { createLeaseRenewals } from '../plugin/lease-renewal.js'
import type { DedupeStore } from '../plugin/store.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface RenewCall {
  key: string
  token: string
  leaseMs: number
}

/** A store whose renew() records its calls and answers with `answer(callNumber)`. */
function recordingStore(answer: (n: number) => Promise<boolean> = async () => true) {
  const renewals: RenewCall[] = []
  let wake: (() => void) | undefined
  const store: DedupeStore = {
    claim: async () => ({ status: 'claimed', token: 'x' }),
    complete: async () => true,
    release: async () => true,
    renew(key, token, leaseMs) {
      renewals.push({ key, token, leaseMs })
      wake?.()
      return answer(renewals.length)
    },
  }
  /** Resolves once renew() has been called `n` times in all. */
  async function until(n: number) {
    while (renewals.length < n) await new Promise<void>((resolve) => (wake = resolve))
  }
  return { store, renewals, until }
}

function recordingLog() {
  const warnings: Array<{ obj: object; msg?: string }> = []
  return {
    warnings,
    log: {
      info() {},
      warn: (obj: object, msg?: string) => void warnings.push({ obj, msg }),
      error() {},
    },
  }
}

t.test('leases stopped before a third of their lease passed are never renewed', async (t) => {
  const { store, renewals } = recordingStore()
  const leases = createLeaseRenewals(store, 60)
  const { log } = recordingLog()
  for (let i = 0; i < 1000; i++) {
    leases.stop(leases.hold(`evt_${i}`, `tok_${i}`, log, performance.now()))
  }
  await sleep(100) // past several renewal points of a 60 ms lease
  t.same(renewals, [], 'no store call for deliveries that finished in time')
})

t.test(
  'a held lease is renewed with its own token, its expiry moves forward, and stop ends it',
  async (t) => {
    const { store, renewals, until } = recordingStore()
    const leases = createLeaseRenewals(store, 60)
    const { log, warnings } = recordingLog()
    const quick = leases.hold('evt_quick', 'tok_quick', log, performance.now())
    const claimedAt = performance.now()
    const slow = leases.hold('evt_slow', 'tok_slow', log, claimedAt)
    leases.stop(quick)
    t.equal(slow.expiresAt, claimedAt + 60)

    await until(3)
    t.same(renewals.slice(0, 3), [
      { key: 'evt_slow', token: 'tok_slow', leaseMs: 60 },
      { key: 'evt_slow', token: 'tok_slow', leaseMs: 60 },
      { key: 'evt_slow', token: 'tok_slow', leaseMs: 60 },
    ])
    await sleep(0) // let the third renewal's answer be taken in
    t.ok(slow.expiresAt > claimedAt + 60, 'each renewal pushed the expiry')
    leases.stop(slow)
    const after = renewals.length
    await sleep(100)
    t.equal(renewals.length, after, 'no renewal after stop')
    t.same(warnings, [])
  },
)

t.test('a renewal the store refuses is reported once and not repeated', async (t) => {
  const { store, renewals, until } = recordingStore(async () => false)
  const leases = createLeaseRenewals(store, 30)
  const { log, warnings } = recordingLog()
  const lease = leases.hold('evt_lost', 'tok_old', log, performance.now())
  await until(1)
  await sleep(60)
  t.equal(renewals.length, 1, 'a claim another delivery owns is not renewed again')
  t.equal(warnings.length, 1)
  t.match(warnings, [{ obj: { deliveryId: 'evt_lost' }, msg: /claim lost/ }])
  t.equal(lease.expiresAt <= performance.now(), true, 'the expiry did not move')
  leases.stop(lease)
})

t.test('a renewal that fails (store down) is tried again, and the expiry waits', async (t) => {
  const { store, until } = recordingStore(async (n) => {
    if (n <= 2) throw Object.assign(new Error('down'), { code: 'BLUUM_REDIS_UNAVAILABLE' })
    return true
  })
  const leases = createLeaseRenewals(store, 60)
  const { log, warnings } = recordingLog()
  const claimedAt = performance.now()
  const lease = leases.hold('evt_blip', 'tok', log, claimedAt)
  await until(2)
  t.equal(lease.expiresAt, claimedAt + 60, 'unchanged while renewals fail')
  await until(3)
  await sleep(0)
  t.ok(lease.expiresAt > claimedAt + 60, 'the third try renewed it')
  t.equal(warnings.length, 2, 'one warning per failed try')
  t.match(warnings, [
    { obj: { deliveryId: 'evt_blip', err: { message: 'down' } }, msg: /not renewed/ },
    { obj: { deliveryId: 'evt_blip' }, msg: /not renewed/ },
  ])
  leases.stop(lease)
})

t.test(
  'a renew() that throws synchronously is handled like a failure, not an uncaught error',
  async (t) => {
    let calls = 0
    const store: DedupeStore = {
      claim: async () => ({ status: 'in-flight' }),
      complete: async () => true,
      release: async () => true,
      renew: (() => {
        calls++
        throw new Error('not async')
      }) as unknown as DedupeStore['renew'],
    }
    const leases = createLeaseRenewals(store, 30)
    const { log, warnings } = recordingLog()
    const lease = leases.hold('evt_sync', 'tok', log, performance.now())
    while (warnings.length < 2) await sleep(5)
    leases.stop(lease)
    t.equal(calls, warnings.length, 'every throw was reported, and tried again like a rejection')
    t.match(warnings, [
      { msg: /not renewed/, obj: { err: { message: 'not async' } } },
      { msg: /not renewed/ },
    ])
  },
)

t.test('a store without renew(): one warning per lease, then nothing', async (t) => {
  const store: DedupeStore = {
    claim: async () => ({ status: 'in-flight' }),
    complete: async () => true,
    release: async () => true,
  }
  const leases = createLeaseRenewals(store, 30)
  const { log, warnings } = recordingLog()
  const lease = leases.hold('evt_old_store', 'tok', log, performance.now())
  while (warnings.length < 1) await sleep(5)
  await sleep(60) // two more renewal points of a 30 ms lease
  leases.stop(lease)
  t.equal(warnings.length, 1)
  t.match(warnings, [{ obj: { deliveryId: 'evt_old_store' }, msg: /no renew\(\)/ }])
})

t.test('a held lease does not keep an idle process alive once stopped', async (t) => {
  const { spawnSync } = await import('node:child_process')
  const script = `
    import { createLeaseRenewals } from ${JSON.stringify(new URL('../plugin/lease-renewal.ts', import.meta.url).href)}
    const store = { claim: async () => ({}), complete: async () => true, release: async () => true, renew: async () => true }
    const leases = createLeaseRenewals(store, 120_000)
    leases.stop(leases.hold('evt', 'tok', console, performance.now()))
    const started = Date.now()
    process.on('exit', () => process.stdout.write(String(Date.now() - started < 30_000)))
  `
  const result = spawnSync(
    process.execPath,
    ['--import=tsx', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  )
  t.equal(result.stdout, 'true', 'the process exits without waiting for the 40 s renewal')
})
