/**
 * Consent changes made by patients (issue 17): the email's unsubscribe link, and SMS replies (STOP / START / HELP)
 * with the provider's delivery statuses, as they arrive at POST /webhooks/sms. Each change is at once (the next send
 * reads it: worker/notifier.ts, db/queries/sms-outbox.ts) and audited (db/queries/consents.ts). No PHI leaves here: a
 * phone number is compared, never logged, stored or answered.
 */
import type { Db } from '../db/connection';
import {
  contactPreferencesOf, setConsent, setPreferredChannel, setTextConsentByPhone, type ContactPreferences,
} from '../db/queries/consents';
import type { NotificationChannel } from '../domain/notices';
import { notFound } from '../lib/errors';
import { recordTextStatus } from '../db/queries/sms-outbox';
import { normalisePhone, smsKeyword, SMS_REPLIES } from '../domain/channel-consent';
import type { EmailEvent, SmsEvent } from '../contracts/webhooks';
import { emailRowByMessageId, textRowOf } from '../db/queries/notifications';
import { reportDeliveryFailure } from './notification-fallback';
import { verifyUnsubscribeToken } from '../mail/unsubscribe-link';

export type UnsubscribeCheck = { ok: true; patientId: string } | { ok: false };

/** Whether the token of an unsubscribe link is ours (signed with the pay links' secret, for email). */
export function checkUnsubscribeToken(settings: { payLinkSecret: string }, token: string | undefined): UnsubscribeCheck {
  const v = verifyUnsubscribeToken(token, [settings.payLinkSecret]);
  return v.ok ? { ok: true, patientId: v.patientId } : { ok: false };
}

/** The unsubscribe link's action: the patient's email consent withdrawn at once (a second time changes nothing). */
export async function unsubscribeEmail(
  deps: { db: Db; settings: { payLinkSecret: string } }, token: string | undefined, requestId?: string | null,
): Promise<{ ok: true; changed: boolean } | { ok: false }> {
  const check = checkUnsubscribeToken(deps.settings, token);
  if (!check.ok) return check;
  const { changed } = await setConsent(deps.db, {
    patientId: check.patientId, channel: 'email', allowed: false, source: 'email_unsubscribe', actor: `patient:${check.patientId}`, requestId: requestId ?? null,
  });
  return { ok: true, changed };
}

export interface SmsEventAnswer {
  status: 'recorded' | 'unchanged' | 'unknown_message' | 'opted_out' | 'opted_in' | 'help' | 'ignored';
  reply?: string;
}

/**
 * A provider's event. message.status → the text's outbox row (`ref`: the row id the status-callback address carried).
 * message.inbound → STOP withdraws the text consent of every patient with that number, START gives it back, HELP gets
 * the help text; the answer carries the reply the provider sends (carrier rules), anything else is ignored.
 */
export async function recordSmsEvent(db: Db, event: SmsEvent, ref?: string): Promise<SmsEventAnswer> {
  if (event.type === 'message.status') {
    const uuid = ref && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(ref) ? ref : null;
    const r = await recordTextStatus(db, { providerId: event.data.messageId, status: event.data.status, errorCode: event.data.errorCode ?? null, notificationId: uuid });
    return { status: r.kind === 'unknown' ? 'unknown_message' : r.kind === 'updated' ? 'recorded' : 'unchanged' };
  }
  const keyword = smsKeyword(event.data.body);
  const phone = normalisePhone(event.data.from);
  if (!keyword) return { status: 'ignored' };
  if (keyword === 'help') return { status: 'help', reply: SMS_REPLIES.help };
  if (phone) await setTextConsentByPhone(db, phone, { allowed: keyword === 'start', source: 'sms_reply', requestId: event.eventId });
  return keyword === 'stop' ? { status: 'opted_out', reply: SMS_REPLIES.stop } : { status: 'opted_in', reply: SMS_REPLIES.start };
}

