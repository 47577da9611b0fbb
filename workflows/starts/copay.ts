/**
 * How a superbill copay's run (`superbillCopay`) is started: workflow id `copay-<visitId>` (then `-2`, `-3` … for a
 * visit's later collections, chosen by db/queries/collections.ts when it writes the row), the `PayflowPath`,
 * `PayflowStatus` and `PayflowPracticeId` search attributes, a summary in plain words, the service's task queue, and
 * `USE_EXISTING` on a conflict (pressing Collect Now twice attaches to the same run). Pure: no I/O.
 */
import type { CollectionRow } from '../../db/queries/collections';
import { formatCents } from '../../domain/money';
import { superbillCopay, type CopayInput } from '../superbill-copay';
import type { CollectionStart, CollectionWindows } from './collection-windows';
import { startAttributes } from './search-attributes';

export { copayWorkflowIdBase } from '../../domain/workflow-ids';

export function copayStart(c: CollectionRow, windows: CollectionWindows, timeZone: string, taskQueue: string): CollectionStart {
  const input: CopayInput = {
    collectionId: c.id, practiceId: c.practice_id, patientId: c.patient_id, visitId: c.visit_id!, amountCents: c.requested_amount_cents,
    captureWindowMs: windows.captureWindowMs, lateCaptureWaitMs: windows.lateCaptureWaitMs, transferWindowMs: windows.transferWindowMs,
    reversalWatchMs: windows.reversalWatchMs, timeZone,
    ...(windows.recheckIntervalMs !== undefined ? { recheckIntervalMs: windows.recheckIntervalMs } : {}),
  };
  return {
    workflow: superbillCopay,
    options: {
      workflowId: c.workflow_id, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING',
      args: [input],
      typedSearchAttributes: startAttributes({ path: 'copay', status: 'starting', practiceId: c.practice_id }),
      // Plain words for engineers (encrypted like every payload; ids and the amount only, never PHI).
      staticSummary: `Superbill copay of ${formatCents(c.requested_amount_cents)} for visit ${c.visit_id} (collection ${c.id})`,
    },
  };
}
