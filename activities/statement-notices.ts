/**
 * What a statement or reminder says, per channel (pure: rendered from a StatementDocument). Email and mail carry what
 * the patient needs to pay online (the portal address and the account id); a text message is not a private channel,
 * so it carries neither the account id nor amounts nor names: only the practice and the portal address.
 */
import { formatCents } from '../domain/money';
import type { StatementDocument } from '../db/queries/statements';
import type { NotificationChannel, NotificationKind } from '../domain/notices';

export interface RenderedNotice { recipient: string; subject: string | null; body: string }

export const portalUrlOf = (publicBaseUrl: string) => `${publicBaseUrl.replace(/\/+$/, '')}/portal`;
export const printUrlOf = (publicBaseUrl: string, statementId: string) => `${publicBaseUrl.replace(/\/+$/, '')}/v1/statements/${statementId}/print`;

/** undefined when the patient has no address for the channel (no email, no phone). */
export function renderNotice(
  doc: StatementDocument,
  n: { channel: NotificationChannel; kind: NotificationKind; sequence: number; publicBaseUrl: string },
): RenderedNotice | undefined {
  const practice = doc.practice.name;
  const portal = portalUrlOf(n.publicBaseUrl);
  const due = formatCents(doc.due.dueCents);
  const dated = doc.statement.statement_date;
  const reminder = n.kind === 'reminder';
  switch (n.channel) {
    case 'email': {
      if (!doc.patient.email) return undefined;
      const opening = reminder
        ? `This is a reminder about your statement from ${practice} dated ${dated}. The balance due is ${due}.`
        : `Your statement from ${practice} dated ${dated} is ready. The amount due is ${due}.`;
      return {
        recipient: doc.patient.email,
        subject: reminder ? `Reminder: your statement from ${practice}` : `Your statement from ${practice}`,
        body: [
          `Dear ${doc.patient.firstName},`, '', opening, '',
          `Pay online at ${portal} with your account ID ${doc.patient.accountId} and your date of birth.`,
          'You can pay all of it or part of it.', '',
          `Questions about your bill? Call the ${practice} billing office.`,
        ].join('\n'),
      };
    }
    case 'text':
      if (!doc.patient.phone) return undefined;
      return {
        recipient: doc.patient.phone,
        subject: null,
        body: reminder
          ? `${practice}: a reminder that your billing statement has a balance due. Pay online at ${portal} (your account ID is on your statement). Reply STOP to opt out.`
          : `${practice}: your billing statement is ready. Pay online at ${portal} (your account ID is on your statement). Reply STOP to opt out.`,
      };
    case 'mail':
      return {
        recipient: `${doc.patient.firstName} ${doc.patient.lastName}, mailing address of record`,
        subject: reminder ? `Printed reminder ${n.sequence}` : 'Printed statement',
        body: [
          `Print and mail: ${printUrlOf(n.publicBaseUrl, doc.statement.id)}`,
          `Statement dated ${dated}, account ID ${doc.patient.accountId}, amount due ${due}.`,
          reminder ? `Stamp it "Reminder ${n.sequence}: balance due".` : '',
        ].filter(Boolean).join('\n'),
      };
  }
}
