/**
 * The notification outbox: every message sent to patients (statements and reminders, per channel), exactly once per
 * business key. Rows hold the message as the patient receives it, so they are PHI: only staff (billing, admin) read
 * them, through the API.
 *
 * Delivery state (migration 018): a message for the outbox-only notifier is `sent` when written (the row is its
 * delivery). An email is written `pending` BEFORE it is handed to the SMTP server, with everything it carries (HTML,
 * the PDF) and its Message-ID, then `deliverOutboxMessage` hands it over under the row's lock: `sent`, or `failed`
 * (retried: the activity throws) or `rejected` (the server refused it for good); `attempts` counts hand-overs.
 * Migration 019: receipts (`kind` receipt, `payment_id`), `suppressed`, postal letters (written `pending` with their PDF,
 * delivered the same way by mail/print-mail-notifier.ts, `provider_ref` the letter's id) and the fallback of a failed
 * message (`fallback_of`, unique: once).
 */
import type { Db } from '../connection';
import { writeAudit } from './audit';
import type { DeliveryState, NotificationChannel, NotificationKind } from '../../domain/notices';

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
  /** A receipt: the payment it acknowledges. */
  paymentId?: string | null;
}

export type { DeliveryState };

export interface OutboxRow {
  id: string; practice_id: string; patient_id: string; statement_id: string | null; channel: NotificationChannel; kind: NotificationKind;
  sequence: number; recipient: string; subject: string | null; body: string; business_key: string; created_at: Date;
  state: DeliveryState; attempts: number; last_error: string | null; message_id: string | null; sent_at: Date | null;
  payment_id: string | null; fallback_of: string | null; provider_ref: string | null;
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
      sequence: m.sequence, recipient: m.recipient, subject: m.subject, body: m.body, business_key: m.businessKey, payment_id: m.paymentId ?? null,
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
      payment_id: m.paymentId ?? null, state: 'pending', message_id: m.messageId, html: m.html, attachment_name: m.attachment?.filename ?? null, attachment: m.attachment?.content ?? null,
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
  handOver: (email: StoredEmail) => Promise<void | { providerRef?: string }>,
  classify: (err: unknown) => { reason: string; retry: boolean },
): Promise<DeliveryOutcome> {
  return db.transaction(async (trx) => {
    const email = await trx('notification_outbox').where({ id }).forUpdate()
      .first<StoredEmail>('id', 'recipient', 'subject', 'body', 'html', 'message_id', 'attachment_name', 'attachment', 'state', 'attempts');
    if (email.state === 'sent') return { kind: 'already_sent' } as const;
    if (email.state === 'rejected') return { kind: 'failed', reason: 'rejected', retry: false } as const;
    let handed: void | { providerRef?: string };
    try {
      handed = await handOver(email);
    } catch (err) {
      const { reason, retry } = classify(err);
      await trx('notification_outbox').where({ id }).update({ state: retry ? 'failed' : 'rejected', attempts: trx.raw('attempts + 1'), last_error: reason });
      return { kind: 'failed', reason, retry } as const;
    }
    await trx('notification_outbox').where({ id }).update({
      state: 'sent', attempts: trx.raw('attempts + 1'), last_error: null, sent_at: trx.fn.now(), ...(handed?.providerRef ? { provider_ref: handed.providerRef } : {}),
    });
    return { kind: 'sent' } as const;
  });
}

/** A practice's outbox, newest first; optionally one statement's messages. */
export async function listOutbox(db: Db, practiceId: string, filter: { statementId?: string; limit?: number } = {}): Promise<(OutboxRow & { fallback_id: string | null })[]> {
  const q = db('notification_outbox as n')
    .where('n.practice_id', practiceId)
    .orderBy([{ column: 'n.created_at', order: 'desc' }, { column: 'n.id' }])
    .limit(filter.limit ?? 200);
  if (filter.statementId) void q.andWhere('n.statement_id', filter.statementId);
  // The postal letter that replaced a failed message (delivery state: fallback).
  return q.select<(OutboxRow & { fallback_id: string | null })[]>('n.*', db.raw('(select f.id from notification_outbox f where f.fallback_of = n.id) as fallback_id'));
}

/** One message of the outbox (any practice: callers check the practice). */
export async function outboxRowById(db: Db, id: string): Promise<OutboxRow | undefined> {
  return db('notification_outbox').where({ id }).first<OutboxRow | undefined>();
}

/**
 * A postal letter written `pending` once per business key, with its PDF (`attachment`) and the address of record
 * (`recipient`), before it is handed to the print-and-mail service; a retry finds it (created: false). `state`
 * `rejected` with a reason writes a letter that cannot go (no address of record): staff see it.
 */
