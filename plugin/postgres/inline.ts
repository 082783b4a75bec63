/**
 * Transactional mode: one delivery, every matching handler, one transaction. The delivery is
 * claimed with an advisory try-lock (a concurrent duplicate answers 409 at once, never waiting
 * on a lock), the handlers run one after the other on that connection (the first failure ends the
 * transaction: after a failed statement every later one would be refused anyway), and the event
 * row is inserted in the same transaction. Commit, then 200.
 *
 * A failure of the database under a handler (store-failure.ts) is the store's, whatever the
 * handler did with it: rolled back, answered 503, never reported to `onError`.
 */
import type { AnyBluumEvent } from '../catalog.js'
import { InboxTransactionAbortedError } from '../errors.js'
import type { InboxDelivery } from '../inbox.js'
import type { BluumHandlerContext, EventDispatcher } from '../types.js'
import type { SqlDriver, Transaction } from './driver.js'
import type { InboxStatements } from './statements.js'
import { errorText, isStoreFailure } from './store-failure.js'

/**
 * Bluum's attempts of one delivery: the first and 5 retries (1 min, 5 min, 30 min, 2 h, 8 h),
 * then the event is parked. A transactional handler's `context.maxAttempts`.
 */
export const BLUUM_DELIVERY_ATTEMPTS = 6

/** How one inline run ended. */
export type InlineOutcome =
  | { readonly kind: 'processed' | 'duplicate' | 'in-flight' }
  | { readonly kind: 'failed'; readonly errors: unknown[]; readonly context: BluumHandlerContext }
  | { readonly kind: 'store'; readonly error: unknown }

/** Runs the handlers of a delivery and records the event in one transaction; never rejects. */
export async function runInline(
  driver: SqlDriver,
  sql: InboxStatements,
  schema: string,
  dispatcher: EventDispatcher,
  delivery: InboxDelivery,
): Promise<InlineOutcome> {
  const { deliveryId, event, log } = delivery
  let transaction: Transaction
  try {
    transaction = await driver.begin({ eager: true })
  } catch (error) {
    return { kind: 'store', error }
  }
  let context: BluumHandlerContext | undefined
  try {
    const [lock] = (
      await transaction.tx.query<{ locked: boolean }>(sql.inlineLock, [`${schema}:${deliveryId}`])
    ).rows
    if (!lock?.locked) {
      await transaction.rollback()
      return { kind: 'in-flight' }
    }
    // A fresh snapshot, taken once the lock is held: a run that committed just before is seen.
    const [state] = (
      await transaction.tx.query<{ seen: boolean; failures: number }>(sql.inlineState, [deliveryId])
    ).rows
    if (state?.seen) {
      await transaction.rollback()
      return { kind: 'duplicate' }
    }
    context = {
      log,
      deliveryId,
      tx: transaction.tx,
      attempt: (state?.failures ?? 0) + 1,
      maxAttempts: BLUUM_DELIVERY_ATTEMPTS,
      stale: false,
    } as BluumHandlerContext
    const failure = await runHandlers(dispatcher, event, context)
    if (transaction.storeFailure !== undefined) {
      await transaction.rollback()
      return { kind: 'store', error: transaction.storeFailure }
    }
    if (failure !== undefined) {
      await transaction.rollback()
      await recordFailure(driver, sql, delivery, failure.error)
      return { kind: 'failed', errors: [failure.error], context }
    }
    await transaction.commit(sql.inlineProcessed, [deliveryId, event.event, JSON.stringify(event)])
    return { kind: 'processed' }
  } catch (error) {
    await transaction.rollback()
    const storeFailure = transaction.storeFailure
    if (storeFailure !== undefined || isStoreFailure(error)) {
      return { kind: 'store', error: storeFailure ?? error }
    }
    // A handler swallowed a failed statement: its fault, not the database's.
    if (error instanceof InboxTransactionAbortedError && context !== undefined) {
      await recordFailure(driver, sql, delivery, error)
      return { kind: 'failed', errors: [error], context }
    }
    return { kind: 'store', error }
  }
}

async function runHandlers(
  dispatcher: EventDispatcher,
  event: AnyBluumEvent,
  context: BluumHandlerContext,
): Promise<{ error: unknown } | undefined> {
  for (const registration of dispatcher.handlersFor(event)) {
    try {
      await dispatcher.runHandler(registration, event, context)
    } catch (error) {
      return { error }
    }
  }
  return undefined
}

/** Counts the failed run, outside the rolled-back transaction: the next run's `attempt`. */
async function recordFailure(
  driver: SqlDriver,
  sql: InboxStatements,
  delivery: InboxDelivery,
  error: unknown,
): Promise<void> {
  try {
    await driver.query(sql.inlineFailed, [delivery.deliveryId, errorText(error)])
  } catch (err) {
    delivery.log.warn(
      { err, deliveryId: delivery.deliveryId },
      'bluum inbox could not count a failed run: the next run sees an attempt number one lower',
    )
  }
}