/** The outbox row a text's failure status names (it may want its postal fallback), or undefined. */
export async function failedTextOf(db: Db, event: SmsEvent, ref?: string): Promise<string | undefined> {
  if (event.type !== 'message.status' || (event.data.status !== 'undelivered' && event.data.status !== 'failed')) return undefined;
  return textRowOf(db, event.data.messageId, ref);
}

export interface EmailEventAnswer { status: 'recorded' | 'unchanged' | 'unknown_message' | 'opted_out' | 'ignored' }

/**
 * An email provider's event (POST /webhooks/email), by our Message-ID. A permanent bounce records the message
 * `rejected` (reason `BOUNCED`, or `BOUNCED_5_1_1` with the server's status code; audited), and the route then starts its
 * durable postal fallback; a transient bounce changes nothing (the provider retries it). A complaint (marked as spam)
 * withdraws the patient's email consent at once, as the unsubscribe link does (audited); the message was delivered, so
 * nothing falls back. Returns the answer and the row a fallback may follow.
 */
export async function recordEmailEvent(db: Db, event: EmailEvent): Promise<{ answer: EmailEventAnswer; failedId?: string }> {
  const row = await emailRowByMessageId(db, event.data.messageId);
  if (!row) return { answer: { status: 'unknown_message' } };
  if (event.type === 'complaint') {
    const { changed } = await setConsent(db, {
      patientId: row.patient_id, channel: 'email', allowed: false, source: 'email_unsubscribe', actor: 'system:email-provider', requestId: event.eventId,
    });
    return { answer: { status: changed ? 'opted_out' : 'unchanged' } };
  }
  if (event.data.bounceType === 'transient') return { answer: { status: 'ignored' } };
  const code = event.data.code ? `_${event.data.code.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`.slice(0, 32) : '';
  const before = row.state;
  await reportDeliveryFailure(db, row.id, `BOUNCED${code}`, undefined, 'system:email-provider');
  return { answer: { status: before === 'rejected' ? 'unchanged' : 'recorded' }, failedId: row.id };
}

/** The outbox row an email event names when it may want its postal fallback (a permanent bounce), or undefined. */
export async function bouncedEmailOf(db: Db, event: EmailEvent): Promise<string | undefined> {
  if (event.type !== 'bounce' || event.data.bounceType === 'transient') return undefined;
  return (await emailRowByMessageId(db, event.data.messageId))?.id;
}

// ── preferences: the patient in the portal, staff on the patient page ──
export type { ContactPreferences };

export const PREFERRED_CHANNELS = ['email', 'text', 'mail'] as const;

/** What a channel needs on file, in the words of a refusal. */
const CONTACT_OF: Record<NotificationChannel, string> = { email: 'email address', text: 'mobile number', mail: 'mailing address' };

/** A patient's contact preferences (no contact details: whether each is on file), or undefined. */
export const preferencesOf = (db: Db, patientId: string) => contactPreferencesOf(db, patientId);

export interface PreferencesChange {
  /** undefined: unchanged; null: no preference. */
  preferredChannel?: NotificationChannel | null;
  /** undefined: unchanged. */
  email?: boolean;
  text?: boolean;
}

export type PreferencesProblem = { field: 'preferredChannel' | 'email' | 'text'; message: string };

/** What a preferences form asks for, checked against what is on file: the problems, each naming its field. */
export function checkPreferences(p: ContactPreferences, change: PreferencesChange): PreferencesProblem[] {
  const problems: PreferencesProblem[] = [];
  const c = change.preferredChannel;
  if (c && !p.onFile[c]) {
    problems.push({ field: 'preferredChannel', message: `There is no ${CONTACT_OF[c]} on file for this channel; choose another, or ask the practice to add it.` });
  }
  if (c === 'email' && change.email === false) problems.push({ field: 'email', message: 'Email cannot be your preferred channel while billing email is turned off.' });
  if (c === 'text' && change.text === false) problems.push({ field: 'text', message: 'Text messages cannot be your preferred channel while they are turned off.' });
  return problems;
}

