#!/usr/bin/env node
/**
 * `bluum-sandbox`: the Bluum sandbox as a local HTTP server and the subcommands that drive a
 * running one. All of it is `main` in cli/main.ts; this file is only the process around it.
 */
import { main, processIo } from './cli/main.js'

process.exit(await main(process.argv.slice(2), processIo()))
