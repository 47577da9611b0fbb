/**
 * Where a captured payment's money goes: the application rules of shared/domain.md, as pure functions.
 *
 * Workflow code imports this module, so it must stay deterministic: no I/O, no clock, no randomness, no Node
 * built-ins, and no locale-dependent comparisons. Every function takes the current ledger state and returns a
 * decision; the caller records it (idempotently, by business key) and opens the manual task, if any.
 *
 * Invariants every decision keeps:
 * - money is neither created nor lost: sum(applications) + task amount === the payment's unapplied amount,
 *   whenever a task carries money (credit_remaining, date_mismatch, transfer_timeout);
 * - no claim receives more than its open patient balance, and no payment gives more than it has unapplied;
 * - a claim whose balance still sits with a payer is never touched;
 * - a copay only ever lands on its own visit's claim;
 * - every planned amount is a positive integer number of cents, and a task is only planned if it has money.
 */
import type { Cents } from './money';
import { isCents } from './money';
import type { LocalDate } from './dates';
import { isLocalDate } from './dates';

export type { ManualReason } from './manual-tasks';
import type { ManualReason } from './manual-tasks';

export interface ClaimState {
  claimId: string;
  visitId: string;
  patientId: string;
  /** Who owes the remaining balance: still a payer, or (after the responsibility transfer) the patient. */
  responsibility: 'payer' | 'patient';
  dateOfService: LocalDate;
  patientResponsibilityCents: Cents;
  /** Net of reversals, from every payment. */
  appliedCents: Cents;
}

export interface PaymentState {
  paymentId: string;
  patientId: string;
  reason: 'copay' | 'outstanding_balance';
  /** Copays are tied to a visit. */
  visitId?: string;
  amountCents: Cents;
  /** Net of reversals. */
  appliedCents: Cents;
  refundedCents: Cents;
  /** Practice-local calendar date of capture (never derived from UTC). */
  paymentDate: LocalDate;
}

export interface PlannedApplication {
  paymentId: string;
  claimId: string;
  amountCents: Cents;
  businessKey: string;
}

/** A manual task for staff; `amountCents` is the money left for them to place (always > 0). */
export interface PlannedTask {
  reason: ManualReason;
  amountCents: Cents;
}

export interface Decision {
  applications: PlannedApplication[];
  task?: PlannedTask;
}

export interface ApplicationState {
  applicationId: string;
  /** The payment the money came from: tasks after a reversal are per payment. */
  paymentId: string;
  claimId: string;
  kind: 'auto' | 'manual';
  reversed: boolean;
  amountCents: Cents;
}

export interface ReversalDecision {
  reverseApplicationIds: string[];
  /**
   * For staff, one per payment and reason: `claim_reversed` for the money a staff member placed there (it stays
   * applied), `credit_remaining` for reversed automatic money that no live run will apply again (it is unapplied now).
   */
  tasks: (PlannedTask & { paymentId: string })[];
}

// ---------------------------------------------------------------------------------------------------------------
// Input checks. These states come out of workflow payloads and the database; a wrong shape here would silently
// misplace money, so refuse it loudly. Messages name fields only, never ids or values (ids may identify a patient).

function assertCents(value: unknown, field: string): asserts value is Cents {
  if (!isCents(value)) throw new TypeError(`${field} must be an integer number of cents`);
  if (value < 0) throw new RangeError(`${field} must not be negative`);
}

function assertLocalDate(value: unknown, field: string): asserts value is LocalDate {
  // A timestamp or a non-padded date would make the date-of-service comparison silently wrong.
  if (!isLocalDate(value)) throw new TypeError(`${field} must be a calendar date YYYY-MM-DD`);
}

function assertRound(round: unknown): asserts round is number {
  if (typeof round !== 'number' || !Number.isSafeInteger(round)) throw new TypeError('round must be an integer');
  if (round < 1) throw new RangeError('round must be at least 1 (the first responsibility transfer)');
}

function assertPayment(p: PaymentState): void {
  assertCents(p.amountCents, 'payment.amountCents');
  // A payment of zero cents is refused at the edge and by the database; one here means corrupted state.
  if (p.amountCents === 0) throw new RangeError('payment.amountCents must be positive');
  assertCents(p.appliedCents, 'payment.appliedCents');
  assertCents(p.refundedCents, 'payment.refundedCents');
  assertLocalDate(p.paymentDate, 'payment.paymentDate');
}

function assertClaim(c: ClaimState): void {
  assertCents(c.patientResponsibilityCents, 'claim.patientResponsibilityCents');
  assertCents(c.appliedCents, 'claim.appliedCents');
  assertLocalDate(c.dateOfService, 'claim.dateOfService');
}

// ---------------------------------------------------------------------------------------------------------------

