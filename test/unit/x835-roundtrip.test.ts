/**
 * Property tests: any model the writer can print comes back the same through tokenizer → envelopes → parser, with
 * delimiters drawn from the set senders use; a balanced model also passes the validation; cents ⇄ X12 decimals.
 */
import fc from 'fast-check';
import { formatAmount, parseAmount } from '../../edi/x12/amounts';
import type { Delimiters } from '../../edi/x12/tokenizer';
import {
  ADJUSTMENT_GROUPS, CLAIM_STATUSES, HANDLING_CODES, PAYMENT_METHODS,
  type Adjustment, type Claim835, type Remittance835, type ServiceLine, type Transaction835,
} from '../../edi/x835/model';
import { parseRemittance } from '../../edi/x835/parse';
import { expectedPaymentCents, readRemittance } from '../../edi/x835/validate';
import { STANDARD_DELIMITERS, writeRemittance } from '../../edi/x835/write';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const code = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...ALNUM), minLength: min, maxLength: max });
const name = fc.array(code(1, 8), { minLength: 1, maxLength: 3 }).map((words) => words.join(' '));
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const isoDate = fc.integer({ min: 0, max: 36_500 }).map((days) => new Date(Date.UTC(2000, 0, 1 + days)).toISOString().slice(0, 10));
const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}${String(m).padStart(2, '0')}`);
const cents = fc.integer({ min: -10_000_000, max: 10_000_000 });
const quantity = fc.oneof(fc.nat(999).map(String), fc.tuple(fc.nat(99), digits(1, 2)).map(([w, f]) => `${w}.${f}`));
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Drops the keys whose value is undefined: the parser leaves absent fields out. */
const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const adjustment: fc.Arbitrary<Adjustment> = fc.record({
  group: fc.constantFrom(...ADJUSTMENT_GROUPS), reasonCode: code(1, 5), amountCents: cents, quantity: optional(quantity),
}).map(defined);

const serviceLine: fc.Arbitrary<ServiceLine> = fc.record({
  procedure: fc.record({ qualifier: fc.constantFrom('HC', 'AD', 'NU'), code: code(1, 8), modifiers: fc.array(code(2, 2), { maxLength: 4 }) }),
  chargeCents: cents, paidCents: cents, units: optional(quantity), serviceDate: optional(isoDate),
  adjustments: fc.array(adjustment, { maxLength: 8 }),
}).map(defined);

const claim: fc.Arbitrary<Claim835> = fc.record({
  patientControlNumber: code(1, 20), status: fc.constantFrom(...CLAIM_STATUSES),
  chargeCents: cents, paidCents: cents, patientResponsibilityCents: cents,
  filingIndicator: fc.constantFrom('12', 'MC', 'MB', 'HM', 'CI'), payerClaimControlNumber: code(1, 20),
  adjustments: fc.array(adjustment, { maxLength: 8 }),
  patient: fc.record({ lastName: name, firstName: optional(name), memberId: optional(code(1, 12)) }).map(defined),
  serviceLines: fc.array(serviceLine, { maxLength: 3 }),
});

const transaction: fc.Arbitrary<Transaction835> = fc.record({
  controlNumber: digits(4, 9),
  payment: fc.record({
    handlingCode: fc.constantFrom(...HANDLING_CODES), totalCents: fc.nat(100_000_000), creditDebit: fc.constantFrom('C' as const, 'D' as const),
    method: fc.constantFrom(...PAYMENT_METHODS), date: isoDate,
  }),
  trace: fc.record({ number: code(1, 30), payerId: code(10, 10) }),
  payer: fc.record({ name, id: optional(fc.record({ qualifier: fc.constantFrom('XV', 'PI'), value: code(1, 12) })) }).map(defined),
  payee: fc.record({ name, id: fc.record({ qualifier: fc.constantFrom('XX', 'FI'), value: code(9, 10) }) }),
  claims: fc.array(claim, { maxLength: 3 }),
  providerAdjustments: fc.array(fc.record({
    providerId: code(1, 10), fiscalPeriodDate: isoDate,
    items: fc.array(fc.record({ reasonCode: fc.constantFrom('L6', 'WO', 'FB', 'CS', '72'), reference: optional(code(1, 12)), amountCents: cents }).map(defined), { minLength: 1, maxLength: 6 }),
  }), { maxLength: 2 }),
});

const remittance: fc.Arbitrary<Remittance835> = fc.record({
  interchange: fc.record({
    sender: fc.record({ qualifier: fc.constantFrom('ZZ', '30'), id: code(1, 15) }),
    receiver: fc.record({ qualifier: fc.constantFrom('ZZ', '30'), id: code(1, 15) }),
    date: isoDate, time: hhmm, controlNumber: digits(9, 9), usage: fc.constantFrom('P' as const, 'T' as const),
  }),
  groups: fc.array(fc.record({
    senderCode: code(2, 15), receiverCode: code(2, 15), date: isoDate, time: hhmm, controlNumber: digits(1, 9),
    transactions: fc.array(transaction, { minLength: 1, maxLength: 2 }),
  }), { minLength: 1, maxLength: 2 }),
});

/** Four distinct delimiters from those senders use; the segment terminator may also be a line feed. */
const delimiters: fc.Arbitrary<Delimiters> = fc.shuffledSubarray(['*', '|', '^', ':', '~', '!', '>', '\\', '{', '}', '#', '`', '\n'], { minLength: 4, maxLength: 4 })
  .filter(([element, repetition, component]) => ![element, repetition, component].includes('\n'))
  .map(([element, repetition, component, segment]) => ({ element: element!, repetition: repetition!, component: component!, segment: segment! }));

