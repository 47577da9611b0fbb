/** The statement rules (domain/statements.ts): lines, totals, threshold, cycle, what is due; amounts typed (domain/money.ts). */
import fc from 'fast-check';
import {
  checkPaymentAmount, exceedsThreshold, statementClaimIds, statementCycle, statementDueCents, statementLines,
  type StatementClaimInput, type StatementClaimLineInput,
} from '../../domain/statements';
import { centsToDollarsField, parseDollars } from '../../domain/money';

const line = (n: number, pr: number, over: Partial<StatementClaimLineInput> = {}): StatementClaimLineInput => ({
  claimLineId: `l${n}`, lineNumber: n, procedureCode: `9921${n}`, description: `Service ${n}`, chargeCents: 20000, insurerPaidCents: 10000,
  adjustmentCents: 20000 - 10000 - pr, patientResponsibilityCents: pr, ...over,
});
const claim = (id: string, dateOfService: string, lines: StatementClaimLineInput[], over: Partial<StatementClaimInput> = {}): StatementClaimInput => ({
  claimId: id, dateOfService, responsibility: 'patient', patientResponsibilityCents: lines.reduce((s, l) => s + l.patientResponsibilityCents, 0),
  appliedCents: 0, lines, ...over,
});

describe('statementLines', () => {
  it('lists every claim line with its charge, insurance paid, adjustments, patient paid and balance; totals the balances', () => {
    const draft = statementLines([claim('c1', '2026-09-14', [line(1, 4500)])]);
    expect(draft).toEqual({
      totalCents: 4500,
      lines: [{ claimId: 'c1', claimLineId: 'l1', dateOfService: '2026-09-14', procedureCode: '99211', description: 'Service 1', chargeCents: 20000, insurancePaidCents: 10000, adjustmentCents: 5500, patientPaidCents: 0, balanceCents: 4500 }],
    });
  });

  it('leaves out balances the patient does not own: a claim still with a payer, a claim paid in full, a zero line', () => {
    const draft = statementLines([
      claim('payer', '2026-09-01', [line(1, 9000)], { responsibility: 'payer' }),
      claim('paid', '2026-09-02', [line(1, 3000)], { appliedCents: 3000 }),
      claim('zero', '2026-09-03', [line(1, 0)]),
      claim('mixed', '2026-09-04', [line(1, 0), line(2, 1200)]),
    ]);
    expect(draft.lines.map((l) => [l.claimId, l.claimLineId])).toEqual([['mixed', 'l2']]);
    expect(draft.totalCents).toBe(1200);
  });

  it('allocates what the patient paid on a claim to its lines in line order', () => {
    const draft = statementLines([claim('c', '2026-10-05', [line(2, 4550), line(1, 8000)], { appliedCents: 9000 })]);
    // 8000 pays line 1 in full (it is left out), 1000 goes to line 2.
    expect(draft.lines).toEqual([expect.objectContaining({ claimLineId: 'l2', patientPaidCents: 1000, balanceCents: 3550 })]);
    expect(draft.totalCents).toBe(3550);
  });

  it("orders lines oldest date of service first, then by claim, keeping each claim's line order", () => {
    const draft = statementLines([
      claim('b', '2026-10-05', [line(1, 100), line(2, 200)]),
      claim('a', '2026-10-05', [line(1, 300)]),
      claim('c', '2026-08-01', [line(1, 400)]),
    ]);
    expect(draft.lines.map((l) => `${l.claimId}:${l.claimLineId}`)).toEqual(['c:l1', 'a:l1', 'b:l1', 'b:l2']);
    expect(statementClaimIds(draft.lines)).toEqual(['c', 'a', 'b']);
  });

  it("trusts the claim's patient responsibility when its lines do not add up: the last lines absorb the difference", () => {
    const more = statementLines([claim('c', '2026-10-05', [line(1, 1000), line(2, 1000)], { patientResponsibilityCents: 2500 })]);
    expect(more.lines.map((l) => l.balanceCents)).toEqual([1000, 1500]);
    const less = statementLines([claim('c', '2026-10-05', [line(1, 1000), line(2, 1000)], { patientResponsibilityCents: 1200 })]);
    expect(less.lines.map((l) => l.balanceCents)).toEqual([1000, 200]);
    const none = statementLines([claim('c', '2026-10-05', [], { patientResponsibilityCents: 700 })]);
    expect(none.lines).toEqual([expect.objectContaining({ procedureCode: 'BALANCE', balanceCents: 700 })]);
  });

  it('refuses inconsistent input loudly: the same claim twice, negative or fractional cents', () => {
    expect(() => statementLines([claim('c', '2026-10-05', [line(1, 100)]), claim('c', '2026-10-06', [line(1, 100)])])).toThrow(/same claim twice/);
    expect(() => statementLines([claim('c', '2026-10-05', [line(1, 100)], { appliedCents: -1 })])).toThrow(RangeError);
    expect(() => statementLines([claim('c', '2026-10-05', [line(1, 100, { chargeCents: 10.5 })])])).toThrow(RangeError);
  });

  it('always adds up: the lines total the open balances of the patient-owned claims, and no line is zero or negative', () => {
    const arbClaim = fc.record({
      lines: fc.array(fc.nat(50_000), { minLength: 0, maxLength: 4 }),
      extra: fc.integer({ min: -20_000, max: 20_000 }),
      applied: fc.nat(150_000),
      responsibility: fc.constantFrom<'payer' | 'patient'>('payer', 'patient'),
      day: fc.integer({ min: 1, max: 28 }),
    });
    fc.assert(fc.property(fc.array(arbClaim, { maxLength: 6 }), (specs) => {
      const claims = specs.map((c, i) => {
        const lines = c.lines.map((pr, n) => line(n + 1, pr, { adjustmentCents: 0 }));
        const pr = Math.max(0, lines.reduce((s, l) => s + l.patientResponsibilityCents, 0) + c.extra);
        return claim(`c${i}`, `2026-09-${String(c.day).padStart(2, '0')}`, lines, { patientResponsibilityCents: pr, appliedCents: c.applied, responsibility: c.responsibility });
      });
      const draft = statementLines(claims);
      const open = claims.filter((c) => c.responsibility === 'patient').reduce((s, c) => s + Math.max(0, c.patientResponsibilityCents - c.appliedCents), 0);
      expect(draft.totalCents).toBe(open);
      expect(draft.lines.every((l) => Number.isSafeInteger(l.balanceCents) && l.balanceCents > 0)).toBe(true);
      for (const c of claims) {
        const sum = draft.lines.filter((l) => l.claimId === c.claimId).reduce((s, l) => s + l.balanceCents, 0);
        expect(sum).toBe(c.responsibility === 'patient' ? Math.max(0, c.patientResponsibilityCents - c.appliedCents) : 0);
      }
      const dates = draft.lines.map((l) => l.dateOfService);
      expect(dates).toEqual([...dates].sort());
    }));
  });
});

