#!/usr/bin/env node
/** The `bluum-worker` executable: the program is `main` in worker-cli.ts, run on this process. */
import { main } from './worker-cli.js'

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env })
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    process.stderr.write(`bluum-worker: ${String((error as Error)?.stack ?? error)}\n`)
    process.exit(1)
  })
