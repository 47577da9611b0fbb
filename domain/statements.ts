/**
 * Billing statements (shared/domain.md, "Statements and the patient portal"), as pure functions: which lines a
 * statement lists, what it totals, when a patient is due one, what is still due on it, and the amounts a patient
 * types. Workflow code imports this module: no I/O, no clock, no randomness, integer cents only.
 *
 * Only balances the patient owns appear: a claim whose balance still sits with a payer is left out, and so is a claim
 * the patient has paid in full. The claim's patient responsibility is authoritative (the ledger applies payments to
 * claims, not lines): a claim's open balance is responsibility − standing applications, floored at 0, and the lines
 * share it out. Payments are allocated to a claim's lines in line order; should the clearinghouse send lines whose
 * patient responsibilities do not add up to the claim's, the last lines absorb the difference, so the lines always
 * add up to the claim's open balance.
 */
import type { LocalDate } from './dates';
import { isCents, MAX_PAYMENT_CENTS, type Cents } from './money';

/** Statements go out only when the patient balance exceeds this, unless the practice sets its own ($10.00). */
export const DEFAULT_STATEMENT_THRESHOLD_CENTS = 1000;

export interface StatementClaimLineInput {
  claimLineId: string | null;
  lineNumber: number;
  procedureCode: string;
  description: string | null;
  chargeCents: Cents;
  insurerPaidCents: Cents;
  adjustmentCents: Cents;
  patientResponsibilityCents: Cents;
}

export interface StatementClaimInput {
  claimId: string;
  dateOfService: LocalDate;
  responsibility: 'payer' | 'patient';
  patientResponsibilityCents: Cents;
  /** Standing (not reversed) applications on the claim, from every payment. */
  appliedCents: Cents;
  lines: StatementClaimLineInput[];
}

export interface StatementLine {
  claimId: string;
  claimLineId: string | null;
  dateOfService: LocalDate;
  procedureCode: string;
  description: string | null;
  chargeCents: Cents;
  insurancePaidCents: Cents;
  adjustmentCents: Cents;
  /** What the patient already paid on this line (the claim's applications, allocated in line order). */
  patientPaidCents: Cents;
  /** What the patient still owes on this line. Always > 0 on a statement. */
  balanceCents: Cents;
}

export interface StatementDraft {
  lines: StatementLine[];
  totalCents: Cents;
}

function nonNegative(value: unknown, field: string): asserts value is Cents {
  if (!isCents(value) || value < 0) throw new RangeError(`${field} must be a whole, non-negative number of cents`);
}

