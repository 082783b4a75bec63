/**
 * Everyone can use the inspector, checked in Debian's Chromium: axe-core finds no serious or
 * critical violation on any kind of page, in the light theme and the dark one; no page is wider
 * than the screen from 360 px to 1 920 px, however long a webhook's name or URL; the keyboard
 * reaches every control. The README's screenshots (light and dark, desktop and phone width) are
 * taken here, so they show the inspector as it is.
 *
 * Every wait is Playwright's own wait for an element or an event; tap's timeout bounds the whole.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import t from 'tap'
import { createClock, generateWebhookSecret } from '../mock-server/index.js'
import {
  horizontalOverflow,
  launchChromium,
  pixelDifference,
  seriousViolations,
  startApp,
  startSandbox,
} from './helpers/inspector-browser.js'

/** Where the screenshots go: the README shows docs/inspector-*.png. */
const screenshotDir = process.env.BLUUM_INSPECTOR_SCREENSHOTS || 'docs'

const browser = await launchChromium()
t.teardown(() => browser.close())

/**
 * A sandbox with every kind of page to look at: an app that refuses every delivery (the wrong
 * secret), a webhook whose name and URL are far too long for any screen, events delivered,
 * failing and parked. A virtual clock from a fixed time, so relative times read the same each run.
 */
async function scene(t: { teardown(fn: () => unknown): void }) {
  const clock = createClock({ kind: 'virtual', startMs: Date.parse('2026-07-01T15:00:00Z') })
  const started = await startSandbox(t, { clock })
  const seen: string[] = []
  const app = await startApp(generateWebhookSecret(), 0, seen)
  t.teardown(() => app.app.close())
  const { api, sandbox } = started
  const mine = await api('POST', '/webhooks', {
    name: 'my app',
    url: `${app.address}/webhooks/bluum`,
    eventTypeNames: ['order.*', 'transfer.*'],
    description: 'The local app, started with npm run dev',
  })
  const long = await api('POST', '/webhooks', {
    name: 'a-webhook-whose-name-has-no-spaces-and-goes-on-'.repeat(4) + 'end',
    url: `http://127.0.0.1:9/${'very/long/path/'.repeat(12)}bluum?token=${'x'.repeat(80)}`,
    eventTypeNames: ['*'],
  })
  await api('POST', '/sandbox/trigger', { event: 'order.filled' })
  await sandbox.idle()
  await sandbox.clock.advance('11h')
  await sandbox.idle()
  await api('POST', '/sandbox/trigger', { event: 'transfer.deposit.completed' })
  await api('POST', '/sandbox/trigger', { event: 'account.created' })
  await sandbox.idle()
  await sandbox.clock.advance('2m')
  await sandbox.idle()
  const failing = sandbox.deliveries.list({ webhookId: mine.body.id, phase: 'failing' })[0]!
  const parked = sandbox.deliveries.list({ webhookId: mine.body.id, status: 'parked' })[0]!
  return { ...started, mine: mine.body.id as string, long: long.body.id as string, failing, parked }
}

t.test(
  'axe finds nothing serious on any page, light or dark; nothing overflows 360–1920 px',
  async (t) => {
    const { base, mine, long, failing, parked } = await scene(t)
    const pages: [string, string][] = [
      ['the feed', '/'],
      ['the feed with a delivery selected', `/?delivery=${parked.id}`],
      ['the feed, filtered to nothing', '/?status=cancelled'],
      ['a failing delivery', `/deliveries/${failing.id}`],
      ['an event', `/events/${parked.event_id}`],
      ['the webhooks', '/webhooks'],
      ['a new endpoint', '/webhooks/new'],
      ['an endpoint to edit', `/webhooks/${long}/edit`],
      ['a delete to confirm', `/webhooks/${mine}/delete`],
      ['the trigger form', '/trigger'],
      ['a page not found', '/deliveries/dlv_nope'],
    ]
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({
        colorScheme,
        viewport: { width: 1280, height: 900 },
      })
      t.teardown(() => context.close())
      const page = await context.newPage()
      for (const [name, path] of pages) {
        await page.goto(base + path)
        t.same(
          await seriousViolations(page),
          [],
          `${name}, ${colorScheme}: no serious or critical axe violation`,
        )
        if (colorScheme === 'dark') continue
        for (const width of [360, 375, 768, 1280, 1920]) {
          await page.setViewportSize({ width, height: 900 })
          t.equal(
            await horizontalOverflow(page),
            0,
            `${name} at ${width} px: no horizontal overflow`,
          )
        }
        await page.setViewportSize({ width: 1280, height: 900 })
      }
    }
    // The refusals a form shows, at the field: axe on the form with its errors.
    const context = await browser.newContext({ colorScheme: 'dark' })
    t.teardown(() => context.close())
    const page = await context.newPage()
    await page.goto(`${base}/webhooks/new`)
    await page.getByLabel('Endpoint URL').fill('ftp://example.com/hook')
    await page.getByLabel('Name', { exact: true }).fill('x')
    await page.getByRole('button', { name: 'Add endpoint' }).click()
    await page.locator('#error-url').waitFor()
    t.same(await seriousViolations(page), [], 'a refused form, dark: no serious violation')
  },
)

