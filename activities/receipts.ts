/**
 * The payment receipt (issue 17): after a captured payment is recorded (and, on the balance and statement paths,
 * applied), the patient gets a receipt by their channel (domain/receipt-channel.ts `receiptChannel`: the preferred
 * one when on file, else email, else text, else none). Exactly once per payment: business key
 * `payment:<paymentId>:receipt:<channel>`, and a payment that already has a receipt (on any channel) gets no other,
 * so a retried activity, a duplicate capture (the same payment) or a changed contact detail never sends a second one.
 * Returned values carry ids and the channel name only: never PHI.
 */
import type { Db } from '../db/connection';
import { receiptFacts, receiptOf } from '../db/queries/notifications';
import type { NotificationChannel } from '../domain/notices';
import { receiptChannel } from '../domain/receipt-channel';
import { receiptSms, receiptText, type ReceiptModel } from '../domain/receipts';
import { notFound } from '../lib/errors';
import type { Notifier } from '../lib/notifier';
import { composeReceiptEmail } from '../mail/receipt-email';
import { portalUrlOf } from './statement-notices';

export const receiptBusinessKey = (paymentId: string, channel: NotificationChannel) => `payment:${paymentId}:receipt:${channel}`;

export function createReceiptActivities(deps: { db: Db; notifier: Notifier; publicBaseUrl?: string }) {
  const { db, notifier } = deps;
  return {
    async sendPaymentReceipt(input: { paymentId: string; publicBaseUrl?: string }): Promise<{ channel: NotificationChannel | null; messageId?: string }> {
      const existing = await receiptOf(db, input.paymentId);
      const facts = await receiptFacts(db, input.paymentId);
      if (!facts) throw notFound('payment');
      const channel = existing?.channel ?? receiptChannel(facts.patient);
      if (!channel) return { channel: null };

      const base = input.publicBaseUrl ?? deps.publicBaseUrl ?? 'http://localhost:3000';
      const model: ReceiptModel = {
        practiceName: facts.practiceName, firstName: facts.patient.firstName, amountCents: facts.amountCents, paymentDate: facts.paymentDate,
        method: facts.method, appliedCents: facts.appliedCents, appliedServices: facts.appliedClaims, portalUrl: portalUrlOf(base),
        ...(facts.reason === 'copay' && facts.visitDateOfService ? { heldForVisitOn: facts.visitDateOfService } : {}),
      };
      const rendered = channel === 'email'
        ? (() => {
          const e = composeReceiptEmail(model);
          return { recipient: facts.patient.email ?? '', subject: e.subject, body: e.text, html: e.html };
        })()
        : channel === 'text'
          ? { recipient: facts.patient.phone ?? '', subject: null, body: receiptSms(model) }
          : { recipient: `${facts.patient.firstName} ${facts.patient.lastName}, mailing address of record`, subject: 'Payment receipt', body: receiptText(model) };
      const sent = await notifier.send({
        channel, kind: 'receipt', sequence: 0, practiceId: facts.practiceId, patientId: facts.patientId, statementId: null, paymentId: facts.paymentId,
        ...rendered, businessKey: existing?.business_key ?? receiptBusinessKey(facts.paymentId, channel), publicBaseUrl: base,
      });
      return { channel, messageId: sent.messageId };
    },
  };
}
