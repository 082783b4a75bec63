/**
 * `GET /trigger` and `POST /trigger`: emit any catalog event (like `stripe trigger`) with its
 * sample data prefilled, checked before it is sent, the API's refusal shown at the field; the form
 * says which webhooks will receive the chosen event before it is sent.
 */
import { eventTypes, matchesSubscription } from '../../core/event-bus.js'
import type { Webhook } from '../../core/state.js'
import { triggerSampleData } from '../../engines/triggers.js'
import { apiError, formBody, type PageModule } from '../context.js'
import { InspectorInvalidJsonError } from '../errors.js'
import { html, jsonForScript, raw, url } from '../html.js'
import { fieldError, renderLayout, type ApiErrorView, type PageFrame } from '../layout.js'
import { webhookLabel } from '../model.js'

/** A webhook that receives an event, as the trigger form lists it. */
export interface Receiver {
  id: string
  name: string
}

/** For each catalog event, the active webhooks subscribed to it (what the delivery engine does). */
export function receiversByEvent(
  names: readonly string[],
  webhooks: readonly Pick<Webhook, 'id' | 'name' | 'status' | 'event_type_names'>[],
): Record<string, Receiver[]> {
  return Object.fromEntries(
    names.map((name) => [
      name,
      webhooks
        .filter(
          (w) =>
            w.status === 'active' &&
            w.event_type_names.some((pattern) => matchesSubscription(pattern, name)),
        )
        .map((w) => ({ id: w.id, name: webhookLabel(w) })),
    ]),
  )
}

function renderReceivers(receivers: readonly Receiver[] | undefined) {
  const list = receivers ?? []
  return list.length === 0
    ? html`<p class="muted">
        No active webhook subscribes to it: the event is logged, nothing is delivered.
      </p>`
    : html`<ul>
        ${list.map((r) => html`<li><a href="${url`/webhooks#${r.id}`}">${r.name}</a></li>`)}
      </ul>`
}

/** `GET /trigger`: any catalog event, its sample data prefilled, validated before it is sent. */
export function renderTriggerPage(
  frame: Omit<PageFrame, 'title' | 'current'>,
  view: {
    catalog: readonly { name: string; description: string }[]
    selected: string
    data: string
    /** Every event's sample, for the script to swap in when the selection changes. */
    samples: Record<string, string>
    receivers: Record<string, Receiver[]>
    error?: ApiErrorView | undefined
  },
): string {
  const dataError = fieldError(view.error, 'data')
  const eventError = fieldError(view.error, 'event')
  return renderLayout(
    { ...frame, title: 'Trigger an event', current: 'trigger' },
    html`<h1>Trigger an event</h1>
      <p>
        Like <code>stripe trigger</code>: the sandbox builds the resources behind the event (its
        investor, order, transfer or document) and delivers it to every subscribed webhook.
      </p>
      <form method="post" action="/trigger" id="trigger-form" novalidate>
        <p>
          <label for="trigger-event">Event</label>
          <select id="trigger-event" name="event" ${eventError.attrs}>
            ${view.catalog.map(
              (e) =>
                html`<option value="${e.name}" ${e.name === view.selected ? raw(' selected') : ''}>
                  ${e.name}: ${e.description}
                </option>`,
            )}
          </select>
          <button
            type="submit"
            formmethod="get"
            formaction="/trigger"
            name="load"
            value="1"
            id="load-sample"
          >
            Load its sample data
          </button>
        </p>
        ${eventError.message}
        <section id="trigger-receivers" aria-labelledby="receivers-title" aria-live="polite">
          <h2 id="receivers-title">Delivered to</h2>
          ${renderReceivers(view.receivers[view.selected])}
        </section>
        <p>
          <label for="trigger-data">Data (JSON object, merged over the sandbox's sample)</label
          ><br />
          <textarea
            id="trigger-data"
            name="data"
            rows="16"
            spellcheck="false"
            aria-describedby="trigger-data-help trigger-data-error"
            ${view.error?.param?.startsWith('data') ? raw('aria-invalid="true"') : ''}
          >
${view.data}</textarea
          ><br />
          <small id="trigger-data-help"
            >Fields the sandbox computes (ids, statuses, fill times) are left out; the API names any
            field it refuses.</small
          >
        </p>
        <p id="trigger-data-error" class="field-error" role="alert">
          ${view.error?.param?.startsWith('data') ? dataError.message : ''}
        </p>
        <p><button type="submit" id="trigger-submit">Trigger</button></p>
      </form>
      <script type="application/json" id="trigger-samples">
        ${jsonForScript(view.samples)}
      </script>
      <script type="application/json" id="trigger-receivers-data">
        ${jsonForScript(view.receivers)}
      </script>`,
  )
}

export const registerTriggerPage: PageModule = (scope, context) => {
  const { sandbox } = context
  const catalog = () => eventTypes()
  const samples = () => {
    const now = sandbox.clock.now()
    return Object.fromEntries(
      catalog().map((t) => [t.name, JSON.stringify(triggerSampleData(t.name, now), null, 2)]),
    )
  }
  const receivers = () =>
    receiversByEvent(
      catalog().map((t) => t.name),
      sandbox.webhooks.list(),
    )

  scope.get('/trigger', async (request, reply) => {
    const all = samples()
    const asked = (request.query as Record<string, unknown>).event
    const selected = typeof asked === 'string' && asked in all ? asked : (catalog()[0]?.name ?? '')
    return context.sendPage(
      reply,
      200,
      renderTriggerPage(context.frame(request, '/trigger'), {
        catalog: catalog(),
        selected,
        data: all[selected] ?? '{}',
        samples: all,
        receivers: receivers(),
      }),
    )
  })

  scope.post('/trigger', async (request, reply) => {
    const form = formBody(request)
    const event = form.get('event') ?? ''
    const text = (form.get('data') ?? '').trim()
    const again = (status: number, error: ApiErrorView) =>
      context.sendPage(
        reply,
        status,
        renderTriggerPage(
          { ...context.frame(request, '/trigger'), error },
          {
            catalog: catalog(),
            selected: event,
            data: text,
            samples: samples(),
            receivers: receivers(),
            error,
          },
        ),
      )
    let data: unknown
    try {
      data = text === '' ? undefined : JSON.parse(text)
    } catch (caught) {
      const error = new InspectorInvalidJsonError((caught as Error).message)
      return again(400, { status: 400, code: error.code, message: error.message, param: 'data' })
    }
    const answer = await context.callApi('POST', '/sandbox/trigger', {
      event,
      ...(data === undefined ? {} : { data }),
    })
    if (answer.status >= 400) return again(answer.status, apiError(answer))
    const emitted = answer.body as { id: string }
    return context.redirect(reply, url`/events/${emitted.id}`, 'triggered')
  })
}