t.test('the keyboard reaches every control of every page', async (t) => {
  const { base, failing, mine } = await scene(t)
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  t.teardown(() => context.close())
  const page = await context.newPage()
  for (const path of [
    '/',
    `/?delivery=${failing.id}`,
    '/webhooks',
    `/webhooks/${mine}/edit`,
    '/trigger',
  ]) {
    await page.goto(base + path)
    // Every visible, enabled control, tagged so the walk can tick it off.
    const total = await page.evaluate(() => {
      const controls = [
        ...document.querySelectorAll<HTMLElement>(
          'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex="0"]',
        ),
      ].filter(
        (el) =>
          !(el as HTMLButtonElement).disabled &&
          el.getClientRects().length > 0 &&
          getComputedStyle(el).visibility !== 'hidden',
      )
      controls.forEach((el, i) => el.setAttribute('data-control', String(i)))
      return controls.length
    })
    const reached = new Set<string>()
    for (let i = 0; i < total + 5; i++) {
      await page.keyboard.press('Tab')
      const id = await page.evaluate(
        () => document.activeElement?.getAttribute('data-control') ?? null,
      )
      if (id !== null) reached.add(id)
    }
    const missed = await page.evaluate(
      (seen) =>
        [...document.querySelectorAll<HTMLElement>('[data-control]')]
          .filter((el) => !seen.includes(el.getAttribute('data-control')!))
          .map((el) => el.outerHTML.slice(0, 120)),
      [...reached],
    )
    t.same(missed, [], `${path}: Tab reaches all ${total} controls`)
  }
})

t.test('screenshots for the README, light and dark, desktop and phone', async (t) => {
  const { base, parked } = await scene(t)
  mkdirSync(screenshotDir, { recursive: true })
  for (const colorScheme of ['light', 'dark'] as const) {
    for (const [device, viewport] of [
      ['desktop', { width: 1280, height: 860 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      const context = await browser.newContext({
        colorScheme,
        viewport,
        timezoneId: 'UTC',
        locale: 'en-US',
      })
      t.teardown(() => context.close())
      const page = await context.newPage()
      await page.goto(`${base}/?delivery=${parked.id}`)
      await page.locator('#live-status', { hasText: 'Live' }).waitFor()
      // The catch-up refresh that follows the stream's opening, before the DOM is touched.
      await page.locator('html[data-refreshes]').waitFor({ state: 'attached' })
      // Ids are random and durations vary: pin them, so the image changes only when the page does.
      await page.evaluate(() => {
        const ids = new Map<string, string>()
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          node.textContent = node
            .textContent!.replace(/\b(dlv|evt|wh)_[0-9a-z]{26}\b/g, (id, prefix: string) => {
              if (!ids.has(id))
                ids.set(id, `${prefix}_01j9x8m2k7qpzwv3t5r6y8n${String(ids.size).padStart(3, '0')}`)
              return ids.get(id)!
            })
            .replace(/\(\d+\s+ms\)/g, '(4 ms)')
            .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:3000')
        }
      })
      const path = `${screenshotDir}/inspector-${device}-${colorScheme}.png`
      const shot = await page.screenshot()
      // Rendering is not bit-exact from run to run (anti-aliasing): an image that differs from the
      // one in docs/ by a few stray pixels is the same page, and is left alone.
      const kept = existsSync(path) ? readFileSync(path) : undefined
      const changed = kept === undefined || (await pixelDifference(browser, kept, shot)) > 0.002
      if (changed) writeFileSync(path, shot)
      t.pass(`${path} ${changed ? 'written' : 'unchanged'}`)
    }
  }
})
