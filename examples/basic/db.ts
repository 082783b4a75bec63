/**
 * The example's persistence: a SQLite file, so exactly-once is visible in data that outlives
 * the process, not in a counter in memory.
 */
import Database from 'better-sqlite3'

export interface Notification {
  investor_id: string
  order_id: string
  message: string
}

/** Opens (and migrates) the example database. `:memory:` works for a throwaway run. */
export function openDatabase(file: string) {
  const db = new Database(file)
  // Every statement is prepared once here and lives as long as the connection (exec, not
  // pragma(), which prepares one to throw away): better-sqlite3 12 on Node 24+ aborts the
  // process when V8 garbage-collects a statement.
  db.exec('PRAGMA journal_mode = WAL')
  db.exec(`
    CREATE TABLE IF NOT EXISTS notifications (
      id INTEGER PRIMARY KEY, investor_id TEXT NOT NULL, order_id TEXT NOT NULL, message TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS investors (
      investor_id TEXT PRIMARY KEY, trading_enabled INTEGER NOT NULL DEFAULT 0,
      onboarding_step TEXT NOT NULL DEFAULT 'documents');
    CREATE TABLE IF NOT EXISTS alerts (
      id INTEGER PRIMARY KEY, investor_id TEXT NOT NULL, reason TEXT NOT NULL);
  `)
  const notify = db.prepare(
    'INSERT INTO notifications (investor_id, order_id, message) VALUES (?, ?, ?)',
  )
  const upsertInvestor = db.prepare(
    'INSERT INTO investors (investor_id) VALUES (?) ON CONFLICT(investor_id) DO NOTHING',
  )
  const enableTrading = db.prepare('UPDATE investors SET trading_enabled = 1 WHERE investor_id = ?')
  const setStep = db.prepare('UPDATE investors SET onboarding_step = ? WHERE investor_id = ?')
  const alert = db.prepare('INSERT INTO alerts (investor_id, reason) VALUES (?, ?)')
  const notificationColumns = 'SELECT investor_id, order_id, message FROM notifications'
  const allNotifications = db.prepare(`${notificationColumns} ORDER BY id`)
  const notificationsOf = db.prepare(`${notificationColumns} WHERE investor_id = ? ORDER BY id`)
  const investorRow = db.prepare('SELECT * FROM investors WHERE investor_id = ?')
  const allAlerts = db.prepare('SELECT investor_id, reason FROM alerts ORDER BY id')

  return {
    /** Records a user notification (one row per notification sent). */
    notify(row: Notification) {
      notify.run(row.investor_id, row.order_id, row.message)
    },
    notifications(investorId?: string): Notification[] {
      return (
        investorId ? notificationsOf.all(investorId) : allNotifications.all()
      ) as Notification[]
    },
    enableTrading(investorId: string) {
      upsertInvestor.run(investorId)
      enableTrading.run(investorId)
    },
    continueOnboarding(investorId: string, step: string) {
      upsertInvestor.run(investorId)
      setStep.run(step, investorId)
    },
    alert(investorId: string, reason: string) {
      alert.run(investorId, reason)
    },
    investor(investorId: string) {
      return investorRow.get(investorId) as
        { investor_id: string; trading_enabled: number; onboarding_step: string } | undefined
    },
    alerts() {
      return allAlerts.all() as Array<{
        investor_id: string
        reason: string
      }>
    },
    close() {
      db.close()
    },
  }
}

export type ExampleDatabase = ReturnType<typeof openDatabase>
