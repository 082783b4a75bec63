/**
 * The green notices shown after an action (post, redirect, get). The redirect carries a message
 * id, never text: a link with `?notice=<anything>` cannot put words into the success box, and an
 * unknown id shows nothing. The page itself shows the specifics (the delivery, the clock's time).
 */

export const notices = Object.freeze({
  replayed: 'Replayed: the delivery starts a fresh retry ladder with the same event id and bytes.',
  retried: 'Retried now: its next attempt ran without moving the clock.',
  'replayed-parked': 'Replayed the parked deliveries of this webhook.',
  'clock-advanced': 'Clock advanced; every retry and transfer step due on the way ran.',
  triggered: 'Event triggered and delivered to every webhook subscribed to it.',
  'webhook-created':
    'Webhook created. Reveal its secret below and give it to your app (BLUUM_WEBHOOK_SECRET).',
  'webhook-updated': 'Webhook saved.',
  'webhook-disabled':
    'Webhook disabled: no new deliveries; waiting retries park when they come due.',
  'webhook-enabled': 'Webhook enabled: new events are delivered to it again.',
  'webhook-deleted': 'Webhook deleted; its waiting retries were cancelled.',
  'test-sent': 'Test event sent to this webhook only; its delivery is shown below.',
} as const)

export type NoticeId = keyof typeof notices

/** The text of a notice id from a query, or undefined for anything else. */
export function noticeText(id: unknown): string | undefined {
  return typeof id === 'string' && Object.hasOwn(notices, id) ? notices[id as NoticeId] : undefined
}
