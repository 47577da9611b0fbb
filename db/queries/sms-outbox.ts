/**
 * Text messages in the notification outbox (issue 17; the email side is db/queries/notifications.ts, whose row and
 * delivery-state columns this shares, migrations 018 and 020):
 *   pending ──hand-over──▶ sent ──provider callback──▶ delivered | undelivered
 *      │  └─ provider down ──▶ failed (retried: the activity throws) ──▶ …
 *      ├─ provider refused (4xx) ──▶ rejected
 *      └─ consent withdrawn ──▶ suppressed
 * `sent`, `delivered`, `undelivered`, `rejected` and `suppressed` are never handed over again. The hand-over happens
 * under the row's lock and after reading the patient's text consent under a share lock (db/queries/consents.ts), so a
 * STOP that commits first suppresses the text, and a second attempt of the same activity waits and then finds it sent.
 * Every final outcome and every status the provider reports is audited (ids, channel, states, reason codes: no phone
 * number, no body). Email suppression (an unsubscribed patient) uses `suppressOutboxMessage` too.
 */
import type { Db } from '../connection';
import { mayUseChannel } from '../../domain/channel-consent';
import type { OutboxMessage } from './notifications';
import { writeAudit } from './audit';
import { consentForSend } from './consents';

/** What is handed to the provider: exactly what the row holds. */
export interface StoredText { id: string; recipient: string; body: string; attempts: number }

export type TextOutcome =
  | { kind: 'sent'; providerId: string }
  | { kind: 'already'; state: string }
  | { kind: 'suppressed' }
  | { kind: 'failed'; reason: string; retry: boolean };

const FINAL_STATES = ['sent', 'delivered', 'undelivered', 'rejected', 'suppressed'];

const SYSTEM = 'system:notifier';

/** Writes a text `pending` once per business key (before any hand-over); a retry finds the stored one. */
export async function putPendingText(db: Db, m: OutboxMessage): Promise<{ id: string; created: boolean; state: string }> {
  const [row] = await db('notification_outbox')
    .insert({
      practice_id: m.practiceId, patient_id: m.patientId, statement_id: m.statementId, channel: m.channel, kind: m.kind,
      sequence: m.sequence, recipient: m.recipient, subject: m.subject, body: m.body, business_key: m.businessKey, state: 'pending', payment_id: m.paymentId ?? null,
    })
    .onConflict('business_key')
    .ignore()
    .returning<{ id: string; state: string }[]>(['id', 'state']);
  if (row) return { id: row.id, created: true, state: row.state };
  const existing = await db('notification_outbox').where({ business_key: m.businessKey }).first<{ id: string; state: string }>('id', 'state');
  return { id: existing.id, created: false, state: existing.state };
}

/**
 * Hands the stored text over (`handOver`: the provider's message id and first status) at most once, never after a
 * final state, and only while the patient's text consent stands. The attempt is counted and the outcome written (and a
 * final one audited) in the same transaction. `classify` names a failure by a reason code, never the provider's text.
 */
export async function deliverText(
  db: Db,
  id: string,
  handOver: (text: StoredText) => Promise<{ providerId: string; status: string }>,
  classify: (err: unknown) => { reason: string; retry: boolean },
): Promise<TextOutcome> {
  return db.transaction(async (trx) => {
    const row = await trx('notification_outbox').where({ id }).forUpdate()
      .first<StoredText & { state: string; patient_id: string; practice_id: string }>('id', 'recipient', 'body', 'attempts', 'state', 'patient_id', 'practice_id');
    if (FINAL_STATES.includes(row.state)) return { kind: 'already', state: row.state } as const;
    const audit = (action: string, after: Record<string, unknown>) => writeAudit(trx, {
      practiceId: row.practice_id, actor: SYSTEM, action, entityType: 'notification', entityId: id, before: { state: row.state }, after: { channel: 'text', ...after },
    });
    if (!mayUseChannel('text', await consentForSend(trx, row.patient_id, 'text')).allowed) {
      await trx('notification_outbox').where({ id }).update({ state: 'suppressed', last_error: 'consent_withdrawn' });
      await audit('notification.suppressed', { state: 'suppressed', reason: 'consent_withdrawn' });
      return { kind: 'suppressed' } as const;
    }
    let accepted: { providerId: string; status: string };
    try {
      accepted = await handOver(row);
    } catch (err) {
      const { reason, retry } = classify(err);
      await trx('notification_outbox').where({ id }).update({ state: retry ? 'failed' : 'rejected', attempts: trx.raw('attempts + 1'), last_error: reason });
      if (!retry) await audit('notification.rejected', { state: 'rejected', reason, attempts: row.attempts + 1 });
      return { kind: 'failed', reason, retry } as const;
    }
    await trx('notification_outbox').where({ id }).update({
      state: 'sent', attempts: trx.raw('attempts + 1'), last_error: null, sent_at: trx.fn.now(), message_id: accepted.providerId,
      provider_status: accepted.status, status_at: trx.fn.now(),
    });
    await audit('notification.sent', { state: 'sent', providerStatus: accepted.status, attempts: row.attempts + 1 });
    return { kind: 'sent', providerId: accepted.providerId } as const;
  });
}

/**
 * Records a message the patient withdrew consent for (any channel but mail): written `suppressed` once per business
 * key, or a stored one not yet handed over (pending, failed) turned `suppressed`; audited when it changed. A message
 * already sent stays as it is.
 */
