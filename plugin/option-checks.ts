/**
 * Option validation, once at creation or `register`, for the plugin and every factory of the
 * package (`createMemoryStore`, `createRedisStore`, `createPostgresInbox`): each refusal names
 * the option, says what is expected and what came (its type, and its value unless the option is
 * secret), and an unknown key is refused with the nearest known name, so a typo fails start-up
 * instead of silently falling back to a default.
 *
 * Each part keeps its own coded error (`BLUUM_INVALID_OPTION`, `BLUUM_REDIS_INVALID_OPTION`,
 * `BLUUM_INBOX_INVALID_OPTION`): the checker is built with the constructor it throws.
 *
 * @example
 * const check = createOptionChecker(InvalidOptionError, 'createMemoryStore')
 * const given = check.knownKeys('options', options, ['maxEntries', 'now'])
 * const maxEntries = check.positiveInteger('maxEntries', given.maxEntries, 100_000)
 */

/** A coded error constructor taking the option's name and what is wrong with it. */
type OptionErrorConstructor = new (name: string, detail: string) => Error

interface OptionChecker {
  /**
   * Checks that `value` is an object (undefined counts as `{}`) whose keys are all in `known`;
   * an unknown key is refused with the nearest known one. Returns the object.
   */
  knownKeys<K extends string>(
    name: string,
    value: unknown,
    known: readonly K[],
    hints?: Readonly<Record<string, string>>,
  ): Partial<Record<K, unknown>>
  /** A safe integer above zero, or `fallback` when undefined. `unit` goes in the message. */
  positiveInteger(name: string, value: unknown, fallback: number, unit?: string): number
  /** A string, or `fallback` when undefined; `pattern` (described by `expected`) if given. */
  string(
    name: string,
    value: unknown,
    fallback: string,
    pattern?: { test: RegExp; expected: string },
  ): string
  /** One of `allowed`, or `fallback` when undefined. */
  oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T
  /** A boolean, or `fallback` when undefined. */
  boolean(name: string, value: unknown, fallback: boolean): boolean
  /** A function, or `fallback` when undefined. */
  fn<F extends (...args: never[]) => unknown>(name: string, value: unknown, fallback: F): F
  /** An object with these methods (and, when present, these optional ones as methods too). */
  methods<T>(
    name: string,
    value: unknown,
    required: readonly string[],
    optional?: readonly string[],
  ): T
  /** Throws this part's error for `name`: `expected <expected>, received <what came>`. */
  fail(name: string, expected: string, value: unknown, secret?: boolean): never
}

/** Longest value quoted back in a message: enough to recognise it, not a mirror. */
const QUOTED_CHARS = 40

/**
 * The type of a value and, unless `secret`, the value itself: `the number 1.5`,
 * `the string "abc"`, `an array of 2 items`, `a Promise`. A secret string is described by its
 * length only.
 */
function describeValue(value: unknown, secret = false): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'undefined':
      return 'undefined'
    case 'string': {
      if (secret) return `a string of ${value.length} characters`
      const shown = value.length > QUOTED_CHARS ? `${value.slice(0, QUOTED_CHARS)}…` : value
      return `the string ${JSON.stringify(shown)}`
    }
    case 'number':
      return Number.isNaN(value) ? 'NaN' : `the number ${value}`
    case 'bigint':
      return secret ? 'a bigint' : `the bigint ${value}n`
    case 'boolean':
      return `the boolean ${value}`
    case 'symbol':
      return 'a symbol'
    case 'function':
      return 'a function'
  }
  if (Array.isArray(value)) {
    return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`
  }
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)
    ?.constructor?.name
  return typeof name === 'string' && name !== '' && name !== 'Object'
    ? `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`
    : 'an object'
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase()
  b = b.toLowerCase()
  const rows: number[][] = []
  for (let i = 0; i <= a.length; i++) {
    rows.push([i])
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0]![j] = j
        continue
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1)
      }
      rows[i]![j] = best
    }
  }
  return rows[a.length]![b.length]!
}

/**
 * The known name nearest to `name`, if one is near enough to be a typo of it (a few edits, or
 * one containing the other: `lease` → `leaseMs`), else undefined. Also names the event
 * `bluum-sandbox trigger` was given a typo of (`order.fill` → `order.filled`).
 */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  const lower = name.toLowerCase()
  for (const candidate of known) {
    const d = distance(name, candidate)
    const other = candidate.toLowerCase()
    const near =
      d <= Math.max(2, Math.floor(Math.max(name.length, candidate.length) / 3)) ||
      (Math.min(lower.length, other.length) >= 3 &&
        (other.includes(lower) || lower.includes(other)))
    if (near && d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

/** Creates the checker of one part; `owner` names it in the message of an unknown key. */
export function createOptionChecker(
  OptionError: OptionErrorConstructor,
  owner: string,
): OptionChecker {
  function fail(name: string, expected: string, value: unknown, secret = false): never {
    throw new OptionError(name, `expected ${expected}, received ${describeValue(value, secret)}`)
  }

  return {
    fail,

    knownKeys(name, value, known, hints = {}) {
      if (value === undefined) return {}
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        fail(name, 'an object of options', value)
      }
      const prefix = name === 'options' ? '' : `${name}.`
      for (const key of Object.keys(value)) {
        if ((known as readonly string[]).includes(key)) continue
        const hint = hints[key]
        const nearest = nearestName(key, known)
        throw new OptionError(
          prefix + key,
          `not an option of ${owner}` +
            (hint !== undefined
              ? `: ${hint}`
              : nearest !== undefined
                ? `; did you mean "${nearest}"?`
                : `; the options are ${known.join(', ')}`),
        )
      }
      return value as Partial<Record<(typeof known)[number], unknown>>
    },

    positiveInteger(name, value, fallback, unit) {
      if (value === undefined) return fallback
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
        fail(name, `a positive integer${unit === undefined ? '' : ` of ${unit}`}`, value)
      }
      return value
    },

    string(name, value, fallback, pattern) {
      if (value === undefined) return fallback
      if (typeof value !== 'string') fail(name, pattern?.expected ?? 'a string', value)
      if (pattern !== undefined && !pattern.test.test(value)) fail(name, pattern.expected, value)
      return value
    },

    oneOf(name, value, allowed, fallback) {
      if (value === undefined) return fallback
      if (!(allowed as readonly unknown[]).includes(value)) {
        fail(name, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value)
      }
      return value as (typeof allowed)[number]
    },

    boolean(name, value, fallback) {
      if (value === undefined) return fallback
      if (typeof value !== 'boolean') fail(name, 'true or false', value)
      return value
    },

    fn(name, value, fallback) {
      if (value === undefined) return fallback
      if (typeof value !== 'function') fail(name, 'a function', value)
      return value as typeof fallback
    },

    methods<T>(name: string, value: unknown, required: readonly string[], optional = []) {
      const list = (methods: readonly string[]) => methods.map((m) => `${m}()`).join(', ')
      const expected =
        `an object with the methods ${list(required)}` +
        (optional.length > 0 ? ` (and optionally ${list(optional)})` : '')
      if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
        fail(name, expected, value)
      }
      const object = value as Record<string, unknown>
      for (const method of required) {
        if (typeof object[method] !== 'function') {
          throw new OptionError(
            name,
            `expected ${expected}; ${method} is ${describeValue(object[method])}`,
          )
        }
      }
      for (const method of optional) {
        if (object[method] !== undefined && typeof object[method] !== 'function') {
          throw new OptionError(
            name,
            `expected ${expected}; ${method}, when present, must be a method, and is ${describeValue(object[method])}`,
          )
        }
      }
      return value as T
    },
  }
}
