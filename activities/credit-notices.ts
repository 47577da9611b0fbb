/**
 * The patient is told their credit went onto a new balance (issue 18; workflows/credit-notice.ts): how much, and
 * where to see the rest, by the channel a receipt would take (domain/receipt-channel.ts: the preferred one when it
 * reaches them, else email, else text; none: nothing sent). Once per (claim, version): business key
 * `credit-notice:<claimId>:v<version>:<channel>`. No more PHI in the message than a receipt carries.
 */
import type { Db } from '../db/connection';
import { creditAppliedOn } from '../db/queries/credits';
import { receiptChannel } from '../domain/receipt-channel';
import { creditNoticeText } from '../domain/credit-application';
import { notFound } from '../lib/errors';
import type { Notifier } from '../lib/notifier';
import { portalUrlOf } from './statement-notices';

export function createCreditNoticeActivities(deps: { db: Db; notifier: Notifier; publicBaseUrl?: string }) {
  return {
    async sendCreditAppliedNotice(input: { claimId: string; claimVersion: number }): Promise<{ channel: string | null; messageId?: string }> {
      const facts = await creditAppliedOn(deps.db, input);
      if (!facts) throw notFound('claim');
      if (facts.appliedCents === 0) return { channel: null };
      const channel = receiptChannel(facts.patient);
      if (!channel) return { channel: null };
      const text = creditNoticeText({ practiceName: facts.practiceName, firstName: facts.patient.firstName, appliedCents: facts.appliedCents, portalUrl: portalUrlOf(deps.publicBaseUrl ?? 'http://localhost:3000') });
      const recipient = channel === 'email' ? facts.patient.email! : channel === 'text' ? facts.patient.phone! : `${facts.patient.firstName} ${facts.patient.lastName}, mailing address of record`;
      const sent = await deps.notifier.send({
        channel, kind: 'credit_notice', sequence: 0, practiceId: facts.practiceId, patientId: facts.patientId, statementId: null, recipient,
        subject: channel === 'text' ? null : text.subject, body: channel === 'text' ? text.sms : text.body,
        businessKey: `credit-notice:${input.claimId}:v${input.claimVersion}:${channel}`, publicBaseUrl: deps.publicBaseUrl,
      });
      return { channel, messageId: sent.messageId };
    },
  };
}
