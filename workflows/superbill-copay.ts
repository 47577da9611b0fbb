/**
 * Superbill copay collection (domain.md, path 2): open the EHR payment request → durably wait for the capture →
 * record the payment → durably wait for the claim's responsibility to transfer to the patient → apply by the copay
 * rule or flag for staff → (flagged) wait for the staff resolution; (applied) watch for a payer reversal, which
 * reverses the automatic application and waits again.
 * PostgreSQL is the system of record: on arrival at every wait the workflow reloads the claim, so an event that came
 * early (transfer before capture) is honoured; and (patch `waits-reread-claim`) at every wake of the transfer wait
 * and the reversal watch (each message, every `recheckIntervalMs`, the end), so a lost message costs one interval.
 * The messages and steps every collection shares (capture, cancel, resolve, status) live in ./collection-state.
 */
import { ActivityFailure, ApplicationFailure, condition, patched, setHandler } from '@temporalio/workflow';
import { decideCopay, decideTransferTimeout } from '../domain/application-rules';
import { formatCents, type Cents } from '../domain/money';
import { responsibilityChangedSignal, type ResponsibilityChange } from './collection-messages';
import { collectionRun, ledger, PAYMENT_RECEIPT_PATCH, type CollectionOutcome } from './collection-state';
import { conditionUntilRecheck, conditionWithDailyDetails, DAY_MS, DEFAULT_TIME_ZONE, formatWallTime, transferWaitDetails } from './run-details';

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
  /**
   * How often the transfer wait and the reversal watch wake to re-read the claim (runs with the `waits-reread-claim`
   * patch): a lost message costs at most this long. Absent (the default, and runs started before it was an input): a day.
   */
  recheckIntervalMs?: number;
}

export type CopayOutcome = CollectionOutcome;

/**
 * Waits re-read the claim at every wake, not only when a message arrives (docs/decisions.md). Asked at each wake: a run
 * that was already waiting before this patch replays as it ran and takes it at its next wake (a message, a daily one, the end).
 */
export const WAITS_REREAD_CLAIM_PATCH = 'waits-reread-claim';

/**
 * The event id of a reversal found by re-reading the claim: the claim's version, the same whichever wake found it, so
 * a retry or a late message about that change never reverses twice. (The version comes with every read of a claim;
 * the round, which a reversal ends, stands in should it ever be missing.)
 */
export const reversalEventIdOf = (state: { claimVersion?: number | null; round: number }) =>
  state.claimVersion != null ? `claim-version:${state.claimVersion}` : `claim-round:${state.round}`;

const REVERSAL_REASON = 'payer reprocessed the claim (CLP02 = 22)';

export async function superbillCopay(input: CopayInput): Promise<CopayOutcome> {
  // Runs started before the `status-visible-after-write` patch keep the old order on replay.
  const run = collectionRun({ collectionId: input.collectionId, practiceId: input.practiceId, patientId: input.patientId, statusOrder: 'patched', timeZone: input.timeZone });
  const { view, setStatus, finish } = run;
  const seenEvents = new Set<string>();
  let responsibilityEvents = 0;
  let lastChange: ResponsibilityChange | undefined;
  const recheckMs = input.recheckIntervalMs !== undefined && Number.isFinite(input.recheckIntervalMs) && input.recheckIntervalMs > 0
    ? input.recheckIntervalMs : DAY_MS;
  const rereads = () => patched(WAITS_REREAD_CLAIM_PATCH);

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
  // A receipt by the patient's channel, once per payment: the copay is held for the visit until the claim transfers.
  if (patched(PAYMENT_RECEIPT_PATCH)) await ledger.sendPaymentReceipt({ paymentId });
  const readClaim = () => ledger.loadCopayState({ paymentId, visitId: input.visitId });

  /**
   * After an automatic application on `claimId`: watches for the payer taking the claim back until the watch ends.
   * Returns the event id to reverse by, or undefined when the watch ended without a reversal. With the patch, every wake
   * (a message, each recheck interval, the end) re-reads the claim and the claim decides, not the message: a reversal
   * nobody told us about is found within an interval, and a late message about a change already handled does nothing.
   */
  async function watchForReversal(claimId: string | undefined, seenAtRead: number): Promise<string | undefined> {
    const ends = Date.now() + input.reversalWatchMs;
    let seen = seenAtRead;
    for (;;) {
      const remaining = ends - Date.now();
      if (remaining <= 0) return undefined;
      if (rereads()) {
        await condition(() => responsibilityEvents > seen, Math.min(remaining, recheckMs));
      } else {
        // Before the patch: only a message saying "payer" ends the watch, and the message decides.
        const told = await condition(() => responsibilityEvents > seen && lastChange?.responsibility === 'payer', remaining);
        if (!rereads()) return told && lastChange && claimId ? lastChange.eventId : undefined;
      }
      seen = responsibilityEvents;
      const now = await readClaim();
      if (claimId !== undefined && now.claim?.claimId === claimId && now.claim.responsibility === 'payer') return reversalEventIdOf(now);
    }
  }

  // 4. Wait for the responsibility transfer, apply or flag; after an application, watch for a reversal.
  for (;;) {
    await setStatus('awaiting_transfer', transferWaitDetails(Date.now(), Date.now(), input.transferWindowMs), input.transferWindowMs);
    const windowEnds = Date.now() + input.transferWindowMs;
    // Refreshed once a day during the wait: "waiting for the claim's responsibility transfer, day 12 of 120 until …".
    const waitDetails = (now: number) =>
      `${transferWaitDetails(windowEnds - input.transferWindowMs, now, input.transferWindowMs)} until ${formatWallTime(windowEnds, input.timeZone ?? DEFAULT_TIME_ZONE)}`;
    // Count the messages before each read of the claim: one that lands during the read still wakes the next wait.
    let seen = responsibilityEvents;
    let state = await readClaim();
    while (state.claim?.responsibility !== 'patient') {
      const remaining = windowEnds - Date.now();
      if (remaining <= 0) break;
      const told = () => responsibilityEvents > seen;
      if (rereads()) {
        // Wake on a message, every recheck interval and at the end of the window; re-read the claim at each wake, so the
        // end decides from a fresh read (never a transfer_timeout for a claim the patient owns).
        await conditionUntilRecheck(told, remaining, recheckMs, input.transferWindowMs, waitDetails);
      } else if (!(await conditionWithDailyDetails(told, remaining, waitDetails, rereads)) && !rereads()) {
        break; // before the patch: only a message wakes the wait, and the end decides from the last read
      }
      seen = responsibilityEvents;
      state = await readClaim();
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
    const reversalEventId = await watchForReversal(claim?.claimId, seen);
    if (reversalEventId === undefined || !claim) return finish();
    const reversal = await ledger.reverseAutoApplications({ claimId: claim.claimId, reason: REVERSAL_REASON, eventId: reversalEventId });
    view.appliedCents = 0;
    if (reversal.reversedApplicationIds.length === 0) return finish();
  }
}
