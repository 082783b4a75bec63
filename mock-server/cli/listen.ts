/**
 * `bluum-sandbox listen --forward-to <url>`: adds a webhook for every event to a running sandbox,
 * prints its secret, prints its attempts live, and deletes it on Ctrl-C or SIGTERM (like
 * `stripe listen`). The webhook is an ordinary one, so a `kill -9` leaves it behind: delete it
 * with `DELETE /v1/webhooks/{id}`.
 */
import {
  connectionFrom,
  connectionHelp,
  connectionOptions,
  logFormatFlag,
  parseCommand,
  stringFlag,
  UsageExit,
  type CliIo,
} from './args.js'
import { SandboxListenUrlTakenError } from '../core/errors.js'
import { createSandboxClient, type SandboxClient } from './client.js'
import { printAttempts, signalOnExit } from './logs.js'

export const listenUsage = `Usage: bluum-sandbox listen --forward-to <url> [options]

Adds a webhook for every event (or --events) to the running sandbox, pointing at <url>; prints
its id and signing secret (give the secret to your app), then one line per delivery attempt to it.
Ctrl-C (or SIGTERM) deletes the webhook and exits. A URL that an active webhook already delivers
to (a sandbox started with --forward-to <url>) is refused: every event would arrive twice.

Options:
  --forward-to <url>    Where to deliver, e.g. http://127.0.0.1:3000/webhooks/bluum (required)
  --events <list>       Comma-separated names or wildcards (default *: every event)
  --log-format <f>      text (default; coloured on a terminal unless NO_COLOR is set) or json
${connectionHelp}  -h, --help            Show this help
`

export async function listen(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    listenUsage,
    {
      ...connectionOptions,
      'forward-to': { type: 'string' },
      events: { type: 'string' },
      'log-format': { type: 'string' },
    },
    { min: 0, max: 0 },
    io,
  )
  const forwardTo = stringFlag(values, 'forward-to')
  if (!forwardTo) throw new UsageExit('--forward-to <url> is required', listenUsage)
  try {
    const url = new URL(forwardTo)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(url.protocol)
  } catch {
    throw new UsageExit(
      `--forward-to expects an http(s) URL, got ${JSON.stringify(forwardTo)}`,
      listenUsage,
    )
  }
  const events = (stringFlag(values, 'events') ?? '*')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  if (events.length === 0) throw new UsageExit('--events names no event', listenUsage)
  const format = logFormatFlag(values, listenUsage)
  const client = createSandboxClient(connectionFrom(values, listenUsage, io.env))

  await refuseTakenUrl(client, forwardTo)

  // Signals are caught before the webhook exists, so none can leave it behind unnoticed.
  const exit = signalOnExit()
  let webhook: { id: string; secret: string } | undefined
  try {
    webhook = await client.call<{ id: string; secret: string }>('POST', '/webhooks', {
      name: 'bluum-sandbox listen',
      url: forwardTo,
      eventTypeNames: events,
    })
    const created = webhook
    if (exit.signal.aborted) return 0
    await printAttempts(client, io, {
      format,
      signal: exit.signal,
      webhookId: created.id,
      onOpen() {
        io.stdout.write(
          format === 'json'
            ? JSON.stringify({
                type: 'ready',
                webhook_id: created.id,
                forward_to: forwardTo,
                events,
                secret: created.secret,
              }) + '\n'
            : `Ready: forwarding ${events.join(', ')} to ${forwardTo}\n` +
                `  Webhook: ${created.id}\n  Secret:  ${created.secret}\n`,
        )
      },
    })
    return 0
  } finally {
    exit.dispose()
    if (webhook) {
      // Best effort on the way out: the sandbox may be the reason we are leaving.
      await client
        .call('DELETE', `/webhooks/${webhook.id}`)
        .then(() => io.stderr.write(`Deleted webhook ${webhook!.id}\n`))
        .catch((error: Error) =>
          io.stderr.write(
            `bluum-sandbox: could not delete webhook ${webhook!.id}: ${error.message}\n`,
          ),
        )
    }
  }
}

/**
 * Two active webhooks on one URL deliver every event twice, each copy signed with its own secret:
 * the app verifies one and answers 401 to the other. Throws when one already delivers there.
 */
async function refuseTakenUrl(client: SandboxClient, url: string): Promise<void> {
  const target = new URL(url).href
  for (let offset = 0; ; offset += 200) {
    const page = await client.call<{
      data: Array<{ id: string; name: string; url: string; status: string }>
      has_more: boolean
    }>('GET', `/webhooks?limit=200&offset=${offset}`)
    const taken = page.data.find((w) => w.status === 'active' && sameUrl(w.url, target))
    if (taken) throw new SandboxListenUrlTakenError(taken.id, taken.name, url, taken.id)
    if (!page.has_more) return
  }
}

function sameUrl(candidate: string, target: string): boolean {
  try {
    return new URL(candidate).href === target
  } catch {
    return false
  }
}
