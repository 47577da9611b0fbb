/**
 * Consent changes made by patients (issue 17): the email's unsubscribe link, and SMS replies (STOP / START / HELP)
 * with the provider's delivery statuses, as they arrive at POST /webhooks/sms. Each change is at once (the next send
 * reads it: worker/notifier.ts, db/queries/sms-outbox.ts) and audited (db/queries/consents.ts). No PHI leaves here: a
 * phone number is compared, never logged, stored or answered.
 */
import type { Db } from '../db/connection';
import { setConsent, setTextConsentByPhone } from '../db/queries/consents';
import { recordTextStatus } from '../db/queries/sms-outbox';
import { normalisePhone, smsKeyword, SMS_REPLIES } from '../domain/channel-consent';
import type { SmsEvent } from '../contracts/webhooks';
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
