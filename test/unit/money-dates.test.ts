import { formatCents, isCents, isPaymentAmount, MAX_PAYMENT_CENTS } from '../../domain/money';
import { isLocalDate, isTimeZone, localDateOf } from '../../domain/dates';

describe('money', () => {
  it.each([
    [0, '$0.00'],
    [5, '$0.05'],
    [100, '$1.00'],
    [123_456, '$1,234.56'],
    [123_456_789, '$1,234,567.89'],
    [-5, '-$0.05'],
    [-123_456, '-$1,234.56'],
  ])('formatCents(%p) is %p', (cents, text) => {
    expect(formatCents(cents)).toBe(text);
  });

  it.each([1.5, NaN, Infinity])('formatCents refuses %p', (cents) => {
    expect(() => formatCents(cents)).toThrow(TypeError);
  });

  it.each([
    [1, true],
    [2500, true],
    [MAX_PAYMENT_CENTS, true],
    [0, false],
    [-1, false],
    [1.5, false],
    [NaN, false],
    [Infinity, false],
    [MAX_PAYMENT_CENTS + 1, false],
    ['100', false],
    [null, false],
  ])('isPaymentAmount(%p) is %p', (value, ok) => {
    expect(isPaymentAmount(value)).toBe(ok);
  });

  it('isCents accepts zero and negatives (ledger deltas) but not fractions or unsafe integers', () => {
    expect(isCents(0)).toBe(true);
    expect(isCents(-100)).toBe(true);
    expect(isCents(0.1)).toBe(false);
    expect(isCents(Number.MAX_SAFE_INTEGER + 1)).toBe(false);
  });
});

describe('dates', () => {
  it.each([
    ['2026-11-27', true],
    ['2028-02-29', true],
    ['2000-02-29', true],
    ['2026-02-29', false],
    ['1900-02-29', false],
    ['2026-13-01', false],
    ['2026-00-10', false],
    ['2026-04-31', false],
    ['2026-1-01', false],
    ['2026-11-27T00:00:00Z', false],
    ['', false],
    [20261127, false],
  ])('isLocalDate(%p) is %p', (value, ok) => {
    expect(isLocalDate(value)).toBe(ok);
  });

  it.each([
    ['America/Los_Angeles', true],
    ['UTC', true],
    ['Asia/Kolkata', true],
    ['Mars/Olympus_Mons', false],
    ['', false],
    [undefined, false],
  ])('isTimeZone(%p) is %p', (value, ok) => {
    expect(isTimeZone(value)).toBe(ok);
  });

  it.each([
    // 19:30 PST on the 27th: already the 28th in UTC, but the practice's calendar says the 27th
    ['2026-11-28T03:30:00Z', 'America/Los_Angeles', '2026-11-27'],
    // 00:30 PST on the 28th
    ['2026-11-28T08:30:00Z', 'America/Los_Angeles', '2026-11-28'],
    // spring forward (2026-03-08, 02:00 PST → 03:00 PDT): midnight is still at UTC−8 …
    ['2026-03-08T07:59:59Z', 'America/Los_Angeles', '2026-03-07'],
    ['2026-03-08T08:00:00Z', 'America/Los_Angeles', '2026-03-08'],
    // … and the next midnight is at UTC−7, an hour earlier in UTC
    ['2026-03-09T06:59:59Z', 'America/Los_Angeles', '2026-03-08'],
    ['2026-03-09T07:00:00Z', 'America/Los_Angeles', '2026-03-09'],
    // fall back (2026-11-01, 02:00 PDT → 01:00 PST): the 1st is 25 hours long
    ['2026-11-01T06:59:59Z', 'America/Los_Angeles', '2026-10-31'],
    ['2026-11-01T07:00:00Z', 'America/Los_Angeles', '2026-11-01'],
    ['2026-11-02T07:59:59Z', 'America/Los_Angeles', '2026-11-01'],
    ['2026-11-02T08:00:00Z', 'America/Los_Angeles', '2026-11-02'],
    // east of UTC the date runs ahead
    ['2026-11-27T20:00:00Z', 'Asia/Tokyo', '2026-11-28'],
    ['2026-11-27T20:00:00Z', 'UTC', '2026-11-27'],
  ])('localDateOf(%s, %s) is %s', (instant, zone, date) => {
    expect(localDateOf(new Date(instant), zone)).toBe(date);
  });

  it('localDateOf always yields a valid calendar date', () => {
    expect(isLocalDate(localDateOf(new Date('2028-02-29T12:00:00Z'), 'America/New_York'))).toBe(true);
  });
});