describe('threshold, cycle and what is due', () => {
  it('sends a statement only when the balance exceeds the threshold', () => {
    expect(exceedsThreshold(1001, 1000)).toBe(true);
    expect(exceedsThreshold(1000, 1000)).toBe(false);
    expect(exceedsThreshold(0, 1000)).toBe(false);
    expect(() => exceedsThreshold(-1, 1000)).toThrow(RangeError);
  });

  it('names the cycle by the practice-local calendar month', () => {
    expect(statementCycle('2026-11-30')).toBe('2026-11');
    expect(statementCycle('2026-12-01')).toBe('2026-12');
    expect(() => statementCycle('2026-11-30T23:00:00Z')).toThrow(TypeError);
  });

  it('owes total − paid, never more than the statement claims still have open', () => {
    expect(statementDueCents({ totalCents: 17050, paidCents: 0, openCents: 17050 })).toBe(17050);
    expect(statementDueCents({ totalCents: 17050, paidCents: 5000, openCents: 12050 })).toBe(12050);
    // Paid at the desk meanwhile: the claims have less open than the statement says.
    expect(statementDueCents({ totalCents: 17050, paidCents: 0, openCents: 4500 })).toBe(4500);
    // Paid twice over: nothing due, never negative.
    expect(statementDueCents({ totalCents: 17050, paidCents: 34100, openCents: 0 })).toBe(0);
  });
});

describe('amounts a patient or staff member types (one parser for every form)', () => {
  it.each([
    ['45', 4500], ['45.5', 4550], ['45.50', 4550], ['$1,234.56', 123456], [' 0.01 ', 1], ['$ 12', 1200], ['170.50', 17050],
  ])('reads %p as %d cents', (text, cents) => {
    expect(parseDollars(text)).toBe(cents);
  });

  it.each(['', 'abc', '-5', '1.234', '1,23', '12.', '.5', '1e3', '0x10', '١٢', '12 34', 'NaN', 'Infinity', '1,2,3', '2 5', '$$5'])('refuses %p', (text) => {
    expect(parseDollars(text)).toBeUndefined();
  });

  it('allows partial amounts, never more than the balance shown, never less than a cent', () => {
    expect(checkPaymentAmount(100, 17050)).toBe('ok');
    expect(checkPaymentAmount(17050, 17050)).toBe('ok');
    expect(checkPaymentAmount(17051, 17050)).toBe('over_balance');
    expect(checkPaymentAmount(0, 17050)).toBe('too_small');
    expect(checkPaymentAmount(undefined, 17050)).toBe('not_an_amount');
    expect(checkPaymentAmount(10.5, 17050)).toBe('not_an_amount');
    expect(checkPaymentAmount(20_000_000, 30_000_000)).toBe('over_balance'); // the payment limit
  });

  it('writes cents back as a form value', () => {
    expect(centsToDollarsField(17050)).toBe('170.50');
    expect(centsToDollarsField(5)).toBe('0.05');
    fc.assert(fc.property(fc.nat(10_000_000), (c) => parseDollars(centsToDollarsField(c)) === c));
  });
});
