/** The top-level usage of `bluum-sandbox`: serving options and the list of subcommands. */
import { DEFAULT_SANDBOX_API_KEY, DEFAULT_SANDBOX_API_SECRET } from '../core/credentials.js'

export const serveUsage = `bluum-sandbox: a local Bluum sandbox (REST API, signed webhooks, sandbox controls)

Usage: bluum-sandbox [options]              run the sandbox
       bluum-sandbox <command> [options]    talk to a running one (see Commands)

Options:
  --port <n>            Port to listen on, 0-65535 (default 4010; 0 picks a free one)
  --host <addr>         Address to bind (default 127.0.0.1)
  --allowed-host <name> Also answer requests for this Host (repeatable): a container's service name,
                        or .example.test for a domain and its subdomains. Loopback names and the
                        address a request arrives at are always answered; any other Host is refused
                        (403 BLUUM_SANDBOX_HOST_NOT_ALLOWED), whatever the credentials
  --api-key <key>       Tenant API key (default $BLUUM_API_KEY, else ${DEFAULT_SANDBOX_API_KEY})
  --api-secret <s>      Tenant API secret (default $BLUUM_API_SECRET, else ${DEFAULT_SANDBOX_API_SECRET})
  --time-scale <n>      Sandbox seconds per real second: 60 turns the 1 min retry into 1 s (default 1)
  --rate-limit <n>      Requests per second per API key before 429; 0 disables (default 10)
  --forward-to <url>    Create a webhook for all events pointing at <url> and print its secret
                        (kept by every reset; reused on restart with --state)
  --webhook-secret <s>  Secret of that webhook (default $BLUUM_WEBHOOK_SECRET, else a new one,
                        printed as an export line for the app's terminal)
  --write-env           Keep that secret in ./.env as BLUUM_WEBHOOK_SECRET (reused on the next
                        start), for an app started with node --env-file=.env
  --state <file>        Keep webhooks (with their secrets), investors, orders, transfers, documents,
                        balances, deliveries and pending retries in <file> across restarts. A missing
                        file starts fresh; a corrupt or foreign one stops start-up (exit 1) untouched.
                        Written atomically, mode 0600: it contains webhook secrets.
  --strict              Refuse request fields Bluum does not document (400 BLUM-400-001); by
                        default they are ignored and named in a Bluum-Sandbox-Warning header
  --quiet               No line per delivery attempt or warned request (the banner still prints)
  --log-format <f>      text (default; coloured on a terminal unless NO_COLOR is set) or json
                        (the banner and every attempt as one JSON object per line)
  -h, --help            Show this help

While it runs, every delivery attempt prints one line: time, event, evt_ id, the status (with the
  receiver's error code, e.g. 401 BLUUM_SIGNATURE_MISMATCH) or the connection error, the duration,
  and the next retry time or "parked"; so does every API request that carried a field Bluum does
  not document (the Bluum-Sandbox-Warning it got).

Commands (each has --help; they reach the sandbox at --url, default http://127.0.0.1:4010):
  trigger <event> [--data JSON | --data @file]   emit a catalog event (like \`stripe trigger\`)
  deliveries [--status parked] [--event name]    list deliveries, newest first
  replay <delivery_id> | --parked [--webhook id] send deliveries again
  logs                                           follow every delivery attempt live
  listen --forward-to <url>                      add a webhook for all events, print its secret,
                                                 stream its attempts, remove it on Ctrl-C
  conformance [--base-url URL]                   check the sandbox (or, with --base-url, any
                                                 Bluum-compatible API) against the contract

Clock: deliveries are signed with wall time, so receivers verify them whatever the time scale.
  POST /v1/sandbox/clock/advance {"duration":"11h"} runs every timer due on the way, in order
  (the whole retry ladder: 6 attempts, then parked); at most 30d per call (else 400).
Reset: POST /v1/sandbox/reset forgets investors, orders, transfers, documents, deliveries and
  events, and brings the clock back to now. Webhook registrations stay (as in Bluum's sandbox);
  send {"keep_webhooks":false} to drop them too (the --forward-to webhook always stays).

Endpoints: the API under /v1, sandbox controls under /v1/sandbox (live events at
  /v1/sandbox/stream), the OpenAPI document at /openapi.json.
Inspector: http://127.0.0.1:4010/ (deliveries and their attempts live, retry now and replay, endpoints
  added, edited, disabled, tested and deleted, secrets, trigger, clock); no login from this machine,
  the API key and secret as HTTP Basic from elsewhere.
`
