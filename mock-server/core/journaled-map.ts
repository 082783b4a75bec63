/**
 * A `Map` that can remember what it held, so a failed operation can be undone.
 *
 * Between `startJournal()` and `stopJournal()` every write (set, delete, clear) notes the entry as
 * it was; `rollBack()` puts the entries back as the journal started and removes the keys added
 * since. The cost is one branch per write while no journal is open, and one note per write while
 * one is: a sandbox trigger undoes what it created in a state of any size without copying it. A
 * key deleted and put back moves to the end of the iteration order.
 * Only the map's own entries are journaled: a value changed in place (an object's field) is the
 * caller's to save (see `state-snapshot.ts`).
 */

export class JournaledMap<K, V> extends Map<K, V> {
  #journaling = false
  // Flat (key, had, value) triples, oldest first: a rollback replays them newest first, so each key
  // ends as its first write found it. No lookup per write, one array per journal that saw a write.
  #log: unknown[] | undefined

  /** An empty map (entries are added with `set`, which a journal sees). */
  constructor() {
    super()
  }

  /** Starts remembering the entries as they are now (a journal already open is replaced). */
  startJournal(): void {
    this.#journaling = true
    this.#log = undefined
  }

  /** Forgets the journal: the writes since `startJournal()` stay. */
  stopJournal(): void {
    this.#journaling = false
    this.#log = undefined
  }

  /** Puts back every entry as it was at `startJournal()` and closes the journal. */
  rollBack(): void {
    const log = this.#log
    this.stopJournal()
    if (log === undefined) return
    for (let i = log.length - 3; i >= 0; i -= 3) {
      if (log[i + 1]) super.set(log[i] as K, log[i + 2] as V)
      else super.delete(log[i] as K)
    }
  }

  #remember(key: K): void {
    ;(this.#log ??= []).push(key, super.has(key), super.get(key))
  }

  override set(key: K, value: V): this {
    if (this.#journaling) this.#remember(key)
    return super.set(key, value)
  }

  override delete(key: K): boolean {
    if (this.#journaling) this.#remember(key)
    return super.delete(key)
  }

  override clear(): void {
    if (this.#journaling) for (const key of super.keys()) this.#remember(key)
    super.clear()
  }
}
