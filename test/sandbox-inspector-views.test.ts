/**
 * The inspector without a browser or a server: its pages are pure functions, so escaping, links
 * encoded by construction, the feed's order, filters and pages, attempts folded by outcome, the
 * receiver's diagnosis, the hidden secret, redirect targets, notices and the access rules are
 * checked here on plain data.
 */
import t from 'tap'
import { bluumEventNames } from '../plugin/catalog.js'
import { createSandbox } from '../mock-server/index.js'
import type { SandboxEvent } from '../mock-server/core/event-bus.js'
import type { Delivery, DeliveryAttempt } from '../mock-server/core/state.js'
import { triggerSampleData } from '../mock-server/engines/triggers.js'
import { decideAccess, type AccessRequest } from '../mock-server/inspector/access.js'
import { groupAttempts } from '../mock-server/inspector/attempt-groups.js'
import { curlCommand, shellQuote } from '../mock-server/inspector/curl-command.js'
import { escapeHtml, html, jsonForScript, url } from '../mock-server/inspector/html.js'
import { localPath } from '../mock-server/inspector/local-path.js'
import {
  buildFeed,
  deliveryState,
  pageFeed,
  parseFilters,
  receiverDiagnosis,
  rowKey,
  type AttemptView,
} from '../mock-server/inspector/model.js'
import { noticeText } from '../mock-server/inspector/notices.js'
import { renderAttemptGroup, renderDeliveryPage } from '../mock-server/inspector/pages/delivery.js'
import { renderFeedPage } from '../mock-server/inspector/pages/feed.js'
import { receiversByEvent, renderTriggerPage } from '../mock-server/inspector/pages/trigger.js'
import { subscriptionChoices } from '../mock-server/inspector/pages/webhook-form.js'
import { renderWebhooksPage } from '../mock-server/inspector/pages/webhooks.js'
import { exactUtc, relativeTime } from '../mock-server/inspector/relative-time.js'
import { diffLines } from '../mock-server/inspector/text-diff.js'

const nowMs = Date.parse('2026-07-01T15:10:00.000Z')
const frame = { nowMs }

function attempt(n: number, fields: Partial<DeliveryAttempt> = {}): DeliveryAttempt {
  return {
    attempt: n,
    attempted_at: '2026-07-01T15:10:00.000Z',
    webhook_timestamp: 1_782_918_600,
    status_code: 401,
    duration_ms: 3,
    error: 'HTTP 401',
    succeeded: false,
    fault: null,
    request: null,
    response: null,
    connection_error: null,
    ...fields,
  }
}

function delivery(id: string, event: SandboxEvent, fields: Partial<Delivery> = {}): Delivery {
  return {
    id,
    object: 'webhook_delivery',
    webhook_id: 'wh_a',
    event_id: event.id,
    event: event.event,
    status: 'pending',
    failure_reason: null,
    attempts: [],
    next_attempt_at: null,
    created: 1_782_918_600,
    createdMs: 1_782_918_600_000,
    payload: JSON.stringify(event),
    ...fields,
  }
}

const event = (id: string, name: string): SandboxEvent => ({
  id,
  event: name,
  timestamp: '2026-07-01T15:10:00Z',
  data: {},
})

t.test('html escapes every interpolated value and keeps nested safe markup', async (t) => {
  t.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
  )
  const inner = html`<b>${'<i>'}</b>`
  t.equal(
    html`<p>${inner}${['<', html`<br />`]}${null}${undefined}</p>`.text,
    '<p><b>&lt;i&gt;</b>&lt;<br /></p>',
  )
  t.equal(
    jsonForScript({ x: '</script><script>alert(1)</script>' }).text,
    '{"x":"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"}',
    'no </script> can end a JSON block',
  )
})

