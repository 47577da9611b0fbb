/**
 * Consent and opt-out, per patient and channel (issue 17): whether a statement or reminder may go to a patient on a
 * channel, and what a text-message reply means. Pure: no I/O, no clock.
 *
 * The rules (docs/statements-and-portal.md, "Text messages and consent"):
 * - **mail** is the statement of record: it always goes (a patient who wants no paper calls the practice, who stops
 *   statements altogether). Nobody can withdraw it here.
 * - **email** and **text** go when the patient has an address for them (from the EHR) and has not withdrawn consent.
 *   An address given to the practice is the patient's consent to be contacted about their bill there (the FCC's
 *   "prior express consent" for healthcare billing calls and texts), so no consent row means allowed. A withdrawal
 *   (SMS STOP, the email's unsubscribe link, the portal, staff) is a row with `allowed = false` and takes effect at
 *   once; giving it again (SMS START, staff) sets `allowed = true`.
 * - An SMS reply is a keyword only when the whole message is one (trimmed, any case, trailing punctuation ignored), as
 *   carriers and the CTIA handbook require: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT (also OPTOUT, REVOKE, STOP ALL)
 *   withdraw; START, UNSTOP, YES restore; HELP, INFO ask for help. Anything else is not ours to act on.
 */
import type { NotificationChannel } from './notices';

export const CONSENT_SOURCES = ['reference_data', 'portal', 'sms_reply', 'email_unsubscribe', 'staff'] as const;
export type ConsentSource = (typeof CONSENT_SOURCES)[number];

/** The channels a patient may withdraw (mail cannot be: it is the statement of record). */
export const CONSENTABLE_CHANNELS = ['email', 'text'] as const satisfies readonly NotificationChannel[];
export type ConsentableChannel = (typeof CONSENTABLE_CHANNELS)[number];

export const isConsentable = (channel: NotificationChannel): channel is ConsentableChannel => (CONSENTABLE_CHANNELS as readonly string[]).includes(channel);

/** What is stored for a (patient, channel); none stored: the default applies. */
export interface ChannelConsent { allowed: boolean; source: ConsentSource; changedAt: Date }

export type ChannelDecision = { allowed: true } | { allowed: false; reason: 'consent_withdrawn' };

/** May a message go to the patient on `channel`, given the stored consent (undefined: none stored)? */
export function mayUseChannel(channel: NotificationChannel, consent: Pick<ChannelConsent, 'allowed'> | undefined): ChannelDecision {
  if (!isConsentable(channel)) return { allowed: true };
  if (consent && !consent.allowed) return { allowed: false, reason: 'consent_withdrawn' };
  return { allowed: true };
}

/** Whether setting consent to `allowed` changes anything (a repeat STOP writes and audits nothing). */
export function consentChanges(current: Pick<ChannelConsent, 'allowed'> | undefined, allowed: boolean): boolean {
  return (current?.allowed ?? true) !== allowed;
}

export type SmsKeyword = 'stop' | 'start' | 'help';

const STOP_WORDS = new Set(['STOP', 'STOPALL', 'STOP ALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'OPT OUT', 'REVOKE']);
const START_WORDS = new Set(['START', 'UNSTOP', 'YES']);
const HELP_WORDS = new Set(['HELP', 'INFO']);

/** The keyword an inbound text is, or undefined (an ordinary reply, which we do not act on). */
export function smsKeyword(body: string): SmsKeyword | undefined {
  if (body.length > 160) return undefined;
  const word = body.trim().replace(/[\s.!?,;:'"]+$/u, '').replace(/\s+/g, ' ').toUpperCase();
  if (STOP_WORDS.has(word)) return 'stop';
  if (START_WORDS.has(word)) return 'start';
  if (HELP_WORDS.has(word)) return 'help';
  return undefined;
}

/**
 * A phone number as compared: digits with a leading + (E.164 as the providers send it); a 10-digit US number gets +1.
 * undefined when it cannot be a phone number.
 */
export function normalisePhone(raw: string): string | undefined {
  const trimmed = raw.trim();
  const digits = trimmed.replace(/[^0-9]/g, '');
  if (digits.length < 7 || digits.length > 15) return undefined;
  if (trimmed.startsWith('+')) return `+${digits}`;
  if (digits.length === 10) return `+1${digits}`;
  if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
  return `+${digits}`;
}

/** What the service answers to a keyword (the provider texts it back): no PHI, no practice name (one number for all). */
export const SMS_REPLIES: Record<SmsKeyword, string> = {
  stop: 'You are unsubscribed from billing text messages and will receive no more. Reply START to subscribe again.',
  start: 'You are subscribed to billing text messages again. Reply STOP to unsubscribe, HELP for help.',
  help: 'Billing messages from your healthcare provider. Reply STOP to unsubscribe. For questions about your bill, call your provider\'s billing office.',
};
