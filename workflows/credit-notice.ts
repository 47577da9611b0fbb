/**
 * Tells the patient that their credit went onto a new balance (issue 18, "credits that apply themselves"): started by
 * the outbox relay after the claim-change transaction that applied it (app/ehr-events.ts), one run per (claim,
 * version): workflow id `credit-notice-<claimId>-v<version>`. One activity, retried until the message is handed over
 * (an SMTP outage only delays it), idempotent by its business key. No PHI: ids only.
 */
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities';

export interface CreditNoticeInput { claimId: string; claimVersion: number }

export const creditNoticeWorkflowId = (claimId: string, claimVersion: number) => `credit-notice-${claimId}-v${claimVersion}`;

const { sendCreditAppliedNotice } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes', nonRetryableErrorTypes: ['RowNotFound'] },
});

export async function creditNotice(input: CreditNoticeInput): Promise<{ channel: string | null }> {
  const sent = await sendCreditAppliedNotice(input);
  setCurrentDetails(sent.channel ? `the patient was told by ${sent.channel}` : 'no channel reaches the patient: nothing sent');
  return { channel: sent.channel };
}