t.test('a delivery state reads the way people say it', async (t) => {
  const table: [Partial<Delivery>, string][] = [
    [{ status: 'pending', attempts: [] }, 'pending'],
    [
      { status: 'pending', attempts: [attempt(1)], next_attempt_at: '2026-07-01T15:11:00Z' },
      'failing',
    ],
    [
      { status: 'pending', attempts: [attempt(1, { succeeded: true, status_code: 200 })] },
      'pending',
    ],
    [{ status: 'delivered', attempts: [attempt(1), attempt(2, { succeeded: true })] }, 'delivered'],
    [{ status: 'parked', attempts: [attempt(1)] }, 'parked'],
    [{ status: 'cancelled', attempts: [] }, 'cancelled'],
  ]
  for (const [fields, expected] of table)
    t.equal(deliveryState(delivery('dlv_1', event('evt_1', 'order.filled'), fields)), expected)
})

t.test(
  'the feed lists events newest first, each with its deliveries, and filters them',
  async (t) => {
    const e1 = event('evt_1', 'order.accepted')
    const e2 = event('evt_2', 'order.filled')
    const e3 = event('evt_3', 'account.created')
    const source = {
      events: [e1, e2, e3],
      deliveries: [
        delivery('dlv_1', e1, { status: 'delivered', attempts: [attempt(1, { succeeded: true })] }),
        delivery('dlv_2', e2, { attempts: [attempt(1)], next_attempt_at: '2026-07-01T15:11:00Z' }),
        delivery('dlv_3', e2, { webhook_id: 'wh_b', status: 'parked', attempts: [attempt(1)] }),
      ],
      webhooks: [
        { id: 'wh_a', name: 'app' },
        { id: 'wh_b', name: 'backup' },
      ],
    }
    const ids = (filters: Parameters<typeof buildFeed>[1]) =>
      buildFeed(source, filters).rows.map((r) => `${r.event.id}/${r.delivery?.id ?? '-'}`)
    t.same(ids({}), ['evt_3/-', 'evt_2/dlv_2', 'evt_2/dlv_3', 'evt_1/dlv_1'], 'newest first')
    t.same(ids({ event: 'order.*' }), ['evt_2/dlv_2', 'evt_2/dlv_3', 'evt_1/dlv_1'], 'a pattern')
    t.same(ids({ event: 'order.filled' }), ['evt_2/dlv_2', 'evt_2/dlv_3'], 'an exact name')
    t.same(ids({ webhookId: 'wh_b' }), ['evt_2/dlv_3'], 'one webhook: only its deliveries')
    t.same(ids({ state: 'failing' }), ['evt_2/dlv_2'])
    t.same(ids({ state: 'delivered' }), ['evt_1/dlv_1'])
    t.same(ids({ state: 'parked', webhookId: 'wh_a' }), [], 'filters combine')
    const feed = buildFeed(source, {})
    const first = pageFeed(feed, {}, 3)
    t.same(
      [first.rows.length, first.total, first.start],
      [3, 4, 0],
      'a page: the newest, all counted',
    )
    t.equal(first.newer, undefined, 'nothing newer than the first page')
    const second = pageFeed(feed, { after: first.older! }, 3)
    t.same(second.rows.map(rowKey), ['evt_1~dlv_1'], 'the next page starts after the cursor')
    t.equal(second.older, undefined)
    t.same(pageFeed(feed, { before: second.newer! }, 3).rows.map(rowKey), first.rows.map(rowKey))
    t.same(pageFeed(feed, { after: 'evt_gone~' }, 3).start, 0, 'a cursor gone in a reset: page 1')
    t.same(parseFilters({ status: 'nonsense', event: ' order.* ', webhook_id: '' }), {
      event: 'order.*',
    })
  },
)

