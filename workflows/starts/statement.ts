/**
 * How a statement's run (`billingStatement`) is started, by the API and the portal (a client start) and by the
 * statement batch (a child of the batch run) alike: workflow id `statement-<statementId>` (written with the statement
 * by db/queries/statements.ts), the `PayflowPath` = statement, `PayflowStatus` = sending and `PayflowPracticeId` search
 * attributes, the summary, and `REJECT_DUPLICATE`: a statement's run is started at most once. A client start also keeps a
 * running one (`USE_EXISTING`) and names the task queue; a child inherits its parent's and is abandoned by it.
 * Pure (no Node module, no I/O): the batch workflow's bundle imports it.
 */
import type { WorkflowStartOptions } from '@temporalio/client';
import { ParentClosePolicy, type ChildWorkflowOptions } from '@temporalio/workflow';
import type { Cents } from '../../domain/money';
import { billingStatement, type StatementInput } from '../statement';
import { startAttributes } from './search-attributes';

import { statementWorkflowId } from '../../domain/workflow-ids';

export { statementWorkflowId };

/** What every statement run takes from the service's settings (app/statements-settings.ts `runSettingsOf`). */
export type StatementRunSettings = Pick<StatementInput, 'publicBaseUrl' | 'reminderIntervalMs' | 'reminderLimit' | 'captureWindowMs'>;

/** The statement a run is for. */
export interface StatementRunOf { statementId: string; practiceId: string; patientId: string; totalCents: Cents }

const inputOf = (s: StatementRunOf, settings: StatementRunSettings): StatementInput => ({
  statementId: s.statementId, practiceId: s.practiceId, patientId: s.patientId, totalCents: s.totalCents, ...settings,
});

const searchAttributes = (practiceId: string) => startAttributes({ path: 'statement', status: 'sending', practiceId });

const summaryOf = (statementId: string) => `Statement ${statementId}`;

/** From a client (API, portal): a running run is kept, a finished one never started again. */
export function statementStart(s: StatementRunOf, settings: StatementRunSettings, taskQueue: string) {
  return {
    workflow: billingStatement,
    options: {
      workflowId: statementWorkflowId(s.statementId),
      taskQueue,
      args: [inputOf(s, settings)] as [StatementInput],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: searchAttributes(s.practiceId),
      staticSummary: summaryOf(s.statementId),
    } satisfies WorkflowStartOptions<typeof billingStatement>,
  };
}

/** From the statement batch (workflows/statement-batch.ts): a child the batch abandons when it ends, so it lives on. */
export function statementChildStart(s: StatementRunOf, settings: StatementRunSettings) {
  return {
    workflow: billingStatement,
    options: {
      workflowId: statementWorkflowId(s.statementId),
      args: [inputOf(s, settings)] as [StatementInput],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: searchAttributes(s.practiceId),
      staticSummary: summaryOf(s.statementId),
    } satisfies ChildWorkflowOptions & { args: [StatementInput] },
  };
}
