/**
 * The inspector in a real browser: Debian's Chromium driven by playwright-core (one browser for
 * the file, a new context per case), against the standalone sandbox and a real receiving app with
 * the plugin, all on 127.0.0.1.
 *
 * - The story a new user lives: the app has the wrong secret, the delivery fails; they watch it
 *   appear live, read the app's own answer, run the clock to the end of the ladder, reveal and
 *   rotate the secret, restart the app with it, replay and see the new attempt succeed.
 * - Endpoints added, edited, disabled, tested and deleted from the page; retry now; paging past
 *   200 deliveries; the trigger form by keyboard, naming who receives the event.
 * - Live in every tab: 10 tabs share one stream (a SharedWorker), all update, an 11th loads; where
 *   SharedWorker is missing, a leader tab relays its stream and hands over when it closes.
 * - Safe: a DNS-rebinding page with the default credentials reads nothing (Chromium told to
 *   resolve evil.example to 127.0.0.1, its own local-network checks off); every hostile string
 *   renders as text; the pages work without JavaScript.
 *
 * Every wait is Playwright's own wait for an element, a URL or an event; tap's timeout bounds it.
 */
import type { IncomingMessage } from 'node:http'
import Fastify from 'fastify'
import type { BrowserContext, Page } from 'playwright-core'
import t from 'tap'
import { generateWebhookSecret } from '../mock-server/index.js'
import { inspectorPaths } from '../mock-server/inspector/layout.js'
import { launchChromium, startApp, startSandbox, tenant } from './helpers/inspector-browser.js'

const browser = await launchChromium([
  // The rebinding attacker's name, resolved to this machine as its DNS would after the rebind.
  '--host-resolver-rules=MAP evil.example 127.0.0.1',
  // Chromium's own local-network checks would stop the attack before the sandbox sees it; other
  // browsers have none. Turned off, the sandbox's Host check is all that stands in the way.
  '--disable-features=PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests,LocalNetworkAccessChecks',
])
t.teardown(() => browser.close())

async function newContext(
  t: { teardown(fn: () => unknown): void },
  options: Parameters<typeof browser.newContext>[0] = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options })
  t.teardown(() => context.close())
  return context
}

/** Counts the inspector streams the server received, and waits for the next one. */
function countStreams(server: {
  server: { on(event: 'request', fn: (r: IncomingMessage) => void): unknown }
}) {
  let count = 0
  const waiters: (() => void)[] = []
  server.server.on('request', (request) => {
    if (request.url !== inspectorPaths.stream) return
    count++
    for (const wake of waiters.splice(0)) wake()
  })
  return {
    get inspector() {
      return count
    },
    next: () => new Promise<void>((resolve) => waiters.push(resolve)),
  }
}

async function live(page: Page) {
  await page.locator('#live-status', { hasText: 'Live' }).waitFor()
}

