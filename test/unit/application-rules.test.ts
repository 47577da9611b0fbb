import fc from 'fast-check';
import type { ApplicationState, ClaimState, Decision, PaymentState } from '../../domain/application-rules';
import {
  autoApplicationKey,
  isRoundApplicationKey,
  decideCopay,
  decideOutstandingBalance,
  decideReapplication,
  decideReversal,
  decideTransferTimeout,
  openBalanceCents,
  unappliedCents,
} from '../../domain/application-rules';

const claim = (over: Partial<ClaimState> = {}): ClaimState => ({
  claimId: 'c1',
  visitId: 'v1',
  patientId: 'p1',
  responsibility: 'patient',
  dateOfService: '2026-11-27',
  patientResponsibilityCents: 5000,
  appliedCents: 0,
  ...over,
});

const copay = (over: Partial<PaymentState> = {}): PaymentState => ({
  paymentId: 'pay1',
  patientId: 'p1',
  reason: 'copay',
  visitId: 'v1',
  amountCents: 2500,
  appliedCents: 0,
  refundedCents: 0,
  paymentDate: '2026-11-27',
  ...over,
});

const balancePayment = (over: Partial<PaymentState> = {}): PaymentState => ({
  paymentId: 'pay2',
  patientId: 'p1',
  reason: 'outstanding_balance',
  amountCents: 10000,
  appliedCents: 0,
  refundedCents: 0,
  paymentDate: '2026-11-27',
  ...over,
});

const app = (paymentId: string, claimId: string, amountCents: number, round = 1) => ({
  paymentId,
  claimId,
  amountCents,
  businessKey: autoApplicationKey(paymentId, claimId, round),
});

describe('unappliedCents', () => {
  it('is amount − applied − refunded', () => {
    expect(unappliedCents(copay({ amountCents: 2500, appliedCents: 1000, refundedCents: 500 }))).toBe(1000);
    expect(unappliedCents(copay({ amountCents: 2500, appliedCents: 2000, refundedCents: 500 }))).toBe(0);
  });

  it('refuses an over-applied payment (broken ledger invariant)', () => {
    expect(() => unappliedCents(copay({ amountCents: 2500, appliedCents: 2000, refundedCents: 501 }))).toThrow(RangeError);
  });

  it.each([
    ['fractional cents', { amountCents: 25.5 }, TypeError],
    ['NaN', { appliedCents: NaN }, TypeError],
    ['Infinity', { refundedCents: Infinity }, TypeError],
    ['a string', { amountCents: '2500' as unknown as number }, TypeError],
    ['a negative applied amount', { appliedCents: -1 }, RangeError],
    ['a negative refund', { refundedCents: -1 }, RangeError],
    ['a zero payment', { amountCents: 0 }, RangeError],
    ['a timestamp as payment date', { paymentDate: '2026-11-27T19:30:00-08:00' }, TypeError],
    ['an impossible payment date', { paymentDate: '2026-02-29' }, TypeError],
  ])('refuses %s', (_label, over, error) => {
    expect(() => unappliedCents(copay(over))).toThrow(error);
  });
});

describe('openBalanceCents', () => {
  it('is responsibility − applied', () => {
    expect(openBalanceCents(claim({ patientResponsibilityCents: 5000, appliedCents: 1200 }))).toBe(3800);
  });

  it('is 0, not negative, when the payer lowered responsibility below what was applied', () => {
    expect(openBalanceCents(claim({ patientResponsibilityCents: 1000, appliedCents: 2500 }))).toBe(0);
  });

  it.each([
    [{ patientResponsibilityCents: 10.01 }, TypeError],
    [{ appliedCents: -5 }, RangeError],
    [{ dateOfService: '2026-1-01' }, TypeError],
  ])('refuses bad input %j', (over, error) => {
    expect(() => openBalanceCents(claim(over))).toThrow(error);
  });
});

