/**
 * Superbill copay collection (domain.md, path 2): open the EHR payment request → durably wait for the capture →
 * record the payment → durably wait for the claim's responsibility to transfer to the patient → apply by the copay
 * rule or flag for staff → (flagged) wait for the staff resolution; (applied) watch for a payer reversal, which
 * reverses the automatic application and waits again.
 * PostgreSQL is the system of record: on arrival at every wait the workflow reloads the claim, so an event that came
 * early (transfer before capture) is honoured.
 */
import {
  ActivityFailure, ApplicationFailure, allHandlersFinished, condition, patched, proxyActivities, setCurrentDetails, setHandler,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { decideCopay, decideTransferTimeout, type Decision } from '../domain/application-rules';
import { formatCents, isPaymentAmount, type Cents } from '../domain/money';
import {
  cancelUpdate, captureUpdate, paymentRequestUpdate, resolveUpdate, responsibilityChangedSignal, statusQuery,
  type CancelInput, type CaptureInput, type CollectionStatus, type CollectionView, type PaymentRequestView, type ResolveInput,
  type ResponsibilityChange, type ResolveResult,
} from './collection-messages';
import { PayflowManualReason, PayflowStatus } from './search-attributes';

export interface CopayInput {
  collectionId: string;
  practiceId: string;
  patientId: string;
  visitId: string;
  amountCents: Cents;
  captureWindowMs: number;
  transferWindowMs: number;
  reversalWatchMs: number;
}

export type CopayOutcome = { status: CollectionStatus; paymentId?: string; appliedCents: Cents; taskId?: string };


/** Validators reject with a type the API maps to HTTP: Conflict → 409, Invalid → 422. Messages are for people. */
function rejectUpdate(type: 'Conflict' | 'Invalid', message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

const ehr = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  // The EHR may be down for a while: keep trying, backing off to once a minute.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
const ledger = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '30 seconds', nonRetryableErrorTypes: ['LedgerRuleError', 'LedgerConflict'] },
});