export async function putOutboxLetter(
  db: Db,
  m: OutboxMessage & { attachment?: { filename: string; content: Buffer }; fallbackOf?: string; rejectedFor?: string },
): Promise<{ id: string; created: boolean }> {
  const [row] = await db('notification_outbox')
    .insert({
      practice_id: m.practiceId, patient_id: m.patientId, statement_id: m.statementId, channel: m.channel, kind: m.kind,
      sequence: m.sequence, recipient: m.recipient, subject: m.subject, body: m.body, business_key: m.businessKey, payment_id: m.paymentId ?? null,
      state: m.rejectedFor ? 'rejected' : 'pending', last_error: m.rejectedFor ?? null, fallback_of: m.fallbackOf ?? null,
      attachment_name: m.attachment?.filename ?? null, attachment: m.attachment?.content ?? null,
    })
    .onConflict('business_key')
    .ignore()
    .returning<{ id: string }[]>('id');
  if (row) return { id: row.id, created: true };
  const existing = await db('notification_outbox').where({ business_key: m.businessKey }).first<{ id: string }>('id');
  return { id: existing.id, created: false };
}

/**
 * Claims the one fallback of a failed message: inserts a `pending` row that names it (`fallback_of` is unique, and so
 * is the business key): the first caller gets created: true, every other (a retry, a second report of the failure,
 * a report racing the first) finds that row.
 */
export async function putFallbackMessage(db: Db, originalId: string, m: OutboxMessage): Promise<{ id: string; created: boolean; state: DeliveryState }> {
  const [row] = await db('notification_outbox')
    .insert({
      practice_id: m.practiceId, patient_id: m.patientId, statement_id: m.statementId, channel: m.channel, kind: m.kind,
      sequence: m.sequence, recipient: m.recipient, subject: m.subject, body: m.body, business_key: m.businessKey,
      payment_id: m.paymentId ?? null, state: 'pending', fallback_of: originalId,
    })
    .onConflict()
    .ignore()
    .returning<{ id: string }[]>('id');
  if (row) return { id: row.id, created: true, state: 'pending' };
  const existing = await db('notification_outbox').where({ fallback_of: originalId }).orWhere({ business_key: m.businessKey })
    .first<{ id: string; state: DeliveryState }>('id', 'state');
  return { id: existing.id, created: false, state: existing.state };
}

/** The fallback of a message, if one was made. */
export async function fallbackOf(db: Db, originalId: string): Promise<{ id: string; state: DeliveryState; business_key: string } | undefined> {
  return db('notification_outbox').where({ fallback_of: originalId }).first<{ id: string; state: DeliveryState; business_key: string } | undefined>('id', 'state', 'business_key');
}

/** A message as delivered by the outbox only (the row is its delivery): `sent` now. */
export async function markOutboxDelivered(db: Db, id: string): Promise<void> {
  await db('notification_outbox').where({ id }).whereNot({ state: 'sent' }).update({ state: 'sent', sent_at: db.fn.now() });
}

/**
 * A failure reported after the hand-over (a bounce, a text the carrier could not deliver): the message is `rejected`
 * with a reason code (never the provider's text). Returns whether the row changed.
 */
export async function recordDeliveryFailure(db: Db, id: string, reason: string, actor = 'system:delivery-report'): Promise<boolean> {
  return db.transaction(async (trx) => {
    const row = await trx('notification_outbox').where({ id }).forUpdate().first<{ practice_id: string; state: DeliveryState; channel: NotificationChannel } | undefined>('practice_id', 'state', 'channel');
    // Nothing to report on a message already rejected, or one never sent on purpose (suppressed).
    if (!row || row.state === 'rejected' || row.state === 'suppressed') return false;
    await trx('notification_outbox').where({ id }).update({ state: 'rejected', last_error: reason, status_at: trx.fn.now() });
    await writeAudit(trx, {
      practiceId: row.practice_id, actor, action: 'notification.status', entityType: 'notification', entityId: id,
      before: { state: row.state }, after: { channel: row.channel, state: 'rejected', reason },
    });
    return true;
  });
}

/** What a receipt needs: the payment, the patient's contact details and preference, the practice, where the money went. */
export interface ReceiptFacts {
  paymentId: string; practiceId: string; patientId: string; amountCents: number; paymentDate: string; method: 'card' | 'cash' | 'check';
  reason: 'copay' | 'outstanding_balance'; appliedCents: number; appliedClaims: number; visitDateOfService: string | null;
  practiceName: string; timeZone: string;
  patient: { firstName: string; lastName: string; email: string | null; phone: string | null; preferredChannel: NotificationChannel | null; hasMailingAddress: boolean; withdrawn: NotificationChannel[] };
}