t.test('watch a delivery fail, read why, fix the app and replay it, in a browser', async (t) => {
  const { base, api } = await startSandbox(t)
  const seen: string[] = []
  let receiver = await startApp(generateWebhookSecret(), 0, seen)
  t.teardown(() => receiver.app.close())

  // Registered through the API, as a user's setup script would.
  const created = await api('POST', '/webhooks', {
    name: 'my app',
    url: `${receiver.address}/webhooks/bluum`,
    eventTypeNames: ['order.*'],
  })
  t.equal(created.status, 201)
  const webhook = created.body as { id: string; secret: string }

  const page = await (await newContext(t)).newPage()
  await page.goto(`${base}/`)
  await live(page)
  await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true))

  const event = (await api('POST', '/sandbox/trigger', { event: 'order.filled' })).body as {
    id: string
  }
  const row = page.locator(`li.row[data-event-id="${event.id}"][data-state="failing"]`)
  await row.waitFor()
  t.equal(
    await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce),
    true,
    'the failing delivery appeared live, without a reload',
  )
  t.match(await row.innerText(), '401 BLUUM_SIGNATURE_MISMATCH', "the row names the app's code")
  t.match(await row.innerText(), 'my app')

  await row.getByRole('link').click()
  await page.waitForURL(/\?delivery=dlv_/)
  const deliveryUrl = page.url()
  const first = page.locator('#attempt-1')
  await first.waitFor()
  const firstText = await first.innerText()
  t.match(firstText, 'BLUUM_SIGNATURE_MISMATCH', "the app's code")
  t.match(firstText, /secret/i, "the app's diagnosis names the secret as a likely cause")
  const copyButton = page.getByRole('button', { name: 'Copy delivery id' })
  await copyButton.click()
  const copied = page.locator('button.copy[data-copied]')
  await copied.waitFor()
  t.pass('the copy button wrote the id to the clipboard')
  // A live refresh replaces the region the button is in: the new button still says it was
  // copied (on a busy machine a refresh can land right after the click).
  await copyButton.evaluate((button) => ((button as unknown as { old: boolean }).old = true))
  const refreshes = Number(await page.locator('html').getAttribute('data-refreshes'))
  await api('POST', '/sandbox/trigger', { event: 'order.filled' })
  await page.locator(`html[data-refreshes="${refreshes + 1}"]`).waitFor({ state: 'attached' })
  t.equal(
    await copyButton.evaluate((button) => (button as unknown as { old?: boolean }).old),
    undefined,
    'the refresh put a new button in its place',
  )
  t.equal(await copyButton.getAttribute('data-copied'), 'true', 'which keeps the copied mark')
  t.equal(
    await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? null),
    'Copy delivery id',
    'and the keyboard focus the clicked button had',
  )
  await first.getByText('Request sent').click()
  t.match(await first.innerText(), 'webhook-signature', 'the request sent, with its headers')

  // Run the retry ladder to its end from the page's clock control.
  await page.getByLabel('Advance the clock by').fill('11h')
  await page.getByRole('button', { name: 'Advance', exact: true }).click()
  await page.waitForURL(/notice=clock-advanced/)
  await page.locator('#delivery-live .state-parked').waitFor()
  const folded = page.locator('.attempts > li')
  t.equal(await folded.count(), 1, 'six identical refusals read as one group')
  t.match(await folded.innerText(), /Attempts 1–6: HTTP 401 BLUUM_SIGNATURE_MISMATCH ×6/)
  t.ok(await page.getByRole('button', { name: 'Retry now' }).isDisabled(), 'nothing to retry')

  // Fix the app: reveal the secret (hidden until then), rotate it, restart the app with it.
  await page.getByRole('link', { name: 'Webhooks' }).click()
  t.equal(await page.getByText(/whsec_/).count(), 0, 'the secret is hidden')
  await page.getByRole('button', { name: 'Reveal secret of my app' }).click()
  t.equal(await page.locator('output.secret code').innerText(), webhook.secret, 'revealed')
  await page.goto(`${base}/webhooks/${webhook.id}/reveal`)
  t.equal(new URL(page.url()).pathname, '/webhooks', 'a reveal URL opened again leads to the page')
  t.equal(await page.getByText(/whsec_/).count(), 0, 'hidden again')
  await page.getByLabel('Old secret keeps signing').selectOption('3600')
  await page.getByRole('button', { name: 'Rotate secret of my app' }).click()
  await page.getByText('Secret rotated').waitFor()
  t.match(
    await page.locator('.grace').innerText(),
    /previous secret also signs until in 59 min|in 1 h/,
  )
  const rotated = await page.locator('output.secret code').innerText()
  t.not(rotated, webhook.secret, 'a new secret')
  await receiver.app.close()
  receiver = await startApp(rotated, receiver.port, seen)

  await page.goto(deliveryUrl)
  await page.getByRole('button', { name: 'Replay this delivery' }).focus()
  await page.keyboard.press('Enter')
  await page.waitForURL(/notice=replayed/)
  t.match(page.url(), /\?delivery=dlv_[^&]+&notice=replayed$/, 'back where the replay was asked')
  const replayed = page.locator('#attempt-7.ok')
  await replayed.waitFor()
  t.match(await replayed.innerText(), 'HTTP 200')
  await page.locator('#delivery-live .state-delivered').waitFor()
  t.same(seen, ['order.filled'], "the app's handler ran once")
})

