/** `bluum-sandbox deliveries`: lists deliveries of every webhook, newest first, with filters. */
import { deliveryPhases, phaseNamed, type DeliveryPhase } from '../delivery/phase.js'
import {
  connectionFrom,
  connectionHelp,
  connectionOptions,
  integerFlag,
  parseCommand,
  stringFlag,
  UsageExit,
  type CliIo,
} from './args.js'
import { receiverCode } from './attempt-line.js'
import { createSandboxClient } from './client.js'
import type { Delivery, DeliveryAttempt } from '../core/state.js'

export const deliveriesUsage = `Usage: bluum-sandbox deliveries [--status <status>] [--event <name>] [--webhook <id>] [options]

Lists deliveries of every webhook of the running sandbox, newest first: id, event, evt_ id,
status, attempts, the last answer and the next retry.

Options:
  --status <status>     ${deliveryPhases.join(', ')} (succeeded: an alias of delivered)
  --event <name>        An event name or a wildcard (order.filled, order.*, transfer.*)
  --webhook <id>        One webhook's deliveries
  --limit <n>           At most n deliveries, 1-200 (default 50)
  --json                The API's list answer as JSON
${connectionHelp}  -h, --help            Show this help
`

type Listed = Omit<Delivery, 'createdMs' | 'payload' | 'status'> & { status: DeliveryPhase }

function lastAnswer(attempt: DeliveryAttempt | undefined): string {
  if (!attempt) return '-'
  if (attempt.connection_error) return attempt.connection_error.code
  const code = receiverCode(attempt.response?.body)
  return `${attempt.status_code}${code ? ` ${code}` : ''}`
}

export async function deliveries(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    deliveriesUsage,
    {
      ...connectionOptions,
      status: { type: 'string' },
      event: { type: 'string' },
      webhook: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
    { min: 0, max: 0 },
    io,
  )
  const word = stringFlag(values, 'status')
  const status = word === undefined ? undefined : phaseNamed(word)
  if (word !== undefined && status === undefined)
    throw new UsageExit(
      `--status expects one of ${deliveryPhases.join(', ')}, got ${JSON.stringify(word)}`,
      deliveriesUsage,
    )
  const limit = integerFlag(values, 'limit', deliveriesUsage, { min: 1, max: 200 })
  const query = new URLSearchParams()
  if (status) query.set('status', status)
  const event = stringFlag(values, 'event')
  if (event) query.set('event', event)
  const webhook = stringFlag(values, 'webhook')
  if (webhook) query.set('webhook_id', webhook)
  if (limit !== undefined) query.set('limit', String(limit))
  const client = createSandboxClient(connectionFrom(values, deliveriesUsage, io.env))
  const search = query.size ? `?${query}` : ''
  const list = await client.call<{ data: Listed[]; has_more: boolean }>(
    'GET',
    `/sandbox/deliveries${search}`,
  )
  if (values.json) {
    io.stdout.write(JSON.stringify(list, null, 2) + '\n')
    return 0
  }
  if (list.data.length === 0) {
    io.stdout.write('No deliveries match.\n')
    return 0
  }
  const rows = [
    ['DELIVERY', 'WEBHOOK', 'EVENT', 'EVENT ID', 'STATUS', 'ATTEMPTS', 'LAST ANSWER', 'NEXT RETRY'],
    ...list.data.map((d) => [
      d.id,
      d.webhook_id,
      d.event,
      d.event_id,
      d.status,
      String(d.attempts.length),
      lastAnswer(d.attempts.at(-1)),
      d.next_attempt_at ?? (d.status === 'parked' ? `parked (${d.failure_reason})` : '-'),
    ]),
  ]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  for (const row of rows)
    io.stdout.write(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd() + '\n',
    )
  if (list.has_more) io.stdout.write('(more: raise --limit or narrow the filters)\n')
  return 0
}
