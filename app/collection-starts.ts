/**
 * How a collection's run is started, in one place: its workflow, id, input, search attributes and summary, built from
 * the collection row. Used by Collect Now (api/routes/collections.ts, balance-collections.ts) and by the reconciler
 * that starts the run of a collection left `starting` (worker/starting-reconciler.ts), so both start the same run.
 */
import type { Workflow, WorkflowStartOptions } from '@temporalio/client';
import type { CollectionRow } from '../db/queries/collections';
import { formatCents } from '../domain/money';
import type { ServiceConfig } from '../lib/config';
import { patientBalance, type BalanceInput } from '../workflows/patient-balance';
import { PayflowPath, PayflowPracticeId, PayflowStatus } from '../workflows/search-attributes';
import { superbillCopay, type CopayInput } from '../workflows/superbill-copay';

export interface CollectionWindows {
  captureWindowMs: number;
  /** After the EHR refused a cancellation (it captured first): how long to wait for the capture; absent → 24 h. */
  lateCaptureWaitMs?: number;
  transferWindowMs: number;
  reversalWatchMs: number;
  /** How often a transfer wait re-reads the claim (a lost message costs at most this); absent → a day. */
  recheckIntervalMs?: number;
  /** How long Collect Now waits for the EHR payment link before it answers 202 (app/payment-request.ts); absent → 3 s. */
  paymentLinkWaitMs?: number;
}

/** The windows every collection run gets, from the validated configuration (API and worker alike). */
export const collectionWindowsOf = (c: Pick<ServiceConfig, 'CAPTURE_WINDOW' | 'LATE_CAPTURE_WAIT' | 'COPAY_TRANSFER_WINDOW' | 'COPAY_REVERSAL_WATCH' | 'PAYMENT_LINK_WAIT'>): CollectionWindows => ({
  captureWindowMs: c.CAPTURE_WINDOW, lateCaptureWaitMs: c.LATE_CAPTURE_WAIT, transferWindowMs: c.COPAY_TRANSFER_WINDOW, reversalWatchMs: c.COPAY_REVERSAL_WATCH,
  paymentLinkWaitMs: c.PAYMENT_LINK_WAIT,
});

/** The workflow and its start options (typed by the builders below; erased here for the callers, who only start it). */
export interface CollectionStart {
  workflow: Workflow;
  options: WorkflowStartOptions & { workflowIdConflictPolicy: 'USE_EXISTING' };
}

const searchAttributes = (path: 'copay' | 'balance', c: CollectionRow) => [
  { key: PayflowPath, value: path },
  { key: PayflowStatus, value: 'starting' },
  { key: PayflowPracticeId, value: c.practice_id },
];

/**
 * The run of a copay or balance collection. Idempotent: `USE_EXISTING` attaches to the running run of that id; the
 * workflow id belongs to this collection alone (db/queries/collections.ts), so a second start never opens a second run.
 */
export function collectionStart(c: CollectionRow, windows: CollectionWindows, timeZone: string, taskQueue: string): CollectionStart {
  const common = { workflowId: c.workflow_id, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' } as const;
  if (c.path === 'copay') {
    const input: CopayInput = {
      collectionId: c.id, practiceId: c.practice_id, patientId: c.patient_id, visitId: c.visit_id!, amountCents: c.requested_amount_cents,
      captureWindowMs: windows.captureWindowMs, lateCaptureWaitMs: windows.lateCaptureWaitMs, transferWindowMs: windows.transferWindowMs,
      reversalWatchMs: windows.reversalWatchMs, timeZone,
      ...(windows.recheckIntervalMs !== undefined ? { recheckIntervalMs: windows.recheckIntervalMs } : {}),
    };
    return {
      workflow: superbillCopay,
      options: {
        ...common, args: [input], typedSearchAttributes: searchAttributes('copay', c),
        // Plain words for engineers (encrypted like every payload; ids and the amount only, never PHI).
        staticSummary: `Superbill copay of ${formatCents(c.requested_amount_cents)} for visit ${c.visit_id} (collection ${c.id})`,
      },
    };
  }
  if (c.path === 'balance') {
    const input: BalanceInput = {
      collectionId: c.id, practiceId: c.practice_id, patientId: c.patient_id, amountCents: c.requested_amount_cents,
      captureWindowMs: windows.captureWindowMs, lateCaptureWaitMs: windows.lateCaptureWaitMs, timeZone,
    };
    return {
      workflow: patientBalance,
      options: { ...common, args: [input], typedSearchAttributes: searchAttributes('balance', c), staticSummary: `Outstanding-balance collection ${c.id}` },
    };
  }
  throw new TypeError(`a ${c.path} collection is started by its statement's run`);
}
