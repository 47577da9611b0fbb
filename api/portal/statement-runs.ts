/** Starting a statement's workflow from the API (idempotent), and the settings every run takes. */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { StatementRow } from '../../db/queries/statements';
import type { StatementInput } from '../../workflows/statement';
import { billingStatement } from '../../workflows/statement';
import type { StatementBatchInput } from '../../workflows/statement-batch';
import { PayflowPath, PayflowPracticeId, PayflowStatus } from '../../workflows/search-attributes';
import type { StatementsSettings } from './settings';

export type RunSettings = StatementBatchInput['settings'];

export const runSettingsOf = (s: StatementsSettings, captureWindowMs: number): RunSettings => ({
  publicBaseUrl: s.publicBaseUrl, reminderIntervalMs: s.reminderIntervalMs, reminderLimit: s.reminderLimit, captureWindowMs,
});

/**
 * Starts the statement's run unless it exists: a running one is kept (USE_EXISTING), a finished one is never started
 * again (REJECT_DUPLICATE). Only open statements have a run to start.
 */
export async function ensureStatementRun(temporal: Client, taskQueue: string, statement: StatementRow, settings: RunSettings): Promise<void> {
  if (statement.status !== 'open') return;
  const input: StatementInput = {
    statementId: statement.id, practiceId: statement.practice_id, patientId: statement.patient_id, totalCents: statement.total_cents, ...settings,
  };
  try {
    await temporal.workflow.start(billingStatement, {
      workflowId: statement.workflow_id,
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: PayflowPath, value: 'statement' },
        { key: PayflowStatus, value: 'sending' },
        { key: PayflowPracticeId, value: statement.practice_id },
      ],
      staticSummary: `Statement ${statement.id}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
