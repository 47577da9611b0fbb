/**
 * What every collection workflow shares (superbill copay, patient-page balance): the messages a collection answers
 * (status query; paymentRequest, capture, cancel and resolve updates with their validators), the status projection
 * (search attribute, current details, the collection row), and the steps both paths take in the same way: open the
 * EHR payment request and durably wait for the capture (or cancellation, or expiry), record the payment, carry out a
 * decision of the application rules, and wait for a staff resolution.
 *
 * Deterministic workflow code only. The copay workflow's histories must keep replaying: every helper here issues
 * exactly the commands the copay workflow issued before these steps moved here (test/replay/).
 */
import {
  ApplicationFailure, allHandlersFinished, condition, patched, proxyActivities, setCurrentDetails, setHandler,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Decision } from '../domain/application-rules';
import { formatCents, isPaymentAmount, type Cents } from '../domain/money';
import { checkResolution } from '../domain/task-resolution';
import { rejectUpdate } from './update-refusals';
import {
  cancelUpdate, captureUpdate, paymentRequestUpdate, resolveUpdate, statusQuery,
  type CancelInput, type CaptureInput, type CollectionStatus, type CollectionView, type PaymentRequestView, type ResolveInput,
  type ResolveResult,
} from './collection-messages';
import { DEFAULT_TIME_ZONE, formatWallTime } from './run-details';
import { PayflowManualReason, PayflowStatus } from './search-attributes';

/** What a collection run returns when it ends. */
export type CollectionOutcome = { status: CollectionStatus; paymentId?: string; appliedCents: Cents; taskId?: string };


/**
 * After a captured payment is recorded (balance and statement: and applied), the patient gets a receipt
 * (activities/receipts.ts). Runs that recorded their payment before this patch replay without it.
 */
export const PAYMENT_RECEIPT_PATCH = 'payment-receipt';

/** How long a collection whose cancellation the EHR refused waits for the capture (the EHR retries webhooks for a day). */
export const LATE_CAPTURE_WAIT_MS = 24 * 60 * 60 * 1000;

export const ehr = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  // The EHR may be down for a while: keep trying, backing off to once a minute.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
export const ledger = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '30 seconds', nonRetryableErrorTypes: ['LedgerRuleError', 'LedgerConflict'] },
});

export interface CollectionRunOptions {
  collectionId: string;
  practiceId: string;
  patientId: string;
  /**
   * When the status query and the waiting paymentRequest update see a new status: always after its row is written
   * ('after-write'), or behind the copay's `status-visible-after-write` patch ('patched': copay runs started before
   * the patch keep the old order on replay). New workflows use 'after-write'.
   */
  statusOrder: 'patched' | 'after-write';
  /** The practice's IANA time zone: the run's details say when a wait ends in it. UTC when absent (older runs). */
  timeZone?: string;
}

export interface CollectionRun {
  /** What the status query answers; the workflow updates it as it goes. */
  readonly view: CollectionView;
  /** Records the new status everywhere engineers and staff look: search attribute, details, the collection row. */
  setStatus: (status: CollectionStatus, details: string, waitMs?: number) => Promise<void>;
  /** Waits for running handlers, then returns the outcome. */
  finish: () => Promise<CollectionOutcome>;
  /**
   * Opens the EHR payment request (pre-filled by the collection row) and durably waits for the capture, a
   * cancellation, or the end of the window. Returns the capture; undefined once the collection is closed
   * (cancelled or expired, the EHR request cancelled): the caller then finishes. When the EHR refuses the
   * cancellation (it captured the payment first), the capture is waited for up to `lateCaptureWaitMs` more.
   */
  awaitCapture: (amountCents: Cents, captureWindowMs: number, lateCaptureWaitMs?: number) => Promise<CaptureInput | undefined>;
  /** Records the captured payment (idempotent by the EHR payment id); returns its id. */
  recordPayment: (capture: CaptureInput) => Promise<string>;
  /** Carries out a decision of the rules: its automatic applications and its task (then `view.openTask` is set). */
  carryOut: (decision: Decision, paymentId: string, where: { visitId: string | null; claimId: string | null }, taskKeySuffix: string) => Promise<void>;
  /** The run has an open task: needs_attention → the staff resolution (resolve update) → resolved → finish. */
  awaitStaffResolution: () => Promise<CollectionOutcome>;
}

