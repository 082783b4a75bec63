/** `bluum-sandbox trigger <event>`: emits one catalog event on a running sandbox, like `stripe trigger`. */
import { readFileSync } from 'node:fs'
import { bluumEventNames, isBluumEventName } from '../../plugin/catalog.js'
import { nearestName } from '../../plugin/option-checks.js'
import {
  connectionFrom,
  connectionHelp,
  connectionOptions,
  parseCommand,
  stringFlag,
  UsageExit,
  type CliIo,
} from './args.js'
import { createSandboxClient } from './client.js'

export const triggerUsage = `Usage: bluum-sandbox trigger <event> [--data JSON | --data @file] [options]

Emits one catalog event (order.filled, transfer.deposit.completed, ...) on the running sandbox:
the sample data, with --data merged over it and checked against the event's schema, and the
resources behind the event built to match. Prints the event sent (its evt_ id and envelope).

Options:
  --data <json>         A JSON object merged over the sample data, e.g. '{"symbol":"TSLA"}'
  --data @<file>        The same, read from a file
  --custom              Allow a name outside the catalog (sent as given, for a catch-all handler)
${connectionHelp}  -h, --help            Show this help

Example: bluum-sandbox trigger order.filled --data '{"symbol":"TSLA","filled_quantity":"3"}'
`

/** The catalog's event names, one line per resource (`order.*`, `transfer.deposit.*`...), indented. */
function catalogList(): string {
  const groups = new Map<string, string[]>()
  for (const name of bluumEventNames) {
    const group = name.split('.').slice(0, -1).join('.')
    groups.set(group, [...(groups.get(group) ?? []), name])
  }
  return [...groups.values()].map((names) => `  ${names.join(', ')}`).join('\n')
}

/** The `--data` object: inline JSON or `@file`; anything but a JSON object exits 2. */
function readData(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined
  let text = raw
  if (raw.startsWith('@')) {
    try {
      text = readFileSync(raw.slice(1), 'utf8')
    } catch (error) {
      throw new UsageExit(
        `--data ${raw}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        triggerUsage,
      )
    }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new UsageExit(`--data is not valid JSON: ${(error as Error).message}`, triggerUsage)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageExit('--data expects a JSON object, e.g. \'{"symbol":"TSLA"}\'', triggerUsage)
  return parsed as Record<string, unknown>
}

export async function trigger(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    triggerUsage,
    { ...connectionOptions, data: { type: 'string' }, custom: { type: 'boolean' } },
    { min: 0, max: 1 },
    io,
  )
  const event = positionals[0]
  if (event === undefined)
    throw new UsageExit(`which event? One of Bluum's catalog:\n${catalogList()}`, triggerUsage)
  if (!/^[a-z0-9_]+(\.[a-z0-9_]+)+$/.test(event))
    throw new UsageExit(
      `<event> expects an event name like order.filled, got ${JSON.stringify(event)}`,
      triggerUsage,
    )
  if (!values.custom && !isBluumEventName(event)) {
    const near = nearestName(event, bluumEventNames)
    throw new UsageExit(
      `${JSON.stringify(event)} is not an event of Bluum's catalog` +
        (near ? `: did you mean ${near}?` : `. The catalog:\n${catalogList()}`) +
        '\nTo send a name outside the catalog (for a catch-all handler), add --custom.',
      triggerUsage,
    )
  }
  const data = readData(stringFlag(values, 'data'))
  const client = createSandboxClient(connectionFrom(values, triggerUsage, io.env))
  const sent = await client.call<{ id: string; event: string }>('POST', '/sandbox/trigger', {
    event,
    ...(data === undefined ? {} : { data }),
    ...(values.custom ? { custom: true } : {}),
  })
  io.stdout.write(`Triggered ${sent.event} (${sent.id})\n${JSON.stringify(sent, null, 2)}\n`)
  return 0
}