/** Makes the money add up the way validate.ts checks it, from whatever was generated. */
function balanced(r: Remittance835): Remittance835 {
  const sum = (a: Adjustment[]) => a.reduce((s, x) => s + x.amountCents, 0);
  return {
    ...r,
    groups: r.groups.map((g) => ({
      ...g,
      transactions: g.transactions.map((t) => {
        const claims = t.claims.map((c) => {
          const status = c.status === '22' || c.status === '4' ? '1' : c.status;
          const serviceLines = c.serviceLines.map((l) => {
            const lineCharge = Math.abs(l.chargeCents);
            return { ...l, chargeCents: lineCharge, paidCents: lineCharge - sum(l.adjustments) };
          });
          const chargeCents = Math.abs(c.chargeCents);
          return { ...c, status, chargeCents, serviceLines, paidCents: chargeCents - sum(c.adjustments) - serviceLines.reduce((s, l) => s + sum(l.adjustments), 0) };
        });
        const expected = expectedPaymentCents({ ...t, claims });
        return { ...t, claims, payment: { ...t.payment, totalCents: Math.abs(expected), creditDebit: expected < 0 ? 'D' as const : 'C' as const } };
      }),
    })),
  };
}

describe('835 round trip', () => {
  it('any model → write (random delimiters, with or without line breaks) → parse → the same model', () => {
    fc.assert(fc.property(remittance, delimiters, fc.boolean(), (r, d, lineBreaks) => {
      expect(parseRemittance(writeRemittance(r, { delimiters: d, lineBreaks })).remittance).toEqual(r);
    }), { numRuns: 300 });
  });

  it('a balanced model passes the validation, and still round-trips', () => {
    fc.assert(fc.property(remittance.map(balanced), delimiters, (r, d) => {
      expect(readRemittance(writeRemittance(r, { delimiters: d }))).toEqual(r);
    }), { numRuns: 200 });
  });

  it('more than 6 adjustments of one group become several CAS segments, read back as one list', () => {
    fc.assert(fc.property(remittance, (r) => {
      const text = writeRemittance(r);
      for (const line of text.split('~').filter((s) => s.startsWith('CAS*'))) expect(line.split('*').length).toBeLessThanOrEqual(20);
    }), { numRuns: 50 });
  });

  it('refuses to write a value that holds a delimiter, naming the element only', () => {
    fc.assert(fc.property(remittance, (r) => {
      const [g] = r.groups;
      const bad = { ...r, groups: [{ ...g!, controlNumber: '12*34' }] };
      expect(() => writeRemittance(bad, { delimiters: STANDARD_DELIMITERS })).toThrow(new RangeError('GS06 contains a delimiter'));
    }), { numRuns: 5 });
  });
});

describe('cents ⇄ X12 decimals', () => {
  it.each([
    ['123.4', 12340], ['-25', -2500], ['0.5', 50], ['.5', 50], ['100', 10000], ['100.00', 10000], ['0', 0], ['-0', 0], ['-0.01', -1], ['007.10', 710],
  ])('parseAmount(%p) is %p cents', (text, expected) => {
    expect(parseAmount(text)).toEqual({ ok: true, cents: expected });
  });

  it.each([
    ['1.234', 'has more than 2 decimals'], ['1.230', 'has more than 2 decimals'], ['', 'is not an amount'], ['12.', 'is not an amount'], ['+5', 'is not an amount'],
    ['1e3', 'is not an amount'], [' 5', 'is not an amount'], ['1,000', 'is not an amount'], ['-', 'is not an amount'], ['.', 'is not an amount'],
    ['12O', 'is not an amount'], ['12345678901234', 'is too large'],
  ])('parseAmount(%p) refuses: %s', (text, problem) => {
    expect(parseAmount(text)).toEqual({ ok: false, problem });
  });

  it.each([[12340, '123.4'], [-2500, '-25'], [50, '0.5'], [0, '0'], [1, '0.01'], [-101, '-1.01']])('formatAmount(%p) is %p', (c, text) => {
    expect(formatAmount(c)).toBe(text);
  });

  it('formatAmount then parseAmount gives back every amount', () => {
    fc.assert(fc.property(fc.integer({ min: -(10 ** 15) + 1, max: 10 ** 15 - 1 }), (c) => {
      expect(parseAmount(formatAmount(c))).toEqual({ ok: true, cents: c });
    }));
  });

  it('parseAmount reads any dollars.cents text exactly (string arithmetic, no float error)', () => {
    fc.assert(fc.property(fc.boolean(), fc.nat(10 ** 9), digits(0, 2), (negative, whole, fraction) => {
      const text = `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
      const expected = whole * 100 + Number(fraction.padEnd(2, '0'));
      expect(parseAmount(text)).toEqual({ ok: true, cents: negative && expected !== 0 ? -expected : expected });
    }));
  });

  it('refuses a float-looking value instead of rounding it', () => {
    expect(() => formatAmount(0.1 + 0.2)).toThrow(TypeError);
  });
});
