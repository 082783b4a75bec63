/**
 * The CLI's command lines: every subcommand has --help naming its flags, and a bad command line
 * (a bad value, an unknown command or flag, bad JSON for --data) prints the usage to stderr and
 * exits 2 before anything is sent. The real CLI process; no sandbox is needed (none is reached).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runCommand } from './helpers/sandbox-cli.js'

t.test('every command has --help, naming its flags', async (t) => {
  const rows = [
    { command: 'trigger', flags: ['--data', '--custom', '--url', '--api-key', '--api-secret'] },
    { command: 'deliveries', flags: ['--status', '--event', '--webhook', '--limit', '--json'] },
    { command: 'replay', flags: ['--parked', '--webhook', '--url'] },
    { command: 'logs', flags: ['--webhook', '--log-format', '--url'] },
    { command: 'listen', flags: ['--forward-to', '--events', '--log-format', '--url'] },
  ]
  const results = await Promise.all(rows.map((row) => runCommand([row.command, '--help'])))
  rows.forEach((row, i) => {
    const { code, stdout } = results[i]!
    t.equal(code, 0, row.command)
    t.match(stdout, new RegExp(`^Usage: bluum-sandbox ${row.command}`), row.command)
    for (const flag of row.flags) t.match(stdout, flag, `${row.command} ${flag}`)
  })
  const top = await runCommand(['--help'])
  for (const command of rows.map((r) => r.command)) t.match(top.stdout, command)
})

t.test('bad command lines print the usage to stderr and exit 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bluum-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const arrayFile = join(dir, 'array.json')
  writeFileSync(arrayFile, '[1]')
  const rows = [
    { args: ['--port', '99999'], says: /--port expects an integer from 0 to 65535/ },
    { args: ['--port', '1.5'], says: /--port expects an integer/ },
    { args: ['--log-format', 'xml'], says: /--log-format expects "text" or "json"/ },
    { args: ['nope'], says: /unknown command "nope"/ },
    { args: ['trigger'], says: /which event\? One of Bluum's catalog:\n {2}account\.created/ },
    { args: ['trigger', 'order.fill'], says: /did you mean order\.filled\?\n.*add --custom/ },
    { args: ['trigger', 'order.filled', '--data', '{bad'], says: /--data is not valid JSON/ },
    { args: ['trigger', 'order.filled', '--data', `@${arrayFile}`], says: /expects a JSON object/ },
    {
      args: ['trigger', 'order.filled', '--data', `@${join(dir, 'missing.json')}`],
      says: /cannot read the file \(ENOENT\)/,
    },
    { args: ['trigger', 'Order Filled'], says: /<event> expects an event name/ },
    { args: ['deliveries', '--status', 'done'], says: /--status expects one of pending/ },
    { args: ['deliveries', '--limit', '0'], says: /--limit expects an integer from 1 to 200/ },
    { args: ['replay'], says: /either a <delivery_id> or --parked/ },
    { args: ['replay', 'dlv_1', '--parked'], says: /either a <delivery_id> or --parked/ },
    { args: ['replay', 'dlv_1', '--webhook', 'wh_1'], says: /--webhook goes with --parked/ },
    { args: ['logs', '--log-format', 'yaml'], says: /--log-format expects/ },
    { args: ['listen'], says: /--forward-to <url> is required/ },
    { args: ['listen', '--forward-to', 'ftp://x'], says: /--forward-to expects an http\(s\) URL/ },
    { args: ['logs', '--url', 'not a url'], says: /--url expects an http\(s\) URL/ },
    { args: ['deliveries', '--nope'], says: /Unknown option '--nope'/ },
  ]
  // Four at a time: each is a Node process on a shared machine.
  for (let i = 0; i < rows.length; i += 4) {
    const batch = rows.slice(i, i + 4)
    const results = await Promise.all(batch.map((row) => runCommand(row.args)))
    batch.forEach((row, j) => {
      const { code, stdout, stderr } = results[j]!
      const name = row.args.join(' ')
      t.equal(code, 2, name)
      t.match(stderr, row.says, name)
      t.match(stderr, /Usage: bluum-sandbox/, `${name}: the usage text`)
      t.equal(stdout, '', `${name}: nothing on stdout`)
    })
  }
})