describe('autoApplicationKey', () => {
  it('names payment, claim and round', () => {
    expect(autoApplicationKey('pay1', 'c1', 1)).toBe('payment:pay1:claim:c1:auto:r1');
  });

  it('gives a re-application after a reversal a fresh key', () => {
    expect(autoApplicationKey('pay1', 'c1', 2)).not.toBe(autoApplicationKey('pay1', 'c1', 1));
  });

  it.each([[0, RangeError], [-1, RangeError], [1.5, TypeError], [NaN, TypeError]])('refuses round %p', (round, error) => {
    expect(() => autoApplicationKey('pay1', 'c1', round)).toThrow(error);
  });

  it('refuses empty ids', () => {
    expect(() => autoApplicationKey('', 'c1', 1)).toThrow(TypeError);
    expect(() => autoApplicationKey('pay1', '', 1)).toThrow(TypeError);
  });
});

describe('decideCopay', () => {
  it('applies a copay taken on the date of service', () => {
    expect(decideCopay(copay(), claim(), 1)).toEqual({ applications: [app('pay1', 'c1', 2500)] });
  });

  it('flags date_mismatch with the whole unapplied amount when paid on another day', () => {
    expect(decideCopay(copay({ paymentDate: '2026-11-28' }), claim(), 1)).toEqual({
      applications: [],
      task: { reason: 'date_mismatch', amountCents: 2500 },
    });
  });

  it('flags date_mismatch with only what is still unapplied', () => {
    const payment = copay({ paymentDate: '2026-11-26', refundedCents: 500 });
    expect(decideCopay(payment, claim(), 1).task).toEqual({ reason: 'date_mismatch', amountCents: 2000 });
  });

  it('flags credit_remaining with everything when the claim is already paid in full', () => {
    const paid = claim({ patientResponsibilityCents: 4000, appliedCents: 4000 });
    expect(decideCopay(copay(), paid, 1)).toEqual({
      applications: [],
      task: { reason: 'credit_remaining', amountCents: 2500 },
    });
  });

  it('flags credit_remaining when the patient owes nothing at all', () => {
    const nothingOwed = claim({ patientResponsibilityCents: 0 });
    expect(decideCopay(copay(), nothingOwed, 1).task).toEqual({ reason: 'credit_remaining', amountCents: 2500 });
  });

  it('applies part and flags the rest when the copay exceeds the patient responsibility', () => {
    expect(decideCopay(copay(), claim({ patientResponsibilityCents: 1800 }), 1)).toEqual({
      applications: [app('pay1', 'c1', 1800)],
      task: { reason: 'credit_remaining', amountCents: 700 },
    });
  });

  it('applies only the open balance left after other payments', () => {
    const partlyPaid = claim({ patientResponsibilityCents: 3000, appliedCents: 1000 });
    expect(decideCopay(copay(), partlyPaid, 1)).toEqual({ applications: [app('pay1', 'c1', 2000)], task: { reason: 'credit_remaining', amountCents: 500 } });
  });

  it('does nothing while a payer still holds the claim (the caller keeps waiting)', () => {
    expect(decideCopay(copay(), claim({ responsibility: 'payer' }), 1)).toEqual({ applications: [] });
    // even with a date mismatch: that is only judged once the claim is the patient's
    expect(decideCopay(copay({ paymentDate: '2026-11-01' }), claim({ responsibility: 'payer' }), 1)).toEqual({ applications: [] });
  });

  it('does nothing when the copay has no unapplied money left', () => {
    expect(decideCopay(copay({ appliedCents: 2000, refundedCents: 500 }), claim(), 1)).toEqual({ applications: [] });
  });

  it('uses the round in the business key', () => {
    expect(decideCopay(copay(), claim(), 3).applications[0]?.businessKey).toBe('payment:pay1:claim:c1:auto:r3');
  });

  it.each([
    ['another visit', copay(), claim({ visitId: 'v2' })],
    ['another patient', copay(), claim({ patientId: 'p2' })],
    ['a copay without a visit', copay({ visitId: undefined }), claim()],
    ['an outstanding-balance payment', copay({ reason: 'outstanding_balance' }), claim()],
  ])('refuses to place a copay on %s', (_label, payment, target) => {
    expect(() => decideCopay(payment, target, 1)).toThrow(Error);
  });
});

