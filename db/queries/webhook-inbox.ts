/**
 * The webhook inbox: every signed event is stored once by (source, event id), and the answer we gave is kept, so a
 * redelivery gets the same answer without acting twice. Exactly one delivery acts on an event at a time: it claims the
 * row with a lease (`claimed_at`); concurrent duplicates find it claimed and wait for its answer; a delivery whose
 * process died is taken over once its lease has run out; a delivery that failed on our side releases it.
 */
import type { Db } from '../connection';

export interface StoredAnswer { status: number; body: unknown }

export type Receipt =
  /** This delivery acts (the first, or it took over an abandoned one), then records its answer or releases. */
  | { kind: 'claimed' }
  | { kind: 'answered'; answer: StoredAnswer }
  /** Another delivery is acting on it right now. */
  | { kind: 'in_progress' };

export async function receiveEvent(
  db: Db,
  e: { source: string; eventId: string; type: string; payload: unknown },
  leaseMs: number,
): Promise<Receipt> {
  // One statement decides, so of any number of simultaneous deliveries exactly one gets the row back.
  const { rows } = await db.raw<{ rows: unknown[] }>(
    `insert into webhook_inbox (source, event_id, event_type, payload, claimed_at) values (:source, :eventId, :type, cast(:payload as jsonb), now())
     on conflict (source, event_id) do update set claimed_at = now()
      where webhook_inbox.processed_at is null
        and (webhook_inbox.claimed_at is null or webhook_inbox.claimed_at < now() - make_interval(secs => :leaseSeconds))
     returning 1`,
    { source: e.source, eventId: e.eventId, type: e.type, payload: JSON.stringify(e.payload), leaseSeconds: leaseMs / 1000 },
  );
  if (rows.length > 0) return { kind: 'claimed' }; // the usual case: one round trip
  return answerOf(db, e.source, e.eventId);
}

/** The stored answer, if any; otherwise the event is being acted on (or was released and may be claimed again). */
export async function answerOf(db: Db, source: string, eventId: string): Promise<Receipt> {
  const row = await db('webhook_inbox')
    .where({ source, event_id: eventId })
    .first<{ processed_at: Date | null; outcome: string | null } | undefined>('processed_at', 'outcome');
  return row?.processed_at && row.outcome ? { kind: 'answered', answer: JSON.parse(row.outcome) as StoredAnswer } : { kind: 'in_progress' };
}

/** Stores the answer (in the caller's transaction when the action's changes must commit with it). */
export async function recordAnswer(db: Db, source: string, eventId: string, answer: StoredAnswer): Promise<void> {
  await db('webhook_inbox')
    .where({ source, event_id: eventId })
    .whereNull('processed_at')
    .update({ processed_at: db.fn.now(), outcome: JSON.stringify(answer), claimed_at: null });
}

/** A delivery that failed on our side (5xx, data it depends on not there yet): the sender's retry acts again at once. */
export async function releaseEvent(db: Db, source: string, eventId: string): Promise<void> {
  await db('webhook_inbox').where({ source, event_id: eventId }).whereNull('processed_at').update({ claimed_at: null });
}