export async function superbillCopay(input: CopayInput): Promise<CopayOutcome> {
  const { workflowId } = workflowInfo();
  const view: CollectionView = { status: 'starting', appliedCents: 0 };
  let capture: CaptureInput | undefined;
  let cancelled = false;
  let resolving = false;
  let resolved = false;
  const seenEvents = new Set<string>();
  let responsibilityEvents = 0;
  let lastChange: ResponsibilityChange | undefined;

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
        if (cancelled || view.status === 'cancelled') rejectUpdate('Conflict', 'This collection was cancelled; the payment request is closed.');
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
        if (view.status === 'expired' || view.status === 'cancelled') rejectUpdate('Conflict', `The collection is already ${view.status}.`);
      },
    },
  );

  setHandler(responsibilityChangedSignal, (e) => {
    if (seenEvents.has(e.eventId)) return; // signals are not deduplicated by Temporal
    seenEvents.add(e.eventId);
    lastChange = e;
    responsibilityEvents++;
  });

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
        if (!task || task.taskId !== r.taskId) rejectUpdate('Conflict', 'This task is not open on this collection.');
        if (resolving || resolved) rejectUpdate('Conflict', 'This task is already being resolved or was resolved by someone else.');
        if (typeof r.note !== 'string' || r.note.trim().length === 0) rejectUpdate('Invalid', 'A note is required.');
        if (r.action === 'apply') {
          const apps = r.applications ?? [];
          if (apps.length === 0) rejectUpdate('Invalid', 'Choose at least one claim to apply to.');
          if (apps.some((a) => !isPaymentAmount(a.amountCents))) rejectUpdate('Invalid', 'Each amount must be a positive whole number of cents.');
          const total = apps.reduce((s, a) => s + a.amountCents, 0);
          if (total > task.amountCents) rejectUpdate('Invalid', `The total exceeds the ${formatCents(task.amountCents)} left to place.`);
        } else if (r.action === 'refund') {
          if (!isPaymentAmount(r.refundCents) || r.refundCents > task.amountCents) rejectUpdate('Invalid', `The refund must be between $0.01 and ${formatCents(task.amountCents)}.`);
        }
      },
    },
  );

  /** Records the new status everywhere engineers and staff look: search attribute, details, the collection row. */
  async function setStatus(status: CollectionStatus, details: string, waitMs?: number) {
    const waitingUntil = waitMs === undefined ? undefined : new Date(Date.now() + waitMs).toISOString();
    // Patch: the status query and the waiting paymentRequest update see a status only once its row is written,
    // so Collect Now answers with a current collection. Runs started before it keep the old order on replay.
    const afterWrite = patched('status-visible-after-write');
    if (!afterWrite) [view.status, view.waitingUntil] = [status, waitingUntil];
    upsertSearchAttributes([{ key: PayflowStatus, value: status }]);
    setCurrentDetails(waitingUntil === undefined ? details : `${details} until ${waitingUntil}`);
    await ledger.setCollectionStatus({ collectionId: input.collectionId, status, ...(view.paymentRequest ? { paymentRequestId: view.paymentRequest.requestId, paymentRequestUrl: view.paymentRequest.url } : {}) });
    if (afterWrite) [view.status, view.waitingUntil] = [status, waitingUntil];
  }

  async function finish(): Promise<CopayOutcome> {
    await condition(allHandlersFinished);
    return { status: view.status, paymentId: view.paymentId, appliedCents: view.appliedCents, taskId: view.openTask?.taskId };
  }

  /** Applies a decision; a task means the run now waits for a staff resolution. */
  async function carryOut(decision: Decision, paymentId: string, claimId: string | null, suffix: string): Promise<void> {
    const result = await ledger.applyDecision({
      practiceId: input.practiceId, patientId: input.patientId, paymentId, visitId: input.visitId, claimId,
      collectionId: input.collectionId, workflowId, applications: decision.applications, task: decision.task, taskKeySuffix: suffix,
    });
    view.appliedCents += decision.applications.reduce((s, a) => s + a.amountCents, 0);
    if (decision.task && result.taskId) {
      view.openTask = { taskId: result.taskId, reason: decision.task.reason, amountCents: decision.task.amountCents };
      upsertSearchAttributes([{ key: PayflowManualReason, value: decision.task.reason }]);
    }
  }

  // 1. Open the EHR payment request, pre-filled for this patient and visit.
  view.paymentRequest = await ehr.openPaymentRequest({ collectionId: input.collectionId });

  // 2. Durably wait for the capture (or cancellation, or expiry).
  await setStatus('awaiting_capture', `waiting for the EHR to capture ${formatCents(input.amountCents)}`, input.captureWindowMs);
  const gotCapture = await condition(() => capture !== undefined || cancelled, input.captureWindowMs);
  if (!capture) {
    const closed = await ehr.cancelPaymentRequest({ requestId: view.paymentRequest.requestId });
    // 'already_closed': the EHR captured or closed it, but no capture reached us; staff should check the EHR.
    const note = closed.outcome === 'already_closed' ? ' (the EHR reports the request already closed: check it for a capture)' : '';
    await setStatus(gotCapture ? 'cancelled' : 'expired', (gotCapture ? 'cancelled by staff before the payment was captured' : 'the payment request expired without a capture') + note);
    return finish();
  }

  // 3. Record the payment (idempotent by the EHR payment id).
  const payment = await ledger.recordCapturedPayment({
    collectionId: input.collectionId, externalPaymentId: capture.externalPaymentId, amountCents: capture.amountCents,
    method: capture.method, paidAt: capture.paidAt,
  });
  view.paymentId = payment.paymentId;

  // 4. Wait for the responsibility transfer, apply or flag; after an application, watch for a reversal.
  for (;;) {
    await setStatus('awaiting_transfer', "waiting for the claim's responsibility to transfer to the patient", input.transferWindowMs);
    const windowEnds = Date.now() + input.transferWindowMs;
    // Count the messages before each read of the claim: one that lands during the read still wakes the next wait.
    let seen = responsibilityEvents;
    let state = await ledger.loadCopayState({ paymentId: payment.paymentId, visitId: input.visitId });
    while (state.claim?.responsibility !== 'patient') {
      const remaining = windowEnds - Date.now();
      if (remaining <= 0 || !(await condition(() => responsibilityEvents > seen, remaining))) break;
      seen = responsibilityEvents;
      state = await ledger.loadCopayState({ paymentId: payment.paymentId, visitId: input.visitId });
    }

    const claim = state.claim?.responsibility === 'patient' ? state.claim : undefined;
    const decision = claim ? decideCopay(state.payment, claim, state.round) : decideTransferTimeout(state.payment);
    try {
      await carryOut(decision, payment.paymentId, state.claim?.claimId ?? null, `r${state.round}`);
    } catch (err) {
      // The claim moved back to the payer between our read and the application: the ledger refused; wait again.
      if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'LedgerRuleError') continue;
      throw err;
    }

    if (view.openTask) {
      await setStatus('needs_attention', `flagged for staff: ${view.openTask.reason} (${formatCents(view.openTask.amountCents)})`);
      await condition(() => resolved);
      await setStatus('resolved', 'resolved by staff');
      return finish();
    }

    // Applied in full. A payer reprocessing the claim (CLP02 = 22) moves responsibility back: reverse and wait again.
    await setStatus('applied', `applied ${formatCents(view.appliedCents)} to the claim; watching for a payer reversal`, input.reversalWatchMs);
    const reversed = await condition(() => responsibilityEvents > seen && lastChange?.responsibility === 'payer', input.reversalWatchMs);
    if (!reversed || !lastChange || !claim) return finish();
    const reversal = await ledger.reverseAutoApplications({ claimId: claim.claimId, reason: 'payer reprocessed the claim (CLP02 = 22)', eventId: lastChange.eventId });
    view.appliedCents = 0;
    if (reversal.reversedApplicationIds.length === 0) return finish();
  }
}
