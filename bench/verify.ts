/**
 * Ops/s of one signature verification against the bare HMAC it cannot avoid.
 *
 *   verify   `verifyWithKeys` with keys decoded once (what the plugin runs per request):
 *            header checks, timestamp window, signature parsing, HMAC, timingSafeEqual
 *   hmac     `createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest()`
 *   full     `verifyBluumSignature`, which also decodes the secret on every call (informational)
 *
 * Same 1 KB body, same key, valid signature. The variants alternate in 250 ms slices, 15
 * rounds, and are rated per second of this process's CPU time (`lib/micro.ts`): on this shared
 * machine wall-clock rates of consecutive rounds differed by 2-4x, which a handful of rounds
 * cannot average away. The ratio is median(verify) / median(hmac); wall-clock medians are
 * printed for reference.
 *
 *   node --import=tsx bench/verify.ts [--rounds 15] [--slice-ms 250] [--warmup-ms 500]
 */
import { createHmac } from 'node:crypto'
import { parseArgs } from 'node:util'
import {
  decodeSecrets,
  DEFAULT_TOLERANCE_SECONDS,
  verifyBluumSignature,
  verifyWithKeys,
} from '../plugin/signature.js'
import { signatureEntry, TEST_SECRET } from '../test/helpers/sign.js'
import { DEFAULT_BODY_BYTES, orderFilledBody } from './lib/deliveries.js'
import { interleave, warmUp, type MicroVariant } from './lib/micro.js'
import { exitAfter, printResult, round, say, thousands } from './lib/report.js'
import { median, spread } from './lib/stats.js'

const NAME = 'verify'
const TARGET = 0.85

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    'slice-ms': { type: 'string', default: '250' },
    'warmup-ms': { type: 'string', default: '500' },
  },
})
const rounds = Number(args.rounds)
const sliceMs = Number(args['slice-ms'])
const warmupMs = Number(args['warmup-ms'])
exitAfter(rounds * sliceMs * 3 * 2 + warmupMs * 6 + 30_000, NAME)

const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'
const timestamp = 1782918600
const bodyText = orderFilledBody(
  'evt_2KWPBgLlAfxdpx2AI54pPJ85f4W',
  'ord_01j9x8m2k7qpzwv3t5r6y8n0ab',
  DEFAULT_BODY_BYTES,
)
const body = Buffer.from(bodyText)
const headers = {
  'content-type': 'application/json',
  'webhook-id': id,
  'webhook-timestamp': String(timestamp),
  'webhook-signature': signatureEntry(TEST_SECRET, id, timestamp, bodyText),
}
const keys = decodeSecrets(TEST_SECRET)
const key = keys[0]!.bytes

/** A side effect the optimiser cannot remove. */
let sink = 0

type Name = 'verify' | 'hmac' | 'full'
const variants: MicroVariant<Name>[] = [
  {
    name: 'verify',
    op() {
      const result = verifyWithKeys(body, headers, keys, DEFAULT_TOLERANCE_SECONDS, timestamp)
      if (!result.ok) throw result.error
      sink += result.secretIndex
    },
  },
  {
    name: 'hmac',
    op() {
      sink += createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest()[0]!
    },
  },
  {
    name: 'full',
    op() {
      const result = verifyBluumSignature({
        payload: body,
        headers,
        secret: TEST_SECRET,
        nowSeconds: timestamp,
      })
      if (!result.ok) throw result.error
      sink += result.secretIndex
    },
  },
]

function main(): void {
  say(`${NAME}: one verification of a ${body.length} B body vs the bare HMAC over the same bytes`)
  say(
    `${rounds} rounds, one ${sliceMs} ms slice per variant each, alternating, rated per ` +
      `second of CPU time, after ${warmupMs} ms warm-up each`,
  )
  warmUp(variants, warmupMs)
  const samples = interleave(variants, { rounds, sliceMs })
  const med = (name: Name) => median(samples.cpu[name])
  const wallMed = (name: Name) => median(samples.wall[name])
  for (const { name } of variants) {
    say(
      `${name.padEnd(6)} median ${thousands(med(name)).padStart(9)} ops/s ` +
        `(${(1e6 / med(name)).toFixed(2)} us/op, spread ${Math.round(spread(samples.cpu[name]) * 100)}%; ` +
        `wall clock ${thousands(wallMed(name))} ops/s)`,
    )
  }
  const ratio = med('verify') / med('hmac')
  const fullRatio = med('full') / med('hmac')
  const wallRatio = wallMed('verify') / wallMed('hmac')
  say(`ratio verifyWithKeys / bare HMAC: ${ratio.toFixed(3)} (target >= ${TARGET})`)
  say(`  same on wall clock: ${wallRatio.toFixed(3)}`)
  say(
    `info: verifyBluumSignature (decodes the secret per call) / bare HMAC: ${fullRatio.toFixed(3)}`,
  )
  if (sink < 0) say('unreachable')

  printResult({
    bench: NAME,
    valid: true,
    pass: ratio >= TARGET,
    ratio: round(ratio),
    target: `>= ${TARGET}`,
    headline:
      `verify ${thousands(med('verify'))} / hmac ${thousands(med('hmac'))} ops/s; ` +
      `verifyBluumSignature ${thousands(med('full'))}`,
    verifyOpsPerSecond: samples.cpu.verify.map(Math.round),
    hmacOpsPerSecond: samples.cpu.hmac.map(Math.round),
    fullOpsPerSecond: samples.cpu.full.map(Math.round),
    verifyMedian: Math.round(med('verify')),
    hmacMedian: Math.round(med('hmac')),
    fullMedian: Math.round(med('full')),
    fullRatio: round(fullRatio),
    wallRatio: round(wallRatio),
    clock: 'process CPU time',
    bodyBytes: body.length,
    rounds,
    sliceMs,
  })
}

try {
  main()
} catch (err) {
  process.stderr.write(`${NAME} failed: ${(err as Error)?.stack ?? String(err)}\n`)
  process.exitCode = 1
}