export async function receiptFacts(db: Db, paymentId: string): Promise<ReceiptFacts | undefined> {
  const row = await db('payments as pm')
    .join('patients as p', 'p.id', 'pm.patient_id')
    .join('practices as pr', 'pr.id', 'pm.practice_id')
    .leftJoin('visits as v', 'v.id', 'pm.visit_id')
    .where('pm.id', paymentId)
    .first<{
      id: string; practice_id: string; patient_id: string; amount_cents: number; payment_date: string; method: 'card' | 'cash' | 'check'; reason: 'copay' | 'outstanding_balance';
      date_of_service: string | null; name: string; time_zone: string; first_name: string; last_name: string; email: string | null; phone: string | null;
      preferred_channel: NotificationChannel | null; mailing_line1: string | null; mailing_city: string | null; mailing_postal_code: string | null;
    } | undefined>(
      'pm.id', 'pm.practice_id', 'pm.patient_id', 'pm.amount_cents', 'pm.payment_date', 'pm.method', 'pm.reason', 'v.date_of_service', 'pr.name', 'pr.time_zone',
      'p.first_name', 'p.last_name', 'p.email', 'p.phone', 'p.preferred_channel', 'p.mailing_line1', 'p.mailing_city', 'p.mailing_postal_code',
    );
  if (!row) return undefined;
  // Applications standing now (a reversed one no longer counts).
  const { rows } = await db.raw<{ rows: { applied: number; claims: number }[] }>(
    `select coalesce(sum(a.amount_cents), 0)::int as applied, count(distinct a.claim_id)::int as claims
       from payment_applications a
      where a.payment_id = ? and not exists (select 1 from application_reversals r where r.application_id = a.id)`,
    [paymentId],
  );
  const withdrawn = await db('channel_consents').where({ patient_id: row.patient_id, allowed: false }).pluck<NotificationChannel[]>('channel');
  return {
    paymentId: row.id, practiceId: row.practice_id, patientId: row.patient_id, amountCents: row.amount_cents, paymentDate: row.payment_date, method: row.method,
    reason: row.reason, appliedCents: rows[0]?.applied ?? 0, appliedClaims: rows[0]?.claims ?? 0, visitDateOfService: row.date_of_service,
    practiceName: row.name, timeZone: row.time_zone,
    patient: {
      firstName: row.first_name, lastName: row.last_name, email: row.email, phone: row.phone, preferredChannel: row.preferred_channel,
      hasMailingAddress: !!(row.mailing_line1 && row.mailing_city && row.mailing_postal_code), withdrawn,
    },
  };
}

export interface MailingAddress { name: string; line1: string; line2: string | null; city: string; state: string | null; postalCode: string }

/** The patient's mailing address of record (PHI), or undefined when none is on file. */
export async function mailingAddressOf(db: Db, patientId: string): Promise<MailingAddress | undefined> {
  const p = await db('patients').where({ id: patientId }).first<{
    first_name: string; last_name: string; mailing_line1: string | null; mailing_line2: string | null; mailing_city: string | null; mailing_state: string | null; mailing_postal_code: string | null;
  } | undefined>('first_name', 'last_name', 'mailing_line1', 'mailing_line2', 'mailing_city', 'mailing_state', 'mailing_postal_code');
  if (!p?.mailing_line1 || !p.mailing_city || !p.mailing_postal_code) return undefined;
  return { name: `${p.first_name} ${p.last_name}`, line1: p.mailing_line1, line2: p.mailing_line2, city: p.mailing_city, state: p.mailing_state, postalCode: p.mailing_postal_code };
}

/** The patient's preferred channel (patients.preferred_channel), or null. */
export async function preferredChannelOf(db: Db, patientId: string): Promise<NotificationChannel | null> {
  const row = await db('patients').where({ id: patientId }).first<{ preferred_channel: NotificationChannel | null } | undefined>('preferred_channel');
  return row?.preferred_channel ?? null;
}

/** Whether this statement's message (kind, sequence) went by this channel already (not as a fallback). */
export async function statementMessageOn(db: Db, m: { statementId: string; kind: NotificationKind; sequence: number; channel: NotificationChannel }): Promise<boolean> {
  const row = await db('notification_outbox')
    .where({ statement_id: m.statementId, kind: m.kind, sequence: m.sequence, channel: m.channel })
    .whereNull('fallback_of')
    .first<{ id: string } | undefined>('id');
  return row !== undefined;
}

