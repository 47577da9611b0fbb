/**
 * The notifier port: how statements and reminders reach patients (email, text message, postal mail). Activities
 * receive a Notifier as a dependency. Two adapters:
 * - the outbox notifier (below): records every message in the notification outbox (PostgreSQL), where staff and
 *   developers read it (`GET /v1/notifications`); the row is the delivery. Used when SMTP_URL is unset, and for the
 *   channels without a provider yet (text, printed mail);
 * - the email adapter, mail/smtp-notifier.ts (SMTP_URL set): writes the outbox row first (`pending`), then hands the
 *   email to the SMTP server under a Message-ID derived from `businessKey`, and marks the row `sent`; an SMTP failure
 *   fails the activity, which Temporal retries with backoff.
 *
 * A Notifier must be idempotent by `businessKey`: Temporal retries activities, and a retried send must not send twice.
 */
import type { Db } from '../db/connection';
import { putOutboxMessage } from '../db/queries/notifications';
import type { NotificationChannel, NotificationKind } from '../domain/notices';

export interface OutgoingMessage {
  channel: NotificationChannel;
  kind: NotificationKind;
  /** 0 for the statement itself, n for the n-th reminder. */
  sequence: number;
  practiceId: string;
  patientId: string;
  statementId: string | null;
  /** PHI: an email address, a phone number, or (mail) the mailing address of record. */
  recipient: string;
  subject: string | null;
  /** PHI: the message as the patient receives it. */
  body: string;
  /** e.g. statement:{id}:reminder:2:email. The same key twice sends once. */
  businessKey: string;
  /** Where patients reach the portal (the statement run's PUBLIC_BASE_URL): the email adapter's pay links point there. */
  publicBaseUrl?: string;
  /** A receipt: the payment it acknowledges. */
  paymentId?: string | null;
  /** An email's HTML body when the activity rendered it (a receipt); statement emails are composed by the email adapter. */
  html?: string;
}

export interface Notifier {
  send(message: OutgoingMessage): Promise<{ messageId: string; created: boolean }>;
}

/** The local default: the outbox table is the delivery. */
export function createOutboxNotifier(db: Db): Notifier {
  return {
    async send(m) {
      const { id, created } = await putOutboxMessage(db, {
        practiceId: m.practiceId, patientId: m.patientId, statementId: m.statementId, channel: m.channel, kind: m.kind,
        sequence: m.sequence, recipient: m.recipient, subject: m.subject, body: m.body, businessKey: m.businessKey, paymentId: m.paymentId ?? null,
      });
      return { messageId: id, created };
    },
  };
}
