/**
 * Sending a refund staff decided on to the EHR (the processor returns the money): reads the outbox row written with
 * the refund (db/queries/ehr-refund-requests.ts), asks the EHR through its adapter (idempotent by the refund id),
 * and marks the row sent. A retry after the EHR answered gets the same refund request back from the EHR.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../db/connection';
import { ehrRefundContext, markEhrRefundRequestSent } from '../db/queries/ehr-refund-requests';
import type { EhrAdapter } from '../ehr/adapter';
import { EhrAdapterError } from '../ehr/http-adapter';

const SYSTEM_ACTOR = 'system:workflow';

export function createRefundActivities(deps: { db: Db; ehr: EhrAdapter }) {
  return {
    async requestEhrRefund(input: { refundId: string }): Promise<{ ehrRefundRequestId: string; alreadySent: boolean }> {
      const ctx = await ehrRefundContext(deps.db, input.refundId);
      if (ctx.status === 'sent' && ctx.ehrRefundRequestId) return { ehrRefundRequestId: ctx.ehrRefundRequestId, alreadySent: true };
      let answer;
      try {
        answer = await deps.ehr.requestRefund({
          refundId: ctx.refundId, practiceExternalId: ctx.practiceExternalId, patientExternalId: ctx.patientExternalId,
          externalPaymentId: ctx.externalPaymentId, amountCents: ctx.amountCents,
        });
      } catch (err) {
        // An answer a retry cannot change (a 4xx) fails for good; outages are left to Temporal's retries.
        if (err instanceof EhrAdapterError && !err.retryable) throw ApplicationFailure.nonRetryable(err.message, 'EhrRefused');
        throw err;
      }
      await markEhrRefundRequestSent(deps.db, { refundId: ctx.refundId, ehrRefundRequestId: answer.refundRequestId, actor: SYSTEM_ACTOR });
      return { ehrRefundRequestId: answer.refundRequestId, alreadySent: false };
    },
  };
}
