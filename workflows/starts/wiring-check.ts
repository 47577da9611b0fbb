/**
 * How the wiring-check diagnostic (`wiringCheck`) is started: workflow id `wiring-check-<uuid>` (workflows/wiring-check.ts),
 * the service's task queue, at most a minute for the whole run. No search attributes, no summary. Pure: no I/O.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { wiringCheck, wiringCheckWorkflowId } from '../wiring-check';

export function wiringCheckStart(checkId: string, taskQueue: string) {
  return {
    workflow: wiringCheck,
    options: {
      taskQueue,
      workflowId: wiringCheckWorkflowId(checkId),
      args: [{ requestedBy: 'api' }] as [{ requestedBy: string }],
      workflowExecutionTimeout: '1 minute',
    } satisfies WorkflowStartOptions<typeof wiringCheck>,
  };
}