t.test(
  'an event name, a webhook name or a receiver answer with markup is shown as text',
  async (t) => {
    const hostile = '<script>alert(1)</script>'
    const e = event('evt_x', hostile)
    const d = delivery('dlv_x', e, { attempts: [attempt(1)] })
    const feed = renderFeedPage(frame, {
      page: pageFeed(
        buildFeed(
          {
            events: [e],
            deliveries: [d],
            webhooks: [{ id: 'wh_a', name: `<img src=x onerror=alert(1)>` }],
          },
          {},
        ),
        {},
      ),
      filters: { event: `"><script>alert(2)</script>` },
      cursor: {},
      webhooks: [{ id: 'wh_a', name: `<img src=x onerror=alert(1)>` }],
      eventNames: [hostile],
      selected: undefined,
    })
    t.notMatch(feed, /<script>alert/, 'no script element from data')
    t.notMatch(feed, /<img /, 'no element from a webhook name')
    t.match(feed, '&lt;script&gt;alert(1)&lt;/script&gt;')
    t.match(
      feed,
      'value="&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"',
      'a filter value stays in its attribute',
    )

    const answered: AttemptView = {
      ...attempt(1),
      response: {
        status: 401,
        headers: { 'content-type': 'application/json', 'x-evil': hostile },
        body: JSON.stringify({ code: 'BLUUM_SIGNATURE_MISMATCH', message: `no match ${hostile}` }),
      },
    }
    const page = renderDeliveryPage(frame, {
      delivery: d,
      state: 'failing',
      attempts: [answered],
      webhook: { id: 'wh_a', name: 'app', url: 'http://127.0.0.1/hook?<x>' },
      curl: `curl -X POST 'http://127.0.0.1/hook?<x>'`,
    })
    t.notMatch(page, /<script>alert/)
    t.match(page, 'BLUUM_SIGNATURE_MISMATCH')
    t.match(page, 'no match &lt;script&gt;')
  },
)

t.test(
  "an attempt shows the receiver's code and diagnosis, the request and the answer",
  async (t) => {
    const view: AttemptView = {
      ...attempt(2),
      request: {
        method: 'POST',
        url: 'http://127.0.0.1:3000/webhooks/bluum',
        headers: { 'webhook-id': 'evt_1' },
        body: '{"id":"evt_1"}',
      },
      response: {
        status: 401,
        headers: { 'content-type': 'application/json' },
        body: '{"code":"BLUUM_TIMESTAMP_FUTURE","message":"The webhook-timestamp is 400 s ahead of this server\'s clock."}',
        body_truncated: true,
      },
    }
    const out = renderAttemptGroup(groupAttempts([view])[0]!, '{"id":"evt_1"}', nowMs, true).text
    t.match(out, /Attempt 2:\s+HTTP 401 <code>BLUUM_TIMESTAMP_FUTURE<\/code>/)
    t.match(out, 'The webhook-timestamp is 400 s ahead')
    t.match(out, 'POST http://127.0.0.1:3000/webhooks/bluum')
    t.match(out, 'webhook-id')
    t.match(out, 'Only the first 64 KB were kept.')
    t.match(out, 'Body: the envelope below', 'the body sent is the envelope, shown once')
    const refused = renderAttemptGroup(
      groupAttempts([
        {
          ...attempt(1, { status_code: null, error: 'ECONNREFUSED: connect ECONNREFUSED' }),
          connection_error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' },
        },
      ])[0]!,
      '',
      nowMs,
      true,
    ).text
    t.match(refused, /No answer:\s*<code>ECONNREFUSED<\/code>\s+connect ECONNREFUSED 127.0.0.1:9/)
  },
)

t.test(
  "the receiver's diagnosis is read from the plugin's and Bluum's error shapes only",
  async (t) => {
    const table: [string | undefined, ReturnType<typeof receiverDiagnosis>][] = [
      [
        '{"code":"BLUUM_SIGNATURE_MISMATCH","message":"m"}',
        { code: 'BLUUM_SIGNATURE_MISMATCH', message: 'm' },
      ],
      ['{"error":{"code":"BLUM-401-003","message":"k"}}', { code: 'BLUM-401-003', message: 'k' }],
      ['{"code":42}', undefined],
      ['not json', undefined],
      ['', undefined],
      [undefined, undefined],
    ]
    for (const [body, expected] of table) t.same(receiverDiagnosis(body), expected, String(body))
  },
)

