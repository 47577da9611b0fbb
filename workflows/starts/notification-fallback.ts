/**
 * How the postal fallback of a failed message (`notificationFallback`) is started, by the webhook that recorded the
 * failure: workflow id `notification-fallback-<notificationId>` (workflows/notification-fallback.ts), the service's task
 * queue, `USE_EXISTING` (a run under way is kept: a redelivered webhook joins it) and `ALLOW_DUPLICATE` (a finished run
 * may be followed by another, which finds the letter and does nothing: the letter's uniqueness is PostgreSQL's), and a
 * summary. No search attributes, no PHI. Pure: no I/O.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { notificationFallback, notificationFallbackWorkflowId } from '../notification-fallback';

export { notificationFallbackWorkflowId };

export function notificationFallbackStart(notificationId: string, taskQueue: string) {
  return {
    workflow: notificationFallback,
    options: {
      workflowId: notificationFallbackWorkflowId(notificationId), taskQueue, args: [{ notificationId }] as [{ notificationId: string }],
      workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `Postal fallback of failed message ${notificationId}`,
    } satisfies WorkflowStartOptions<typeof notificationFallback>,
  };
}
