/**
 * The notification outbox: every message the local notifier "sends" (statements and reminders, per channel), exactly
 * once per business key. Rows hold the message as the patient receives it, so they are PHI: only staff (billing,
 * admin) read them, through the API.
 */
import type { Db } from '../connection';
import type { NotificationChannel, NotificationKind } from '../../domain/notices';

export interface OutboxMessage {
  practiceId: string;
  patientId: string;
  statementId: string | null;
  channel: NotificationChannel;
  kind: NotificationKind;
  sequence: number;
  recipient: string;
  subject: string | null;
  body: string;
  businessKey: string;
}

export interface OutboxRow {
  id: string; practice_id: string; patient_id: string; statement_id: string | null; channel: NotificationChannel; kind: NotificationKind;
  sequence: number; recipient: string; subject: string | null; body: string; business_key: string; created_at: Date;
}

/** Stores a message once per business key; a retry finds the stored one (created: false). */
export async function putOutboxMessage(db: Db, m: OutboxMessage): Promise<{ id: string; created: boolean }> {
  const [row] = await db('notification_outbox')
    .insert({
      practice_id: m.practiceId, patient_id: m.patientId, statement_id: m.statementId, channel: m.channel, kind: m.kind,
      sequence: m.sequence, recipient: m.recipient, subject: m.subject, body: m.body, business_key: m.businessKey,
    })
    .onConflict('business_key')
    .ignore()
    .returning<{ id: string }[]>('id');
  if (row) return { id: row.id, created: true };
  const existing = await db('notification_outbox').where({ business_key: m.businessKey }).first<{ id: string }>('id');
  return { id: existing.id, created: false };
}

/** A practice's outbox, newest first; optionally one statement's messages. */
export async function listOutbox(db: Db, practiceId: string, filter: { statementId?: string; limit?: number } = {}): Promise<OutboxRow[]> {
  const q = db('notification_outbox')
    .where({ practice_id: practiceId })
    .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }])
    .limit(filter.limit ?? 200);
  if (filter.statementId) void q.andWhere({ statement_id: filter.statementId });
  return q.select<OutboxRow[]>();
}
