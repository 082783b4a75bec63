/**
 * A snapshot of what one sandbox operation may change, so a failure halfway puts the state back
 * exactly as it was: what "a refused trigger changes nothing" rests on, instead of a second copy of
 * every engine's rules checked beforehand.
 *
 * Taking it costs the same in a state of any size. Every map of the state journals its own entries
 * (`JournaledMap`): what was added goes, what was replaced or removed comes back. Values the
 * engines change in place are copied up front, and only those an operation can reach: the
 * investors it names (their profile, KYC status, positions), the rejection queue, the settings and
 * the untradable symbols. Resources an operation creates are new objects, so the journal covers
 * them. Events, deliveries and timers are not state: the trigger emits nothing until it succeeded.
 */
import { JournaledMap } from './journaled-map.js'
import type { Investor, Position, SandboxState } from './state.js'
import { copyJson } from './resource.js'

export interface StateSnapshot {
  /** Puts the state back as it was when the snapshot was taken, and ends the snapshot. */
  restore(): void
  /** Keeps what changed, and ends the snapshot. */
  keep(): void
}

/** What an operation may change in place, beyond the entries of the state's maps. */
export interface SnapshotScope {
  /** Investors whose record or positions the operation may change (those that exist now). */
  investorIds: readonly string[]
}

interface SavedInvestor {
  investor: Investor
  fields: Investor
  positions: Map<string, Position> | undefined
  savedPositions: [string, Position][] | undefined
}

// A state's maps are created with it and cleared in place, never replaced: find them once.
const mapsOf = new WeakMap<SandboxState, JournaledMap<unknown, unknown>[]>()

function journaledMaps(state: SandboxState): JournaledMap<unknown, unknown>[] {
  let maps = mapsOf.get(state)
  if (maps === undefined) {
    maps = []
    for (const value of [...Object.values(state), ...Object.values(state.indexes)])
      if (value instanceof JournaledMap) maps.push(value)
    mapsOf.set(state, maps)
  }
  return maps
}

/** Takes a snapshot of `state` for an operation that may change what `scope` names. */
export function takeSnapshot(state: SandboxState, scope: SnapshotScope): StateSnapshot {
  const maps = journaledMaps(state)
  for (const map of maps) map.startJournal()
  const investors: SavedInvestor[] = []
  for (const id of scope.investorIds) {
    const investor = state.investors.get(id)
    if (investor === undefined) continue
    const positions = state.positions.get(id)
    investors.push({
      investor,
      fields: copyJson(investor),
      positions,
      savedPositions: positions && [...positions].map(([symbol, p]) => [symbol, { ...p }]),
    })
  }
  const settings = {
    partialFills: state.partialFills,
    marketHours: state.marketHours,
    kycMode: state.kycMode,
  }
  const rejections = [...state.documentRejections]
  const untradable = [...state.untradable]
  let ended = false

  return {
    restore() {
      if (ended) return
      ended = true
      for (const map of maps) map.rollBack()
      for (const saved of investors) {
        // In place: whoever holds the investor object keeps a valid one.
        for (const key of Object.keys(saved.investor))
          if (!(key in saved.fields))
            delete (saved.investor as unknown as Record<string, unknown>)[key]
        Object.assign(saved.investor, saved.fields)
        if (saved.positions && saved.savedPositions) {
          saved.positions.clear()
          for (const [symbol, position] of saved.savedPositions)
            saved.positions.set(symbol, position)
        }
      }
      Object.assign(state, settings)
      state.documentRejections.splice(0, state.documentRejections.length, ...rejections)
      state.untradable.clear()
      for (const symbol of untradable) state.untradable.add(symbol)
    },
    keep() {
      if (ended) return
      ended = true
      for (const map of maps) map.stopJournal()
    },
  }
}
