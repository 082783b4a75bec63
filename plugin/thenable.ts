/**
 * Whether a value is a promise (or any thenable). The hot path calls user code that may answer
 * synchronously (handlers, a custom verifier) and awaits only what is a promise: an `await` on a
 * plain value still costs a promise and a trip through the microtask queue.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
