/**
 * The outbox of messages to workflow runs (migration 008). A change that a run must hear about is written with its
 * message in one transaction (`enqueueRunMessage` inside the caller's transaction); the relay claims due messages with
 * a lease, delivers them to Temporal and records the outcome. Delivery is at least once: a message whose relay died
 * is claimed again when its lease runs out, so receivers deduplicate (the copay run by event id).
 */
import pg from 'pg';
import type { Db } from '../connection';

/** The channel the relay listens on; a NOTIFY in the enqueuing transaction is delivered at its commit. */
export const RUN_MESSAGES_CHANNEL = 'run_messages';

export interface RunMessage {
  id: number;
  message_key: string;
  workflow_id: string;
  message: string;
  payload: unknown;
  attempts: number;
}

/** Adds a message (once per key) and wakes the relay when the caller's transaction commits. */
export async function enqueueRunMessage(
  trx: Db,
  m: { key: string; workflowId: string; message: string; payload: unknown },
): Promise<void> {
  await trx.raw(
    `with added as (
       insert into run_messages (message_key, workflow_id, message, payload) values (:key, :workflowId, :message, cast(:payload as jsonb))
       on conflict (message_key) do nothing
       returning id
     )
     select pg_notify('${RUN_MESSAGES_CHANNEL}', '') from added`,
    { key: m.key, workflowId: m.workflowId, message: m.message, payload: JSON.stringify(m.payload) },
  );
}

/**
 * Claims up to `limit` due messages for `leaseMs` (SKIP LOCKED: relays on several workers share the work without
 * waiting on each other), oldest first.
 */
export async function claimDueRunMessages(db: Db, limit: number, leaseMs: number): Promise<RunMessage[]> {
  const { rows } = await db.raw<{ rows: RunMessage[] }>(
    `update run_messages m
        set attempts = m.attempts + 1, next_attempt_at = now() + make_interval(secs => :leaseSeconds)
      where m.id in (select id from run_messages where delivered_at is null and next_attempt_at <= now()
                      order by next_attempt_at, id limit :limit for update skip locked)
     returning m.id, m.message_key, m.workflow_id, m.message, m.payload, m.attempts`,
    { limit, leaseSeconds: leaseMs / 1000 },
  );
  return rows.sort((a, b) => a.id - b.id);
}

export async function markRunMessageDelivered(db: Db, id: number, outcome: 'delivered' | 'run_closed'): Promise<void> {
  await db('run_messages').where({ id }).whereNull('delivered_at').update({ delivered_at: db.fn.now(), outcome, last_error: null });
}

/** A failed attempt: tried again after `retryInMs`. `error` is an error class name, never a message (PHI-safe). */
export async function markRunMessageFailed(db: Db, id: number, error: string, retryInMs: number): Promise<void> {
  await db('run_messages').where({ id }).whereNull('delivered_at')
    .update({ last_error: error, next_attempt_at: db.raw('now() + make_interval(secs => ?)', [retryInMs / 1000]) });
}

/**
 * A dedicated connection LISTENing on the outbox channel (LISTEN needs its own session, outside the pool).
 * `onNotify` runs for each commit that added messages; `onError` when the connection is lost (reconnect then).
 */
export async function listenForRunMessages(databaseUrl: string, onNotify: () => void, onError: (err: Error) => void): Promise<{ close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2000 });
  client.on('notification', () => onNotify());
  client.on('error', onError);
  await client.connect();
  await client.query(`listen ${RUN_MESSAGES_CHANNEL}`);
  return { close: () => client.end().catch(() => undefined) };
}