/** Money of this payment not yet placed anywhere: amount − applied − refunded. */
export function unappliedCents(p: PaymentState): Cents {
  assertPayment(p);
  const unapplied = p.amountCents - p.appliedCents - p.refundedCents;
  // The ledger guarantees unapplied ≥ 0; anything else means it is corrupt and placing more money would worsen it.
  if (unapplied < 0) throw new RangeError('payment is over-applied: applied + refunded exceeds its amount');
  return unapplied;
}

/**
 * What the patient still owes on this claim: responsibility − applied, floored at 0.
 * Not an error when applied exceeds responsibility: a payer reprocessing the claim can lower the patient
 * responsibility below what was already applied. That surplus is for staff to resolve; the rules only need to
 * know that nothing more may go onto this claim.
 */
export function openBalanceCents(c: ClaimState): Cents {
  assertClaim(c);
  return Math.max(0, c.patientResponsibilityCents - c.appliedCents);
}

/**
 * The exactly-once key of an automatic application. `round` counts the claim's responsibility transfers
 * (1 = the first). After a reversal the next transfer is a new round, so re-applying the same payment to the same
 * claim gets a fresh key instead of colliding with the reversed application.
 */
export function autoApplicationKey(paymentId: string, claimId: string, round: number): string {
  if (paymentId.length === 0 || claimId.length === 0) throw new TypeError('paymentId and claimId must not be empty');
  assertRound(round);
  return `payment:${paymentId}:claim:${claimId}:auto:r${round}`;
}

/** Whether a business key is a round's automatic application (autoApplicationKey): for a copay, its run's own. */
export const isRoundApplicationKey = (businessKey: string): boolean => /:auto:r\d+$/.test(businessKey);

function plan(payment: PaymentState, claim: ClaimState, amountCents: Cents, round: number): PlannedApplication {
  return {
    paymentId: payment.paymentId,
    claimId: claim.claimId,
    amountCents,
    businessKey: autoApplicationKey(payment.paymentId, claim.claimId, round),
  };
}

/** Leftover money becomes a task; no money, no task (staff have nothing to place). */
function withLeftover(applications: PlannedApplication[], reason: ManualReason, leftover: Cents): Decision {
  return leftover > 0 ? { applications, task: { reason, amountCents: leftover } } : { applications };
}

/**
 * A copay, once its visit's claim may have transferred to the patient.
 * Returns no applications and no task while a payer still holds the claim: the caller keeps waiting.
 */
export function decideCopay(payment: PaymentState, claim: ClaimState, round: number): Decision {
  assertRound(round);
  const unapplied = unappliedCents(payment);
  const open = openBalanceCents(claim);
  // A copay never lands on another visit's claim (or another patient's): being asked to is a caller bug.
  if (payment.reason !== 'copay') throw new Error('decideCopay called with a payment that is not a copay');
  if (payment.visitId === undefined || payment.visitId !== claim.visitId || payment.patientId !== claim.patientId) {
    throw new Error("decideCopay called with a claim that is not the copay's visit's claim");
  }

  if (unapplied === 0) return { applications: [] };
  if (claim.responsibility !== 'patient') return { applications: [] };
  // The source product only auto-applies a copay taken on the date of service; anything else is for staff.
  if (payment.paymentDate !== claim.dateOfService) return withLeftover([], 'date_mismatch', unapplied);

  const amount = Math.min(unapplied, open);
  const applications = amount > 0 ? [plan(payment, claim, amount, round)] : [];
  // Left over: the payer covered more than expected, or the claim is already paid in full.
  return withLeftover(applications, 'credit_remaining', unapplied - amount);
}

/** Oldest date of service first; ties by claim id. Plain `<` rather than localeCompare: locale-independent. */
function oldestFirst(a: ClaimState, b: ClaimState): number {
  if (a.dateOfService !== b.dateOfService) return a.dateOfService < b.dateOfService ? -1 : 1;
  if (a.claimId !== b.claimId) return a.claimId < b.claimId ? -1 : 1;
  return 0;
}

/**
 * An outstanding-balance payment (patient page or statement): the claims the payment names first (in the given
 * order), then oldest date of service first, greedily. Only the paying patient's own claims that the patient is
 * responsible for and that still have an open balance are eligible; a named claim that is not eligible is skipped, never
 * forced. Whatever is left becomes a `credit_remaining` task.
 */
