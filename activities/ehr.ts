/** Activities that talk to the EHR through its adapter. Both calls are idempotent on the EHR side. */
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../db/connection';
import { paymentRequestContext } from '../db/queries/collections';
import type { EhrAdapter, PaymentRequest } from '../ehr/adapter';
import { EhrAdapterError } from '../ehr/http-adapter';

/** An answer a retry cannot change (a 4xx) fails the activity for good; outages are left to Temporal's retries. */
function finalIfRefused(err: unknown): unknown {
  return err instanceof EhrAdapterError && !err.retryable ? ApplicationFailure.nonRetryable(err.message, 'EhrRefused') : err;
}

export function createEhrActivities(deps: { db: Db; ehr: EhrAdapter }) {
  return {
    /** Opens (or re-finds, by collection id) the EHR payment request, pre-filled for patient, visit, reason, amount. */
    async openPaymentRequest(input: { collectionId: string }): Promise<PaymentRequest> {
      const ctx = await paymentRequestContext(deps.db, input.collectionId);
      try {
        return await deps.ehr.openPaymentRequest({
          collectionId: input.collectionId,
          practiceExternalId: ctx.practice_external_id,
          patientExternalId: ctx.patient_external_id,
          visitExternalId: ctx.visit_external_id,
          reason: ctx.path === 'copay' ? 'copay' : 'outstanding_balance',
          amountCents: ctx.amount_cents,
        });
      } catch (err) {
        throw finalIfRefused(err);
      }
    },

    /** 'already_closed' when the EHR says the request can no longer be cancelled (it was captured or closed). */
    async cancelPaymentRequest(input: { requestId: string }): Promise<{ outcome: 'cancelled' | 'already_closed' }> {
      try {
        await deps.ehr.cancelPaymentRequest(input.requestId);
        return { outcome: 'cancelled' };
      } catch (err) {
        if (err instanceof EhrAdapterError && err.status === 409) return { outcome: 'already_closed' };
        throw finalIfRefused(err);
      }
    },
  };
}
