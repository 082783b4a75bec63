/**
 * Every statement of the inbox, in one place (as pg-boss keeps its `plans`): built once per
 * schema name, which is checked to be a plain lower-case identifier before it gets here.
 *
 * A task's state on disk is `pending`, `done` or `dead`; a pending task is *running* while a
 * worker holds it: `worker_id` set and its lease (`run_after`) not over. The worker clears
 * `worker_id` when the attempt ends; a worker that died leaves it, and the task is due again
 * when the lease ends.
 */

/** The condition that makes a task row `running` (alias `t`). */
const RUNNING = `(t.state = 'pending' and t.worker_id is not null and t.run_after > now())`

/** `$n` ms as an interval. */
const ms = (n: number) => `make_interval(secs => $${n}::double precision / 1000)`

export function inboxStatements(schema: string) {
  const s = schema
  return Object.freeze({
    /**
     * Queue mode, one batch of deliveries in one statement: each event is inserted unless its
     * delivery id is stored already, with its tasks (a row per matching handler), and the workers
     * are notified (delivered at commit, right after this one statement). Gives the delivery ids
     * that were new. The batch travels as two JSON documents, parsed once by the server:
     * $1 `[{ d: delivery id, e: event name, p: the event }]`, $2 `[{ d: delivery id,
     * h: handler id, k: ordering key or null, at: event time (ISO) or null }]`; $3 the channel.
     */
    acceptBatch: `
      with inserted as (
        insert into ${s}.events (delivery_id, event, payload)
        select i.d, i.e, i.p from jsonb_to_recordset($1::jsonb) as i(d text, e text, p jsonb)
        on conflict (delivery_id) do nothing
        returning delivery_id
      ), tasks as (
        insert into ${s}.tasks (delivery_id, handler_id, ordering_key, event_at)
        select t.d, t.h, t.k, coalesce(t.at::timestamptz, now())
        from jsonb_to_recordset($2::jsonb) as t(d text, h text, k text, at text)
        where t.d in (select delivery_id from inserted)
        returning 1
      )
      select coalesce((select array_agg(delivery_id) from inserted), '{}') as inserted,
        (select pg_notify($3, '') where exists (select 1 from tasks)) is not null as notified`,

    /** Transactional mode: a concurrent duplicate answers 409 at once instead of waiting. $1 key. */
    inlineLock: `select pg_try_advisory_xact_lock(hashtextextended($1, 0)) as locked`,
    /** Transactional mode, once the lock is held (a fresh snapshot): processed, failed runs. */
    inlineState: `
      select exists (select 1 from ${s}.events where delivery_id = $1) as seen,
        coalesce((select failures from ${s}.delivery_failures where delivery_id = $1), 0)::int
          as failures`,
    /** Transactional mode: the "processed" mark, in the handlers' transaction. */
    inlineProcessed: `
      with recorded as (
        insert into ${s}.events (delivery_id, event, payload) values ($1, $2, $3::jsonb)
      )
      delete from ${s}.delivery_failures where delivery_id = $1`,
    /** Transactional mode: one more failed run of a delivery (after its rollback). */
    inlineFailed: `
      insert into ${s}.delivery_failures (delivery_id, failures, last_error) values ($1, 1, $2)
      on conflict (delivery_id) do update set failures = ${s}.delivery_failures.failures + 1,
        last_error = excluded.last_error, updated_at = now()`,

    /**
     * A worker takes one due task of its handlers ($1) and counts the attempt; a task whose
     * attempts ($2) are spent was left by workers that died: it is marked dead with the text $4
     * instead. The lease ($3 ms) is when the task is due again if this worker vanishes. $5 the
     * worker id. An ordered task waits while an earlier task of its handler and key is pending or
     * one is running (the run re-checks under a lock: this is a filter, not the guarantee).
     * No ORDER BY: any due task will do (the index gives them roughly oldest first), and with
     * statistics older than a burst of deliveries the planner would otherwise sort every due task
     * at every take (a backlog of 3 000 cost 0.8 ms of server CPU per take; 0.3 ms without).
     */
    take: `
      with due as (
        select t.id, t.attempts from ${s}.tasks t
        where t.state = 'pending' and t.run_after <= now() and t.handler_id = any($1::text[])
          and (t.ordering_key is null or not exists (
            select 1 from ${s}.tasks o
            where o.handler_id = t.handler_id and o.ordering_key = t.ordering_key
              and o.id <> t.id and o.state = 'pending'
              and ((o.event_at, o.id) < (t.event_at, t.id)
                   or (o.worker_id is not null and o.run_after > now()))))
        limit 1
        for update of t skip locked
      )
      update ${s}.tasks t set
        attempts = case when due.attempts >= $2 then t.attempts else t.attempts + 1 end,
        state = case when due.attempts >= $2 then 'dead' else 'pending' end,
        last_error = case when due.attempts >= $2
          then replace(replace($4, '{task}', t.id::text), '{handler}', t.handler_id)
          else t.last_error end,
        run_after = now() + ${ms(3)},
        worker_id = case when due.attempts >= $2 then null else $5 end,
        started_at = now(),
        updated_at = now()
      from due where t.id = due.id
      returning t.id::text as id, t.delivery_id, t.handler_id, t.attempts, t.state,
        t.ordering_key, t.event_at,
        (select e.payload from ${s}.events e where e.delivery_id = t.delivery_id) as payload`,

    /** An ordered task's run: one run per handler and key at a time. $1 lock key. */
    orderLock: `select pg_try_advisory_xact_lock(hashtextextended($1, 0)) as locked`,
    /**
     * Under that lock (a fresh snapshot): an earlier task of the same handler and key still
     * pending (run it first), and whether a newer one is done already (this one is stale).
     * $1 handler, $2 key, $3 task id, $4 event timestamp.
     */
    orderCheck: `
      select exists (
          select 1 from ${s}.tasks o
          where o.handler_id = $1 and o.ordering_key = $2 and o.state = 'pending'
            and o.id <> $3::bigint and (o.event_at, o.id) < ($4::timestamptz, $3::bigint)
        ) as blocked,
        exists (
          select 1 from ${s}.tasks d
          where d.handler_id = $1 and d.ordering_key = $2 and d.state = 'done'
            and d.event_at > $4::timestamptz
        ) as stale`,

    // The end of an attempt: each guarded by the attempt it ends, so a late write never
    // overwrites a newer take. $1 task id, $2 attempts.
    /** Done: in the handler's transaction when it opened one. */
    taskDone: `
      update ${s}.tasks set state = 'done', last_error = null, worker_id = null, updated_at = now()
      where id = $1::bigint and attempts = $2 and state = 'pending'`,
    /** Failed: $3 the new state (pending or dead), $4 the error, $5 ms until the next attempt. */
    taskFailed: `
      update ${s}.tasks set state = $3, last_error = $4, run_after = now() + ${ms(5)},
        worker_id = null, updated_at = now()
      where id = $1::bigint and attempts = $2 and state = 'pending'`,
    /**
     * Given back without counting the attempt: the database failed under it, or an ordered task
     * must wait for another. $3 the error (null keeps the last), $4 ms until it is due again.
     */
    taskReturned: `
      update ${s}.tasks set attempts = attempts - 1, worker_id = null,
        last_error = coalesce($3, last_error), run_after = now() + ${ms(4)}, updated_at = now()
      where id = $1::bigint and attempts = $2 and state = 'pending'`,

    /**
     * A worker pool announces itself, then renews its heartbeat (recreating its row if an
     * operator deleted it). $1 id, $2 host, $3 pid, $4 handler ids, $5 concurrency.
     */
    workerAlive: `
      insert into ${s}.workers (id, host, pid, handlers, concurrency) values ($1, $2, $3, $4, $5)
      on conflict (id) do update set heartbeat_at = now()`,
    workerStopped: `delete from ${s}.workers where id = $1`,

    stats: `
      select (select count(*) from ${s}.events)::int as events,
        count(*) filter (where t.state = 'pending' and not ${RUNNING})::int as pending,
        count(*) filter (where ${RUNNING})::int as running,
        count(*) filter (where t.state = 'done')::int as done,
        count(*) filter (where t.state = 'dead')::int as dead,
        (extract(epoch from now() - min(t.created_at)
          filter (where t.state = 'pending' and not ${RUNNING})) * 1000)::float8 as oldest_ms
      from ${s}.tasks t`,

    /**
     * Tasks, newest first, keyset-paged: $1 state (pending, running, done, dead or null),
     * $2 event name or null, $3 the id of the last task of the previous page or null, $4 limit.
     */
    list: `
      select t.id::text as id, t.delivery_id, e.event, t.handler_id,
        case when ${RUNNING} then 'running' else t.state end as state,
        t.attempts, t.run_after, t.last_error, t.created_at, t.updated_at, t.worker_id,
        t.started_at, w.heartbeat_at, t.ordering_key, t.event_at
      from ${s}.tasks t
      join ${s}.events e on e.delivery_id = t.delivery_id
      left join ${s}.workers w on w.id = t.worker_id
      where ($1::text is null
             or ($1 = 'running' and ${RUNNING})
             or ($1 = 'pending' and t.state = 'pending' and not ${RUNNING})
             or ($1 in ('done', 'dead') and t.state = $1))
        and ($2::text is null or e.event = $2)
        and ($3::bigint is null or t.id < $3::bigint)
      order by t.id desc
      limit $4`,

    /** A dead task due again with fresh attempts. $1 id, $2 channel. */
    retry: `
      with retried as (
        update ${s}.tasks set state = 'pending', attempts = 0, run_after = now(),
          worker_id = null, updated_at = now()
        where id = $1::bigint and state = 'dead' returning 1
      ) select pg_notify($2, '') from retried`,
    /** Every dead task (that died at or after $1, when set) due again. $2 channel. */
    retryDead: `
      with retried as (
        update ${s}.tasks set state = 'pending', attempts = 0, run_after = now(),
          worker_id = null, updated_at = now()
        where state = 'dead' and ($1::timestamptz is null or updated_at >= $1) returning 1
      ), counted as (select count(*)::int as n from retried)
      select n as retried, (select pg_notify($2, '') where n > 0) is not null as notified
      from counted`,
    /**
     * Events older than $1 ms whose tasks are all done, the failure counts of deliveries never
     * processed since, and workers silent for as long.
     */
    purge: `
      with purged as (
        delete from ${s}.events e
        where e.received_at < now() - ${ms(1)}
          and not exists (select 1 from ${s}.tasks t
                          where t.delivery_id = e.delivery_id and t.state <> 'done')
        returning 1
      ), failures as (
        delete from ${s}.delivery_failures where updated_at < now() - ${ms(1)}
      ), workers as (
        delete from ${s}.workers where heartbeat_at < now() - ${ms(1)}
      )
      select count(*)::int as purged from purged`,
  })
}

export type InboxStatements = ReturnType<typeof inboxStatements>
