/**
 * The sandbox at any size, in one interleaved run (`npm run bench -- sandbox`):
 *
 *   delivery      signed deliveries/s of a custom event (no resource built) into a plugin-backed
 *                 Fastify receiver in the same process (inject): the delivery engine's figure;
 *                 goal >= 8 000/s (the plugin's route alone takes about 66 us of it)
 *   trigger@1k    triggered `order.filled`/s (investor and filled market order built by the
 *                 engines, then delivered the same way) in a sandbox holding 1 000 earlier
 *                 triggered events; goal >= 4 000/s
 *   trigger@100k  the same after 100 000 earlier triggered events (investors, orders,
 *                 deliveries, the receiver's dedupe store all full); goal >= 0.9 of trigger@1k:
 *                 no growth with size
 *   retries       500 retries made due by one `clock.advance('1m')`, over loopback HTTP to a
 *                 receiver that takes 50 ms to answer each; goal < 1 s (one at a time: 25 s)
 *
 * Each kind runs in its own child process, every child pinned with `taskset` to CPU 1 and this
 * process (which only sends IPC messages) to CPU 0. The sandbox is the load generator and the
 * receiver the server, in one process: "in-process" is the figure users get from the msw face and
 * the contract harness. Rounds are interleaved (delivery, trigger@1k, trigger@100k, retries,
 * delivery, ...) so a slow patch of the shared machine hits every kind. Before each round every
 * child runs `--warmup` unmeasured events of its own kind (default 5 000: after 1 000, a child
 * that sat idle while the others measured was still 1.5x slower per custom event; see the
 * child); delivery and trigger@1k then reset and refill their 1 000 (they also run 20 000 events
 * once at start), trigger@100k fills once and grows by each warm-up and each round's events.
 * No child forces a collection (see the child for why). Each figure is the
 * median of the rounds with its min-max; the size ratio is the median of the
 * per-round ratios. CPU us per event is read from the child (`process.cpuUsage`), and the share of
 * a core the child got shows when a neighbour took the core (rates then drop, CPU per event does
 * not). Each child also reports the garbage collector's main-thread pauses in its window
 * (`lib/gc-pauses.ts`), and the size ratio is shown again over the rounds in which neither trigger
 * child ended a full collection: what is left of the growth once a full collection of the large
 * heap is out of the window (see docs/performance.md, "A warm-up long enough...").
 *
 *   node --import=tsx bench/sandbox-delivery.ts [--rounds 9] [--events 2000] [--small 1000]
 *     [--large 100000] [--retries 500] [--receiver-ms 50] [--warmup 5000] [--cpu-prof] [--no-pin]
 *     [--source]
 *
 * The children run the JavaScript `tsc` emits (into `.tmp/bench-build/`), as the package ships;
 * `--source` runs them under tsx. `--cpu-prof` writes a V8 CPU profile per child to
 * `.tmp/cpu-prof/` (`bench/lib/profile-summary.ts <file> --serving '^trigger$' --match mock-server/`).
 * Bounded: a fixed number of events, 127.0.0.1 only, a hard time limit.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { ChildKind, ChildMessage, ParentMessage } from './lib/sandbox-delivery-child.js'
import { exitAfter, printResult, round, say, thousands } from './lib/report.js'
import { pinThisProcess } from './lib/server-process.js'
import { median, range } from './lib/stats.js'

const NAME = 'sandbox-delivery'
const TARGET = { delivery: 8_000, trigger: 4_000, sizeRatio: 0.9, retriesMs: 1_000 }

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    events: { type: 'string', default: '2000' },
    small: { type: 'string', default: '1000' },
    large: { type: 'string', default: '100000' },
    retries: { type: 'string', default: '500' },
    warmup: { type: 'string', default: '5000' },
    'receiver-ms': { type: 'string', default: '50' },
    'cpu-prof': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    source: { type: 'boolean', default: false },
  },
})

function integer(name: string, value: string | undefined, min: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min)
    throw new RangeError(`--${name} must be an integer >= ${min}`)
  return n
}
const rounds = integer('rounds', args.rounds, 1)
const events = integer('events', args.events, 200)
const small = integer('small', args.small, 0)
const large = integer('large', args.large, 0)
const retries = integer('retries', args.retries, 1)
const warmup = integer('warmup', args.warmup, 0)
const receiverMs = integer('receiver-ms', args['receiver-ms'], 0)

const children: ChildProcess[] = []
// Filling 100 000 events takes about a minute on a quiet machine; leave room for a busy one.
exitAfter(30 * 60 * 1000, NAME, () => children.forEach((c) => c.kill('SIGKILL')))

/** Compiles the child with what it imports, as the package is built, and returns its path. */
function compileChild(): string {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const project = fileURLToPath(new URL('./tsconfig.sandbox-delivery.json', import.meta.url))
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' })
  return fileURLToPath(
    new URL('../.tmp/bench-build/bench/lib/sandbox-delivery-child.js', import.meta.url),
  )
}

