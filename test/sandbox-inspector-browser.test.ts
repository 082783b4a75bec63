/**
 * The inspector in a real browser: Debian's Chromium (installed by scripts/ensure-chromium.sh,
 * which `npm test` runs first) driven by playwright-core, against the standalone sandbox and a
 * real receiving app with the plugin, both on 127.0.0.1.
 *
 * The story a new user lives: the app has the wrong secret, so the delivery fails; they watch it
 * appear live, open it, read the app's own answer (BLUUM_SIGNATURE_MISMATCH and its diagnosis),
 * run the clock to the end of the retry ladder, reveal and rotate the secret, restart the app
 * with the new one, replay the delivery from the page and see the new attempt succeed.
 *
 * Every wait is Playwright's own wait for an element; tap's test timeout bounds the whole.
 * The screenshot goes to $BLUUM_INSPECTOR_SCREENSHOT (default .tmp/inspector.png);
 * `BLUUM_INSPECTOR_SCREENSHOT=docs/inspector.png npx tap test/sandbox-inspector-browser.test.ts`
 * refreshes the one the README shows.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Fastify from 'fastify'
import { chromium } from 'playwright-core'
import t from 'tap'
import bluumWebhooks from '../plugin/index.js'
import { createSandbox, createSandboxServer, generateWebhookSecret } from '../mock-server/index.js'

const executablePath = process.env.BLUUM_CHROMIUM || '/usr/bin/chromium'
const screenshot = process.env.BLUUM_INSPECTOR_SCREENSHOT || '.tmp/inspector.png'
const tenant = 'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

/** The user's app: the plugin with `secret`, recording what its handler saw. */
async function startApp(secret: string, port: number, seen: string[]) {
  const app = Fastify()
  await app.register(bluumWebhooks, { secret })
  app.bluum.on('order.*', async (event) => {
    seen.push(event.event)
  })
  const address = await app.listen({ port, host: '127.0.0.1' })
  return { app, address, port: Number(new URL(address).port) }
}

const browser = await chromium.launch({
  executablePath,
  // Chromium refuses its sandbox to root (CI containers); the pages are our own, on loopback.
  args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
})
t.teardown(() => browser.close())

t.test('watch a delivery fail, read why, fix the app and replay it, in a browser', async (t) => {
  const sandbox = createSandbox({ clock: 'real' })
  const server = createSandboxServer(sandbox)
  const base = await server.listen({ port: 0, host: '127.0.0.1' })
  const seen: string[] = []
  let receiver = await startApp(generateWebhookSecret(), 0, seen)
  t.teardown(async () => {
    await receiver.app.close()
    await server.close()
    await sandbox.close()
  })

  // Registered through the API, as a user's setup script would.
  const created = await fetch(`${base}/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: tenant, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'my app',
      url: `${receiver.address}/webhooks/bluum`,
      eventTypeNames: ['order.*'],
    }),
  })
  t.equal(created.status, 201)
  const webhook = (await created.json()) as { id: string; secret: string }

  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })

  await page.goto(`${base}/`)
  await page.locator('#live-status', { hasText: 'Live' }).waitFor()
  await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true))

  // An order fills somewhere (here: the trigger control, through the API).
  const triggered = await fetch(`${base}/v1/sandbox/trigger`, {
    method: 'POST',
    headers: { authorization: tenant, 'content-type': 'application/json' },
    body: JSON.stringify({ event: 'order.filled' }),
  })
  const event = (await triggered.json()) as { id: string }
  const row = page.locator(`tr[data-event-id="${event.id}"][data-state="failing"]`)
  await row.waitFor()
  t.equal(
    await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce),
    true,
    'the failing delivery appeared live, without a reload',
  )
  t.match(await row.innerText(), 'HTTP 401')

  await row.getByRole('link', { name: /^dlv_/ }).click()
  await page.waitForURL(/\/deliveries\/dlv_/)
  const deliveryUrl = page.url()
  const first = page.locator('#attempt-1')
  await first.waitFor()
  const firstText = await first.innerText()
  t.match(firstText, 'BLUUM_SIGNATURE_MISMATCH', "the app's code")
  t.match(firstText, /secret/i, "the app's diagnosis names the secret as a likely cause")
  await first.getByText('Request sent').click()
  t.match(await first.innerText(), 'webhook-signature', 'the request sent, with its headers')

  // Run the retry ladder to its end from the page's clock control.
  await page.getByLabel('Advance the clock by').fill('11h')
  await page.getByRole('button', { name: 'Advance', exact: true }).click()
  await page.waitForURL(/notice=Clock/)
  await page.locator('#delivery-live .state-parked').waitFor()
  t.equal(await page.locator('.attempts > li').count(), 6, 'six attempts, then parked')

  // Fix the app: reveal the secret (hidden until then), rotate it, restart the app with it.
  await page.getByRole('link', { name: 'Webhooks' }).click()
  t.equal(await page.getByText(/whsec_/).count(), 0, 'the secret is hidden')
  await page.getByRole('button', { name: 'Reveal secret of my app' }).click()
  t.equal(await page.locator('output.secret code').innerText(), webhook.secret, 'revealed')
  await page.getByRole('button', { name: 'Rotate secret of my app' }).click()
  await page.getByText('Secret rotated').waitFor()
  const rotated = await page.locator('output.secret code').innerText()
  t.not(rotated, webhook.secret, 'a new secret')
  await receiver.app.close()
  receiver = await startApp(rotated, receiver.port, seen)

  await page.goto(deliveryUrl)
  await page.getByRole('button', { name: 'Replay this delivery' }).focus()
  await page.keyboard.press('Enter')
  await page.waitForURL(/notice=Replayed/)
  const replayed = page.locator('#attempt-7.ok')
  await replayed.waitFor()
  t.match(await replayed.innerText(), 'HTTP 200')
  await page.locator('#delivery-live .state-delivered').waitFor()
  t.same(seen, ['order.filled'], "the app's handler ran once")

  mkdirSync(dirname(screenshot), { recursive: true })
  await page.screenshot({ path: screenshot })
})

t.test('trigger an event from the form, by keyboard, checked before it is sent', async (t) => {
  const sandbox = createSandbox({ clock: 'real' })
  const server = createSandboxServer(sandbox)
  const base = await server.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => {
    await server.close()
    await sandbox.close()
  })
  const page = await browser.newPage()
  t.teardown(() => page.close())
  await page.goto(`${base}/trigger`)
  const submit = async () => {
    await page.getByRole('button', { name: 'Trigger', exact: true }).focus()
    await page.keyboard.press('Enter')
  }

  await page.getByLabel('Event', { exact: true }).selectOption('transfer.deposit.completed')
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
  t.match(await page.locator('pre').innerText(), '"amount": "250.00"', 'the event, as emitted')
  t.equal(sandbox.events().at(-1)?.event, 'transfer.deposit.completed')
})
