/**
 * What the inspector's browser tests share: Debian's Chromium (scripts/ensure-chromium.sh, which
 * `npm test` runs first) driven by playwright-core, one browser per test file and a new context
 * per case; a standalone sandbox on 127.0.0.1; a receiving app with the plugin; and axe-core
 * injected into a page.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import Fastify from 'fastify'
import { chromium, type Browser, type Page } from 'playwright-core'
import bluumWebhooks from '../../plugin/index.js'
import { createSandbox, createSandboxServer, type SandboxOptions } from '../../mock-server/index.js'

const executablePath = process.env.BLUUM_CHROMIUM || '/usr/bin/chromium'

export const tenant =
  'Basic ' + Buffer.from('bluum_sandbox_key:bluum_sandbox_secret').toString('base64')

/** Launches Chromium with `args` added to the ones every test needs. */
export function launchChromium(args: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath,
    // Chromium refuses its sandbox to root (CI containers); the pages are our own, on loopback.
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), ...args],
  })
}

/** A standalone sandbox server on 127.0.0.1; closed at teardown. */
export async function startSandbox(
  t: { teardown(fn: () => unknown): void },
  options: SandboxOptions = {},
  serverOptions: Parameters<typeof createSandboxServer>[1] = {},
) {
  const sandbox = createSandbox({ clock: 'real', ...options })
  const server = createSandboxServer(sandbox, serverOptions)
  t.teardown(async () => {
    await server.close()
    await sandbox.close()
  })
  const base = await server.listen({ port: 0, host: '127.0.0.1' })
  /** Calls the API as a user's script would. */
  const api = async <T = any>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}/v1${path}`, {
      method,
      headers: {
        authorization: tenant,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await response.text()
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T }
  }
  return { sandbox, server, base, port: Number(new URL(base).port), api }
}

/** The user's app: the plugin with `secret`, recording the events its handlers saw. */
export async function startApp(secret: string, port: number, seen: string[]) {
  const app = Fastify()
  await app.register(bluumWebhooks, { secret })
  app.bluum.onAny(async (event) => {
    seen.push(event.event)
  })
  const address = await app.listen({ port, host: '127.0.0.1' })
  return { app, address, port: Number(new URL(address).port) }
}

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
)

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: string[]
}

/**
 * Runs axe-core (WCAG 2.1 A and AA, and best practices) on `page`; returns the serious and
 * critical violations. Evaluated through the DevTools protocol, so the page's CSP (scripts from
 * the sandbox only) needs no exception.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(context: Document, options: unknown): Promise<any> } }
    ).axe
    const result = await axe.run(document, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
      },
    })
    return (result.violations as any[]).map((v) => ({
      id: v.id as string,
      impact: v.impact as string | null,
      help: v.help as string,
      nodes: (v.nodes as any[]).slice(0, 5).map((n) => String(n.target)),
    }))
  })
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

/** How far the page is wider than the screen, px (0 when it fits). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  )
}

/**
 * The share of pixels (0 to 1) that differ between two PNG images, decoded and compared by the
 * browser itself (a canvas each); 1 when their sizes differ.
 */
export async function pixelDifference(browser: Browser, a: Buffer, b: Buffer): Promise<number> {
  const page = await browser.newPage()
  try {
    // tsx names the inner arrows below with a helper the page does not have.
    await page.evaluate('window.__name = (f) => f')
    return await page.evaluate(
      async ([first, second]) => {
        const load = async (base64: string) => {
          const image = new Image()
          image.src = `data:image/png;base64,${base64}`
          await image.decode()
          const canvas = document.createElement('canvas')
          canvas.width = image.width
          canvas.height = image.height
          const context = canvas.getContext('2d')!
          context.drawImage(image, 0, 0)
          return context.getImageData(0, 0, image.width, image.height)
        }
        const [x, y] = [await load(first!), await load(second!)]
        if (x.width !== y.width || x.height !== y.height) return 1
        let differ = 0
        for (let i = 0; i < x.data.length; i += 4) {
          if (
            x.data[i] !== y.data[i] ||
            x.data[i + 1] !== y.data[i + 1] ||
            x.data[i + 2] !== y.data[i + 2]
          )
            differ++
        }
        return differ / (x.width * x.height)
      },
      [a.toString('base64'), b.toString('base64')],
    )
  } finally {
    await page.close()
  }
}
