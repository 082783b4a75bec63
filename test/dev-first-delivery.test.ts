/**
 * Clone to first verified delivery, as a new user goes: a copy of the repository's files (what a
 * clone holds; node_modules linked in, as `npm ci` would have installed it), `npm run dev`, then
 * the three things its banner says to try, pasted as printed: the trigger reaches the quick-start
 * app, whose log shows the verified, handled event; the inspector shows it; `deliveries` lists it
 * delivered. Ctrl-C stops both processes. Free ports (0), so it runs beside anything else.
 */
import t from 'tap'
import { cloneRepository } from './helpers/clone.js'
import { commandsOf, documentedBlocks } from './helpers/doc-blocks.js'
import { shell, shellBlocks, signalGroup } from './helpers/shell.js'

// npm, two TypeScript processes and their tsx compilation on a shared machine: slow is not failed.
t.setTimeout(600_000)

t.test(
  'clone, npm run dev, the trigger it prints: the quick-start app handles the verified event',
  async (t) => {
    const started = performance.now()
    const clone = cloneRepository(t)

    // The quick start's clone commands: `npm ci` is what the linked node_modules stands for.
    const [fromClone] = shellBlocks(new URL('../examples/quick-start/README.md', import.meta.url))
    t.same(fromClone, ['npm ci', 'npm run dev'], 'the README says npm ci, then npm run dev')
    const [fromReadme] = documentedBlocks('README.md', import.meta.url)
    t.same(commandsOf(fromReadme!.code), fromClone, 'and so does the main README')
    const dev = shell(`${fromClone![1]} -- --app-port 0 --sandbox-port 0`, clone)
    t.teardown(() => signalGroup(dev.child, 'SIGKILL'))
    const [, trigger, inspector, deliveries] = await dev.waitFor(
      /\n[^\n]*│ Next, with the app listening at [^\n]*\n[^\n]*│ {3}(.+?) {3,}send a signed order\.filled\n[^\n]*│ {3}(\S+) +the inspector[^\n]*\n[^\n]*│ {3}(.+?) {3,}each delivery/,
    )
    t.match(trigger, /^npm run sandbox -- trigger order\.filled --url http:\/\/127\.0\.0\.1:\d+$/)
    await dev.waitFor(/Try the commands above; Ctrl-C stops both\.\n/)

    const triggered = shell(trigger!, clone)
    const [code] = await triggered.exited
    t.equal(code, 0, `${trigger} exits 0`)
    const [evt] = /evt_\w+/.exec(triggered.output()) ?? []
    t.ok(evt, 'it prints the event id')

    await dev.waitFor(new RegExp(`app +│ INFO {2}bluum event processed {2}deliveryId=${evt}`))
    t.match(
      dev.output(),
      /app +│ INFO {2}order filled {2}symbol=\w+ {2}price=[\d.]+\n/,
      'the handler ran',
    )
    t.notMatch(
      dev.output(),
      /BLUUM_SIGNATURE_MISMATCH|status=401/,
      'verified with the shared secret',
    )
    const handledSeconds = (performance.now() - started) / 1000
    t.comment(`clone → npm run dev → trigger → handler ran: ${handledSeconds.toFixed(1)} s`)

    const page = await fetch(inspector!)
    t.equal(page.status, 200, 'the inspector answers')
    t.match(await page.text(), evt!, 'and shows the event')

    const listed = shell(deliveries!, clone)
    t.equal((await listed.exited)[0], 0, `${deliveries} exits 0`)
    t.match(listed.output(), new RegExp(`order\\.filled +${evt} +delivered +1 +200`))

    signalGroup(dev.child, 'SIGINT')
    await dev.exited
    t.notMatch(dev.output(), /dev: the \w+ stopped/, 'Ctrl-C stops both, neither died first')
  },
)