t.test('a webhook secret is on the page only when it was revealed', async (t) => {
  const webhook = {
    id: 'wh_a',
    name: 'app',
    url: 'http://127.0.0.1:3000/webhooks/bluum',
    description: null,
    event_type_names: ['order.*'],
    status: 'active' as const,
    disabled_reason: null,
    created_at: '2026-07-01T15:10:00Z',
  }
  const secret = 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2Vj'
  const hidden = renderWebhooksPage(frame, {
    webhooks: [{ webhook, parked: 2, previousSecretExpiresAt: null }],
  })
  t.notMatch(hidden, 'whsec_')
  t.match(hidden, 'Reveal secret')
  t.match(hidden, /Replay 2 parked deliveries/)
  t.notMatch(hidden, /aria-label="Replay 2 parked deliveries of app"\s+disabled/)
  const shown = renderWebhooksPage(frame, {
    webhooks: [
      {
        webhook,
        parked: 0,
        revealedSecret: secret,
        previousSecretExpiresAt: '2026-07-02T14:10:00.000Z',
      },
    ],
  })
  t.match(shown, secret)
  t.match(
    shown,
    /The previous secret also signs until\s+<time[^>]*>in 23 h<\/time>/,
    'the grace period',
  )
  t.match(
    shown,
    /aria-label="Replay 0 parked deliveries of app"\s+disabled/,
    'nothing to replay: disabled',
  )
})

t.test('every form control has a label and every action is a form that posts', async (t) => {
  const page = renderTriggerPage(frame, {
    catalog: [{ name: 'order.filled', description: 'An order filled' }],
    selected: 'order.filled',
    data: '{}',
    samples: { 'order.filled': '{"note": "</script>"}' },
    receivers: { 'order.filled': [{ id: 'wh_a', name: '</script><b>app' }] },
  })
  t.match(page, '&lt;/script&gt;&lt;b&gt;app', 'the receivers are listed, as text')
  for (const [, id] of page.matchAll(/<(?:input|select|textarea)[^>]*\bid="([^"]+)"/g)) {
    t.match(page, `for="${id}"`, `#${id} is labelled`)
  }
  t.notMatch(page, /<\/script>"/, 'a sample cannot close the data block')
  t.match(page, /<form method="post" action="\/trigger"/)
})

t.test(
  "the trigger form's samples are accepted as they are, for every catalog event",
  async (t) => {
    const sandbox = createSandbox()
    t.teardown(() => sandbox.close())
    for (const name of bluumEventNames) {
      const data = triggerSampleData(name, sandbox.clock.now())
      const emitted = sandbox.trigger(name, data)
      t.equal(emitted.event, name, `${name} triggers with its sample`)
      for (const key of ['id', 'investor_id', 'status', 'created'])
        t.notOk(key in data, `${name}: '${key}' is left to the sandbox`)
    }
  },
)