interface Child {
  /** Sends `message` and resolves the child's answer to it. */
  ask(message: ParentMessage & { seq: number }): Promise<ChildMessage>
  close(): Promise<void>
  prefillMs: number
}

async function startChild(
  script: string,
  kind: ChildKind,
  childArgs: string[],
  pinned: boolean,
): Promise<Child> {
  const profDir = fileURLToPath(new URL('../.tmp/cpu-prof/', import.meta.url))
  if (args['cpu-prof']) mkdirSync(profDir, { recursive: true })
  const execArgv = [
    ...(script.endsWith('.ts') ? ['--import=tsx'] : []),
    // 100 000 triggered events with their deliveries and the receiver's store fill a few GB.
    '--max-old-space-size=8192',
    ...(args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
  ]
  const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc']
  const child = pinned
    ? spawn('taskset', ['-c', '1', process.execPath, ...execArgv, script, kind, ...childArgs], {
        stdio,
      })
    : fork(script, [kind, ...childArgs], { execArgv, stdio })
  children.push(child)
  const waiting = new Map<number, (message: ChildMessage) => void>()
  let failed: ((error: Error) => void) | undefined
  const ready = new Promise<number>((resolve, reject) => {
    failed = reject
    child.once('exit', (code) => reject(new Error(`${kind} child exited early (${code})`)))
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') resolve(message.prefillMs)
      else if (message.type === 'error') reject(new Error(`${kind} child: ${message.message}`))
      else waiting.get(message.seq)?.(message)
    })
  })
  const prefillMs = await ready
  return {
    prefillMs,
    ask(message) {
      return new Promise((resolve, reject) => {
        failed = reject
        waiting.set(message.seq, resolve)
        child.send(message)
      })
    },
    async close() {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.send({ type: 'close' } satisfies ParentMessage)
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
      void failed
    },
  }
}

type RateKind = 'delivery' | 'small' | 'large'
interface Rate {
  perSecond: number
  cpuUsPerEvent: number
  /** CPU time / wall time: below ~0.9, a neighbour had part of the core. */
  coreShare: number
  stateEvents: number
  valid: boolean
  /**
   * The collector's main-thread pauses per event, us: scavenges, and the rest (full collections,
   * incremental marking steps, weak callbacks).
   */
  gcMinorUs: number
  gcOtherUs: number
  /** Full collections that ended in the round. */
  majors: number
}

const fmt = (values: number[], digits = 0) => {
  const { min, max } = range(values)
  const show = (n: number) => (digits === 0 ? thousands(n) : n.toFixed(digits))
  return values.length === 1
    ? show(values[0]!)
    : `${show(median(values))} (${show(min)}–${show(max)})`
}

