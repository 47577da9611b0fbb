/**
 * How a statement batch's run (`statementBatch`) is started: by billing for one practice (the API: workflow id
 * `statement-batch-<practiceId>-<cycle>`, `USE_EXISTING`: one batch per practice and cycle at a time) and by the daily
 * Temporal Schedule for every practice (workflow id `statement-batch-daily`, scripts/statement-schedule.ts). Search
 * attribute `PayflowPath` = statement-batch (and the practice when there is one), a summary, the service's task queue.
 * Pure: no I/O.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { statementBatch, type StatementBatchInput } from '../statement-batch';
import { startAttributes } from './search-attributes';

export const statementBatchWorkflowId = (practiceId: string, cycle: string) => `statement-batch-${practiceId}-${cycle}`;

/** The Temporal Schedule of the daily batch, and the workflow id of each run it starts. */
export const STATEMENT_SCHEDULE_ID = 'statement-batch-daily';

/** One practice's batch for this cycle (billing's button, `POST /v1/statement-batches`). */
export function statementBatchStart(practiceId: string, cycle: string, settings: StatementBatchInput['settings'], taskQueue: string) {
  return {
    workflow: statementBatch,
    options: {
      workflowId: statementBatchWorkflowId(practiceId, cycle),
      taskQueue,
      args: [{ practiceId, settings }] as [StatementBatchInput],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: startAttributes({ path: 'statement-batch', practiceId }),
      staticSummary: `Statement batch ${cycle} for practice ${practiceId}`,
    } satisfies WorkflowStartOptions<typeof statementBatch>,
  };
}

/** The action of the daily schedule: every practice's batch. */
export function statementScheduleAction(settings: StatementBatchInput['settings'], taskQueue: string) {
  return {
    type: 'startWorkflow' as const,
    workflowType: statementBatch,
    args: [{ settings }] as [StatementBatchInput],
    taskQueue,
    workflowId: STATEMENT_SCHEDULE_ID,
    typedSearchAttributes: startAttributes({ path: 'statement-batch' }),
  };
}
