/**
 * Patient-page collection (domain.md, path 1: Collect Now in the patient's Balance pane): open the EHR payment request
 * with reason Outstanding Balance → durably wait for the capture (or cancellation, or expiry) → record the payment →
 * apply it by the outstanding-balance rule (the claims the payment names first, then oldest date of service first,
 * only the patient's patient-owned claims) → money left over becomes a `credit_remaining` task and the run waits for
 * the staff resolution; otherwise it is done.
 * Workflow id `balance-<collectionId>`. No PHI in ids, search attributes, details or errors: ids and amounts only.
 * The messages and steps every collection shares (capture, cancel, resolve, status) live in ./collection-state.
 */
import { ActivityFailure, ApplicationFailure, patched, setCurrentDetails } from '@temporalio/workflow';
import { decideOutstandingBalance, type Decision } from '../domain/application-rules';
import { formatCents, type Cents } from '../domain/money';
import { collectionRun, ledger, PAYMENT_RECEIPT_PATCH, type CollectionOutcome } from './collection-state';

export interface BalanceInput {
  collectionId: string;
  practiceId: string;
  patientId: string;
  /** What the EHR request is opened for; the patient may pay a different amount, and what was paid is applied. */
  amountCents: Cents;
  captureWindowMs: number;
  /** See awaitCapture; absent (runs started before it was an input) → LATE_CAPTURE_WAIT_MS. */
  lateCaptureWaitMs?: number;
  /** The practice's IANA zone, for the wait times in the run's details (runs started before it existed show UTC). */
  timeZone?: string;
}

export type BalanceOutcome = CollectionOutcome;

/** An outstanding-balance payment is applied once: the first (and only) round of its business keys. */
const ROUND = 1;
/** How often the rule is re-run when the ledger refuses its plan (a balance changed between our read and the write). */
const MAX_DECISIONS = 3;

const isLedgerRefusal = (err: unknown) =>
  err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'LedgerRuleError';

export async function patientBalance(input: BalanceInput): Promise<BalanceOutcome> {
  const run = collectionRun({ collectionId: input.collectionId, practiceId: input.practiceId, patientId: input.patientId, statusOrder: 'after-write', timeZone: input.timeZone });
  const { view } = run;

  // 1-2. Open the EHR payment request (reason Outstanding Balance); durably wait for the capture, a cancellation or expiry.
  const capture = await run.awaitCapture(input.amountCents, input.captureWindowMs, input.lateCaptureWaitMs);
  if (!capture) return run.finish();

  // 3. Record the payment (idempotent by the EHR payment id).
  const paymentId = await run.recordPayment(capture);
  setCurrentDetails(`applying ${formatCents(capture.amountCents)} to the patient's open balance`);

  // 4. Apply by the outstanding-balance rule. The ledger refuses (nothing written) a plan that no longer fits, e.g. a
  // claim paid by another payment meanwhile: read again and decide again. Should that keep happening, all the money
  // goes to staff (the rule with no claims): never lost, never forced.
  let claimsPaid = 0;
  for (let attempt = 1; ; attempt++) {
    const state = await ledger.loadBalanceState({ collectionId: input.collectionId, paymentId });
    const decision: Decision = attempt <= MAX_DECISIONS
      ? decideOutstandingBalance(state.payment, state.claims, state.namedClaimIds, ROUND)
      : decideOutstandingBalance(state.payment, [], [], ROUND);
    try {
      await run.carryOut(decision, paymentId, { visitId: null, claimId: null }, `r${ROUND}`);
      claimsPaid = decision.applications.length;
      break;
    } catch (err) {
      if (attempt <= MAX_DECISIONS && isLedgerRefusal(err)) continue;
      throw err;
    }
  }

  // A receipt by the patient's channel, once per payment: what was applied, and any credit held.
  if (patched(PAYMENT_RECEIPT_PATCH)) await ledger.sendPaymentReceipt({ paymentId });

  // 5. Money left over: staff decide (apply, keep as credit, refund).
  if (view.openTask) return run.awaitStaffResolution();
  await run.setStatus('applied', `applied ${formatCents(view.appliedCents)} to ${claimsPaid} claim${claimsPaid === 1 ? '' : 's'}`);
  return run.finish();
}
