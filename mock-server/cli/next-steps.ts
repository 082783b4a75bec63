/**
 * What the banner says after the addresses: how the app gets the webhook's secret, and the next
 * three things to try, as commands the user can paste into this shell. A sandbox nobody forwards
 * to delivers nothing, so that case says how to point a webhook at the app instead.
 */
import { defaultSandboxUrl } from './args.js'
import { WEBHOOK_SECRET_VARIABLE } from './env-file.js'

/** Where the quick start (and most local apps) listen for Bluum. */
const exampleReceiver = 'http://127.0.0.1:3000/webhooks/bluum'

/**
 * How to run this CLI again from the user's shell: in this repository, through its npm script
 * (`npm run sandbox --`, since its own bin is not linked there); in a project that installed the
 * package, `npx bluum-sandbox`.
 */
export function selfCommand(env: NodeJS.ProcessEnv): string {
  return env.npm_package_name === 'fastify-bluum-webhooks'
    ? 'npm run sandbox --'
    : 'npx bluum-sandbox'
}

export interface NextStepsInput {
  /** `selfCommand()`'s answer. */
  command: string
  /** The server's origin, `http://127.0.0.1:4010`. */
  address: string
  /** Webhooks registered once the sandbox started (the forwarded one included). */
  webhookCount: number
  /** The `--forward-to` webhook, when there is one. */
  forwarded?: {
    url: string
    secret: string
    /** Whether the user chose the secret (flag or environment): then they have it already. */
    secretGiven: boolean
  }
  /** `--write-env`: the file and what was done to it. */
  envFile?: { path: string; outcome: 'created' | 'updated' | 'unchanged' }
}

/** The text printed after the banner's addresses (starting with a blank line). */
export function nextSteps(input: NextStepsInput): string {
  const { command, address, forwarded, envFile } = input
  // The subcommands find the default address by themselves; any other one must be named.
  const url = address === defaultSandboxUrl ? '' : ` --url ${address}`
  const lines: string[] = ['']
  if (forwarded && envFile) {
    const done = { created: 'written to', updated: 'updated in', unchanged: 'already in' }
    lines.push(
      `The webhook's secret is ${done[envFile.outcome]} ${envFile.path} as ${WEBHOOK_SECRET_VARIABLE}: start the app with`,
      `  node --env-file=${envFile.path} server.js   (or your entry point; keep ${envFile.path} out of git)`,
      '',
    )
  } else if (forwarded && !forwarded.secretGiven) {
    lines.push(
      "Give the app the webhook's secret (in its terminal), or restart with --write-env to keep it in .env:",
      `  export ${WEBHOOK_SECRET_VARIABLE}=${forwarded.secret}`,
      '',
    )
  }
  if (input.webhookCount === 0) {
    lines.push(
      'No webhook is registered, so nothing is delivered yet. To point one at your app, either',
      'start the sandbox with --forward-to:',
      `  ${command} --forward-to ${exampleReceiver}`,
      'or add one beside this one (removed on Ctrl-C):',
      `  ${command} listen --forward-to ${exampleReceiver}${url}`,
      'or create it through the API, as your app would: POST /v1/webhooks.',
    )
    return lines.join('\n') + '\n'
  }
  lines.push(
    forwarded ? `Next, with the app listening at ${forwarded.url}:` : 'Next:',
    ...columns([
      [`${command} trigger order.filled${url}`, 'send a signed order.filled'],
      [`${address}/`, 'the inspector: every event, delivery and attempt'],
      [`${command} deliveries${url}`, 'each delivery and the answer it got'],
    ]),
  )
  return lines.join('\n') + '\n'
}

/** Indented two-column lines: a command to paste, then what it does. */
function columns(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([left]) => left.length))
  return rows.map(([left, right]) => `  ${left.padEnd(width)}   ${right}`)
}
