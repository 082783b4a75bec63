/**
 * Child process of the route benches (`bench/plugin-route.ts`, `bench/redis-store.ts`): one HTTP
 * server on 127.0.0.1, logger off, answering 200 {"received":true} on POST /webhooks/bluum.
 *
 *   bare         Fastify with its default JSON parser, no verification: the ceiling
 *   plugin       the plugin with the test secret and one no-op `order.filled` handler
 *   redis <url>  the same plugin with the Redis store on <url>
 *   hand         the cheapest verifying route a user writes by hand on Fastify (see handRolled)
 *   express      the route as webhook guides show it on Express (see expressRoute)
 *
 * Every mode counts the requests that reached its handler, so the parent can prove every
 * delivery ran it once (no duplicates, no silent rejects). `hand` and `express` verify and
 * dedupe like the plugin (same secret, same Standard Webhooks signature, same 5-minute
 * tolerance), so the comparison is with a route that does the same job, not a weaker one.
 */
import type { AddressInfo } from 'node:net'
import express from 'express'
import Fastify from 'fastify'
import bluumWebhooks from '../../plugin/index.js'
import { createRedisStore } from '../../plugin/redis-store.js'
import { TEST_SECRET } from '../../test/helpers/sign.js'
import { createInlineDedupe, DUPLICATE, RECEIVED, verifyInline } from './hand-rolled.js'
import { reportStartupError, serve } from './server-process.js'

export const ROUTE_PATH = '/webhooks/bluum'

async function listen(app: ReturnType<typeof Fastify>): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return (app.server.address() as AddressInfo).port
}

async function main(mode: string | undefined, redisUrl: string | undefined): Promise<void> {
  let handled = 0
  const onOrderFilled = () => {
    handled++
  }

  if (mode === 'express') {
    // The guides' shape: express.raw() keeps the bytes, the handler verifies, JSON.parse, a
    // Map for dedupe, then res.json().
    const app = express()
    const dedupe = createInlineDedupe()
    app.post(ROUTE_PATH, express.raw({ type: 'application/json' }), (req, res) => {
      const body = req.body as Buffer
      const id = verifyInline(req.headers, body)
      if (id === undefined) return void res.status(401).json({ error: 'invalid signature' })
      let event: { event?: unknown }
      try {
        event = JSON.parse(body.toString('utf8')) as { event?: unknown }
      } catch {
        return void res.status(400).json({ error: 'invalid JSON' })
      }
      const state = dedupe.claim(id)
      if (state === 2) return void res.json({ received: true, duplicate: true })
      if (state === 1) return void res.status(409).json({ error: 'in flight' })
      try {
        if (event.event === 'order.filled') onOrderFilled()
      } catch (err) {
        dedupe.release(id)
        throw err
      }
      dedupe.complete(id)
      res.json({ received: true })
    })
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve).once('error', reject)
    })
    serve(
      (server.address() as AddressInfo).port,
      () => handled,
      () => new Promise<void>((resolve) => server.close(() => resolve())),
    )
    return
  }

  const app = Fastify({ logger: false })
  if (mode === 'bare') {
    app.post(ROUTE_PATH, async () => {
      handled++
      return { received: true }
    })
  } else if (mode === 'hand') {
    // The cheapest verifying route on Fastify: raw Buffer parser, inline HMAC, JSON.parse,
    // a Map claim/complete, pre-serialised answers.
    const dedupe = createInlineDedupe()
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) =>
      done(null, body),
    )
    app.post(ROUTE_PATH, async (request, reply) => {
      const body = request.body as Buffer
      const id = verifyInline(request.headers, body)
      if (id === undefined) return reply.code(401).send({ error: 'invalid signature' })
      let event: { event?: unknown }
      try {
        event = JSON.parse(body.toString('utf8')) as { event?: unknown }
      } catch {
        return reply.code(400).send({ error: 'invalid JSON' })
      }
      const state = dedupe.claim(id)
      if (state === 2) return reply.type('application/json').send(DUPLICATE)
      if (state === 1) return reply.code(409).send({ error: 'in flight' })
      try {
        if (event.event === 'order.filled') onOrderFilled()
      } catch (err) {
        dedupe.release(id)
        throw err
      }
      dedupe.complete(id)
      return reply.type('application/json').send(RECEIVED)
    })
  } else if (mode === 'plugin' || (mode === 'redis' && redisUrl)) {
    const store = mode === 'redis' ? createRedisStore({ url: redisUrl! }) : undefined
    await app.register(bluumWebhooks, { secret: TEST_SECRET, ...(store ? { store } : {}) })
    app.bluum.on('order.filled', onOrderFilled)
  } else {
    throw new Error(
      `usage: route-server.ts bare|plugin|hand|express|redis <url> (got ${String(mode)})`,
    )
  }
  serve(
    await listen(app),
    () => handled,
    () => app.close(),
  )
}

main(process.argv[2], process.argv[3]).catch(reportStartupError)