t.test('trigger an event from the form, by keyboard, checked before it is sent', async (t) => {
  const { base, sandbox, api } = await startSandbox(t)
  await api('POST', '/webhooks', {
    name: 'deposits app',
    url: 'http://127.0.0.1:9/deposits',
    eventTypeNames: ['transfer.deposit.*'],
  })
  const page = await (await newContext(t)).newPage()
  await page.goto(`${base}/trigger`)
  const submit = async () => {
    await page.getByRole('button', { name: 'Trigger', exact: true }).focus()
    await page.keyboard.press('Enter')
  }
  const receivers = page.locator('#trigger-receivers')
  t.match(await receivers.innerText(), 'No active webhook subscribes to it')

  await page.getByLabel('Event', { exact: true }).selectOption('transfer.deposit.completed')
  t.match(await receivers.innerText(), 'deposits app', 'the form names who receives it')
  const data = page.getByLabel(/^Data/)
  const sample = await data.inputValue()
  t.match(sample, '"amount": "1000.00"', "the chosen event's sample is filled in")
  t.notMatch(sample, '"id"', 'without the fields the sandbox computes')

  await data.fill('{"amount": ')
  await submit()
  await page.locator('#trigger-data-error', { hasText: 'not valid JSON' }).waitFor()
  t.equal(await data.getAttribute('aria-invalid'), 'true', 'the field is marked invalid')
  t.equal(page.url(), `${base}/trigger`, 'the form was not sent')

  await data.fill('{"amount": "ten"}')
  await submit()
  const refusal = page.locator('#api-error')
  await refusal.waitFor()
  t.match(await refusal.innerText(), /BLUM-400-\d+/, "the API's code")
  t.match(await refusal.innerText(), 'data.amount', 'the field it names')
  t.equal(sandbox.events().length, 0, 'nothing was emitted')

  await page.getByLabel(/^Data/).fill('{"amount": "250.00"}')
  await submit()
  await page.waitForURL(/\/events\/evt_/)
  t.match(
    await page.locator('#envelope').innerText(),
    '"amount": "250.00"',
    'the event, as emitted',
  )
  t.equal(sandbox.events().at(-1)?.event, 'transfer.deposit.completed')
})

t.test('endpoints are added, edited, disabled, tested and deleted from the page', async (t) => {
  const { base, sandbox } = await startSandbox(t)
  const page = await (await newContext(t)).newPage()
  await page.goto(`${base}/webhooks`)
  await page.getByRole('link', { name: 'Add endpoint' }).first().click()
  await page.getByLabel('Name', { exact: true }).fill('orders app')
  await page.getByLabel('Endpoint URL').fill('ftp://127.0.0.1/orders')
  await page.getByLabel('All events').uncheck()
  await page.getByLabel('every order.*').check()
  await page.getByRole('button', { name: 'Add endpoint' }).click()
  const urlError = page.locator('#error-url')
  await urlError.waitFor()
  t.match(await urlError.innerText(), 'expected an http(s) URL', "Bluum's message, at the field")
  t.equal(await page.getByLabel('Endpoint URL').getAttribute('aria-invalid'), 'true')
  t.ok(await page.getByLabel('every order.*').isChecked(), 'what was chosen is kept')
  t.equal(sandbox.webhooks.list().length, 0, 'nothing was created')

  await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/orders')
  await page.getByRole('button', { name: 'Add endpoint' }).click()
  await page.waitForURL(/notice=webhook-created/)
  const [webhook] = sandbox.webhooks.list()
  t.same(webhook!.event_type_names, ['order.*'])
  const card = page.locator(`article#${webhook!.id}`)
  t.match(await card.innerText(), 'orders app')

  await card.getByRole('link', { name: 'Edit orders app' }).click()
  await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/v2/orders')
  await page.getByLabel('Description (optional)').fill('fills and cancels')
  await page.getByLabel('order.canceled').check()
  await page.getByRole('button', { name: 'Save' }).click()
  await page.waitForURL(/notice=webhook-updated/)
  t.equal(webhook!.url, 'http://127.0.0.1:9/v2/orders')
  t.equal(webhook!.description, 'fills and cancels')
  t.same(webhook!.event_type_names, ['order.*', 'order.canceled'])

  await card.getByRole('button', { name: 'Disable orders app' }).click()
  await page.waitForURL(/notice=webhook-disabled/)
  t.equal(webhook!.status, 'inactive')
  t.ok(await card.getByRole('button', { name: 'Send test event to orders app' }).isDisabled())
  await card.getByRole('button', { name: 'Enable orders app' }).click()
  await page.waitForURL(/notice=webhook-enabled/)
  t.equal(webhook!.status, 'active')

  await card.getByLabel('Test event', { exact: true }).selectOption('account.created')
  await card.getByRole('button', { name: 'Send test event to orders app' }).click()
  await page.waitForURL(/\?delivery=dlv_.*notice=test-sent/)
  await page.locator('#delivery-title', { hasText: 'account.created' }).waitFor()
  t.equal(sandbox.deliveries.list()[0]?.event, 'account.created', 'to this endpoint, any event')

  await page.goto(`${base}/webhooks`)
  await card.getByRole('link', { name: 'Delete orders app…' }).click()
  await page.getByRole('button', { name: 'Delete orders app' }).click()
  await page.waitForURL(/notice=webhook-deleted/)
  t.equal(sandbox.webhooks.list().length, 0)
  t.match(await page.locator('main').innerText(), 'No webhook yet')
})

