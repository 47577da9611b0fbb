/**
 * The windows every collection run gets, and the one entry that starts a collection's run from its row, whichever its
 * path (copay.ts, balance.ts). Used by Collect Now (app/collections.ts) and by the reconciler that starts the run of a
 * collection left `starting` (worker/starting-reconciler.ts), so both start the same run.
 */
import type { Workflow, WorkflowStartOptions } from '@temporalio/client';
import type { CollectionRow } from '../../db/queries/collections';
import type { ServiceConfig } from '../../lib/config';
import { balanceStart } from './balance';
import { copayStart } from './copay';

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

/** The workflow and its start options (typed by copay.ts and balance.ts; erased here for the callers, who only start it). */
export interface CollectionStart {
  workflow: Workflow;
  options: WorkflowStartOptions & { workflowIdConflictPolicy: 'USE_EXISTING' };
}

/**
 * The run of a copay or balance collection. Idempotent: `USE_EXISTING` attaches to the running run of that id; the
 * workflow id belongs to this collection alone (written with its row by db/queries), so a second start never opens a
 * second run. A statement payment has no run of its own: it is registered with its statement's run (app/portal-payments.ts).
 */
export function collectionStart(c: CollectionRow, windows: CollectionWindows, timeZone: string, taskQueue: string): CollectionStart {
  if (c.path === 'copay') return copayStart(c, windows, timeZone, taskQueue);
  if (c.path === 'balance') return balanceStart(c, windows, timeZone, taskQueue);
  throw new TypeError(`a ${c.path} collection is started by its statement's run`);
}
