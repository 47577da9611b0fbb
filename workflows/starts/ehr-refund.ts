/**
 * How a refund's EHR request (`ehrRefundRequest`) is started, right after the resolution that recorded the refund and
 * again from the *send again* button: workflow id `refund-<refundId>` (workflows/ehr-refund.ts), the service's task
 * queue, `USE_EXISTING` (a running request is kept) and `ALLOW_DUPLICATE_FAILED_ONLY` (a sent one is never sent again),
 * and a summary. No search attributes. Pure: no I/O.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { ehrRefundRequest, ehrRefundWorkflowId } from '../ehr-refund';

export { ehrRefundWorkflowId };

export function ehrRefundStart(refundId: string, taskQueue: string) {
  return {
    workflow: ehrRefundRequest,
    options: {
      workflowId: ehrRefundWorkflowId(refundId), taskQueue, args: [{ refundId }] as [{ refundId: string }],
      workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      staticSummary: `EHR refund request for refund ${refundId}`,
    } satisfies WorkflowStartOptions<typeof ehrRefundRequest>,
  };
}
