/**
 * The email adapter of the Notifier port (lib/notifier.ts), over SMTP with nodemailer. Exactly once, by the business
 * key:
 *   1. the message is written to the notification outbox FIRST, `pending`, with everything it carries (subject, text,
 *      HTML, the statement PDF) and its Message-ID, derived from the business key (mail/message-id.ts); a retry finds
 *      that row and sends what it holds, never a new rendering (the pay link inside is minted once per key, too);
 *   2. it is handed to the SMTP server under the row's lock (db/queries/notifications.ts deliverOutboxMessage): a row
 *      already `sent` is not sent again, and a second attempt running at the same time waits, then finds it sent;
 *   3. a failure is counted on the row (`failed`, attempts, a reason code) and thrown as a retryable
 *      `EmailDeliveryFailed` whose message says in plain words what happened: Temporal retries the activity with backoff,
 *      and the run's pending activity shows the attempt and that message in the UI. A server that refused the message
 *      for good (5xx to the recipient or the data) marks it `rejected` and does not retry: staff see it in the outbox,
 *      and a statement's message falls back to postal mail once (app/notification-fallback.ts, `mailFallback`).
 * The one gap SMTP leaves: the server accepted the message and this process died before the row said `sent`. The
 * retry then sends it again under the same Message-ID, which the receiving side recognises as a repeat.
 * Errors thrown carry a reason code only: never the server's text (it may quote the address) nor any PHI.
 *
 * Statement and reminder emails are composed here from the statement (mail/statement-email.ts: HTML + text + PDF + pay
 * link); any other email is sent as the text (and, a receipt, the HTML: mail/receipt-email.ts) the activity rendered.
 */
import { ApplicationFailure } from '@temporalio/common';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Db } from '../db/connection';
import { deliverOutboxMessage, outboxStateOf, putOutboxEmail, type StoredEmail } from '../db/queries/notifications';
import { createOutboxNotifier, type Notifier, type OutgoingMessage } from '../lib/notifier';
import { fallBackOnce } from '../app/notification-fallback';
import { messageIdFor } from './message-id';
import type { PayLinkSettings } from './pay-link';
import { composeStatementEmail } from './statement-email';
import { unsubscribeUrl } from './unsubscribe-link';

export interface SmtpNotifierOptions {
  db: Db;
  /** smtp://user:pass@host:port (STARTTLS when offered) or smtps://…; or a transport of one's own (tests). */
  smtpUrl?: string;
  transport?: Transporter;
  from: string;
  payLinks: PayLinkSettings;
  /** Where patients reach the portal, when the message does not say (PUBLIC_BASE_URL). */
  publicBaseUrl: string;
  /** Postal mail, for a refused statement email's fallback (app/notification-fallback.ts); absent: the letter stays in the outbox. */
  mailFallback?: Notifier;
}

/** The retryable failure type the activity throws (visible as the pending activity's last failure in the UI). */
export const EMAIL_DELIVERY_FAILED = 'EmailDeliveryFailed';

/** A transport with timeouts inside the activity's 30 s: connect 10 s, greeting 10 s, idle socket 15 s. */
export function smtpTransport(smtpUrl: string): Transporter {
  const url = new URL(smtpUrl);
  return nodemailer.createTransport({
    host: url.hostname, port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 587)), secure: url.protocol === 'smtps:',
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 15_000,
    // A local server on this machine speaks plain SMTP; elsewhere STARTTLS is used when offered (nodemailer's default).
    ...(['localhost', '127.0.0.1', '::1', '[::1]'].includes(url.hostname) ? { ignoreTLS: true } : {}),
  });
}

/** A reason code for a failed hand-over, and whether trying again may help. Never the server's text. */
export function classifySmtpError(err: unknown): { reason: string; retry: boolean } {
  const e = (err ?? {}) as { code?: unknown; responseCode?: unknown };
  const code = typeof e.code === 'string' && /^[A-Z_]{2,20}$/.test(e.code) ? e.code : 'UNKNOWN';
  const status = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  // 5xx: the server refused this message or recipient for good (unknown mailbox, refused content). Authentication or
  // a server-wide refusal is a configuration problem: retried (with backoff) until someone fixes it, then delivered.
  if (status !== undefined && status >= 500 && status < 600 && (code === 'EENVELOPE' || code === 'EMESSAGE')) return { reason: `${code}_${status}`, retry: false };
  return { reason: status !== undefined ? `${code}_${status}` : code, retry: true };
}