t.test('retry now, and paging through every delivery with the filters kept', async (t) => {
  const { base, sandbox, api } = await startSandbox(t)
  await api('POST', '/webhooks', {
    name: 'down',
    url: 'http://127.0.0.1:9/x',
    eventTypeNames: ['*'],
  })
  for (let i = 0; i < 230; i++) sandbox.trigger(i % 2 ? 'order.filled' : 'account.created')
  await sandbox.idle()
  const page = await (await newContext(t)).newPage()

  await page.goto(`${base}/?event=order.*`)
  t.match(await page.locator('#feed-title').innerText(), '(115 matching)')
  const pages: string[] = []
  for (;;) {
    const range = await page.locator('.pager-range').innerText()
    pages.push(range)
    t.equal(
      new URL(page.url()).searchParams.get('event'),
      'order.*',
      `${range}: the filter is kept`,
    )
    const older = page.getByRole('link', { name: 'Older →' })
    if ((await older.count()) === 0) break
    await older.click()
    await page.locator('.pager').waitFor()
  }
  t.same(pages, ['1–50 of 115', '51–100 of 115', '101–115 of 115'])
  await page.getByRole('link', { name: '← Newer' }).click()
  await page.waitForURL(/before=/)
  t.equal(await page.locator('.pager-range').innerText(), '51–100 of 115')

  await page.goto(`${base}/`)
  t.equal(await page.locator('.pager-range').innerText(), '1–50 of 230')
  for (let n = 0; n < 4; n++) await page.getByRole('link', { name: 'Older →' }).click()
  await page.waitForURL(/after=/)
  t.equal(await page.locator('.pager-range').innerText(), '201–230 of 230', 'past 200')
  t.equal(await page.locator('li.row').count(), 30)

  const target = page.locator('li.row').last()
  await target.getByRole('link').click()
  await page.waitForURL(/delivery=dlv_/)
  const id = new URL(page.url()).searchParams.get('delivery')!
  const delivery = sandbox.deliveries.get(id)!
  const clock = sandbox.clock.now()
  t.equal(delivery.attempts.length, 1)
  await page.getByRole('button', { name: 'Retry now' }).click()
  await page.waitForURL(/notice=retried/)
  t.match(page.url(), /after=/, 'the page of the list is kept')
  await page.locator('#attempt-2').waitFor()
  t.equal(delivery.attempts.length, 2, 'the next attempt ran at once')
  t.ok(sandbox.clock.now() - clock < 60_000, 'without moving the clock to it')
  t.match(await page.locator('#attempt-2').innerText(), /Attempts 1–2: ECONNREFUSED ×2/)
})

t.test('ten tabs share one live stream, all update, and an eleventh loads', async (t) => {
  const { base, server, sandbox, api } = await startSandbox(t)
  const opened = countStreams(server)
  await api('POST', '/webhooks', {
    name: 'down',
    url: 'http://127.0.0.1:9/x',
    eventTypeNames: ['*'],
  })
  const context = await newContext(t)
  const tabs: Page[] = []
  for (let i = 0; i < 10; i++) {
    const tab = await context.newPage()
    await tab.goto(`${base}/`)
    await live(tab)
    tabs.push(tab)
  }
  t.equal(opened.inspector, 1, 'one stream for the ten tabs')
  t.equal(
    await tabs[0]!.evaluate(() => document.documentElement.getAttribute('data-live-mode')),
    'shared-worker',
  )
  const event = sandbox.trigger('order.filled')
  for (const [i, tab] of tabs.entries()) {
    await tab.locator(`li.row[data-event-id="${event.id}"]`).waitFor()
    t.pass(`tab ${i + 1} updated`)
  }
  const eleventh = await context.newPage()
  await eleventh.goto(`${base}/?delivery=${sandbox.deliveries.list()[0]!.id}`)
  await live(eleventh)
  await eleventh.locator('#delivery-live .state').waitFor()
  t.pass('an eleventh tab loads, live')
  t.equal(opened.inspector, 1, 'still one stream')
})