export async function suppressOutboxMessage(db: Db, m: OutboxMessage): Promise<{ id: string; created: boolean; state: string }> {
  return db.transaction(async (trx) => {
    const [inserted] = await trx('notification_outbox')
      .insert({
        practice_id: m.practiceId, patient_id: m.patientId, statement_id: m.statementId, channel: m.channel, kind: m.kind, sequence: m.sequence,
        recipient: m.recipient, subject: m.subject, body: m.body, business_key: m.businessKey, state: 'suppressed', last_error: 'consent_withdrawn', payment_id: m.paymentId ?? null,
      })
      .onConflict('business_key')
      .ignore()
      .returning<{ id: string }[]>('id');
    let id = inserted?.id;
    let before: string | null = null;
    if (!id) {
      const existing = await trx('notification_outbox').where({ business_key: m.businessKey }).forUpdate().first<{ id: string; state: string }>('id', 'state');
      id = existing.id;
      if (!['pending', 'failed'].includes(existing.state)) return { id, created: false, state: existing.state };
      before = existing.state;
      await trx('notification_outbox').where({ id }).update({ state: 'suppressed', last_error: 'consent_withdrawn' });
    }
    await writeAudit(trx, {
      practiceId: m.practiceId, actor: SYSTEM, action: 'notification.suppressed', entityType: 'notification', entityId: id,
      before: before ? { state: before } : null, after: { channel: m.channel, state: 'suppressed', reason: 'consent_withdrawn' },
    });
    return { id, created: !!inserted, state: 'suppressed' };
  });
}

/** The provider's delivery statuses, and the outbox state each one means (undefined: no change of state). */
const STATE_OF_STATUS: Record<string, 'sent' | 'delivered' | 'undelivered' | undefined> = {
  accepted: undefined, queued: undefined, sending: undefined, sent: 'sent', delivered: 'delivered', undelivered: 'undelivered', failed: 'undelivered',
};

export type StatusRecorded =
  | { kind: 'updated'; notificationId: string; state: string }
  | { kind: 'unchanged'; notificationId: string; state: string }
  | { kind: 'unknown' };

/**
 * A delivery status from the provider for its message `providerId`. `notificationId` (the `ref` of the status-callback
 * address) locks the row first, so a callback that overtakes the hand-over's commit waits for it; the provider's id
 * must then match. A final state (delivered, undelivered) is never overwritten by a later, older-looking status.
 */
export async function recordTextStatus(
  db: Db, s: { providerId: string; status: string; errorCode?: string | null; notificationId?: string | null },
): Promise<StatusRecorded> {
  return db.transaction(async (trx) => {
    type Row = { id: string; state: string; practice_id: string; message_id: string | null; provider_status: string | null };
    const columns = ['id', 'state', 'practice_id', 'message_id', 'provider_status'];
    let row: Row | undefined;
    if (s.notificationId) row = await trx('notification_outbox').where({ id: s.notificationId, channel: 'text' }).forUpdate().first<Row | undefined>(columns);
    // The provider took the message but its answer never reached us (the row is still pending or failed, without an
    // id): the signed callback, at the address given for this row alone, says which message it is. The row adopts
    // it, so the activity's retry finds it handed over and sends nothing again.
    const adopt = !!row && row.message_id === null && ['pending', 'failed'].includes(row.state);
    if (row && !adopt && row.message_id !== s.providerId) row = undefined;
    row ??= await trx('notification_outbox').where({ message_id: s.providerId, channel: 'text' }).forUpdate().first<Row | undefined>(columns);
    if (!row) return { kind: 'unknown' } as const;
    if (adopt) {
      await trx('notification_outbox').where({ id: row.id }).update({ state: 'sent', message_id: s.providerId, last_error: null, sent_at: trx.fn.now() });
      await writeAudit(trx, {
        practiceId: row.practice_id, actor: 'system:sms-provider', action: 'notification.sent', entityType: 'notification', entityId: row.id,
        before: { state: row.state }, after: { channel: 'text', state: 'sent', reason: 'reported_by_provider' },
      });
      row = { ...row, state: 'sent', message_id: s.providerId };
    }
    const wanted = STATE_OF_STATUS[s.status];
    const final = row.state === 'delivered' || row.state === 'undelivered';
    const state = wanted && !final ? wanted : row.state;
    const reason = wanted === 'undelivered' ? `provider_${s.status}${s.errorCode ? `_${s.errorCode}` : ''}` : undefined;
    if (state === row.state && (final || row.provider_status === s.status)) return { kind: 'unchanged', notificationId: row.id, state: row.state } as const;
    await trx('notification_outbox').where({ id: row.id }).update({
      state, provider_status: final ? row.provider_status : s.status, status_at: trx.fn.now(), ...(reason && !final ? { last_error: reason } : {}),
    });
    await writeAudit(trx, {
      practiceId: row.practice_id, actor: 'system:sms-provider', action: 'notification.status', entityType: 'notification', entityId: row.id,
      before: { state: row.state, providerStatus: row.provider_status }, after: { channel: 'text', state, providerStatus: s.status, ...(reason ? { reason } : {}) },
    });
    return { kind: 'updated', notificationId: row.id, state } as const;
  });
}