describe('decideOutstandingBalance', () => {
  const older = claim({ claimId: 'old', visitId: 'v1', dateOfService: '2026-01-10', patientResponsibilityCents: 3000 });
  const middle = claim({ claimId: 'mid', visitId: 'v2', dateOfService: '2026-05-10', patientResponsibilityCents: 4000 });
  const newer = claim({ claimId: 'new', visitId: 'v3', dateOfService: '2026-09-10', patientResponsibilityCents: 5000 });

  it('pays oldest date of service first', () => {
    expect(decideOutstandingBalance(balancePayment({ amountCents: 5000 }), [newer, middle, older], [], 1)).toEqual({
      applications: [app('pay2', 'old', 3000), app('pay2', 'mid', 2000)],
    });
  });

  it('pays the named claims first, in the order named, then oldest first', () => {
    const decision = decideOutstandingBalance(balancePayment({ amountCents: 9500 }), [older, middle, newer], ['new', 'mid'], 1);
    expect(decision).toEqual({
      applications: [app('pay2', 'new', 5000), app('pay2', 'mid', 4000), app('pay2', 'old', 500)],
    });
  });

  it('breaks ties on the same date of service by claim id', () => {
    const b = claim({ claimId: 'b', dateOfService: '2026-03-01', patientResponsibilityCents: 1000 });
    const a = claim({ claimId: 'a', dateOfService: '2026-03-01', patientResponsibilityCents: 1000 });
    expect(decideOutstandingBalance(balancePayment({ amountCents: 1500 }), [b, a], [], 1).applications).toEqual([
      app('pay2', 'a', 1000),
      app('pay2', 'b', 500),
    ]);
  });

  it('never touches a payer-held claim, even when named', () => {
    const payerHeld = claim({ claimId: 'payer', dateOfService: '2025-01-01', responsibility: 'payer' });
    const decision = decideOutstandingBalance(balancePayment({ amountCents: 4000 }), [payerHeld, older], ['payer'], 1);
    expect(decision).toEqual({ applications: [app('pay2', 'old', 3000)], task: { reason: 'credit_remaining', amountCents: 1000 } });
  });

  it("never touches another patient's claim, even when named", () => {
    const theirs = claim({ claimId: 'theirs', patientId: 'p2', dateOfService: '2025-01-01' });
    const decision = decideOutstandingBalance(balancePayment({ amountCents: 2000 }), [theirs, older], ['theirs'], 1);
    expect(decision.applications).toEqual([app('pay2', 'old', 2000)]);
  });

  it('skips paid claims and partially paid claims get only their open balance', () => {
    const paid = claim({ claimId: 'paid', dateOfService: '2025-01-01', patientResponsibilityCents: 900, appliedCents: 900 });
    const partly = claim({ claimId: 'partly', dateOfService: '2025-06-01', patientResponsibilityCents: 900, appliedCents: 600 });
    const decision = decideOutstandingBalance(balancePayment({ amountCents: 1000 }), [paid, partly, older], ['paid'], 1);
    expect(decision.applications).toEqual([app('pay2', 'partly', 300), app('pay2', 'old', 700)]);
  });

  it('flags the leftover as credit_remaining', () => {
    expect(decideOutstandingBalance(balancePayment({ amountCents: 15000 }), [older, middle, newer], [], 1)).toEqual({
      applications: [app('pay2', 'old', 3000), app('pay2', 'mid', 4000), app('pay2', 'new', 5000)],
      task: { reason: 'credit_remaining', amountCents: 3000 },
    });
  });

  it('flags everything as credit_remaining when the patient owes nothing', () => {
    expect(decideOutstandingBalance(balancePayment(), [], ['unknown'], 1)).toEqual({
      applications: [],
      task: { reason: 'credit_remaining', amountCents: 10000 },
    });
  });

  it('places only the unapplied part of a payment', () => {
    const payment = balancePayment({ amountCents: 10000, appliedCents: 6000, refundedCents: 1000 });
    expect(decideOutstandingBalance(payment, [older, middle], [], 1).applications).toEqual([app('pay2', 'old', 3000)]);
  });

  it('does nothing when the payment has no unapplied money left', () => {
    expect(decideOutstandingBalance(balancePayment({ appliedCents: 10000 }), [older], [], 1)).toEqual({ applications: [] });
  });

  it('ignores unknown and repeated names', () => {
    const decision = decideOutstandingBalance(balancePayment({ amountCents: 8000 }), [older, middle], ['nope', 'mid', 'mid'], 1);
    expect(decision.applications).toEqual([app('pay2', 'mid', 4000), app('pay2', 'old', 3000)]);
  });

  it('refuses a copay (it must never be swept over other visits)', () => {
    expect(() => decideOutstandingBalance(copay(), [older], [], 1)).toThrow(Error);
  });

  it('refuses the same claim twice', () => {
    expect(() => decideOutstandingBalance(balancePayment(), [older, older], [], 1)).toThrow(Error);
  });

  it('refuses a claim with bad amounts', () => {
    expect(() => decideOutstandingBalance(balancePayment(), [claim({ appliedCents: 1.25 })], [], 1)).toThrow(TypeError);
  });
});