t.test('without SharedWorker, one tab leads the stream and hands it over', async (t) => {
  const { base, server, sandbox } = await startSandbox(t)
  const opened = countStreams(server)
  const context = await newContext(t)
  await context.addInitScript(() => {
    delete (window as unknown as { SharedWorker?: unknown }).SharedWorker
  })
  const tabs: Page[] = []
  for (let i = 0; i < 3; i++) {
    const tab = await context.newPage()
    await tab.goto(`${base}/`)
    tabs.push(tab)
  }
  for (const tab of tabs) await live(tab)
  t.equal(
    await tabs[0]!.evaluate(() => document.documentElement.getAttribute('data-live-mode')),
    'leader',
  )
  t.equal(opened.inspector, 1, 'one stream, held by the leader')
  const first = sandbox.trigger('account.created')
  for (const tab of tabs) await tab.locator(`li.row[data-event-id="${first.id}"]`).waitFor()
  // When the leader closes, the lock passes to another tab, which opens the stream in its turn.
  const handedOver = opened.next()
  await tabs[0]!.close()
  await handedOver
  t.equal(opened.inspector, 2, 'another tab opened the stream')
  const second = sandbox.trigger('account.created')
  for (const tab of tabs.slice(1))
    await tab.locator(`li.row[data-event-id="${second.id}"]`).waitFor()
  t.pass('the other tabs update after the leader closed')
})

