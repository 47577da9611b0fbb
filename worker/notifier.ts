/**
 * Which notifier the worker's activities use: a small router by channel, with the patient's consent checked first.
 *   email → SMTP when SMTP_URL is set (mail/smtp-notifier.ts), else the notification outbox;
 *   text  → the HTTP SMS provider when SMS_PROVIDER_URL is set (sms/http-sms-notifier.ts), else the outbox;
 *   mail  → the print-and-mail service when PRINT_MAIL_URL is set (mail/print-mail-notifier.ts), else the outbox.
 * Consent (domain/channel-consent.ts): a message on a channel the patient withdrew (email unsubscribe, SMS STOP) is not
 * sent: it is recorded `suppressed` in the outbox, audited (db/queries/sms-outbox.ts suppressOutboxMessage). Mail is
 * always sent. The SMS adapter checks consent again under the row's lock, so a STOP that commits while the text waits
 * for its turn still stops it.
 */
import type { Db } from '../db/connection';
import { consentOf, emailOnFile } from '../db/queries/consents';
import { suppressOutboxMessage } from '../db/queries/sms-outbox';
import { isConsentable, mayUseChannel } from '../domain/channel-consent';
import type { NotificationChannel } from '../domain/notices';
import type { ServiceConfig } from '../lib/config';
import type { Logger } from '../lib/logger';
import { createOutboxNotifier, type Notifier, type OutgoingMessage } from '../lib/notifier';
import { createSmtpNotifier } from '../mail/smtp-notifier';
import { createPrintMailNotifier } from '../mail/print-mail-notifier';
import { createHttpSmsNotifier } from '../sms/http-sms-notifier';

/** Routes each message to its channel's adapter (the outbox when none), after the patient's consent. */
export function createChannelNotifier(db: Db, adapters: Partial<Record<NotificationChannel, Notifier>>): Notifier {
  const outbox = createOutboxNotifier(db);
  const allowed = async (patientId: string, channel: NotificationChannel) =>
    !isConsentable(channel) || mayUseChannel(channel, await consentOf(db, patientId, channel)).allowed;
  const notifier: Notifier = {
    async send(m) {
      if (!(await allowed(m.patientId, m.channel))) {
        const { id, created } = await suppressOutboxMessage(db, {
          practiceId: m.practiceId, patientId: m.patientId, statementId: m.statementId, channel: m.channel, kind: m.kind, sequence: m.sequence,
          recipient: m.recipient, subject: m.subject, body: m.body, businessKey: m.businessKey, paymentId: m.paymentId ?? null,
        });
        // A statement or reminder the patient stopped by text goes by email instead, when they have an address and may
        // get email. Under that round's own email key: a round that went by email already is not sent twice.
        const instead = await emailInsteadOfText(m);
        if (instead) await notifier.send(instead);
        return { messageId: id, created };
      }
      return (adapters[m.channel] ?? outbox).send(m);
    },
  };
  async function emailInsteadOfText(m: OutgoingMessage): Promise<OutgoingMessage | undefined> {
    if (m.channel !== 'text' || !m.statementId || (m.kind !== 'statement' && m.kind !== 'reminder')) return undefined;
    const email = await emailOnFile(db, m.patientId);
    if (!email || !(await allowed(m.patientId, 'email'))) return undefined;
    const businessKey = m.businessKey.endsWith(':text') ? `${m.businessKey.slice(0, -':text'.length)}:email` : `${m.businessKey}:email-instead-of-text`;
    // The email adapter composes the statement email itself (HTML, PDF, pay link) from the statement and the kind.
    return { ...m, channel: 'email', recipient: email, businessKey };
  }
  return notifier;
}

export function notifierFromConfig(db: Db, config: ServiceConfig, log: Logger): Notifier {
  const adapters: Partial<Record<NotificationChannel, Notifier>> = {};
  // ── mail (issue 17, part C): the print-and-mail service when PRINT_MAIL_URL is set (mail/print-mail-notifier.ts) ──
  if (config.PRINT_MAIL_URL) adapters.mail = createPrintMailNotifier({ db, url: config.PRINT_MAIL_URL, token: config.PRINT_MAIL_TOKEN, publicBaseUrl: config.PUBLIC_BASE_URL });
  if (!config.SMTP_URL) {
    log.info('email: SMTP_URL unset, emails stay in the notification outbox');
  } else {
    // The host only: the URL may carry credentials.
    log.info({ smtpHost: new URL(config.SMTP_URL).host }, 'email: sending over SMTP');
    adapters.email = createSmtpNotifier({
      db, smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, publicBaseUrl: config.PUBLIC_BASE_URL,
      payLinks: { secret: config.PAY_LINK_SECRET, ttlMs: config.PAY_LINK_TTL, maxUses: config.PAY_LINK_MAX_USES },
      mailFallback: adapters.mail, // a refused statement email falls back to postal mail once (app/notification-fallback.ts)
    });
  }
  if (!config.SMS_PROVIDER_URL) {
    log.info('text: SMS_PROVIDER_URL unset, text messages stay in the notification outbox');
  } else {
    log.info({ smsProviderHost: new URL(config.SMS_PROVIDER_URL).host }, 'text: sending through the SMS provider');
    adapters.text = createHttpSmsNotifier({
      db, providerUrl: config.SMS_PROVIDER_URL, token: config.SMS_PROVIDER_TOKEN, from: config.SMS_FROM,
      statusCallbackUrl: config.SMS_STATUS_CALLBACK_URL ?? `${config.PUBLIC_BASE_URL.replace(/\/+$/, '')}/webhooks/sms`,
    });
  }
  return createChannelNotifier(db, adapters);
}