/** Registers the collection's handlers (call once, first thing in the workflow) and returns its shared steps (closures: safe to destructure). */
export function collectionRun(input: CollectionRunOptions): CollectionRun {
  const { workflowId } = workflowInfo();
  const view: CollectionView = { status: 'starting', appliedCents: 0 };
  let capture: CaptureInput | undefined;
  let cancelled = false;
  /** Set behind the `late-capture-accepted` patch: a capture is taken until the collection is closed for good. */
  let takesLateCaptures = false;
  /** The EHR refused our cancellation (it captured first): the run waits for that capture. */
  let awaitingLateCapture = false;
  let resolving = false;
  let resolved = false;

  setHandler(statusQuery, () => view);
  setHandler(paymentRequestUpdate, async (): Promise<PaymentRequestView> => {
    // Answer once the request is open and recorded (status past 'starting'), so the caller reads a current collection.
    await condition(() => view.status !== 'starting');
    if (!view.paymentRequest) throw ApplicationFailure.nonRetryable('The collection ended before its payment request opened.', 'CollectionClosed');
    return view.paymentRequest;
  });

  setHandler(
    captureUpdate,
    (c) => {
      capture ??= c;
      return { accepted: true, externalPaymentId: capture.externalPaymentId };
    },
    {
      validator: (c: CaptureInput) => {
        if (c.collectionId !== input.collectionId) rejectUpdate('Conflict', 'This capture belongs to another collection.');
        if (!isPaymentAmount(c.amountCents)) rejectUpdate('Invalid', 'amountCents must be a positive whole number of cents');
        if (capture) {
          if (capture.externalPaymentId !== c.externalPaymentId) rejectUpdate('Conflict', 'Another payment was already captured for this collection.');
          return; // the same capture again: accepted, nothing changes
        }
        // While the EHR is asked to cancel, a capture may still come: the EHR took the money first and will refuse.
        if ((cancelled && !takesLateCaptures) || view.status === 'cancelled') rejectUpdate('Conflict', 'This collection was cancelled; the payment request is closed.');
        if (view.status === 'expired') rejectUpdate('Conflict', 'This collection expired; the payment request is closed.');
      },
    },
  );

  setHandler(
    cancelUpdate,
    (_request: CancelInput): { cancelled: true } => {
      cancelled = true;
      return { cancelled: true };
    },
    {
      validator: (request: CancelInput) => {
        if (request.collectionId !== input.collectionId) rejectUpdate('Conflict', 'This cancellation is for another collection.');
        if (capture) rejectUpdate('Conflict', 'The payment was already captured; it can no longer be cancelled.');
        if (awaitingLateCapture) rejectUpdate('Conflict', 'The EHR refused to cancel this payment request because the patient already paid; the payment is on its way.');
        if (view.status === 'expired' || view.status === 'cancelled') rejectUpdate('Conflict', `The collection is already ${view.status}.`);
      },
    },
  );

  setHandler(
    resolveUpdate,
    async (r: ResolveInput) => {
      resolving = true;
      try {
        const outcome = await ledger.resolveTask({
          taskId: r.taskId,
          resolution: r.action === 'apply' ? 'applied' : r.action,
          note: r.note,
          actor: r.actor,
          applications: r.applications,
          paymentId: view.paymentId,
          refundCents: r.refundCents,
        });
        if (!outcome.resolved) rejectUpdate('Conflict', 'This task was already resolved by someone else.');
      } catch (err) {
        resolving = false;
        throw err;
      }
      if (r.action === 'apply') view.appliedCents += (r.applications ?? []).reduce((s, a) => s + a.amountCents, 0);
      resolved = true;
      const result: ResolveResult = { resolved: true, taskId: r.taskId };
      return result;
    },
    {
      validator: (r: ResolveInput) => {
        const task = view.openTask;
        if (!task || task.taskId !== r.taskId) rejectUpdate('TaskNotHeld', 'This task is not open on this collection.');
        if (resolving || resolved) rejectUpdate('Conflict', 'This task is already being resolved or was resolved by someone else.');
        // The rules of domain/task-resolution.ts: a note; each amount within its claim's open balance; the total within
        // the money left; only this patient's claims whose balance the patient owns. Claim states come with the update.
        const leftCents = r.unappliedCents === undefined ? task.amountCents : Math.min(task.amountCents, r.unappliedCents);
        const problem = checkResolution(r, { leftCents, claims: r.claims ?? [] });
        if (problem) rejectUpdate('Invalid', problem.message);
      },
    },
  );

  async function setStatus(status: CollectionStatus, details: string, waitMs?: number): Promise<void> {
    const waitingUntil = waitMs === undefined ? undefined : new Date(Date.now() + waitMs).toISOString();
    // The status query and the waiting paymentRequest update see a status only once its row is written, so Collect
    // Now answers with a current collection. The copay decides by its patch (runs started before it keep the old order).
    const afterWrite = input.statusOrder === 'after-write' || patched('status-visible-after-write');
    if (!afterWrite) [view.status, view.waitingUntil] = [status, waitingUntil];
    upsertSearchAttributes([{ key: PayflowStatus, value: status }]);
    // Plain words for engineers: "waiting for the EHR to capture $25.00 until 2026-12-01 17:00 PST".
    setCurrentDetails(waitMs === undefined ? details : `${details} until ${formatWallTime(Date.now() + waitMs, input.timeZone ?? DEFAULT_TIME_ZONE)}`);
    // The wait's end goes with the status (an activity input, not a command: older histories replay unchanged).
    await ledger.setCollectionStatus({
      collectionId: input.collectionId, status, ...(waitingUntil ? { waitingUntil } : {}),
      ...(view.paymentRequest ? { paymentRequestId: view.paymentRequest.requestId, paymentRequestUrl: view.paymentRequest.url } : {}),
    });
    if (afterWrite) [view.status, view.waitingUntil] = [status, waitingUntil];
  }

  async function finish(): Promise<CollectionOutcome> {
    await condition(allHandlersFinished);
    return { status: view.status, paymentId: view.paymentId, appliedCents: view.appliedCents, taskId: view.openTask?.taskId };
  }

  async function awaitCapture(amountCents: Cents, captureWindowMs: number, lateCaptureWaitMs = LATE_CAPTURE_WAIT_MS): Promise<CaptureInput | undefined> {
    // Runs started before this patch keep refusing a capture once a cancellation was asked for, and close at once.
    takesLateCaptures = patched('late-capture-accepted');
    // Open the EHR payment request, pre-filled for this patient (and visit) from the collection row.
    view.paymentRequest = await ehr.openPaymentRequest({ collectionId: input.collectionId });
    await setStatus('awaiting_capture', `waiting for the EHR to capture ${formatCents(amountCents)}`, captureWindowMs);
    const gotCapture = await condition(() => capture !== undefined || cancelled, captureWindowMs);
    if (capture) return capture;
    const closed = await ehr.cancelPaymentRequest({ requestId: view.paymentRequest.requestId });
    if (takesLateCaptures) {
      // The EHR captures before it cancels: a refused cancellation means the patient's money was (probably) taken and
      // its webhook is on its way or being retried. Wait for it rather than close the collection and refuse it.
      if (!capture && closed.outcome === 'already_closed') {
        awaitingLateCapture = true;
        await setStatus('awaiting_capture', 'the EHR refused to cancel the payment request (already captured or closed); waiting for its capture', lateCaptureWaitMs);
        await condition(() => capture !== undefined, lateCaptureWaitMs);
        awaitingLateCapture = false;
      }
      if (capture) return capture; // accepted while the cancellation was asked for, or late
    }
    // 'already_closed': the EHR captured or closed it, but no capture reached us; staff should check the EHR.
    const note = closed.outcome === 'already_closed' ? ' (the EHR reports the request already closed: check it for a capture)' : '';
    await setStatus(gotCapture ? 'cancelled' : 'expired', (gotCapture ? 'cancelled by staff before the payment was captured' : 'the payment request expired without a capture') + note);
    return undefined;
  }

  async function recordPayment(c: CaptureInput): Promise<string> {
    const payment = await ledger.recordCapturedPayment({
      collectionId: input.collectionId, externalPaymentId: c.externalPaymentId, amountCents: c.amountCents,
      method: c.method, paidAt: c.paidAt,
    });
    view.paymentId = payment.paymentId;
    return payment.paymentId;
  }

  async function carryOut(decision: Decision, paymentId: string, where: { visitId: string | null; claimId: string | null }, taskKeySuffix: string): Promise<void> {
    const result = await ledger.applyDecision({
      practiceId: input.practiceId, patientId: input.patientId, paymentId, visitId: where.visitId, claimId: where.claimId,
      collectionId: input.collectionId, workflowId, applications: decision.applications, task: decision.task, taskKeySuffix,
    });
    view.appliedCents += decision.applications.reduce((s, a) => s + a.amountCents, 0);
    if (decision.task && result.taskId) {
      view.openTask = { taskId: result.taskId, reason: decision.task.reason, amountCents: decision.task.amountCents };
      upsertSearchAttributes([{ key: PayflowManualReason, value: decision.task.reason }]);
    }
  }

  async function awaitStaffResolution(): Promise<CollectionOutcome> {
    const task = view.openTask;
    if (!task) throw new Error('awaitStaffResolution called without an open task');
    await setStatus('needs_attention', `flagged for staff: ${task.reason} (${formatCents(task.amountCents)})`);
    await condition(() => resolved);
    await setStatus('resolved', 'resolved by staff');
    return finish();
  }

  return { view, setStatus, finish, awaitCapture, recordPayment, carryOut, awaitStaffResolution };
}
