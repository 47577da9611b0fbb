/** The webhook inbox: every signed event is stored once by (source, event id) before it is acted on, and the
 *  answer we gave is kept, so a redelivery gets the same answer without acting twice. */
import type { Db } from '../connection';

export interface StoredAnswer { status: number; body: unknown }

export async function receiveEvent(
  db: Db,
  e: { source: string; eventId: string; type: string; payload: unknown },
): Promise<{ answered?: StoredAnswer }> {
  const inserted = await db('webhook_inbox')
    .insert({ source: e.source, event_id: e.eventId, event_type: e.type, payload: JSON.stringify(e.payload) })
    .onConflict(['source', 'event_id'])
    .ignore()
    .returning<{ event_id: string }[]>('event_id');
  if (inserted.length > 0) return {}; // first delivery: nothing answered yet (the usual case: one round trip)
  const row = await db('webhook_inbox')
    .where({ source: e.source, event_id: e.eventId })
    .first<{ processed_at: Date | null; outcome: string | null }>('processed_at', 'outcome');
  return row.processed_at && row.outcome ? { answered: JSON.parse(row.outcome) as StoredAnswer } : {};
}

export async function recordAnswer(db: Db, source: string, eventId: string, answer: StoredAnswer): Promise<void> {
  await db('webhook_inbox')
    .where({ source, event_id: eventId })
    .whereNull('processed_at')
    .update({ processed_at: db.fn.now(), outcome: JSON.stringify(answer) });
}
