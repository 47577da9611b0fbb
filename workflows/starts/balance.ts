/**
 * How an outstanding-balance collection's run (`patientBalance`) is started: workflow id `balance-<collectionId>`
 * (written with the row by db/queries/balance.ts), the `PayflowPath`, `PayflowStatus` and `PayflowPracticeId` search
 * attributes, a summary, the service's task queue, and `USE_EXISTING` on a conflict. Pure: no I/O.
 */
import type { CollectionRow } from '../../db/queries/collections';
import { patientBalance, type BalanceInput } from '../patient-balance';
import type { CollectionStart, CollectionWindows } from './collection-windows';
import { startAttributes } from './search-attributes';

export { balanceWorkflowId } from '../../domain/workflow-ids';

export function balanceStart(c: CollectionRow, windows: CollectionWindows, timeZone: string, taskQueue: string): CollectionStart {
  const input: BalanceInput = {
    collectionId: c.id, practiceId: c.practice_id, patientId: c.patient_id, amountCents: c.requested_amount_cents,
    captureWindowMs: windows.captureWindowMs, lateCaptureWaitMs: windows.lateCaptureWaitMs, timeZone,
  };
  return {
    workflow: patientBalance,
    options: {
      workflowId: c.workflow_id, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING',
      args: [input],
      typedSearchAttributes: startAttributes({ path: 'balance', status: 'starting', practiceId: c.practice_id }),
      staticSummary: `Outstanding-balance collection ${c.id}`,
    },
  };
}
