/**
 * Credits that apply themselves (issue 18): when a claim moves to the patient, money the patient already has with the
 * practice as a credit (a payment with unapplied money that no run holds and no staff task is working) goes onto the
 * patient's open balance by the same rules as a payment: a copay only onto its own date of service (domain.md: never
 * swept onto another date), any other credit onto the patient's open claims oldest date of service first. The oldest
 * credit goes first. Whatever is left stays a credit (the 30-day refund deadline keeps running for it). Pure.
 */
import { formatCents } from './money';
import { decideCopay, decideOutstandingBalance, openBalanceCents, unappliedCents, type ClaimState, type PaymentState, type PlannedApplication } from './application-rules';

/**
 * The applications of the patient's credits to the patient's claims. `keyOf` gives each application its exactly-once
 * key (the caller ties it to the claim version that triggered it, so a later round gets a fresh key).
 */
export function decideCreditApplications(
  credits: PaymentState[],
  claims: ClaimState[],
  keyOf: (paymentId: string, claimId: string) => string,
): PlannedApplication[] {
  // What each claim has open, lowered as credits go onto it: two credits never fill the same open balance twice.
  const applied = new Map(claims.map((c) => [c.claimId, c.appliedCents] as const));
  const current = () => claims.map((c) => ({ ...c, appliedCents: applied.get(c.claimId)! }));
  const ordered = [...credits].sort((a, b) => (a.paymentDate === b.paymentDate ? (a.paymentId < b.paymentId ? -1 : 1) : a.paymentDate < b.paymentDate ? -1 : 1));
  const out: PlannedApplication[] = [];
  for (const credit of ordered) {
    if (unappliedCents(credit) === 0) continue;
    let planned: PlannedApplication[];
    if (credit.reason === 'copay') {
      // Its own visit's claim, on its date of service only (a mismatch stays a credit: staff decide).
      const own = current().find((c) => c.visitId === credit.visitId && c.responsibility === 'patient' && openBalanceCents(c) > 0);
      planned = own ? decideCopay(credit, own, 1).applications : [];
    } else {
      planned = decideOutstandingBalance(credit, current(), [], 1).applications;
    }
    for (const p of planned) {
      applied.set(p.claimId, applied.get(p.claimId)! + p.amountCents);
      out.push({ ...p, businessKey: keyOf(p.paymentId, p.claimId) });
    }
  }
  return out;
}

/** What the patient is told: the credit applied, and where to see their balance. No claim or visit details. */
export function creditNoticeText(n: { practiceName: string; firstName: string; appliedCents: number; portalUrl: string }): { subject: string; body: string; sms: string } {
  const amount = formatCents(n.appliedCents);
  return {
    subject: `${n.practiceName}: your credit of ${amount} was applied to your balance`,
    body: `Dear ${n.firstName},\n\nYour insurance has processed a claim, and ${amount} of the credit you had with ${n.practiceName} `
      + `was applied to the balance it left you. You can see your balance and pay any rest at ${n.portalUrl}.\n\nThank you,\n${n.practiceName}\n`,
    sms: `${n.practiceName}: your credit was applied to your new balance. See your balance: ${n.portalUrl}`,
  };
}
