/**
 * "Why do I owe this?" in plain words. A payer's remittance (X12 835) says why each amount became the patient's:
 * adjustments in group PR (patient responsibility) with a claim adjustment reason code (CARC, published by X12).
 * Patients cannot read "PR-2"; they can read "Coinsurance: your share of the cost after the deductible". This module
 * turns a claim's PR adjustments (claim level and service lines) into those lines, for statements, the portal and
 * the staff claim view. Unknown codes still get a line, with the code itself, so the lines always add up.
 *
 * Pure and dependency-free (domain/): it takes the adjustments' shape, not the 835 model, so it never imports edi/.
 */
import { formatCents, type Cents } from './money';

export interface ReasonWords {
  label: string;
  explanation: string;
}

export interface OwedLine extends ReasonWords {
  code: string;
  amountCents: Cents;
}

/** The adjustments' shape, as the 835 model (edi/x835/model.ts) has it. */
export interface ReasonAdjustment {
  group: string;
  reasonCode: string;
  amountCents: Cents;
}

export interface ClaimAdjustments {
  adjustments: readonly ReasonAdjustment[];
  serviceLines: readonly { adjustments: readonly ReasonAdjustment[] }[];
}

const NOT_COVERED: ReasonWords = { label: 'Not covered by your plan', explanation: 'your plan does not pay for this service, so its cost is yours' };

/** The common CARCs a patient sees in group PR. Codes from the X12 CARC list; the words are ours. */
export const REASON_WORDS: Readonly<Record<string, ReasonWords>> = {
  1: { label: 'Deductible', explanation: "your plan's yearly amount you pay before insurance pays" },
  2: { label: 'Coinsurance', explanation: 'your share of the cost after the deductible' },
  3: { label: 'Copay', explanation: 'the fixed amount your plan asks you to pay for this visit' },
  66: { label: 'Blood deductible', explanation: 'the pints of blood your plan asks you to pay for before it pays' },
  96: NOT_COVERED,
  204: NOT_COVERED,
  49: { label: 'Not covered by your plan', explanation: 'your plan does not pay for routine exams or screenings of this kind' },
  50: { label: 'Not covered by your plan', explanation: 'your plan did not consider this service medically necessary' },
  B7: { label: 'Not covered by your plan', explanation: 'your plan does not pay this provider for this service on this date' },
  26: { label: 'Coverage not active', explanation: 'the service was before your coverage started' },
  27: { label: 'Coverage not active', explanation: 'the service was after your coverage ended' },
  119: { label: 'Benefit limit reached', explanation: 'your plan has paid the most it pays for this kind of service in this period' },
  242: { label: 'Out of network', explanation: 'the provider is not in your plan’s network, so your plan paid less or nothing' },
  45: { label: 'Above the allowed amount', explanation: 'the charge is more than your plan allows for this service (usually the provider writes this off; here your plan says it is yours)' },
  23: { label: 'After your other insurance', explanation: 'what is left after your other insurance paid its share' },
};

/** Plain words for a CARC; for a code we have no words for, the code itself ("Adjustment (reason code 187)"). */
export function reasonWords(code: string): ReasonWords {
  return REASON_WORDS[code] ?? {
    label: `Adjustment (reason code ${code})`,
    explanation: `your insurance listed reason code ${code} for this amount; ask us and we will explain it`,
  };
}

/**
 * The patient-responsibility lines of one claim: every group PR adjustment, claim level and service lines, summed per
 * reason code in the order they first appear. They add up to CLP05 when the payer's file is consistent. Amounts are
 * kept as sent: a reversal's lines are negative (the responsibility goes back to the payer).
 */
export function patientResponsibilityLines(claim: ClaimAdjustments): OwedLine[] {
  const byCode = new Map<string, Cents>();
  const all = [...claim.adjustments, ...claim.serviceLines.flatMap((l) => l.adjustments)];
  for (const a of all) {
    if (a.group !== 'PR') continue;
    byCode.set(a.reasonCode, (byCode.get(a.reasonCode) ?? 0) + a.amountCents);
  }
  return [...byCode].filter(([, cents]) => cents !== 0).map(([code, amountCents]) => ({ code, ...reasonWords(code), amountCents }));
}

/**
 * The owed lines of one stored claim payment (remittance_claims.pr_adjustments: group PR only, claim level and lines
 * together): the same lines as patientResponsibilityLines, for the pages that read them back from the database.
 */
export function owedLinesOfStored(prAdjustments: readonly { code: string; amountCents: Cents }[]): OwedLine[] {
  return patientResponsibilityLines({ adjustments: prAdjustments.map((a) => ({ group: 'PR', reasonCode: a.code, amountCents: a.amountCents })), serviceLines: [] });
}

/** A line's words without its amount, for the JSON API: "Deductible — your plan's yearly amount you pay before insurance pays". */
export const owedLineWords = (line: ReasonWords): string => `${line.label} — ${line.explanation}`;

/** A line as a patient reads it: "Deductible: $40.00 — your plan's yearly amount you pay before insurance pays". */
export const owedLineText = (line: OwedLine): string => `${line.label}: ${formatCents(line.amountCents)} — ${line.explanation}`;