describe('decideTransferTimeout', () => {
  it('hands the whole unapplied copay to staff', () => {
    expect(decideTransferTimeout(copay())).toEqual({ applications: [], task: { reason: 'transfer_timeout', amountCents: 2500 } });
  });

  it('hands over only what was not refunded', () => {
    expect(decideTransferTimeout(copay({ refundedCents: 1000 })).task).toEqual({ reason: 'transfer_timeout', amountCents: 1500 });
  });

  it('opens no task when nothing is left to place', () => {
    expect(decideTransferTimeout(copay({ refundedCents: 2500 }))).toEqual({ applications: [] });
  });
});

describe('decideReversal', () => {
  const apps: ApplicationState[] = [
    { applicationId: 'a1', paymentId: 'p1', claimId: 'c1', kind: 'auto', reversed: false, amountCents: 2500 },
    { applicationId: 'a2', paymentId: 'p1', claimId: 'c1', kind: 'auto', reversed: true, amountCents: 2500 },
    { applicationId: 'a3', paymentId: 'p2', claimId: 'c1', kind: 'manual', reversed: false, amountCents: 700 },
    { applicationId: 'a4', paymentId: 'p2', claimId: 'c1', kind: 'manual', reversed: true, amountCents: 900 },
    { applicationId: 'a5', paymentId: 'p3', claimId: 'c2', kind: 'auto', reversed: false, amountCents: 1000 },
    { applicationId: 'a6', paymentId: 'p3', claimId: 'c1', kind: 'auto', reversed: false, amountCents: 300 },
    { applicationId: 'a7', paymentId: 'p3', claimId: 'c1', kind: 'manual', reversed: false, amountCents: 100 },
  ];

  it('reverses every standing auto application on that claim, whoever made it; staff get the rest, per payment', () => {
    expect(decideReversal(apps, 'c1')).toEqual({
      reverseApplicationIds: ['a1', 'a6'],
      tasks: [
        { paymentId: 'p2', reason: 'claim_reversed', amountCents: 700 },
        { paymentId: 'p3', reason: 'claim_reversed', amountCents: 100 },
        { paymentId: 'p1', reason: 'credit_remaining', amountCents: 2500 },
        { paymentId: 'p3', reason: 'credit_remaining', amountCents: 300 },
      ],
    });
  });

  it("leaves a live run's own reversed application to that run (a copay watching for this reversal)", () => {
    expect(decideReversal(apps, 'c1', new Set(['a1'])).tasks).toEqual([
      { paymentId: 'p2', reason: 'claim_reversed', amountCents: 700 },
      { paymentId: 'p3', reason: 'claim_reversed', amountCents: 100 },
      { paymentId: 'p3', reason: 'credit_remaining', amountCents: 300 },
    ]);
  });

  it("knows a round's own application by its key (a copay run's; not a return's, a trim's or a credit's)", () => {
    expect(isRoundApplicationKey(autoApplicationKey('p1', 'c1', 2))).toBe(true);
    for (const key of ['payment:p1:claim:c1:auto:returned-v6:at-v9', 'payment:p1:claim:c1:auto:trimmed-v3:a1', 'payment:p1:claim:c1:credit:on-c1-v2', 'payment:p1:claim:c1:card-on-file']) {
      expect(isRoundApplicationKey(key)).toBe(false);
    }
  });

  it('opens no task when nothing stands on the claim', () => {
    expect(decideReversal(apps, 'c2', new Set(['a5']))).toEqual({ reverseApplicationIds: ['a5'], tasks: [] });
    expect(decideReversal([], 'c1')).toEqual({ reverseApplicationIds: [], tasks: [] });
  });

  it('refuses bad amounts, unknown kinds and duplicate ids', () => {
    const first = apps[0]!;
    expect(() => decideReversal([{ ...first, amountCents: -1 }], 'c1')).toThrow(RangeError);
    expect(() => decideReversal([{ ...first, kind: 'other' as 'auto' }], 'c1')).toThrow(TypeError);
    expect(() => decideReversal([first, first], 'c1')).toThrow(Error);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties over random payments and claims.

const patients = ['p1', 'p2'];
const dates = ['2026-01-15', '2026-03-08', '2026-03-09', '2026-11-27', '2026-11-28'];

const claimArb = (claimId: fc.Arbitrary<string>): fc.Arbitrary<ClaimState> =>
  fc.record({
    claimId,
    visitId: fc.constantFrom('v1', 'v2', 'v3'),
    patientId: fc.constantFrom(...patients),
    responsibility: fc.constantFrom<'payer' | 'patient'>('payer', 'patient'),
    dateOfService: fc.constantFrom(...dates),
    patientResponsibilityCents: fc.integer({ min: 0, max: 20_000 }),
    // may exceed responsibility: a payer can lower it after money was applied
    appliedCents: fc.integer({ min: 0, max: 22_000 }),
  });

const paymentArb = (reason: PaymentState['reason']): fc.Arbitrary<PaymentState> =>
  fc
    .record({
      paymentId: fc.constantFrom('pay-a', 'pay-b'),
      patientId: fc.constantFrom(...patients),
      visitId: fc.constantFrom('v1', 'v2', 'v3'),
      amountCents: fc.integer({ min: 1, max: 40_000 }),
      appliedShare: fc.double({ min: 0, max: 1, noNaN: true }),
      refundedShare: fc.double({ min: 0, max: 1, noNaN: true }),
      paymentDate: fc.constantFrom(...dates),
    })
    .map(({ appliedShare, refundedShare, visitId, ...p }) => {
      // mostly nothing applied yet, sometimes part or all of it
      const appliedCents = Math.floor(p.amountCents * appliedShare * appliedShare);
      const refundedCents = Math.floor((p.amountCents - appliedCents) * refundedShare * refundedShare * refundedShare);
      return { ...p, reason, appliedCents, refundedCents, ...(reason === 'copay' ? { visitId } : {}) };
    });

/** A copay and its own visit's claim (the only valid call). */
const copayCaseArb = fc
  .tuple(paymentArb('copay'), claimArb(fc.constant('c1')), fc.integer({ min: 1, max: 5 }))
  .map(([payment, c, round]) => ({
    payment,
    claim: { ...c, visitId: payment.visitId!, patientId: payment.patientId },
    round,
  }));

const claimIds = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8'];
const balanceCaseArb = fc
  .tuple(
    paymentArb('outstanding_balance'),
    fc.uniqueArray(claimArb(fc.constantFrom(...claimIds)), { selector: (c) => c.claimId, maxLength: claimIds.length }),
    fc.array(fc.constantFrom(...claimIds, 'unknown'), { maxLength: 4 }),
    fc.integer({ min: 1, max: 5 }),
  )
  .map(([payment, claims, named, round]) => ({ payment, claims, named, round }));

const sum = (d: Decision) => d.applications.reduce((s, a) => s + a.amountCents, 0);
const isPositiveCents = (n: number) => Number.isSafeInteger(n) && n > 0;

/** Properties every decision keeps, whatever the path. */
function expectWellFormed(d: Decision, payment: PaymentState, claims: ClaimState[]) {
  const unapplied = unappliedCents(payment);
  expect(sum(d) <= unapplied).toBe(true); // no payment over-applied
  for (const a of d.applications) {
    expect(isPositiveCents(a.amountCents)).toBe(true);
    expect(a.paymentId).toBe(payment.paymentId);
    const target = claims.find((c) => c.claimId === a.claimId);
    expect(target).toBeDefined();
    expect(target!.responsibility).toBe('patient'); // payer-held claims never touched
    expect(target!.patientId).toBe(payment.patientId);
    expect(a.amountCents <= openBalanceCents(target!)).toBe(true); // no claim over-applied
  }
  expect(new Set(d.applications.map((a) => a.businessKey)).size).toBe(d.applications.length);
  expect(new Set(d.applications.map((a) => a.claimId)).size).toBe(d.applications.length);
  if (d.task) {
    expect(isPositiveCents(d.task.amountCents)).toBe(true);
    // money neither created nor lost
    expect(sum(d) + d.task.amountCents).toBe(unapplied);
  }
}

describe('application rules: properties', () => {
  it('a copay decision is well formed, stays on its own claim, and accounts for every cent', () => {
    fc.assert(
      fc.property(copayCaseArb, ({ payment, claim: c, round }) => {
        const d = decideCopay(payment, c, round);
        expectWellFormed(d, payment, [c]);
        for (const a of d.applications) expect(a.claimId).toBe(c.claimId);
        const unapplied = unappliedCents(payment);
        if (unapplied === 0 || c.responsibility === 'payer') {
          expect(d).toEqual({ applications: [] });
        } else if (payment.paymentDate !== c.dateOfService) {
          expect(d).toEqual({ applications: [], task: { reason: 'date_mismatch', amountCents: unapplied } });
        } else {
          expect(sum(d) + (d.task?.amountCents ?? 0)).toBe(unapplied);
          expect(sum(d)).toBe(Math.min(unapplied, openBalanceCents(c)));
          if (d.task) expect(d.task.reason).toBe('credit_remaining');
        }
      }),
    );
  });

  it("a copay is never placed on another visit's or another patient's claim", () => {
    fc.assert(
      fc.property(paymentArb('copay'), claimArb(fc.constant('c1')), (payment, c) => {
        fc.pre(c.visitId !== payment.visitId || c.patientId !== payment.patientId);
        expect(() => decideCopay(payment, c, 1)).toThrow();
      }),
    );
  });

  it('an outstanding-balance decision is well formed and accounts for every cent', () => {
    fc.assert(
      fc.property(balanceCaseArb, ({ payment, claims, named, round }) => {
        const d = decideOutstandingBalance(payment, claims, named, round);
        expectWellFormed(d, payment, claims);
        const unapplied = unappliedCents(payment);
        if (unapplied === 0) expect(d).toEqual({ applications: [] });
        else expect(sum(d) + (d.task?.amountCents ?? 0)).toBe(unapplied);
        if (d.task) expect(d.task.reason).toBe('credit_remaining');
      }),
    );
  });

  it('leaves no credit while an eligible claim still has an open balance', () => {
    fc.assert(
      fc.property(balanceCaseArb, ({ payment, claims, named, round }) => {
        const d = decideOutstandingBalance(payment, claims, named, round);
        if (!d.task) return;
        for (const c of claims) {
          if (c.patientId !== payment.patientId || c.responsibility !== 'patient') continue;
          const placed = d.applications.find((a) => a.claimId === c.claimId)?.amountCents ?? 0;
          expect(placed).toBe(openBalanceCents(c));
        }
      }),
    );
  });

  it('pays named claims before the others, and older claims before newer ones', () => {
    fc.assert(
      fc.property(balanceCaseArb, ({ payment, claims, named, round }) => {
        const d = decideOutstandingBalance(payment, claims, named, round);
        const eligible = claims.filter((c) => c.patientId === payment.patientId && c.responsibility === 'patient' && openBalanceCents(c) > 0);
        const placed = (c: ClaimState) => d.applications.find((a) => a.claimId === c.claimId)?.amountCents ?? 0;
        const isPaid = (c: ClaimState) => placed(c) === openBalanceCents(c);
        const namedEligible = eligible.filter((c) => named.includes(c.claimId));
        const unnamed = eligible.filter((c) => !named.includes(c.claimId));
        // an unnamed claim only gets money once every named one is paid
        if (unnamed.some((c) => placed(c) > 0)) expect(namedEligible.every(isPaid)).toBe(true);
        // among unnamed claims, a claim only gets money once every strictly older one is paid
        for (const c of unnamed) {
          if (placed(c) === 0) continue;
          for (const o of unnamed) if (o.dateOfService < c.dateOfService) expect(isPaid(o)).toBe(true);
        }
      }),
    );
  });

  it('is deterministic: same input, same decision, whatever the order claims arrive in', () => {
    fc.assert(
      fc.property(balanceCaseArb, ({ payment, claims, named, round }) => {
        const first = decideOutstandingBalance(payment, claims, named, round);
        expect(decideOutstandingBalance(structuredClone(payment), structuredClone(claims), [...named], round)).toEqual(first);
        expect(decideOutstandingBalance(payment, [...claims].reverse(), named, round)).toEqual(first);
      }),
    );
    fc.assert(
      fc.property(copayCaseArb, ({ payment, claim: c, round }) => {
        expect(decideCopay(structuredClone(payment), structuredClone(c), round)).toEqual(decideCopay(payment, c, round));
      }),
    );
  });

  it('a transfer timeout hands exactly the unapplied money to staff', () => {
    fc.assert(
      fc.property(paymentArb('copay'), (payment) => {
        const d = decideTransferTimeout(payment);
        expect(d.applications).toEqual([]);
        expect(d.task?.amountCents ?? 0).toBe(unappliedCents(payment));
        if (d.task) expect(d.task.reason).toBe('transfer_timeout');
      }),
    );
  });

  it('a reversal undoes exactly the standing auto applications on the claim, and every standing cent is reversed or in a task', () => {
    const applicationArb = fc.record({
      paymentId: fc.constantFrom('p1', 'p2', 'p3'),
      claimId: fc.constantFrom('c1', 'c2'),
      kind: fc.constantFrom<'auto' | 'manual'>('auto', 'manual'),
      reversed: fc.boolean(),
      amountCents: fc.integer({ min: 1, max: 10_000 }),
    });
    fc.assert(
      fc.property(fc.array(applicationArb, { maxLength: 8 }), (raw) => {
        const apps = raw.map((a, i) => ({ ...a, applicationId: `a${i}` }));
        const rerun = new Set(apps.filter((a) => a.paymentId === 'p1' && a.amountCents % 2 === 0).map((a) => a.applicationId));
        const d = decideReversal(apps, 'c1', rerun);
        const standing = apps.filter((a) => a.claimId === 'c1' && !a.reversed);
        expect(d.reverseApplicationIds).toEqual(standing.filter((a) => a.kind === 'auto').map((a) => a.applicationId));
        const sum = (xs: { amountCents: number }[]) => xs.reduce((s, a) => s + a.amountCents, 0);
        // No cent vanishes: manual money is in a claim_reversed task; reversed auto money in a task or with its run.
        expect(sum(d.tasks.filter((t) => t.reason === 'claim_reversed'))).toBe(sum(standing.filter((a) => a.kind === 'manual')));
        const autoCents = sum(standing.filter((a) => a.kind === 'auto'));
        expect(sum(d.tasks.filter((t) => t.reason === 'credit_remaining')) + sum(standing.filter((a) => a.kind === 'auto' && rerun.has(a.applicationId)))).toBe(autoCents);
        expect(new Set(d.tasks.map((t) => `${t.paymentId}:${t.reason}`)).size).toBe(d.tasks.length); // one per payment and reason
      }),
    );
  });
});

describe('decideReapplication', () => {
  const claim = { claimId: 'c1', visitId: 'v1', patientId: 'pt1', responsibility: 'patient' as const, dateOfService: '2026-11-20', patientResponsibilityCents: 5000, appliedCents: 1000 };
  const balance = { paymentId: 'p1', patientId: 'pt1', reason: 'outstanding_balance' as const, amountCents: 6000, appliedCents: 0, refundedCents: 0, paymentDate: '2026-11-25' };
  const copay = { ...balance, reason: 'copay' as const, visitId: 'v1', amountCents: 2500, paymentDate: '2026-11-20' };

  it('puts the reversed money back up to the open balance and what is still unapplied', () => {
    expect(decideReapplication(balance, claim, 6000)).toBe(4000);
    expect(decideReapplication(balance, claim, 3000)).toBe(3000);
    expect(decideReapplication({ ...balance, appliedCents: 4500 }, claim, 3000)).toBe(1500); // staff placed some meanwhile
  });

  it('a copay only on its date of service; nothing while a payer holds the claim or for another patient', () => {
    expect(decideReapplication(copay, claim, 2500)).toBe(2500);
    expect(decideReapplication({ ...copay, paymentDate: '2026-11-21' }, claim, 2500)).toBe(0);
    expect(decideReapplication(balance, { ...claim, responsibility: 'payer' }, 2500)).toBe(0);
    expect(decideReapplication(balance, { ...claim, patientId: 'pt2' }, 2500)).toBe(0);
  });
});
