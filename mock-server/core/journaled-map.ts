/**
 * A `Map` that can remember what it held, so a failed operation can be undone.
 *
 * Between `startJournal()` and `stopJournal()` the first write to each key (set or delete) keeps
 * the entry as it was; `rollBack()` puts those entries back and removes the keys that were added.
 * The cost is one branch per write while no journal is open, and one entry per key touched while
 * one is: a sandbox trigger undoes what it created in a state of any size without copying it.
 * Only the map's own entries are journaled: a value changed in place (an object's field) is the
 * caller's to save (see `state-snapshot.ts`).
 */

interface Before<V> {
  had: boolean
  value: V | undefined
}

export class JournaledMap<K, V> extends Map<K, V> {
  #journaling = false
  // Made on the first write of a journal: most journals of a trigger see no write at all.
  #before: Map<K, Before<V>> | undefined

  /** Starts remembering the entries as they are now (a journal already open is replaced). */
  startJournal(): void {
    this.#journaling = true
    this.#before = undefined
  }

  /** Forgets the journal: the writes since `startJournal()` stay. */
  stopJournal(): void {
    this.#journaling = false
    this.#before = undefined
  }

  /** Puts back every entry as it was at `startJournal()` and closes the journal. */
  rollBack(): void {
    const before = this.#before
    this.stopJournal()
    if (before === undefined) return
    for (const [key, entry] of before) {
      if (entry.had) super.set(key, entry.value as V)
      else super.delete(key)
    }
  }

  #remember(key: K): void {
    const before = (this.#before ??= new Map())
    if (!before.has(key)) before.set(key, { had: super.has(key), value: super.get(key) })
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
