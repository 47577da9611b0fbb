/**
 * Superbill copay collection (domain.md, path 2): open the EHR payment request → durably wait for the capture →
 * record the payment → durably wait for the claim's responsibility to transfer to the patient → apply by the copay
 * rule or flag for staff → (flagged) wait for the staff resolution; (applied) watch for a payer reversal, which
 * reverses the automatic application and waits again.
 * PostgreSQL is the system of record: on arrival at every wait the workflow reloads the claim, so an event that came
 * early (transfer before capture) is honoured.
 * The messages and steps every collection shares (capture, cancel, resolve, status) live in ./collection-state.
 */
import { ActivityFailure, ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { decideCopay, decideTransferTimeout } from '../domain/application-rules';
import { formatCents, type Cents } from '../domain/money';
import { responsibilityChangedSignal, type ResponsibilityChange } from './collection-messages';
import { collectionRun, ledger, type CollectionOutcome } from './collection-state';
import { conditionWithDailyDetails, DEFAULT_TIME_ZONE, formatWallTime, transferWaitDetails } from './run-details';

export interface CopayInput {
  collectionId: string;
  practiceId: string;
  patientId: string;
  visitId: string;
  amountCents: Cents;
  captureWindowMs: number;
  /** See awaitCapture; absent (runs started before it was an input) → LATE_CAPTURE_WAIT_MS. */
  lateCaptureWaitMs?: number;
  transferWindowMs: number;
  reversalWatchMs: number;
  /** The practice's IANA time zone, for the run's details. Absent in runs started before it was an input: UTC. */
  timeZone?: string;
}

export type CopayOutcome = CollectionOutcome;

export async function superbillCopay(input: CopayInput): Promise<CopayOutcome> {
  // Runs started before the `status-visible-after-write` patch keep the old order on replay.
  const run = collectionRun({ collectionId: input.collectionId, practiceId: input.practiceId, patientId: input.patientId, statusOrder: 'patched', timeZone: input.timeZone });
  const { view, setStatus, finish } = run;
  const seenEvents = new Set<string>();
  let responsibilityEvents = 0;
  let lastChange: ResponsibilityChange | undefined;

  setHandler(responsibilityChangedSignal, (e) => {
    if (seenEvents.has(e.eventId)) return; // signals are not deduplicated by Temporal
    seenEvents.add(e.eventId);
    lastChange = e;
    responsibilityEvents++;
  });

  // 1-2. Open the EHR payment request, pre-filled for this patient and visit; durably wait for the capture (or
  // cancellation, or expiry).
  const capture = await run.awaitCapture(input.amountCents, input.captureWindowMs, input.lateCaptureWaitMs);
  if (!capture) return finish();

  // 3. Record the payment (idempotent by the EHR payment id).
  const paymentId = await run.recordPayment(capture);

  // 4. Wait for the responsibility transfer, apply or flag; after an application, watch for a reversal.
  for (;;) {
    await setStatus('awaiting_transfer', transferWaitDetails(Date.now(), Date.now(), input.transferWindowMs), input.transferWindowMs);
    const windowEnds = Date.now() + input.transferWindowMs;
    // Refreshed once a day during the wait: "waiting for the claim's responsibility transfer, day 12 of 120 until …".
    const waitDetails = (now: number) =>
      `${transferWaitDetails(windowEnds - input.transferWindowMs, now, input.transferWindowMs)} until ${formatWallTime(windowEnds, input.timeZone ?? DEFAULT_TIME_ZONE)}`;
    // Count the messages before each read of the claim: one that lands during the read still wakes the next wait.
    let seen = responsibilityEvents;
    let state = await ledger.loadCopayState({ paymentId, visitId: input.visitId });
    while (state.claim?.responsibility !== 'patient') {
      const remaining = windowEnds - Date.now();
      if (remaining <= 0 || !(await conditionWithDailyDetails(() => responsibilityEvents > seen, remaining, waitDetails))) break;
      seen = responsibilityEvents;
      state = await ledger.loadCopayState({ paymentId, visitId: input.visitId });
    }

    const claim = state.claim?.responsibility === 'patient' ? state.claim : undefined;
    const decision = claim ? decideCopay(state.payment, claim, state.round) : decideTransferTimeout(state.payment);
    try {
      await run.carryOut(decision, paymentId, { visitId: input.visitId, claimId: state.claim?.claimId ?? null }, `r${state.round}`);
    } catch (err) {
      // The claim moved back to the payer between our read and the application: the ledger refused; wait again.
      if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'LedgerRuleError') continue;
      throw err;
    }

    if (view.openTask) return run.awaitStaffResolution();

    // Applied in full. A payer reprocessing the claim (CLP02 = 22) moves responsibility back: reverse and wait again.
    await setStatus('applied', `applied ${formatCents(view.appliedCents)} to the claim; watching for a payer reversal`, input.reversalWatchMs);
    const reversed = await condition(() => responsibilityEvents > seen && lastChange?.responsibility === 'payer', input.reversalWatchMs);
    if (!reversed || !lastChange || !claim) return finish();
    const reversal = await ledger.reverseAutoApplications({ claimId: claim.claimId, reason: 'payer reprocessed the claim (CLP02 = 22)', eventId: lastChange.eventId });
    view.appliedCents = 0;
    if (reversal.reversedApplicationIds.length === 0) return finish();
  }
}