export function decideOutstandingBalance(
  payment: PaymentState,
  claims: ClaimState[],
  namedClaimIds: string[],
  round: number,
): Decision {
  assertRound(round);
  const unapplied = unappliedCents(payment);
  // A copay must only go to its own visit (decideCopay); sweeping it over the patient's balances is forbidden.
  if (payment.reason !== 'outstanding_balance') {
    throw new Error('decideOutstandingBalance called with a payment that is not an outstanding-balance payment');
  }
  const seen = new Set<string>();
  for (const c of claims) {
    assertClaim(c);
    // Two states for one claim would let it receive its open balance twice.
    if (seen.has(c.claimId)) throw new Error('decideOutstandingBalance called with the same claim twice');
    seen.add(c.claimId);
  }
  if (unapplied === 0) return { applications: [] };

  const eligible = claims.filter(
    (c) => c.patientId === payment.patientId && c.responsibility === 'patient' && openBalanceCents(c) > 0,
  );
  const byId = new Map(eligible.map((c) => [c.claimId, c] as const));
  const ordered: ClaimState[] = [];
  for (const id of namedClaimIds) {
    const c = byId.get(id);
    if (c === undefined) continue; // unknown, not the patient's, payer-held, paid, or named twice
    ordered.push(c);
    byId.delete(id);
  }
  ordered.push(...[...byId.values()].sort(oldestFirst));

  const applications: PlannedApplication[] = [];
  let remaining = unapplied;
  for (const c of ordered) {
    if (remaining === 0) break;
    const amount = Math.min(remaining, openBalanceCents(c));
    applications.push(plan(payment, c, amount, round));
    remaining -= amount;
  }
  return withLeftover(applications, 'credit_remaining', remaining);
}

/** No responsibility transfer within the window: all the copay's unapplied money goes to staff. */
export function decideTransferTimeout(payment: PaymentState): Decision {
  return withLeftover([], 'transfer_timeout', unappliedCents(payment));
}

/**
 * A payer reprocessed the claim (CLP02 = 22): responsibility is back with the payer. Every automatic application on
 * that claim still standing is reversed (by a new entry; the caller writes it), whichever path made it. Its money is
 * unapplied again: an application in `rerunApplicationIds` is a live run's own, which that run applies again when the
 * claim comes back (a copay run watching for this very reversal); any other reversed money goes to staff as a
 * `credit_remaining` task, per payment, even a watching run's payment's (money put back on the claim by someone else,
 * which the run does not know of). Manual applications were a staff member's decision, so they stay, and staff get
 * one `claim_reversed` task per payment for the money placed there. Input order is kept, so the decision is deterministic.
 */
export function decideReversal(applications: ApplicationState[], claimId: string, rerunApplicationIds: ReadonlySet<string> = new Set()): ReversalDecision {
  const seen = new Set<string>();
  for (const a of applications) {
    assertCents(a.amountCents, 'application.amountCents');
    // An unknown kind would be neither reversed nor reported: money silently left on a payer-held claim.
    if (a.kind !== 'auto' && a.kind !== 'manual') throw new TypeError('application.kind must be auto or manual');
    if (seen.has(a.applicationId)) throw new Error('decideReversal called with the same application twice');
    seen.add(a.applicationId);
  }
  const standing = applications.filter((a) => a.claimId === claimId && !a.reversed);
  const reversed = standing.filter((a) => a.kind === 'auto');
  const perPayment = (apps: ApplicationState[], reason: ManualReason) => {
    const cents = new Map<string, Cents>();
    for (const a of apps) cents.set(a.paymentId, (cents.get(a.paymentId) ?? 0) + a.amountCents);
    return [...cents].filter(([, amountCents]) => amountCents > 0).map(([paymentId, amountCents]) => ({ paymentId, reason, amountCents }));
  };
  return {
    reverseApplicationIds: reversed.map((a) => a.applicationId),
    tasks: [
      ...perPayment(standing.filter((a) => a.kind === 'manual'), 'claim_reversed'),
      ...perPayment(reversed.filter((a) => !rerunApplicationIds.has(a.applicationId)), 'credit_remaining'),
    ],
  };
}

/**
 * The claim came back to the patient after a reversal whose money went to staff (a `credit_remaining` task): how much
 * of that reversed money goes back on the claim by the payment's own rule, if staff have not placed it meanwhile. A
 * copay goes back only on its date of service (never swept onto another date); an outstanding-balance payment (patient
 * page, statement) up to the claim's open balance. Never more than was reversed, nor than is still unapplied.
 */
export function decideReapplication(payment: PaymentState, claim: ClaimState, reversedCents: Cents): Cents {
  assertPayment(payment);
  assertClaim(claim);
  assertCents(reversedCents, 'reversedCents');
  if (claim.responsibility !== 'patient' || claim.patientId !== payment.patientId) return 0;
  if (payment.reason === 'copay' && payment.paymentDate !== claim.dateOfService) return 0;
  return Math.min(reversedCents, unappliedCents(payment), openBalanceCents(claim));
}
