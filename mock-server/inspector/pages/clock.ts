/**
 * `POST /clock/advance`: the clock form every page carries. Advances through the API, then goes
 * back to the page it came from; `back` is checked before the clock moves, so a hostile `back`
 * changes nothing but where the browser lands (this server's feed).
 */
import { apiError, formBody, type PageModule } from '../context.js'
import { renderMessagePage } from '../layout.js'
import { localPath } from '../local-path.js'

export const registerClockForm: PageModule = (scope, context) => {
  scope.post('/clock/advance', async (request, reply) => {
    const form = formBody(request)
    const target = localPath(form.get('back') ?? undefined)
    const answer = await context.callApi('POST', '/sandbox/clock/advance', {
      duration: form.get('duration') ?? '',
    })
    if (answer.status >= 400) {
      return context.sendPage(
        reply,
        answer.status,
        renderMessagePage(
          {
            ...context.frame(request, target),
            error: apiError(answer),
            title: 'Clock not advanced',
          },
          {
            heading: 'The clock was not advanced',
            text: 'Durations look like 30s, 1m, 2h or 11h (at most 30d per step).',
          },
        ),
      )
    }
    return context.redirect(reply, target, 'clock-advanced')
  })
}
