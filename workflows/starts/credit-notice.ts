/**
 * How a credit notice is started (by the outbox relay, after credits went onto a new balance: app/ehr-events.ts):
 * workflow id `credit-notice-<claimId>-v<version>`, `USE_EXISTING` and `REJECT_DUPLICATE` (one notice per claim
 * version, however often the message is delivered). No search attributes. Pure: no I/O.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { creditNotice, creditNoticeWorkflowId, type CreditNoticeInput } from '../credit-notice';

export function creditNoticeStart(input: CreditNoticeInput, taskQueue: string) {
  return {
    workflow: creditNotice,
    options: {
      workflowId: creditNoticeWorkflowId(input.claimId, input.claimVersion), taskQueue, args: [input] as [CreditNoticeInput],
      workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `Credit applied notice for claim ${input.claimId} (version ${input.claimVersion})`,
    } satisfies WorkflowStartOptions<typeof creditNotice>,
  };
}