/** The receipt of a payment, if one was written (on any channel). */
export async function receiptOf(db: Db, paymentId: string): Promise<{ id: string; channel: NotificationChannel; business_key: string } | undefined> {
  return db('notification_outbox').where({ payment_id: paymentId, kind: 'receipt' }).whereNull('fallback_of').orderBy('created_at')
    .first<{ id: string; channel: NotificationChannel; business_key: string } | undefined>('id', 'channel', 'business_key');
}

/** The practice's name (a letter's sender). */
export async function practiceNameOf(db: Db, practiceId: string): Promise<string | undefined> {
  return (await db('practices').where({ id: practiceId }).first<{ name: string } | undefined>('name'))?.name;
}

/**
 * Completes a pending letter written without its PDF (a fallback claimed by app/notification-fallback.ts): the address
 * block and the PDF, once; or `rejected` (NO_MAILING_ADDRESS) when there is no address of record.
 */
export async function completePendingLetter(db: Db, id: string, letter: { recipient: string; attachment: { filename: string; content: Buffer } } | 'no_address'): Promise<void> {
  if (letter === 'no_address') {
    await db('notification_outbox').where({ id, state: 'pending' }).update({ state: 'rejected', last_error: 'NO_MAILING_ADDRESS' });
    return;
  }
  await db('notification_outbox').where({ id, state: 'pending' }).whereNull('attachment')
    .update({ recipient: letter.recipient, attachment: letter.attachment.content, attachment_name: letter.attachment.filename });
}

/** Whether a letter's PDF is written. */
export async function letterHasPdf(db: Db, id: string): Promise<boolean> {
  return (await db('notification_outbox').where({ id }).whereNotNull('attachment').first<{ id: string } | undefined>('id')) !== undefined;
}

/** The failed states a fallback may follow (app/notification-fallback.ts). */
const FAILED_STATES = ['rejected', 'failed', 'undelivered'];

/**
 * Whether this message still wants its postal fallback: a statement's or reminder's email or text that failed and whose
 * letter is not written and handed over yet. The durable fallback (workflows/notification-fallback.ts) is started for
 * these only; it decides again itself (fallBackOnce).
 */
export async function wantsFallback(db: Db, id: string): Promise<boolean> {
  const row = await db('notification_outbox as n')
    .leftJoin('notification_outbox as f', 'f.fallback_of', 'n.id')
    .where('n.id', id)
    .first<{ state: DeliveryState; channel: NotificationChannel; kind: NotificationKind; statement_id: string | null; fallback_of: string | null; fallback_state: DeliveryState | null } | undefined>(
      'n.state', 'n.channel', 'n.kind', 'n.statement_id', 'n.fallback_of', 'f.state as fallback_state',
    );
  if (!row || row.fallback_of || !row.statement_id || row.channel === 'mail') return false;
  if (row.kind !== 'statement' && row.kind !== 'reminder') return false;
  if (!FAILED_STATES.includes(row.state)) return false;
  return row.fallback_state === null || row.fallback_state === 'pending' || row.fallback_state === 'failed';
}

/** The outbox row of a text by the provider's message id (`ref`: the row id the status callback carried, preferred). */
export async function textRowOf(db: Db, providerId: string, ref?: string): Promise<string | undefined> {
  if (ref && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(ref)) {
    const byRef = await db('notification_outbox').where({ id: ref, channel: 'text', message_id: providerId }).first<{ id: string } | undefined>('id');
    if (byRef) return byRef.id;
  }
  const row = await db('notification_outbox').where({ channel: 'text', message_id: providerId }).first<{ id: string } | undefined>('id');
  return row?.id;
}

/** The outbox row of an email by its Message-ID (with or without the angle brackets), or undefined. */
export async function emailRowByMessageId(db: Db, messageId: string): Promise<{ id: string; patient_id: string; state: DeliveryState } | undefined> {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  return db('notification_outbox').where({ channel: 'email' }).whereIn('message_id', [`<${bare}>`, bare])
    .first<{ id: string; patient_id: string; state: DeliveryState } | undefined>('id', 'patient_id', 'state');
}

/** A letter written by the fallback and still `pending` after the outbox-only notifier took it: the row is its delivery. */
export async function markPendingDelivered(db: Db, id: string): Promise<void> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return;
  await db('notification_outbox').where({ id, state: 'pending' }).update({ state: 'sent', sent_at: db.fn.now() });
}
