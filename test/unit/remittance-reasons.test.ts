/** "Why you owe" in plain words: the common CARCs, an unknown code, and lines that add up to CLP05. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { patientResponsibilityLines, reasonWords } from '../../domain/remittance-reasons';
import { readRemittance } from '../../edi/x835/validate';

const claimsOf = (name: string) =>
  readRemittance(readFileSync(join(__dirname, '../fixtures/835', name), 'utf8')).groups.flatMap((g) => g.transactions).flatMap((t) => t.claims);

describe('reason codes in plain words', () => {
  it.each([
    ['1', 'Deductible', "your plan's yearly amount you pay before insurance pays"],
    ['2', 'Coinsurance', 'your share of the cost after the deductible'],
    ['3', 'Copay', 'the fixed amount your plan asks you to pay for this visit'],
    ['96', 'Not covered by your plan', 'your plan does not pay for this service, so its cost is yours'],
    ['204', 'Not covered by your plan', 'your plan does not pay for this service, so its cost is yours'],
    ['50', 'Not covered by your plan', 'your plan did not consider this service medically necessary'],
    ['B7', 'Not covered by your plan', 'your plan does not pay this provider for this service on this date'],
  ])('CARC %s is %p', (code, label, explanation) => {
    expect(reasonWords(code)).toEqual({ label, explanation });
  });

  it('an unknown code is shown as the code itself', () => {
    expect(reasonWords('187')).toEqual({
      label: 'Adjustment (reason code 187)',
      explanation: 'your insurance listed reason code 187 for this amount; ask us and we will explain it',
    });
  });
});

describe('patient responsibility lines of a claim', () => {
  it('deductible, coinsurance and copay from the service lines, adding up to CLP05 (transfer file)', () => {
    const [claim] = claimsOf('transfer-to-patient.835');
    const lines = patientResponsibilityLines(claim!);
    expect(lines).toEqual([
      { code: '3', label: 'Copay', explanation: 'the fixed amount your plan asks you to pay for this visit', amountCents: 2500 },
      { code: '1', label: 'Deductible', explanation: "your plan's yearly amount you pay before insurance pays", amountCents: 4000 },
      { code: '2', label: 'Coinsurance', explanation: 'your share of the cost after the deductible', amountCents: 310 },
    ]);
    expect(lines.reduce((s, l) => s + l.amountCents, 0)).toBe(claim!.patientResponsibilityCents);
  });

  it('only group PR counts: a denial with CO adjustments leaves the patient nothing', () => {
    expect(patientResponsibilityLines(claimsOf('denial.835')[0]!)).toEqual([]);
  });

  it('a reversal gives the responsibility back: its lines are negative', () => {
    const [reversal, readjudicated] = claimsOf('reversal-readjudication.835');
    expect(patientResponsibilityLines(reversal!)).toEqual([
      { code: '2', label: 'Coinsurance', explanation: 'your share of the cost after the deductible', amountCents: -3000 },
    ]);
    expect(patientResponsibilityLines(readjudicated!).map((l) => [l.code, l.amountCents])).toEqual([['3', 1000]]);
  });

  it('sums one code across the claim and its lines, keeps unknown codes, drops lines that net to zero', () => {
    expect(patientResponsibilityLines({
      adjustments: [{ group: 'PR', reasonCode: '1', amountCents: 1000 }, { group: 'PR', reasonCode: '187', amountCents: 500 }],
      serviceLines: [
        { adjustments: [{ group: 'PR', reasonCode: '1', amountCents: 2000 }, { group: 'CO', reasonCode: '45', amountCents: 9999 }] },
        { adjustments: [{ group: 'PR', reasonCode: '96', amountCents: 700 }, { group: 'PR', reasonCode: '96', amountCents: -700 }] },
      ],
    }).map((l) => [l.code, l.label, l.amountCents])).toEqual([
      ['1', 'Deductible', 3000],
      ['187', 'Adjustment (reason code 187)', 500],
    ]);
  });
});
