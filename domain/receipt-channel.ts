/**
 * Which channel a message goes by (pure). The patient's preferred channel (patients.preferred_channel) when its
 * contact is on file; otherwise the default order.
 *
 * `receiptChannel(patient)` is THE hook for channel consent (issue 17): consent is wired here later (a channel the
 * patient withdrew consent for is skipped), so every receipt decision goes through this one function.
 */
import type { NotificationChannel } from './notices';

export interface ReachablePatient {
  preferredChannel: NotificationChannel | null;
  email: string | null;
  phone: string | null;
  /** Whether a mailing address of record is on file. */
  hasMailingAddress: boolean;
}

const onFile = (p: ReachablePatient, c: NotificationChannel): boolean =>
  c === 'email' ? !!p.email : c === 'text' ? !!p.phone : p.hasMailingAddress;

/**
 * The channel of a payment receipt, or undefined (no receipt): the preferred channel when its contact is on file;
 * else email if on file, else text if on file, else none. No paper receipt unless the patient asked for mail.
 */
export function receiptChannel(patient: ReachablePatient): NotificationChannel | undefined {
  if (patient.preferredChannel && onFile(patient, patient.preferredChannel)) return patient.preferredChannel;
  if (onFile(patient, 'email')) return 'email';
  if (onFile(patient, 'text')) return 'text';
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