async function main(): Promise<void> {
  const pinned = !args['no-pin'] && pinThisProcess('0')
  say(
    `${NAME}: ${rounds} interleaved rounds of ${events} events per rate (each after ${warmup} ` +
      `unmeasured), ${retries} due retries`,
  )
  say(
    pinned
      ? 'pinned: every child on CPU 1 (taskset), this process on CPU 0'
      : 'not pinned: the kernel schedules the children',
  )
  let script = fileURLToPath(new URL('./lib/sandbox-delivery-child.ts', import.meta.url))
  if (!args.source) {
    const started = performance.now()
    script = compileChild()
    say(`compiled the child with tsc in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }

  const refilling = [String(small), 'refill', String(warmup)]
  const delivery = await startChild(script, 'delivery', refilling, pinned)
  const trigger = await startChild(script, 'trigger', refilling, pinned)
  say(`filling ${thousands(large)} triggered events for trigger@${thousands(large)}...`)
  const triggerLarge = await startChild(
    script,
    'trigger',
    [String(large), 'grow', String(warmup)],
    pinned,
  )
  say(`  filled in ${(triggerLarge.prefillMs / 1000).toFixed(1)} s`)
  const retrier = await startChild(script, 'retries', [], pinned)

  const rates: Record<RateKind, Rate[]> = { delivery: [], small: [], large: [] }
  const retryMs: number[] = []
  let retriesValid = true
  const kinds: [RateKind, Child][] = [
    ['delivery', delivery],
    ['small', trigger],
    ['large', triggerLarge],
  ]
  for (let seq = 1; seq <= rounds; seq++) {
    for (const [kind, child] of kinds) {
      const answer = await child.ask({ type: 'measure', seq, events })
      if (answer.type !== 'result') throw new Error(`unexpected answer ${answer.type}`)
      rates[kind].push({
        perSecond: (answer.events / answer.wallMs) * 1000,
        cpuUsPerEvent: answer.cpuUs / answer.events,
        coreShare: answer.cpuUs / 1000 / answer.wallMs,
        stateEvents: answer.stateEvents,
        valid: answer.handled === answer.events,
        gcMinorUs: (answer.gc.minorMs * 1000) / answer.events,
        gcOtherUs: ((answer.gc.majorMs + answer.gc.otherMs) * 1000) / answer.events,
        majors: answer.gc.majors,
      })
      if (answer.handled !== answer.events)
        say(`  ${kind}: the receiver handled ${answer.handled} of ${answer.events} events`)
    }
    const answer = await retrier.ask({ type: 'measure-retries', seq, count: retries, receiverMs })
    if (answer.type !== 'retries') throw new Error(`unexpected answer ${answer.type}`)
    retryMs.push(answer.wallMs)
    if (answer.retried !== retries || answer.succeeded !== retries) {
      retriesValid = false
      say(`  retries: ${answer.retried} retried, ${answer.succeeded} succeeded of ${retries}`)
    }
    const last = (kind: RateKind) => rates[kind].at(-1)!
    say(
      `round ${seq}: delivery ${thousands(last('delivery').perSecond)}/s, ` +
        `trigger@${thousands(small)} ${thousands(last('small').perSecond)}/s, ` +
        `trigger@${thousands(last('large').stateEvents)} ${thousands(last('large').perSecond)}/s, ` +
        `${retries} due retries in ${Math.round(answer.wallMs)} ms (${answer.mostInFlight} at once)`,
    )
  }
  for (const child of [delivery, trigger, triggerLarge, retrier]) await child.close()

  const per = (kind: RateKind) => rates[kind].map((r) => r.perSecond)
  const cpu = (kind: RateKind) => rates[kind].map((r) => r.cpuUsPerEvent)
  const share = (kind: RateKind) => rates[kind].map((r) => r.coreShare)
  const sizeRatios = rates.large.map((r, i) => r.perSecond / rates.small[i]!.perSecond)
  const cpuSizeRatios = rates.large.map((r, i) => rates.small[i]!.cpuUsPerEvent / r.cpuUsPerEvent)
  // Where the size ratio goes: the rounds in which neither trigger child ended a full collection.
  const calmRatios = sizeRatios.filter(
    (_, i) => rates.large[i]!.majors + rates.small[i]!.majors === 0,
  )
  const valid = retriesValid && Object.values(rates).every((list) => list.every((r) => r.valid))
  const figures = {
    delivery: median(per('delivery')),
    trigger: median(per('small')),
    sizeRatio: median(sizeRatios),
    retriesMs: median(retryMs),
  }
  const pass =
    valid &&
    figures.delivery >= TARGET.delivery &&
    figures.trigger >= TARGET.trigger &&
    figures.sizeRatio >= TARGET.sizeRatio &&
    figures.retriesMs < TARGET.retriesMs

  say()
  const line = (label: string, kind: RateKind, goal: string) =>
    say(
      `${label.padEnd(22)} ${fmt(per(kind))} /s   ${fmt(cpu(kind), 1)} us CPU/event   ` +
        `core share ${fmt(share(kind), 2)}   goal ${goal}`,
    )
  line('delivery (custom)', 'delivery', `>= ${thousands(TARGET.delivery)}/s`)
  line(`trigger@${thousands(small)}`, 'small', `>= ${thousands(TARGET.trigger)}/s`)
  line(`trigger@${thousands(large)}+`, 'large', `>= ${TARGET.sizeRatio} of trigger@${small}`)
  say(
    `${'size ratio'.padEnd(22)} ${fmt(sizeRatios, 2)} by rate, ${fmt(cpuSizeRatios, 2)} by CPU/event; ` +
      (calmRatios.length === 0
        ? 'every round had a full collection in a trigger child'
        : `${fmt(calmRatios, 2)} by rate in the ${calmRatios.length} of ${rounds} rounds with no full collection in either trigger child`),
  )
  const gcLine = (label: string, kind: RateKind) => {
    const list = rates[kind]
    const show = (pick: (r: Rate) => number) => fmt(list.map(pick), 1)
    const all = show((r) => r.gcMinorUs + r.gcOtherUs)
    const minor = show((r) => r.gcMinorUs)
    const other = show((r) => r.gcOtherUs)
    const withFull = list.filter((r) => r.majors > 0).length
    say(
      `${label.padEnd(22)} ${all} us/event: scavenges ${minor}, full collections and marking ` +
        `steps ${other} (a full collection ended in ${withFull} of ${rounds} rounds)`,
    )
  }
  say('GC pauses (main thread; concurrent marking and sweeping run beside them, on the same core):')
  gcLine('  delivery (custom)', 'delivery')
  gcLine(`  trigger@${thousands(small)}`, 'small')
  gcLine(`  trigger@${thousands(large)}+`, 'large')
  say(
    `${`${retries} due retries`.padEnd(22)} ${fmt(retryMs)} ms wall (receiver ${receiverMs} ms each)   goal < ${thousands(TARGET.retriesMs)} ms`,
  )
  if (!valid) say('INVALID: a round lost or duplicated events, or a retry did not succeed')

  printResult({
    bench: NAME,
    valid,
    pass,
    ratio: round(figures.sizeRatio, 3),
    target: `delivery >= ${TARGET.delivery}/s, trigger >= ${TARGET.trigger}/s, @${large} >= ${TARGET.sizeRatio}x, retries < ${TARGET.retriesMs} ms`,
    headline:
      `delivery ${thousands(figures.delivery)}/s, trigger ${thousands(figures.trigger)}/s, ` +
      `x${figures.sizeRatio.toFixed(2)} at ${thousands(large)}, ${retries} retries ${Math.round(figures.retriesMs)} ms`,
    rounds,
    events,
    warmup,
    delivery: {
      perSecond: per('delivery').map(Math.round),
      cpuUsPerEvent: cpu('delivery').map((n) => round(n, 1)),
    },
    triggerSmall: {
      state: small,
      perSecond: per('small').map(Math.round),
      cpuUsPerEvent: cpu('small').map((n) => round(n, 1)),
    },
    triggerLarge: {
      state: rates.large.map((r) => r.stateEvents),
      perSecond: per('large').map(Math.round),
      cpuUsPerEvent: cpu('large').map((n) => round(n, 1)),
    },
    sizeRatios: sizeRatios.map((n) => round(n, 3)),
    calmSizeRatios: calmRatios.map((n) => round(n, 3)),
    gcUsPerEvent: Object.fromEntries(
      (Object.keys(rates) as RateKind[]).map((kind) => [
        kind,
        {
          scavenges: rates[kind].map((r) => round(r.gcMinorUs, 1)),
          fullAndMarking: rates[kind].map((r) => round(r.gcOtherUs, 1)),
          fullCollections: rates[kind].map((r) => r.majors),
        },
      ]),
    ),
    retries: { count: retries, receiverMs, wallMs: retryMs.map(Math.round) },
  })
}

main().catch((error: unknown) => {
  process.stderr.write(`${NAME}: ${String((error as Error)?.stack ?? error)}\n`)
  children.forEach((c) => c.kill('SIGKILL'))
  process.exit(1)
})