t.test('who may use the inspector', async (t) => {
  const base: AccessRequest = {
    method: 'GET',
    remoteAddress: '127.0.0.1',
    host: '127.0.0.1:4010',
    origin: undefined,
    secFetchSite: undefined,
    hasTenantCredentials: false,
  }
  const table: [string, Partial<AccessRequest>, ReturnType<typeof decideAccess>][] = [
    ['this machine, by address', {}, { allowed: true }],
    ['this machine, by name', { host: 'localhost:4010' }, { allowed: true }],
    ['this machine over IPv6', { remoteAddress: '::1', host: '[::1]:4010' }, { allowed: true }],
    ['an IPv4-mapped loopback peer', { remoteAddress: '::ffff:127.0.0.1' }, { allowed: true }],
    [
      'DNS rebinding: loopback peer, foreign Host',
      { host: 'evil.example:4010' },
      { allowed: false, status: 401, reason: 'credentials' },
    ],
    [
      'another machine without credentials',
      { remoteAddress: '10.0.0.7', host: '10.0.0.2:4010' },
      { allowed: false, status: 401, reason: 'credentials' },
    ],
    [
      'another machine with the tenant key',
      { remoteAddress: '10.0.0.7', host: '10.0.0.2:4010', hasTenantCredentials: true },
      { allowed: true },
    ],
    [
      'a post from its own page',
      { method: 'POST', origin: 'http://127.0.0.1:4010' },
      { allowed: true },
    ],
    ['a post without browser headers (curl)', { method: 'POST' }, { allowed: true }],
    [
      'a post from another site',
      { method: 'POST', origin: 'http://evil.example' },
      { allowed: false, status: 403, reason: 'cross-site' },
    ],
    [
      'a post from an opaque origin',
      { method: 'POST', origin: 'null' },
      { allowed: false, status: 403, reason: 'cross-site' },
    ],
    [
      'a post another site caused, by Sec-Fetch-Site',
      { method: 'POST', secFetchSite: 'cross-site' },
      { allowed: false, status: 403, reason: 'cross-site' },
    ],
    [
      'a post from another port of this machine',
      { method: 'POST', origin: 'http://127.0.0.1:3000' },
      { allowed: false, status: 403, reason: 'cross-site' },
    ],
  ]
  for (const [name, fields, expected] of table)
    t.same(decideAccess({ ...base, ...fields }), expected, name)
})

t.test('links are encoded by construction', async (t) => {
  t.equal(url`/deliveries/${'a/b?c#d'}`.href, '/deliveries/a%2Fb%3Fc%23d')
  t.equal(
    url`/?${new URLSearchParams({ event: 'order.*', x: 'a&b' })}`.href,
    '/?event=order.*&x=a%26b',
  )
  t.equal(url`/?${new URLSearchParams()}`.href, '/', 'an empty query leaves no ?')
  t.equal(
    html`<a href="${url`/?a=${'1'}&b=${'<2>'}`}">x</a>`.text,
    '<a href="/?a=1&amp;b=%3C2%3E">x</a>',
    'in an attribute, escaped as HTML too',
  )
})

