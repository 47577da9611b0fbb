/** The payment plan rules (domain/payment-plans.ts): the schedule, the calendar, the practice's limits, the keys. */
import {
  addCalendarDays, addMonthsClamped, chargeInstantOf, checkPlanLimits, describeInterval, installmentDetails, isPlanInterval, MONTHLY, nextDueAfter,
  planChargeKey, planNoteText, planSchedule, splitAmounts, spreadNewCharge, type ScheduleInput,
} from '../../domain/payment-plans';

const LA = 'America/Los_Angeles';
const base: ScheduleInput = { totalCents: 12_000, installments: 3, interval: MONTHLY, firstDueDate: '2027-01-15', timeZone: LA, startMs: 0 };

describe('payment plan schedule', () => {
  it('splits into equal installments, the last taking the remainder; the sum is the balance', () => {
    expect(splitAmounts(10_000, { installments: 3 })).toEqual({ installmentCents: 3333, amounts: [3333, 3333, 3334] });
    expect(splitAmounts(10_000, { installmentCents: 3000 })).toEqual({ installmentCents: 3000, amounts: [3000, 3000, 3000, 1000] });
    expect(splitAmounts(9000, { installmentCents: 3000 })).toEqual({ installmentCents: 3000, amounts: [3000, 3000, 3000] });
    for (const total of [101, 999, 10_000, 123_457]) {
      for (const n of [2, 3, 7, 12]) expect(splitAmounts(total, { installments: n }).amounts.reduce((a, b) => a + b, 0)).toBe(total);
      for (const each of [50, 333, 2500]) {
        if (each >= total) continue;
        const { amounts } = splitAmounts(total, { installmentCents: each });
        expect(amounts.reduce((a, b) => a + b, 0)).toBe(total);
        expect(amounts.every((a) => a > 0 && a <= each)).toBe(true);
      }
    }
  });

  it('dates a monthly plan on the practice calendar, keeping the day and clamping to the month end', () => {
    const r = planSchedule({ ...base, totalCents: 40_000, installments: 4, firstDueDate: '2027-01-31' });
    if (!r.ok) throw new Error('refused');
    expect(r.installments.map((i) => i.dueDate)).toEqual(['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30']);
    expect(r.installments.map((i) => i.sequence)).toEqual([1, 2, 3, 4]);
    // Leap year, and across a year end.
    expect(addMonthsClamped('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonthsClamped('2027-11-30', 3)).toBe('2028-02-29');
    expect(addCalendarDays('2027-12-25', 14)).toBe('2028-01-08');
  });

  it('charges at 09:00 on the practice calendar, across a DST change', () => {
    // 2027-03-14 is the US spring-forward day: 09:00 PDT is 16:00 UTC; the day before, 09:00 PST is 17:00 UTC.
    expect(new Date(chargeInstantOf('2027-03-13', LA)).toISOString()).toBe('2027-03-13T17:00:00.000Z');
    expect(new Date(chargeInstantOf('2027-03-14', LA)).toISOString()).toBe('2027-03-14T16:00:00.000Z');
    const r = planSchedule({ ...base, interval: { months: 0, days: 7, seconds: 0 }, firstDueDate: '2027-03-07' });
    if (!r.ok) throw new Error('refused');
    expect(r.installments.map((i) => new Date(i.dueAtMs).toISOString())).toEqual(['2027-03-07T17:00:00.000Z', '2027-03-14T16:00:00.000Z', '2027-03-21T16:00:00.000Z']);
  });

  it('a seconds interval (tests) counts from now', () => {
    const r = planSchedule({ ...base, interval: { months: 0, days: 0, seconds: 2 }, startMs: Date.UTC(2027, 0, 15, 20) });
    if (!r.ok) throw new Error('refused');
    expect(r.installments.map((i) => i.dueAtMs - Date.UTC(2027, 0, 15, 20))).toEqual([2000, 4000, 6000]);
    expect(r.installments[0]!.dueDate).toBe('2027-01-15');
  });

  it('refuses what is not a plan, naming the field', () => {
    const refused = (over: Partial<ScheduleInput>) => {
      const r = planSchedule({ ...base, ...over });
      return r.ok ? [] : r.problems.map((p) => p.field);
    };
    expect(refused({ installmentCents: 1000 })).toEqual(['installmentCents']); // both given
    expect(refused({ installments: 1 })).toEqual(['installments']);
    expect(refused({ installments: undefined, installmentCents: 12_000 })).toEqual(['installmentCents']); // one installment
    expect(refused({ installments: undefined, installmentCents: 0 })).toEqual(['installmentCents']);
    expect(refused({ interval: { months: 1, days: 1, seconds: 0 } })).toEqual(['interval']);
    expect(refused({ firstDueDate: '2027-02-30' })).toEqual(['firstDueDate']);
    expect(refused({ totalCents: 0 })).toEqual(['totalCents']);
    expect(refused({ installments: undefined, installmentCents: 1 })).toEqual(['installmentCents']); // 12 000 installments
  });

  it('checks the practice limits with the reason', () => {
    const limits = { minInstallmentCents: 2500, maxMonths: 12 };
    const plan = { installmentCents: 2500, count: 12, interval: MONTHLY, firstDueDate: '2027-01-31' };
    expect(checkPlanLimits(plan, limits, 'installments')).toEqual([]);
    expect(checkPlanLimits({ ...plan, count: 13 }, limits, 'installments')).toEqual([
      { field: 'installments', reason: "makes a plan of 13 installments monthly, longer than the practice's limit of 12 months" },
    ]);
    expect(checkPlanLimits({ ...plan, installmentCents: 2499 }, limits, 'installmentCents')).toEqual([
      { field: 'installmentCents', reason: "makes installments of $24.99, below the practice's minimum of $25.00" },
    ]);
    expect(checkPlanLimits({ ...plan, count: 52, interval: { months: 0, days: 7, seconds: 0 } }, limits, 'installments')).toEqual([]);
    expect(checkPlanLimits({ ...plan, count: 53, interval: { months: 0, days: 7, seconds: 0 } }, limits, 'installments')).toHaveLength(1);
    expect(checkPlanLimits({ ...plan, count: 100, interval: { months: 0, days: 0, seconds: 2 } }, limits, 'installments')).toEqual([]);
  });

  it('appends a skipped installment one interval after the last', () => {
    const o = { interval: MONTHLY, timeZone: LA, firstDueDate: '2027-01-31', startMs: 0 };
    expect(nextDueAfter({ dueDate: '2027-03-31', dueAtMs: 0 }, { ...o, sequence: 4 }).dueDate).toBe('2027-04-30');
    expect(nextDueAfter({ dueDate: '2027-04-30', dueAtMs: 0 }, { ...o, sequence: 5 }).dueDate).toBe('2027-05-31');
    const s = { ...o, interval: { months: 0, days: 0, seconds: 2 } };
    expect(nextDueAfter({ dueDate: '2027-01-01', dueAtMs: 10_000 }, { ...s, sequence: 4 }).dueAtMs).toBe(12_000);
  });

  it('keys, words and intervals', () => {
    expect(planChargeKey('p1', 2, 0)).toBe('plan:p1:installment:2:a0');
    expect(installmentDetails({ sequence: 2, amountCents: 4000, dueDate: '2027-01-15' }, 3)).toBe('installment 2 of 3, $40.00, due 2027-01-15');
    expect(describeInterval(MONTHLY)).toBe('monthly');
    expect(describeInterval({ months: 0, days: 14, seconds: 0 })).toBe('every 14 days');
    expect(isPlanInterval({ months: 0, days: 0, seconds: 0 })).toBe(false);
  });

  it('a new charge joining a plan: spread over the installments left (the last takes the remainder), else appended', () => {
    expect(spreadNewCharge([{ sequence: 2, amountCents: 4000 }, { sequence: 3, amountCents: 4000 }], 6001, 4000))
      .toEqual({ raised: [{ sequence: 2, amountCents: 7000 }, { sequence: 3, amountCents: 7001 }], appended: [] });
    // Nothing left to raise: extra installments of the plan's amount, the last the remainder.
    expect(spreadNewCharge([], 10_000, 4000)).toEqual({ raised: [], appended: [4000, 4000, 2000] });
    expect(spreadNewCharge([], 3000, 4000)).toEqual({ raised: [], appended: [3000] });
    expect(spreadNewCharge([{ sequence: 1, amountCents: 4000 }], 0, 4000)).toEqual({ raised: [], appended: [] });
  });

  it("a statement's line about the live plan: what is left, the card, the next installment; or that it is paused", () => {
    const note = { status: 'active' as const, leftCents: 8050, last4: '4242', next: { amountCents: 4025, dueDate: '2027-01-05' }, onStatement: false };
    expect(planNoteText(note)).toBe('Not on this statement: $80.50 left in your payment plan, paid with the card ending 4242. Next installment: $40.25 on Jan 5, 2027.');
    expect(planNoteText({ ...note, status: 'paused' })).toBe(
      'Not on this statement: $80.50 left in your payment plan; it is paused: nothing is charged until it resumes. Please call the billing office about it.',
    );
    // A statement opened before the plan was made still has the plan's visits: it says they need not be paid there.
    expect(planNoteText({ ...note, onStatement: true })).toBe(
      'Some visits on this statement are in your payment plan, which has $80.50 left, paid with the card ending 4242. Next installment: $40.25 on Jan 5, 2027.'
      + ' If you pay for those visits here, the plan charges that much less.',
    );
  });
});
