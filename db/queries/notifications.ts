/**
 * The notification outbox: every message sent to patients (statements and reminders, per channel), exactly once per
 * business key. Rows hold the message as the patient receives it, so they are PHI: only staff (billing, admin) read
 * them, through the API.
 *
 * Delivery state (migration 018): a message for the outbox-only notifier is `sent` when written (the row is its
 * delivery). An email is written `pending` BEFORE it is handed to the SMTP server, with everything it carries (HTML,
 * the PDF) and its Message-ID, then `deliverOutboxMessage` hands it over under the row's lock: `sent`, or `failed`
 * (retried: the activity throws) or `rejected` (the server refused it for good); `attempts` counts hand-overs.
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

export type DeliveryState = 'pending' | 'sent' | 'failed' | 'rejected';

export interface OutboxRow {
  id: string; practice_id: string; patient_id: string; statement_id: string | null; channel: NotificationChannel; kind: NotificationKind;
  sequence: number; recipient: string; subject: string | null; body: string; business_key: string; created_at: Date;
  state: DeliveryState; attempts: number; last_error: string | null; message_id: string | null; sent_at: Date | null;
}

/** An email as written before its hand-over: the text body is `body`. */
export interface OutboxEmail extends OutboxMessage {
  messageId: string;
  html: string;
  attachment?: { filename: string; content: Buffer };
}

/** What is handed to the SMTP server: exactly what the row holds. */
export interface StoredEmail {
  id: string; recipient: string; subject: string | null; body: string; html: string | null; message_id: string;
  attachment_name: string | null; attachment: Buffer | null; state: DeliveryState; attempts: number;
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

/**
 * Writes an email `pending` once per business key (before any hand-over); a retry finds the stored one (created:
 * false) and sends what it holds, not a new rendering.
 */
export async function putOutboxEmail(db: Db, m: OutboxEmail): Promise<{ id: string; created: boolean }> {
  const [row] = await db('notification_outbox')
    .insert({
      practice_id: m.practiceId, patient_id: m.patientId, statement_id: m.statementId, channel: m.channel, kind: m.kind,
      sequence: m.sequence, recipient: m.recipient, subject: m.subject, body: m.body, business_key: m.businessKey,
      state: 'pending', message_id: m.messageId, html: m.html, attachment_name: m.attachment?.filename ?? null, attachment: m.attachment?.content ?? null,
    })
    .onConflict('business_key')
    .ignore()
    .returning<{ id: string }[]>('id');
  if (row) return { id: row.id, created: true };
  const existing = await db('notification_outbox').where({ business_key: m.businessKey }).first<{ id: string }>('id');
  return { id: existing.id, created: false };
}

/** Whether the message of this business key exists already (and whether it was delivered). */
export async function outboxStateOf(db: Db, businessKey: string): Promise<{ id: string; state: DeliveryState } | undefined> {
  return db('notification_outbox').where({ business_key: businessKey }).first<{ id: string; state: DeliveryState } | undefined>('id', 'state');
}

export type DeliveryOutcome = { kind: 'sent' } | { kind: 'already_sent' } | { kind: 'failed'; reason: string; retry: boolean };

/**
 * Hands the stored email over (`handOver`) at most once at a time and never after it was `sent`: under the row's lock
 * (a second attempt of the same activity waits here, then finds it sent). The attempt is counted, and the outcome
 * written, in the same transaction. `handOver` must resolve or throw within the activity's time (the transport has
 * its own timeouts); a failure is classified by `classify` (a reason code, never the server's text).
 */
export async function deliverOutboxMessage(
  db: Db,
  id: string,
  handOver: (email: StoredEmail) => Promise<void>,
  classify: (err: unknown) => { reason: string; retry: boolean },
): Promise<DeliveryOutcome> {
  return db.transaction(async (trx) => {
    const email = await trx('notification_outbox').where({ id }).forUpdate()
      .first<StoredEmail>('id', 'recipient', 'subject', 'body', 'html', 'message_id', 'attachment_name', 'attachment', 'state', 'attempts');
    if (email.state === 'sent') return { kind: 'already_sent' } as const;
    if (email.state === 'rejected') return { kind: 'failed', reason: 'rejected', retry: false } as const;
    try {
      await handOver(email);
    } catch (err) {
      const { reason, retry } = classify(err);
      await trx('notification_outbox').where({ id }).update({ state: retry ? 'failed' : 'rejected', attempts: trx.raw('attempts + 1'), last_error: reason });
      return { kind: 'failed', reason, retry } as const;
    }
    await trx('notification_outbox').where({ id }).update({ state: 'sent', attempts: trx.raw('attempts + 1'), last_error: null, sent_at: trx.fn.now() });
    return { kind: 'sent' } as const;
  });
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
