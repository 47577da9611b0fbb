/**
 * "Why you owe" (issue 16) without a database: the stored PR adjustments of a claim payment as owed lines, their
 * words and sentences, where a statement puts them (under the last line of each claim, once), and the HTML rows the
 * portal and the printed statement draw.
 */
import { owedLineText, owedLinesOfStored, owedLineWords } from '../../domain/remittance-reasons';
import { portalLines } from '../../app/statements';
import type { StatementDocument, StatementLineRow } from '../../db/queries/statements';
import { linesTable, whyRow, type PortalLine } from '../../web/portal/lines';
import { printableStatementPage } from '../../web/portal/pages/printable-statement';

describe('stored PR adjustments in plain words', () => {
  it('sums per code in the order they came (claim level and lines alike), and drops a code that nets to nothing', () => {
    const lines = owedLinesOfStored([
      { code: '3', amountCents: 2500, lineNumber: 1 } as { code: string; amountCents: number },
      { code: '1', amountCents: 4000 },
      { code: '2', amountCents: 310 },
      { code: '1', amountCents: 100 },
      { code: '45', amountCents: 500 },
      { code: '45', amountCents: -500 },
    ]);
    expect(lines.map((l) => [l.code, l.label, l.amountCents])).toEqual([['3', 'Copay', 2500], ['1', 'Deductible', 4100], ['2', 'Coinsurance', 310]]);
    expect(owedLinesOfStored([])).toEqual([]);
  });

  it('a sentence a patient reads, with the amount; the words without it (for the JSON API)', () => {
    const [deductible, unknown] = owedLinesOfStored([{ code: '1', amountCents: 4000 }, { code: '187', amountCents: 123456 }]);
    expect(owedLineText(deductible!)).toBe("Deductible: $40.00 — your plan's yearly amount you pay before insurance pays");
    expect(owedLineWords(deductible!)).toBe("Deductible — your plan's yearly amount you pay before insurance pays");
    expect(owedLineText(unknown!)).toBe('Adjustment (reason code 187): $1,234.56 — your insurance listed reason code 187 for this amount; ask us and we will explain it');
    expect(owedLineText(owedLinesOfStored([{ code: '96', amountCents: 9 }])[0]!)).toBe('Not covered by your plan: $0.09 — your plan does not pay for this service, so its cost is yours');
  });
});

const row = (claimId: string, n: number, balance: number): StatementLineRow => ({
  id: `l-${claimId}-${n}`, claim_id: claimId, claim_line_id: `cl-${claimId}-${n}`, date_of_service: '2026-10-05', procedure_code: `9921${n}`,
  description: null, charge_cents: 10000, insurance_paid_cents: 5000, patient_paid_cents: 0, adjustment_cents: 1000, balance_cents: balance,
});

describe('where a statement puts the reasons', () => {
  const doc = { lines: [row('a', 1, 1500), row('a', 2, 2500), row('b', 1, 4000)] } as StatementDocument;
  const current = new Map([['a:cl-a-1', 1500], ['a:cl-a-2', 2500], ['b:cl-b-1', 4000]]);

  it("under the last line of each claim, once (the 835 explains the claim, and the amounts must not count twice)", () => {
    const reasons = new Map([['a', owedLinesOfStored([{ code: '1', amountCents: 4000 }])], ['b', owedLinesOfStored([{ code: '2', amountCents: 4000 }])]]);
    const lines = portalLines(doc, current, reasons);
    expect(lines.map((l) => l.whyYouOwe?.map((w) => w.code))).toEqual([undefined, ['1'], ['2']]);
    expect('whyYouOwe' in lines[0]!).toBe(false);
  });

  it('a claim without reasons (no remittance, or a reversal) gets none', () => {
    const lines = portalLines(doc, current, new Map([['b', owedLinesOfStored([{ code: '3', amountCents: 4000 }])]]));
    expect(lines.map((l) => l.whyYouOwe?.length)).toEqual([undefined, undefined, 1]);
  });
});

describe('the rows the pages draw', () => {
  const line = (whyYouOwe?: PortalLine['whyYouOwe']): PortalLine => ({
    dateOfService: '2026-10-05', procedureCode: '99213', description: 'Office visit', chargeCents: 24550, insurancePaidCents: 6480,
    adjustmentCents: 11260, patientPaidCents: 0, balanceCents: 6810, currentBalanceCents: 6810, ...(whyYouOwe ? { whyYouOwe } : {}),
  });
  const reasons = owedLinesOfStored([{ code: '3', amountCents: 2500 }, { code: '1', amountCents: 4000 }, { code: '242', amountCents: 310 }]);

  it('a row spanning the table, one item per reason, escaped; nothing without reasons', () => {
    const html = String(whyRow(line(reasons), 7));
    expect(html).toMatch(/^<tr class="why"><td colspan="7">/);
    expect(html).toContain('<li>Copay: $25.00 — the fixed amount your plan asks you to pay for this visit</li>');
    expect(html).toContain('<li>Deductible: $40.00 — your plan&#39;s yearly amount you pay before insurance pays</li>');
    expect(html).toContain('Out of network: $3.10');
    expect(whyRow(line(), 7)).toBe('');
    expect(whyRow(line([]), 7)).toBe('');
  });

  it('the portal table and the printable statement show them under the line, with no inline style or script', () => {
    const table = String(linesTable([line(reasons)], 6810, 'Your statement'));
    expect(table).toContain('<tr class="has-why">');
    expect(table).toContain('<td colspan="7">');
    const page = printableStatementPage({
      practiceName: 'Clinic', patientName: 'A B', accountId: 'ABCDEFGHJK', statementDate: '2026-11-01', lines: [line(reasons), line()],
      totalCents: 13620, paidCents: 0, dueCents: 13620, portalUrl: 'http://x/portal',
    });
    expect(page.match(/<tr class="why">/g)).toHaveLength(1);
    expect(page).toContain('Deductible: $40.00 — your plan&#39;s yearly amount');
    for (const html of [table, page]) expect(html).not.toMatch(/<script|style=/);
  });
});
