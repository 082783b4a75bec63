/**
 * What every page module gets from `routes.ts`: the sandbox, the API called in process with the
 * sandbox's tenant credentials, and the helpers that answer (a page, a 404, a redirect with a
 * notice id). Page modules register their own routes with it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { SandboxApi } from '../api/dispatcher.js'
import type { ApiResponse } from '../api/route.js'
import type { Sandbox } from '../sandbox.js'
import type { SafeUrl } from './html.js'
import { renderMessagePage, type ApiErrorView, type PageFrame } from './layout.js'
import { noticeText, type NoticeId } from './notices.js'

export interface InspectorContext {
  sandbox: Sandbox
  api: SandboxApi
  /** Calls the API in process, as the tenant: the page refuses exactly what the API refuses. */
  callApi(method: string, path: string | SafeUrl, body?: unknown): Promise<ApiResponse>
  /** The frame parts of `request`'s page (clock, notice, where the clock form comes back to). */
  frame(request: FastifyRequest, path?: string | SafeUrl): Omit<PageFrame, 'title' | 'current'>
  sendPage(reply: FastifyReply, status: number, markup: string): FastifyReply
  notFound(request: FastifyRequest, reply: FastifyReply, text: string): FastifyReply
  /**
   * Post/redirect/get to `to` (a built link, or a path `localPath` returned): the notice rides in
   * the URL as an id, so reloading repeats nothing and no link can write its text.
   */
  redirect(reply: FastifyReply, to: SafeUrl | string, notice?: NoticeId): FastifyReply
}

/** A page module: registers its routes on the inspector's scope. */
export type PageModule = (scope: FastifyInstance, context: InspectorContext) => void

/** Builds the context for `sandbox` and `api`. */
export function createInspectorContext(sandbox: Sandbox, api: SandboxApi): InspectorContext {
  const authorization = `Basic ${Buffer.from(`${sandbox.options.apiKey}:${sandbox.options.apiSecret}`).toString('base64')}`
  const context: InspectorContext = {
    sandbox,
    api,
    callApi(method, path, body) {
      return api.handle({
        method,
        path: typeof path === 'string' ? path : path.href,
        query: {},
        headers: { authorization, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    },
    frame(request, path) {
      const query = (request.query ?? {}) as Record<string, unknown>
      const notice = noticeText(query.notice)
      const own =
        path === undefined
          ? request.url.replace(/([?&])notice=[^&]*&?/, '$1').replace(/[?&]$/, '')
          : typeof path === 'string'
            ? path
            : path.href
      return { nowMs: sandbox.clock.now(), path: own, ...(notice ? { notice } : {}) }
    },
    sendPage(reply, status, markup) {
      return reply.code(status).type('text/html; charset=utf-8').send(markup)
    },
    notFound(request, reply, text) {
      return context.sendPage(
        reply,
        404,
        renderMessagePage(
          { ...context.frame(request), title: 'Not found' },
          { heading: 'Not found', text: `${text} It may have been cleared by a reset.` },
        ),
      )
    },
    redirect(reply, to, notice) {
      const href = typeof to === 'string' ? to : to.href
      const [path, hash] = href.split('#') as [string, string | undefined]
      const separator = path.includes('?') ? '&' : '?'
      const target = notice ? `${path}${separator}notice=${notice}` : path
      return reply.redirect(hash === undefined ? target : `${target}#${hash}`, 303)
    },
  }
  return context
}

/** The API's error envelope as a page shows it. */
export function apiError(answer: ApiResponse): ApiErrorView {
  const error = (answer.body as { error?: Partial<ApiErrorView> } | undefined)?.error ?? {}
  return {
    status: answer.status,
    code: error.code ?? `HTTP ${answer.status}`,
    message: error.message ?? 'The API answered without an error body.',
    ...(error.param ? { param: error.param } : {}),
  }
}

/** A form post's fields: the server hands every body over as bytes (see `server.ts`). */
export function formBody(request: FastifyRequest): URLSearchParams {
  const body = request.body
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : ''
  return new URLSearchParams(text)
}