const REASON_WORDS: Record<string, string> = {
  ECONNECTION: 'the email server cannot be reached', ESOCKET: 'the email server cannot be reached', ETIMEDOUT: 'the email server did not answer in time',
  EAUTH: 'the email server refused our credentials', EDNS: 'the email server name does not resolve', EENVELOPE: 'the email server refused the recipient',
  EMESSAGE: 'the email server refused the message', EPROTOCOL: 'the email server spoke an unexpected protocol',
};
const wordsOf = (reason: string) => REASON_WORDS[reason.split('_')[0] ?? ''] ?? 'the email server did not take the message';

export function createSmtpNotifier(o: SmtpNotifierOptions): Notifier {
  const outbox = createOutboxNotifier(o.db);
  const transport = o.transport ?? smtpTransport(o.smtpUrl ?? '');
  if (!o.transport && !o.smtpUrl) throw new TypeError('createSmtpNotifier needs smtpUrl or transport');

  const handOver = (unsubscribe: string) => async (email: StoredEmail): Promise<void> => {
    await transport.sendMail({
      from: o.from, to: email.recipient, subject: email.subject ?? '', messageId: email.message_id,
      // RFC 2369 + RFC 8058 one-click: the patient's unsubscribe link (mail/unsubscribe-link.ts) withdraws email consent.
      headers: { 'List-Unsubscribe': `<${unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      text: email.body, ...(email.html ? { html: email.html } : {}),
      ...(email.attachment && email.attachment_name ? { attachments: [{ filename: email.attachment_name, content: email.attachment, contentType: 'application/pdf' }] } : {}),
    });
  };

  return {
    async send(m: OutgoingMessage) {
      if (m.channel !== 'email') return outbox.send(m);
      // 1. Written first (once per key), as it will be sent.
      const known = await outboxStateOf(o.db, m.businessKey);
      let id = known?.id;
      let created = false;
      if (!known) {
        const composed = m.statementId && (m.kind === 'statement' || m.kind === 'reminder')
          ? await composeStatementEmail(o.db, o.payLinks, { statementId: m.statementId, kind: m.kind, sequence: m.sequence, businessKey: m.businessKey, publicBaseUrl: m.publicBaseUrl ?? o.publicBaseUrl })
          : undefined;
        const put = await putOutboxEmail(o.db, {
          practiceId: m.practiceId, patientId: m.patientId, statementId: m.statementId, channel: m.channel, kind: m.kind, sequence: m.sequence,
          recipient: m.recipient, subject: composed?.subject ?? m.subject, body: composed?.text ?? m.body, businessKey: m.businessKey,
          messageId: messageIdFor(m.businessKey, o.from), html: composed?.html ?? m.html ?? '', attachment: composed?.attachment, paymentId: m.paymentId ?? null,
        });
        id = put.id;
        created = put.created;
      }
      // 2. Handed over once.
      const outcome = await deliverOutboxMessage(o.db, id!, handOver(unsubscribeUrl(m.publicBaseUrl ?? o.publicBaseUrl, m.patientId, o.payLinks.secret)), classifySmtpError);
      // 3. A failure worth retrying fails the activity; Temporal retries it with backoff.
      if (outcome.kind === 'failed' && outcome.retry) {
        throw ApplicationFailure.retryable(`Email not sent yet: ${wordsOf(outcome.reason)} (${outcome.reason}); it will be retried`, EMAIL_DELIVERY_FAILED);
      }
      // Refused for good: a statement's message falls back to postal mail, once (a retry finds that letter).
      if (outcome.kind === 'failed') await fallBackOnce(o.db, id!, { publicBaseUrl: m.publicBaseUrl ?? o.publicBaseUrl, ...(o.mailFallback ? { send: (f: OutgoingMessage) => o.mailFallback!.send(f) } : {}) });
      return { messageId: id!, created };
    },
  };
}
