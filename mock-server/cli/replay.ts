/** `bluum-sandbox replay`: sends one delivery, or every parked one, again (same evt_ id, fresh ladder). */
import {
  connectionFrom,
  connectionHelp,
  connectionOptions,
  parseCommand,
  stringFlag,
  UsageExit,
  type CliIo,
} from './args.js'
import { createSandboxClient, type SandboxClient } from './client.js'

export const replayUsage = `Usage: bluum-sandbox replay <delivery_id> [options]
       bluum-sandbox replay --parked [--webhook <id>] [options]

Sends a delivery again from the start of the retry ladder, with the same evt_ id and bytes (the
receiver dedupes on it). A delivery still pending cannot be replayed (409).

Options:
  --parked              Replay every parked delivery (of every webhook, or of --webhook)
  --webhook <id>        With --parked: only this webhook's
${connectionHelp}  -h, --help            Show this help
`

interface Listed {
  id: string
  webhook_id: string
  event: string
  event_id: string
}

/** Webhook ids with parked deliveries, read page by page. */
async function webhooksWithParked(client: SandboxClient): Promise<string[]> {
  const ids = new Set<string>()
  for (let offset = 0; ; offset += 200) {
    const page = await client.call<{ data: Listed[]; has_more: boolean }>(
      'GET',
      `/sandbox/deliveries?status=parked&limit=200&offset=${offset}`,
    )
    for (const d of page.data) ids.add(d.webhook_id)
    if (!page.has_more) return [...ids]
  }
}

export async function replay(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    replayUsage,
    { ...connectionOptions, parked: { type: 'boolean' }, webhook: { type: 'string' } },
    { min: 0, max: 1 },
    io,
  )
  const webhook = stringFlag(values, 'webhook')
  const id = positionals[0]
  if (values.parked ? id !== undefined : id === undefined)
    throw new UsageExit('give either a <delivery_id> or --parked', replayUsage)
  if (webhook !== undefined && !values.parked)
    throw new UsageExit('--webhook goes with --parked', replayUsage)
  const client = createSandboxClient(connectionFrom(values, replayUsage, io.env))

  if (id !== undefined) {
    const found = await client.call<Listed>('GET', `/sandbox/deliveries/${encodeURIComponent(id)}`)
    const replayed = await client.call<Listed>(
      'POST',
      `/sandbox/webhooks/${found.webhook_id}/deliveries/${encodeURIComponent(id)}/replay`,
    )
    io.stdout.write(`Replaying ${replayed.id} (${replayed.event}, ${replayed.event_id})\n`)
    return 0
  }
  const webhooks = webhook !== undefined ? [webhook] : await webhooksWithParked(client)
  let count = 0
  for (const webhookId of webhooks) {
    const answer = await client.call<{ data: Listed[] }>(
      'POST',
      `/sandbox/webhooks/${encodeURIComponent(webhookId)}/deliveries/replay`,
      {},
    )
    for (const d of answer.data) io.stdout.write(`Replaying ${d.id} (${d.event}, ${d.event_id})\n`)
    count += answer.data.length
  }
  io.stdout.write(`${count} parked ${count === 1 ? 'delivery' : 'deliveries'} replayed.\n`)
  return 0
}