/** The statement lines of a patient's claims: only patient-owned open balances, oldest date of service first. */
export function statementLines(claims: readonly StatementClaimInput[]): StatementDraft {
  const seen = new Set<string>();
  const lines: StatementLine[] = [];
  for (const claim of claims) {
    if (seen.has(claim.claimId)) throw new Error('statementLines called with the same claim twice');
    seen.add(claim.claimId);
    nonNegative(claim.patientResponsibilityCents, 'claim.patientResponsibilityCents');
    nonNegative(claim.appliedCents, 'claim.appliedCents');
    if (claim.responsibility !== 'patient') continue; // still with a payer: not the patient's to pay
    const open = Math.max(0, claim.patientResponsibilityCents - claim.appliedCents);
    if (open === 0) continue;

    const claimLines = [...claim.lines].sort((a, b) => a.lineNumber - b.lineNumber);
    for (const l of claimLines) {
      for (const f of ['chargeCents', 'insurerPaidCents', 'adjustmentCents', 'patientResponsibilityCents'] as const) nonNegative(l[f], `line.${f}`);
    }
    // Paid, allocated to the lines in order; each line's balance is what is left of its own responsibility.
    let paidLeft = Math.min(claim.appliedCents, claim.patientResponsibilityCents);
    const shares = claimLines.map((l) => {
      const paid = Math.min(l.patientResponsibilityCents, paidLeft);
      paidLeft -= paid;
      return { line: l, paid, balance: l.patientResponsibilityCents - paid };
    });
    // Reconcile with the claim's open balance (authoritative): the last lines take any difference.
    let difference = open - shares.reduce((s, x) => s + x.balance, 0);
    for (let i = shares.length - 1; i >= 0 && difference < 0; i--) {
      const take = Math.min(shares[i]!.balance, -difference);
      shares[i]!.balance -= take;
      difference += take;
    }
    if (difference > 0) {
      if (shares.length === 0) {
        // A claim without lines: one line for the claim itself, so the money owed is never hidden.
        shares.push({
          line: { claimLineId: null, lineNumber: 0, procedureCode: 'BALANCE', description: 'Balance of this visit', chargeCents: 0, insurerPaidCents: 0, adjustmentCents: 0, patientResponsibilityCents: open },
          paid: 0, balance: 0,
        });
      }
      shares[shares.length - 1]!.balance += difference;
    }
    for (const { line, paid, balance } of shares) {
      if (balance <= 0) continue;
      lines.push({
        claimId: claim.claimId, claimLineId: line.claimLineId, dateOfService: claim.dateOfService, procedureCode: line.procedureCode,
        description: line.description, chargeCents: line.chargeCents, insurancePaidCents: line.insurerPaidCents,
        adjustmentCents: line.adjustmentCents, patientPaidCents: paid, balanceCents: balance,
      });
    }
  }
  // Oldest first; ties by claim id (plain comparison: locale-independent), then by the claim's own order.
  const order = new Map(lines.map((l, i) => [l, i] as const));
  lines.sort((a, b) => {
    if (a.dateOfService !== b.dateOfService) return a.dateOfService < b.dateOfService ? -1 : 1;
    if (a.claimId !== b.claimId) return a.claimId < b.claimId ? -1 : 1;
    return order.get(a)! - order.get(b)!;
  });
  return { lines, totalCents: lines.reduce((s, l) => s + l.balanceCents, 0) };
}

/** The claims a statement names, in the order its payments go to them: oldest date of service first. */
export function statementClaimIds(lines: readonly Pick<StatementLine, 'claimId'>[]): string[] {
  return [...new Set(lines.map((l) => l.claimId))];
}

/** A statement goes out only when the balance exceeds the threshold ("exceeds": a balance equal to it does not). */
export function exceedsThreshold(totalCents: Cents, thresholdCents: Cents): boolean {
  nonNegative(totalCents, 'totalCents');
  nonNegative(thresholdCents, 'thresholdCents');
  return totalCents > thresholdCents;
}

/** The billing cycle of a practice-local date: its calendar month, `YYYY-MM`. At most one statement per cycle. */
export function statementCycle(date: LocalDate): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new TypeError('date must be YYYY-MM-DD');
  return date.slice(0, 7);
}

/**
 * What is still due on a statement: what it totalled less what was paid through it, and never more than its claims
 * still have open for the patient (a payment at the desk, or a claim back with its payer, lowers it too).
 */
export function statementDueCents(s: { totalCents: Cents; paidCents: Cents; openCents: Cents }): Cents {
  nonNegative(s.totalCents, 'totalCents');
  nonNegative(s.paidCents, 'paidCents');
  nonNegative(s.openCents, 'openCents');
  return Math.max(0, Math.min(s.totalCents - s.paidCents, s.openCents));
}

/** The portal's rule for a payment: at least one cent, never more than the balance shown (nor the payment limit). */
export function checkPaymentAmount(amountCents: Cents | undefined, dueCents: Cents): 'ok' | 'not_an_amount' | 'too_small' | 'over_balance' {
  if (amountCents === undefined || !isCents(amountCents)) return 'not_an_amount';
  if (amountCents < 1) return 'too_small';
  if (amountCents > dueCents || amountCents > MAX_PAYMENT_CENTS) return 'over_balance';
  return 'ok';
}