t.test('a redirect target is a same-origin path, or the fallback', async (t) => {
  const table: [string | undefined, string][] = [
    ['/webhooks', '/webhooks'],
    ['/?status=failing#x', '/?status=failing#x'],
    ['/deliveries/dlv_1', '/deliveries/dlv_1'],
    ['//evil.example/x', '/'],
    ['/\\evil.example/x', '/'],
    ['/\t/evil.example/x', '/'],
    ['/\r\nLocation: x', '/'],
    ['/\u0000', '/'],
    ['http://evil.example/', '/'],
    ['https:/evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['evil.example', '/'],
    ['/a/../../b', '/b'],
    ['/ü', '/%C3%BC'],
    ['', '/'],
    [undefined, '/'],
    ['/' + 'a'.repeat(3000), '/'],
  ]
  for (const [target, expected] of table)
    t.equal(localPath(target), expected, JSON.stringify(target))
})

t.test('notices are chosen by id; anything else shows nothing', async (t) => {
  t.match(noticeText('replayed'), 'Replayed')
  for (const id of [
    'Your account is locked',
    'constructor',
    '__proto__',
    'toString',
    42,
    undefined,
  ])
    t.equal(noticeText(id), undefined, String(id))
})

t.test('times read relative to the sandbox clock, exact in UTC', async (t) => {
  const table: [string, string][] = [
    ['2026-07-01T15:10:00.400Z', 'now'],
    ['2026-07-01T15:09:30.000Z', '30 s ago'],
    ['2026-07-01T15:06:00.000Z', '4 min ago'],
    ['2026-07-01T17:10:00.000Z', 'in 2 h'],
    ['2026-06-28T15:10:00.000Z', '3 d ago'],
  ]
  for (const [iso, expected] of table) t.equal(relativeTime(iso, nowMs), expected, iso)
  t.equal(exactUtc('2026-07-01T15:10:03.123Z'), '2026-07-01 15:10:03.123 UTC')
})

t.test(
  'consecutive identical attempts fold into one group; a changed answer shows a diff',
  async (t) => {
    const refused = (n: number, message = 'no match') =>
      attempt(n, {
        response: {
          status: 401,
          headers: {},
          body: JSON.stringify({ code: 'BLUUM_SIGNATURE_MISMATCH', message }),
          body_truncated: false,
          body_bytes: 10,
        },
      })
    const groups = groupAttempts([
      refused(1),
      refused(2),
      refused(3),
      refused(4, 'no match, again'),
      attempt(5, { status_code: 200, succeeded: true, error: null }),
    ])
    t.same(
      groups.map((g) => [g.attempts.map((a) => a.attempt), g.outcome, g.diagnosis?.code]),
      [
        [[1, 2, 3], 'HTTP 401', 'BLUUM_SIGNATURE_MISMATCH'],
        [[4], 'HTTP 401', 'BLUUM_SIGNATURE_MISMATCH'],
        [[5], 'HTTP 200, delivered', undefined],
      ],
    )
    t.equal(groups[0]!.diff, undefined)
    t.same(
      groups[1]!.diff?.filter((l) => l.kind !== 'same').map((l) => `${l.kind} ${l.text.trim()}`),
      ['removed "message": "no match"', 'added "message": "no match, again"'],
    )
    const folded = renderAttemptGroup(groups[0]!, '{}', nowMs, false).text
    t.match(
      folded,
      /Attempts 1–3:\s+HTTP 401 <code>BLUUM_SIGNATURE_MISMATCH<\/code> <span class="count">×3<\/span>/,
    )
    t.equal(folded.match(/class="diagnosis"/g)?.length, 1, 'the diagnosis once')
    t.same(diffLines('a\nb', 'a\nb'), [
      { kind: 'same', text: 'a' },
      { kind: 'same', text: 'b' },
    ])
  },
)

t.test('a curl command quotes every part for the shell', async (t) => {
  t.equal(shellQuote(`it's`), `'it'\\''s'`)
  const command = curlCommand({
    url: 'http://127.0.0.1:3000/hook',
    headers: { 'webhook-id': 'evt_1', 'x-odd': `$(touch /tmp/x) '` },
    body: `{"a":"'; rm -rf /"}`,
  })
  t.match(command, `-H 'x-odd: $(touch /tmp/x) '\\'''`)
  t.match(command, `--data-binary '{"a":"'\\''; rm -rf /"}'`)
})

t.test(
  'the trigger form knows who receives each event; the endpoint form its wildcards',
  async (t) => {
    const receivers = receiversByEvent(
      ['order.filled', 'transfer.deposit.completed'],
      [
        { id: 'wh_a', name: 'all', status: 'active', event_type_names: ['*'] },
        { id: 'wh_b', name: 'orders', status: 'active', event_type_names: ['order.*'] },
        { id: 'wh_c', name: 'off', status: 'inactive', event_type_names: ['*'] },
        {
          id: 'wh_d',
          name: 'deposits',
          status: 'active',
          event_type_names: ['transfer.deposit.*'],
        },
      ],
    )
    t.same(
      receivers['order.filled']!.map((r) => r.name),
      ['all', 'orders'],
    )
    t.same(
      receivers['transfer.deposit.completed']!.map((r) => r.name),
      ['all', 'deposits'],
    )
    t.same(
      subscriptionChoices(['order.filled', 'transfer.deposit.completed']).map((c) => c.wildcard),
      ['order.*', 'transfer.*', 'transfer.deposit.*'],
    )
  },
)