t.test('a DNS-rebinding page with the default credentials reads nothing', async (t) => {
  const attack = async (allowedHosts: string[]) => {
    const { port, sandbox } = await startSandbox(t, {}, { allowedHosts })
    const webhook = sandbox.webhooks.create({
      name: 'app',
      url: 'http://127.0.0.1:9/x',
      eventTypeNames: ['*'],
    })
    const context = await newContext(t)
    // tsx names the page function's inner arrows with a helper the page does not have.
    await context.addInitScript('window.__name = (f) => f')
    const origin = `http://evil.example:${port}`
    // The attacker's page, served under its name before the name was rebound to 127.0.0.1.
    await context.route(`${origin}/attack.html`, (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>cats</title>' }),
    )
    const page = await context.newPage()
    await page.goto(`${origin}/attack.html`)
    const results = await page.evaluate(
      async ({ id, auth }) => {
        const read = async (path: string, init: RequestInit = {}) => {
          try {
            const response = await fetch(path, init)
            if (!path.endsWith('/stream'))
              return { path, status: response.status, text: await response.text() }
            // A stream that was let through stays open: its first bytes are enough.
            const reader = response.body!.getReader()
            const first = await reader.read()
            await reader.cancel()
            return { path, status: response.status, text: new TextDecoder().decode(first.value) }
          } catch (error) {
            return { path, status: 0, text: String(error) }
          }
        }
        const headers = { authorization: auth }
        return [
          await read('/v1/webhooks', { headers }),
          await read(`/webhooks/${id}/reveal`, { method: 'POST', headers }),
          await read('/webhooks', { headers }),
          await read('/v1/sandbox/stream', { headers }),
          await read('/_inspector/stream', { headers }),
        ]
      },
      { id: webhook.id, auth: tenant },
    )
    return { results, secret: webhook.secret }
  }

  const refused = await attack([])
  for (const { path, status, text } of refused.results) {
    t.equal(status, 403, `${path}: refused`)
    t.match(text, 'BLUUM_SANDBOX_HOST_NOT_ALLOWED', `${path}: the sandbox's code`)
    t.notMatch(text, 'whsec_', `${path}: no secret`)
  }
  // The control: the same page against a sandbox told to answer that name reads the secret, so
  // the browser really sent these requests and only the Host check stopped them above.
  const control = await attack(['evil.example'])
  const reveal = control.results.find((r) => r.path.endsWith('/reveal'))!
  t.equal(reveal.status, 200, 'the control: the same page reaches the sandbox')
  t.match(reveal.text, control.secret, 'and would read the secret without the Host check')
})

t.test('every hostile string renders as text', async (t) => {
  const { base, sandbox, api } = await startSandbox(t)
  const hostile = {
    name: `<img src=x onerror="window.pwned='name'">`,
    description: `</textarea><script>window.pwned='description'</script>`,
    code: `<script>window.pwned='code'</script>`,
    message: `<img src=x onerror="window.pwned='message'">`,
  }
  const app = Fastify()
  app.post('/hook', async (_request, reply) =>
    reply.code(400).send({ code: hostile.code, message: hostile.message }),
  )
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const created = await api('POST', '/webhooks', {
    name: hostile.name,
    url: `${address}/hook?x="><img src=x onerror=window.pwned='url'>`,
    description: hostile.description,
    eventTypeNames: ['*'],
  })
  t.equal(created.status, 201)
  const event = sandbox.trigger('order.filled')
  await sandbox.idle()
  const [delivery] = sandbox.deliveries.list()
  const context = await newContext(t)
  const page = await context.newPage()
  const dialogs: string[] = []
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  for (const path of [
    '/',
    `/?event=${encodeURIComponent(`"><script>window.pwned='filter'</script>`)}`,
    `/?delivery=${delivery!.id}`,
    `/events/${event.id}`,
    '/webhooks',
    `/webhooks/${created.body.id}/edit`,
    `/webhooks/${created.body.id}/delete`,
    '/trigger',
  ]) {
    await page.goto(base + path)
    t.equal(
      await page.evaluate(() => (window as unknown as { pwned?: string }).pwned),
      undefined,
      `${path}: nothing ran`,
    )
    t.equal(
      await page.locator('img, main script:not([type="application/json"])').count(),
      0,
      `${path}: no element from data`,
    )
  }
  await page.goto(`${base}/?delivery=${delivery!.id}`)
  const detail = await page.locator('#delivery-live').innerText()
  t.match(detail, hostile.code, "the receiver's code, as text")
  t.match(detail, hostile.message, "the receiver's message, as text")
  await page.goto(`${base}/webhooks/${created.body.id}/edit`)
  t.equal(
    await page.getByLabel('Name', { exact: true }).inputValue(),
    hostile.name,
    'a name, as a value',
  )
  t.equal(await page.getByLabel('Description (optional)').inputValue(), hostile.description)
  t.same(dialogs, [], 'no dialog opened')
})

t.test('without JavaScript: add an endpoint, trigger, read and retry a delivery', async (t) => {
  const { base, sandbox } = await startSandbox(t)
  const page = await (await newContext(t, { javaScriptEnabled: false })).newPage()
  await page.goto(`${base}/webhooks/new`)
  await page.getByLabel('Name', { exact: true }).fill('no-js app')
  await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/hook')
  await page.getByRole('button', { name: 'Add endpoint' }).click()
  await page.waitForURL(/notice=webhook-created/)
  t.equal(sandbox.webhooks.list()[0]?.name, 'no-js app')
  t.equal(
    await page.locator('button.copy:visible').count(),
    0,
    'copy buttons need the script: hidden',
  )

  await page.getByRole('link', { name: 'Trigger an event' }).click()
  await page.getByLabel('Event', { exact: true }).selectOption('order.filled')
  await page.getByRole('button', { name: 'Load its sample data' }).click()
  await page.waitForURL(/event=order.filled/)
  t.match(await page.getByLabel(/^Data/).inputValue(), '"symbol"')
  await page.getByRole('button', { name: 'Trigger', exact: true }).click()
  await page.waitForURL(/\/events\/evt_.*notice=triggered/)
  await sandbox.idle()
  await page.locator('#event-deliveries a').first().click()
  await page.waitForURL(/delivery=dlv_/)
  await page.getByRole('button', { name: 'Retry now' }).click()
  await page.waitForURL(/notice=retried/)
  await sandbox.idle()
  await page.reload()
  t.match(await page.locator('#delivery-live').innerText(), /Attempts 1–2: ECONNREFUSED ×2/)
})
