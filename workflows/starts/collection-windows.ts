/**
 * What every collection run's start takes (the windows) and gives (the workflow and its options): the types copay.ts,
 * balance.ts and collection.ts share, apart so that none of them imports another in a circle.
 */
import type { Workflow, WorkflowStartOptions } from '@temporalio/client';

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

/** The workflow and its start options (typed by copay.ts and balance.ts; erased here for the callers, who only start it). */
export interface CollectionStart {
  workflow: Workflow;
  options: WorkflowStartOptions & { workflowIdConflictPolicy: 'USE_EXISTING' };
}
