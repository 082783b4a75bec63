/**
 * `GET /events/:id`: one event's envelope and its delivery to each webhook. An event that is not in
 * the sandbox's log (a test send to one webhook, or one that fell out of the bounded log) is read
 * from its deliveries, which carry its exact bytes.
 */
import type { SandboxEvent } from '../../core/event-bus.js'
import type { PageModule } from '../context.js'
import { html, url } from '../html.js'
import {
  codeBlock,
  copyButton,
  ellipsis,
  renderLayout,
  stateBadge,
  type PageFrame,
} from '../layout.js'
import { summarizeDelivery, type DeliverySummary } from '../model.js'
import { lastAnswerText } from './feed.js'

/** `GET /events/:id`: the envelope and the event's deliveries. */
function renderEventPage(
  frame: Omit<PageFrame, 'title' | 'current'>,
  view: { event: SandboxEvent; deliveries: readonly DeliverySummary[]; logged: boolean },
): string {
  const { event } = view
  const envelope = JSON.stringify(
    { id: event.id, event: event.event, timestamp: event.timestamp, data: event.data },
    null,
    2,
  )
  const rows = view.deliveries.map(
    (d) =>
      html`<tr>
        <td>${ellipsis(d.webhookName)}</td>
        <td>
          <a href="${url`/?delivery=${d.id}`}"><code>${d.id}</code></a>
        </td>
        <td>${stateBadge(d.state)}</td>
        <td>${d.attempts}</td>
        <td>${lastAnswerText(d.last)}</td>
      </tr>`,
  )
  return renderLayout(
    { ...frame, title: `${event.event} ${event.id}`, current: 'feed' },
    html`<p><a href="/">← Deliveries</a></p>
      <h1><code>${event.event}</code></h1>
      <p class="id"><code>${event.id}</code> ${copyButton('event id', event.id)}</p>
      ${view.logged ? '' : html`<p class="muted">A test send to one webhook: not in the event log, and no resource was built for it.</p>`}
      <section id="event-deliveries" data-live aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Deliveries</h2>
        ${
          rows.length === 0
            ? html`<p class="muted">
                No webhook was subscribed to this event when it was emitted.
              </p>`
            : html`<div
                class="table-scroll"
                tabindex="0"
                role="region"
                aria-labelledby="deliveries-title"
              >
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Webhook</th>
                      <th scope="col">Delivery</th>
                      <th scope="col">Status</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">Last answer</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${rows}
                  </tbody>
                </table>
              </div>`
        }
      </section>
      <h2>Envelope ${copyButton('envelope', envelope)}</h2>
      ${codeBlock('Envelope', envelope, 'envelope')}`,
  )
}

export const registerEventPage: PageModule = (scope, context) => {
  const { sandbox } = context
  scope.get('/events/:event_id', async (request, reply) => {
    const { event_id: id } = request.params as { event_id: string }
    const deliveries = [...sandbox.state.deliveries.values()].filter((d) => d.event_id === id)
    const logged = sandbox.events().find((e) => e.id === id)
    const event =
      logged ?? (deliveries[0] ? (JSON.parse(deliveries[0].payload) as SandboxEvent) : undefined)
    if (!event) return context.notFound(request, reply, `No event '${id}' in the sandbox's log.`)
    const names = new Map(sandbox.webhooks.list().map((w) => [w.id, w.name]))
    return context.sendPage(
      reply,
      200,
      renderEventPage(context.frame(request), {
        event,
        logged: logged !== undefined,
        deliveries: deliveries.map((d) =>
          summarizeDelivery(d, (wid) => names.get(wid) ?? `${wid} (deleted)`),
        ),
      }),
    )
  })
}