/**
 * Applies a preferences change by the patient (source `portal`, actor `patient:{id}`) or staff (source `staff`, actor
 * `user:{id}`): the preferred channel and each channel's consent, each audited in its own transaction
 * (`preference.changed`, `consent.withdrawn` / `consent.given`); what is unchanged writes nothing.
 */
export async function changePreferences(
  db: Db, patientId: string, change: PreferencesChange, who: { source: 'portal' | 'staff'; actor: string; requestId?: string | null },
): Promise<{ changed: string[] }> {
  const changed: string[] = [];
  for (const channel of ['email', 'text'] as const) {
    const allowed = change[channel];
    if (allowed === undefined) continue;
    const r = await setConsent(db, { patientId, channel, allowed, source: who.source, actor: who.actor, requestId: who.requestId ?? null });
    if (r.changed) changed.push(channel);
  }
  if (change.preferredChannel !== undefined) {
    const r = await setPreferredChannel(db, { patientId, channel: change.preferredChannel, source: who.source, actor: who.actor, requestId: who.requestId ?? null });
    if (r.changed) changed.push('preferredChannel');
  }
  return { changed };
}

/**
 * A staff member withdraws or restores a patient's email or text consent (the staff patient page): source `staff`,
 * actor `user:{staffId}`, audited. Another practice's patient: 404. A field no form sends: a problem naming it.
 */
export async function changeConsentByStaff(
  db: Db, staff: { id: string; practiceId: string }, patientId: string, form: { channel: string; allowed: string }, requestId: string | null,
): Promise<{ ok: true; changed: boolean } | { ok: false; field: 'channel' | 'allowed'; message: string }> {
  const p = await contactPreferencesOf(db, patientId);
  if (!p || p.practiceId !== staff.practiceId) throw notFound('patient');
  if (form.channel !== 'email' && form.channel !== 'text') return { ok: false, field: 'channel', message: 'channel must be email or text (postal mail cannot be withdrawn).' };
  if (form.allowed !== 'yes' && form.allowed !== 'no') return { ok: false, field: 'allowed', message: 'allowed must be yes or no.' };
  const { changed } = await setConsent(db, { patientId, channel: form.channel, allowed: form.allowed === 'yes', source: 'staff', actor: `user:${staff.id}`, requestId });
  return { ok: true, changed };
}

/**
 * A staff member sets a patient's preferred channel on the patient page (a patient who asks on the phone): source
 * `staff`, actor `user:{staffId}`, audited; like the patient's own choice, the EHR's next update does not override it.
 * Only a channel with a contact on file and consent given; '' (or none) clears the preference. Another practice's
 * patient: 404.
 */
export async function changePreferredChannelByStaff(
  db: Db, staff: { id: string; practiceId: string }, patientId: string, form: { preferredChannel: string }, requestId: string | null,
): Promise<{ ok: true; changed: boolean } | { ok: false; field: 'preferredChannel'; message: string }> {
  const p = await contactPreferencesOf(db, patientId);
  if (!p || p.practiceId !== staff.practiceId) throw notFound('patient');
  const raw = form.preferredChannel;
  const channel = raw === '' || raw === 'none' ? null : (PREFERRED_CHANNELS as readonly string[]).includes(raw) ? raw as NotificationChannel : undefined;
  if (channel === undefined) return { ok: false, field: 'preferredChannel', message: 'preferredChannel must be email, text, mail or none.' };
  if (channel && !p.onFile[channel]) {
    return { ok: false, field: 'preferredChannel', message: `There is no ${CONTACT_OF[channel]} on file; add it in the EHR first, or choose another channel.` };
  }
  if ((channel === 'email' || channel === 'text') && p.consents[channel]?.allowed === false) {
    return { ok: false, field: 'preferredChannel', message: `${channel === 'email' ? 'Email' : 'Text'} consent is withdrawn: restore it first (if the patient asks), or choose another channel.` };
  }
  const { changed } = await changePreferences(db, patientId, { preferredChannel: channel }, { source: 'staff', actor: `user:${staff.id}`, requestId });
  return { ok: true, changed: changed.length > 0 };
}
