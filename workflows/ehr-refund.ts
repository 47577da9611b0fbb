/**
 * Sends one refund staff decided on (work queue) to the EHR, durably: workflow id `refund-<refundId>`, one activity
 * retried until the EHR answers (an outage only delays it), idempotent by the refund id on both sides. Started by the
 * API right after the resolution that recorded the refund; starting it again is harmless.
 * No PHI: ids and the amount only.
 */
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { requestEhrRefund } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes', nonRetryableErrorTypes: ['EhrRefused', 'LedgerRuleError'] },
});

export const ehrRefundWorkflowId = (refundId: string) => `refund-${refundId}`;

export async function ehrRefundRequest(input: { refundId: string }): Promise<{ ehrRefundRequestId: string }> {
  setCurrentDetails(`asking the EHR to refund (refund ${input.refundId})`);
  const { ehrRefundRequestId } = await requestEhrRefund({ refundId: input.refundId });
  setCurrentDetails(`the EHR accepted refund request ${ehrRefundRequestId}`);
  return { ehrRefundRequestId };
}
