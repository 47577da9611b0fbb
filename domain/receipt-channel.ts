/**
 * Which channel a message goes by (pure). The patient's preferred channel (patients.preferred_channel) when its
 * contact is on file; otherwise the default order.
 *
 * `receiptChannel(patient)` consults channel consent (issue 17): a channel the patient withdrew consent for (SMS STOP,
 * the email's unsubscribe link, the portal, staff) is skipped and the receipt goes by the next allowed channel in the
 * same order, rather than being written and suppressed. Every receipt decision goes through this one function.
 */
import type { NotificationChannel } from './notices';

export interface ReachablePatient {
  preferredChannel: NotificationChannel | null;
  email: string | null;
  phone: string | null;
  /** Whether a mailing address of record is on file. */
  hasMailingAddress: boolean;
  /** The channels whose consent the patient withdrew (domain/channel-consent.ts; mail cannot be withdrawn). */
  withdrawn?: readonly NotificationChannel[];
}

const onFile = (p: ReachablePatient, c: NotificationChannel): boolean =>
  c === 'email' ? !!p.email : c === 'text' ? !!p.phone : p.hasMailingAddress;
/** On file and not withdrawn (mail is the statement of record: never withdrawn). */
const usable = (p: ReachablePatient, c: NotificationChannel): boolean => onFile(p, c) && (c === 'mail' || !(p.withdrawn ?? []).includes(c));

/**
 * The channel of a payment receipt, or undefined (no receipt): the preferred channel when its contact is on file and
 * allowed; else email if on file and allowed, else text if on file and allowed, else none. A withdrawn channel is
 * skipped (re-routed to the next allowed one). No paper receipt unless the patient asked for mail.
 */
export function receiptChannel(patient: ReachablePatient): NotificationChannel | undefined {
  if (patient.preferredChannel && usable(patient, patient.preferredChannel)) return patient.preferredChannel;
  if (usable(patient, 'email')) return 'email';
  if (usable(patient, 'text')) return 'text';
  return undefined;
}

/**
 * The channels of a statement and its reminders. No preference (or the preferred contact not on file): as before
 * issue 17's receipts, email and text when on file, and mail always. A preferred email or text on file: that channel
 * only; should it fail (a rejected or bounced email, a failed text) the message falls back to mail once
 * (app/notification-fallback.ts). Preferred mail: mail only.
 */
export function statementChannels(patient: Omit<ReachablePatient, 'hasMailingAddress'>): NotificationChannel[] {
  const p = { ...patient, hasMailingAddress: true };
  if (p.preferredChannel && onFile(p, p.preferredChannel)) return [p.preferredChannel];
  const channels: NotificationChannel[] = ['mail'];
  if (p.email) channels.unshift('email');
  if (p.phone) channels.push('text');
  return channels;
}

/** The channel a failed message falls back to, once; undefined: none (receipts have no paper fallback by default). */
export function fallbackChannel(message: { channel: NotificationChannel; kind: string; hasStatement: boolean }): NotificationChannel | undefined {
  if (message.channel === 'mail' || !message.hasStatement) return undefined;
  return message.kind === 'statement' || message.kind === 'reminder' ? 'mail' : undefined;
}
