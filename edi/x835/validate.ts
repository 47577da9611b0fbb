/**
 * Does the money in a parsed 835 add up? Checked for the whole file before anything of it is applied, so a file is
 * taken or refused as a whole. Each problem names the segment, its position and why (amounts in the message are
 * money, not PHI; names and ids never appear).
 *
 * Enforced:
 *  - per transaction, the payment balances: BPR02 (negative when BPR03 = D) = Σ CLP04 − Σ PLB amounts. The 835
 *    convention (TR3 005010X221A1, "Balancing"): a positive PLB amount is money the payer keeps back (a
 *    recoupment, a withhold, a balance forwarded), so it REDUCES the payment; a negative one (interest, L6) adds to it;
 *  - per claim, CLP03 − CLP04 = Σ every CAS amount of the claim and of its service lines;
 *  - per service line, SVC02 − SVC03 = Σ the line's CAS amounts;
 *  - a reversal (CLP02 = 22) takes back an earlier payment, so its charge, payment and patient responsibility are
 *    negated (none positive); any other claim's charge is not negative; a denial (CLP02 = 4) pays nothing.
 * Allowed, because real payers send it: the lines' charges need not add up to CLP03 (a payer may report only the
 * lines it adjudicated), and CLP05 need not equal Σ PR adjustments (it may include amounts from an earlier
 * adjudication); "why you owe" uses the PR adjustments themselves (domain/remittance-reasons.ts).
 */
import { formatCents } from '../../domain/money';
import { X12Error } from '../x12/errors';
import { DENIED, REVERSAL, type Adjustment, type Remittance835, type Transaction835 } from './model';
import { parseRemittance, type ParsedRemittance } from './parse';

const sum = (amounts: number[]) => amounts.reduce((a, b) => a + b, 0);
const adjusted = (adjustments: Adjustment[]) => sum(adjustments.map((a) => a.amountCents));

/** The amount the transaction's claims and PLBs say was paid: Σ CLP04 − Σ PLB. */
export function expectedPaymentCents(t: Transaction835): number {
  return sum(t.claims.map((c) => c.paidCents)) - sum(t.providerAdjustments.flatMap((p) => p.items.map((i) => i.amountCents)));
}

/** Every balance problem of the file, in file order (empty: the file may be applied). */
export function balanceProblems({ remittance, segmentOf }: ParsedRemittance): X12Error[] {
  const problems: X12Error[] = [];
  const problem = (node: object, why: string) => {
    const s = segmentOf(node);
    problems.push(new X12Error(s?.id ?? '?', s?.position ?? 0, why));
  };
  for (const t of remittance.groups.flatMap((g) => g.transactions)) {
    const paid = t.payment.creditDebit === 'D' ? -t.payment.totalCents : t.payment.totalCents;
    const expected = expectedPaymentCents(t);
    if (paid !== expected) {
      problem(t.payment, `BPR02 (total payment ${formatCents(paid)}) must equal the claims' payments minus the provider adjustments (PLB): ${formatCents(expected)}`);
    }
    for (const c of t.claims) {
      const allAdjusted = adjusted(c.adjustments) + sum(c.serviceLines.map((l) => adjusted(l.adjustments)));
      if (c.chargeCents - c.paidCents !== allAdjusted) {
        problem(c, `CLP03 − CLP04 (${formatCents(c.chargeCents - c.paidCents)}) must equal the claim's adjustments (CAS), lines included: ${formatCents(allAdjusted)}`);
      }
      if (c.status === REVERSAL && (c.chargeCents > 0 || c.paidCents > 0 || c.patientResponsibilityCents > 0)) {
        problem(c, 'a reversal (CLP02 = 22) carries negated amounts: CLP03, CLP04 and CLP05 cannot be positive');
      }
      if (c.status !== REVERSAL && c.chargeCents < 0) problem(c, 'CLP03 (total charge) is negative, and only a reversal (CLP02 = 22) is negated');
      if (c.status === DENIED && c.paidCents !== 0) problem(c, 'a denied claim (CLP02 = 4) pays nothing: CLP04 must be 0');
      for (const l of c.serviceLines) {
        if (l.chargeCents - l.paidCents !== adjusted(l.adjustments)) {
          problem(l, `SVC02 − SVC03 (${formatCents(l.chargeCents - l.paidCents)}) must equal the line's adjustments (CAS): ${formatCents(adjusted(l.adjustments))}`);
        }
      }
    }
  }
  return problems;
}

/** The one entry point for a received file: parsed, envelopes checked, balanced, or an X12Error (the first problem). */
export function readRemittance(text: string): Remittance835 {
  const parsed = parseRemittance(text);
  const [first] = balanceProblems(parsed);
  if (first !== undefined) throw first;
  return parsed.remittance;
}
