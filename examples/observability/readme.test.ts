/**
 * README.md beside this file, run as written in a copy of the repository: the sandbox with
 * --write-env, the example app reading the secret from .env, a trigger, a scrape. Free ports
 * stand for 3000 and 4010 (the app's PORT, the sandbox's --port, BLUUM_SANDBOX_URL for the
 * trigger); nothing else is changed.
 */
import t from 'tap'
import { cloneRepository } from '../../test/helpers/clone.js'
import { freePort } from '../../test/helpers/free-port.js'
import { shell, shellBlocks } from '../../test/helpers/shell.js'

// npm and two TypeScript processes on a shared machine: slow is not failed.
t.setTimeout(600_000)

t.test(
  'the observability README, as written: a verified delivery counted in /metrics',
  async (t) => {
    const clone = cloneRepository(t)
    const [[sandboxLine], [appLine], [triggerLine, scrapeLine]] = shellBlocks(
      new URL('README.md', import.meta.url),
    ) as [string[], string[], string[]]
    const [appPort, sandboxPort] = [await freePort(), await freePort()]
    const here = (line: string) => line.replaceAll('127.0.0.1:3000', `127.0.0.1:${appPort}`)

    const sandbox = shell(`${here(sandboxLine!)} --port ${sandboxPort}`, clone)
    t.teardown(() => sandbox.interrupt())
    await sandbox.waitFor(/\nNext/)
    t.match(sandbox.output(), 'written to .env as BLUUM_WEBHOOK_SECRET')

    const app = shell(appLine!, clone, { PORT: String(appPort) })
    t.teardown(() => app.interrupt())
    await app.waitFor(/Server listening at/)

    const trigger = shell(triggerLine!, clone, {
      BLUUM_SANDBOX_URL: `http://127.0.0.1:${sandboxPort}`,
    })
    t.equal((await trigger.exited)[0], 0, trigger.output())
    await sandbox.waitFor(/order\.filled +evt_\w+ +#1 +→ (\d{3})/)
    t.match(sandbox.output(), /order\.filled +evt_\w+ +#1 +→ 200 /, 'the app verified it: 200')

    const scrape = shell(here(scrapeLine!), clone)
    t.equal((await scrape.exited)[0], 0)
    t.match(
      scrape.output(),
      /\nbluum_webhook_deliveries_total\{(?=[^}]*messaging_destination_name="order\.filled")(?=[^}]*bluum_delivery_outcome="processed")[^}]*\} 1\n/,
    )
  },
)
