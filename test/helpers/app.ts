/** Builds a fresh Fastify app with the plugin for one test, closed at the test's end. */
import http from 'node:http'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import bluumWebhooks, { type BluumWebhooksOptions } from '../../plugin/index.js'
import { TEST_SECRET } from './sign.js'

export async function buildApp(
  t: Test,
  options: BluumWebhooksOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(bluumWebhooks, { secret: TEST_SECRET, ...options })
  return app
}

/** Posts a signed delivery through `inject`. */
export function deliver(
  app: FastifyInstance,
  delivery: { headers: Record<string, string>; payload: string },
  url = '/webhooks/bluum',
) {
  return app.inject({ method: 'POST', url, headers: delivery.headers, payload: delivery.payload })
}

/** Listens on a free loopback port (closed with the app) and returns its origin. */
export async function listen(app: FastifyInstance): Promise<string> {
  return app.listen({ port: 0, host: '127.0.0.1' })
}

/** What came back from {@link postRaw}. */
export interface RawAnswer {
  status: number
  body: string
  json(): Record<string, unknown>
}

/**
 * One POST over real HTTP through `node:http`, which `fetch` cannot do: a header listed twice is
 * sent on two lines (the server's Node joins or drops it), and the body is any bytes.
 */
export function postRaw(
  url: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body: Buffer | string,
): Promise<RawAnswer> {
  const grouped = new Map<string, string[]>()
  for (const [name, value] of headers) grouped.set(name, [...(grouped.get(name) ?? []), value])
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent: false }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', reject)
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: response.statusCode ?? 0, body: text, json: () => JSON.parse(text) })
      })
    })
    request.on('error', reject)
    for (const [name, values] of grouped) {
      request.setHeader(name, values.length === 1 ? values[0]! : values)
    }
    request.setHeader('content-length', Buffer.byteLength(body))
    request.end(body)
  })
}
