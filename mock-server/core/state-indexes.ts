/**
 * Keeping {@link StateIndexes} current. The engines call these where they write the resources an
 * index follows; `rebuildIndexes` refills them from the resources after a state-file load.
 *
 * Readers check what an index says against the resources (an e-mail still on that investor, an
 * order still resting), so an entry left behind by a change elsewhere (a reset, a resource
 * removed, a trigger rolled back) is skipped and dropped, never believed. What an index must never
 * miss is an entry: every write of an e-mail or a new order goes through here.
 */
import type { Investor, Order, SandboxState } from './state.js'

/** The statuses in which an order still holds cash (a buy) or shares (a sell). */
export const restingStatuses: ReadonlySet<Order['status']> = new Set(['pending', 'open', 'partial'])

/** The investor holding `email` (already normalised to lower case), if any. */
export function investorWithEmail(state: SandboxState, email: string): Investor | undefined {
  const id = state.indexes.investorByEmail.get(email)
  if (id === undefined) return undefined
  const investor = state.investors.get(id)
  if (investor?.email === email) return investor
  state.indexes.investorByEmail.delete(email)
  return undefined
}

/** Records that `investor` now holds its e-mail, and no longer `previousEmail`. */
export function noteInvestorEmail(
  state: SandboxState,
  investor: Investor,
  previousEmail?: string,
): void {
  const index = state.indexes.investorByEmail
  if (previousEmail !== undefined && index.get(previousEmail) === investor.id)
    index.delete(previousEmail)
  index.set(investor.email, investor.id)
}

/** Records a new order; it rests until its status says otherwise. */
export function noteRestingOrder(state: SandboxState, order: Order): void {
  const index = state.indexes.restingOrders
  // A new array rather than a push: the journal of a rolled-back trigger restores whole values.
  index.set(order.investor_id, [...(index.get(order.investor_id) ?? []), order.id])
}

/**
 * Drops an order that stopped resting (filled, cancelled, failed) from its investor's list, so
 * the index holds resting orders only: an investor never looked up again (each triggered event
 * makes a new one) would otherwise keep a list of settled ids for good.
 */
export function noteOrderSettled(state: SandboxState, order: Order): void {
  const index = state.indexes.restingOrders
  const ids = index.get(order.investor_id)
  if (ids === undefined || !ids.includes(order.id)) return
  // A new array rather than a splice: the journal of a rolled-back trigger restores whole values.
  const rest = ids.filter((id) => id !== order.id)
  if (rest.length === 0) index.delete(order.investor_id)
  else index.set(order.investor_id, rest)
}

/** The investor's resting orders, oldest first; drops the ids of orders that stopped resting. */
export function restingOrdersOf(state: SandboxState, investorId: string): Order[] {
  const ids = state.indexes.restingOrders.get(investorId)
  if (ids === undefined) return []
  const resting: Order[] = []
  for (const id of ids) {
    const order = state.orders.get(id)
    if (
      order !== undefined &&
      order.investor_id === investorId &&
      restingStatuses.has(order.status)
    )
      resting.push(order)
  }
  if (resting.length !== ids.length) {
    if (resting.length === 0) state.indexes.restingOrders.delete(investorId)
    else
      state.indexes.restingOrders.set(
        investorId,
        resting.map((order) => order.id),
      )
  }
  return resting
}

/** Empties the indexes and fills them from the resources (after a state-file load). */
export function rebuildIndexes(state: SandboxState): void {
  state.indexes.investorByEmail.clear()
  state.indexes.restingOrders.clear()
  for (const investor of state.investors.values())
    state.indexes.investorByEmail.set(investor.email, investor.id)
  const resting = new Map<string, string[]>()
  for (const order of state.orders.values()) {
    if (!restingStatuses.has(order.status)) continue
    const ids = resting.get(order.investor_id)
    if (ids === undefined) resting.set(order.investor_id, [order.id])
    else ids.push(order.id)
  }
  for (const [investorId, ids] of resting) state.indexes.restingOrders.set(investorId, ids)
}
