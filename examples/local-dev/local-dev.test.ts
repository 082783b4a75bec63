/**
 * README.md beside this file, run as written in a copy of the repository: the sandbox CLI and the
 * example server as two processes sharing the secret through .env, the user's curl commands, the
 * app stopped while an order is placed on the sandbox, started again, and the retries run by a
 * clock advance. Free ports stand for 3000 and 4010 (the app's PORT and BLUUM_BASE_URL, the
 * sandbox's --port); the shell variables the README sets in terminal 3 carry over between its
 * blocks, as they do in one terminal.
 */
import t from 'tap'
import { cloneRepository } from '../../test/helpers/clone.js'
import { freePort } from '../../test/helpers/free-port.js'
import { shell, shellBlocks } from '../../test/helpers/shell.js'

// npm, two TypeScript processes and PGlite on a shared machine: slow is not failed.
t.setTimeout(600_000)

t.test(
  'the local-dev README, as written: verified deliveries, and a catch-up after the app was down',
  async (t) => {
    const clone = cloneRepository(t)
    const [[sandboxLine], [appLine], drive, whileDown, catchUp] = shellBlocks(
      new URL('README.md', import.meta.url),
    ) as [string[], string[], string[], string[], string[]]
    const [appPort, sandboxPort] = [await freePort(), await freePort()]
    const here = (line: string) =>
      line
        .replaceAll('127.0.0.1:3000', `127.0.0.1:${appPort}`)
        .replaceAll('127.0.0.1:4010', `127.0.0.1:${sandboxPort}`)
    const appEnv = {
      PORT: String(appPort),
      BLUUM_BASE_URL: `http://127.0.0.1:${sandboxPort}/v1`,
    }

    const sandbox = shell(`${here(sandboxLine!)} --port ${sandboxPort}`, clone)
    t.teardown(() => sandbox.interrupt())
    await sandbox.waitFor(/\nNext/)

    let app = shell(appLine!, clone, appEnv)
    t.teardown(() => app.interrupt())
    await app.waitFor(/Server listening at/)

    // Terminal 3: one script, as the lines run one after the other in one shell.
    const driving = shell(drive!.map(here).join('\n'), clone)
    t.equal((await driving.exited)[0], 0, driving.output())
    const investor = /"investor_id":"(inv_\w+)"/.exec(driving.output())?.[1]
    t.ok(investor, `the order went through the app: ${driving.output()}`)
    const session = { auth: 'bluum_sandbox_key:bluum_sandbox_secret', investor: investor! }
    const notificationsLine = here(drive!.at(-1)!)

    /** The README's "run the last line again": the notifications, once there are `count`. */
    async function notifications(count: number): Promise<unknown[]> {
      for (;;) {
        const read = shell(notificationsLine, clone, session)
        await read.exited
        const rows = JSON.parse(read.output()) as unknown[]
        if (rows.length >= count) return rows
        await sandbox.waitFor(/order\.filled[^\n]*→ 200/) // at least one fill was acknowledged
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
    t.match(await notifications(1), [{ message: /buy order for 1 AAPL/ }])

    // Ctrl-C in terminal 2, then the order on the sandbox directly.
    await app.interrupt()
    const placed = shell(whileDown!.map(here).join('\n'), clone, session)
    t.equal((await placed.exited)[0], 0)
    t.match(placed.output(), /"status":"filled"/, 'the sandbox took the order: no field missing')
    await sandbox.waitFor(/order\.filled +evt_\w+ +#1 +→ ECONNREFUSED/)

    app = shell(appLine!, clone, appEnv)
    await app.waitFor(/Server listening at/)
    const [advance, read] = catchUp!.map(here)
    const advanced = shell(advance!, clone, session)
    t.equal((await advanced.exited)[0], 0, advanced.output())
    await sandbox.waitFor(/order\.filled +evt_\w+ +#2 +→ 200/)
    t.equal(read, notificationsLine, 'the same last line')
    t.match(await notifications(2), [
      { message: /buy order for 1 AAPL/ },
      { message: /buy order for 1 AAPL/ },
    ])
    t.notMatch(sandbox.output(), /BLUUM_SIGNATURE_MISMATCH/, 'every delivery verified')
  },
)
