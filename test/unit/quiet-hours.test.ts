/** Text messages only between 08:00 and 21:00 on the practice's wall clock (domain/quiet-hours.ts). */
import fc from 'fast-check';
import { isTextAllowed, nextTextTime } from '../../domain/quiet-hours';

const LA = 'America/Los_Angeles';
const at = (iso: string) => new Date(iso);

describe('quiet hours', () => {
  it.each([
    // November in Los Angeles: PST, UTC-8.
    ['2026-11-20T15:59:59Z', false], // 07:59:59
    ['2026-11-20T16:00:00Z', true], // 08:00
    ['2026-11-21T04:59:59Z', true], // 20:59:59
    ['2026-11-21T05:00:00Z', false], // 21:00
    ['2026-11-21T10:00:00Z', false], // 02:00
    // July: PDT, UTC-7.
    ['2026-07-04T15:00:00Z', true], // 08:00
    ['2026-07-04T14:59:00Z', false], // 07:59
    ['2026-07-05T03:59:00Z', true], // 20:59
    ['2026-07-05T04:00:00Z', false], // 21:00
  ])('in Los Angeles at %s a text may go: %p', (iso, allowed) => {
    expect(isTextAllowed(at(iso), LA)).toBe(allowed);
  });

  it('sends at once inside the window', () => {
    expect(nextTextTime(at('2026-11-20T20:15:00Z'), LA).toISOString()).toBe('2026-11-20T20:15:00.000Z');
  });

  it('holds a text from before 08:00 until 08:00 the same day', () => {
    expect(nextTextTime(at('2026-11-20T10:30:00Z'), LA).toISOString()).toBe('2026-11-20T16:00:00.000Z'); // 02:30 → 08:00 PST
  });

  it('holds a text from 21:00 until 08:00 the next day, on the practice calendar (not the UTC one)', () => {
    // 21:30 on Nov 20 in LA is already Nov 21 in UTC: the text goes at 08:00 on Nov 21 LA time.
    expect(nextTextTime(at('2026-11-21T05:30:00Z'), LA).toISOString()).toBe('2026-11-21T16:00:00.000Z');
    // 23:59 on Dec 31: 08:00 on Jan 1 of the next year.
    expect(nextTextTime(at('2027-01-01T07:59:00Z'), LA).toISOString()).toBe('2027-01-01T16:00:00.000Z');
  });

  it('uses the offset in force at 08:00 across a DST change', () => {
    // Saturday 2026-03-07 22:00 PST → Sunday 2026-03-08 08:00 PDT (UTC-7): clocks sprang forward overnight.
    expect(nextTextTime(at('2026-03-08T06:00:00Z'), LA).toISOString()).toBe('2026-03-08T15:00:00.000Z');
    // Saturday 2026-10-31 23:00 PDT → Sunday 2026-11-01 08:00 PST (UTC-8).
    expect(nextTextTime(at('2026-11-01T06:00:00Z'), LA).toISOString()).toBe('2026-11-01T16:00:00.000Z');
  });

  it('works in any zone: half-hour offsets, east of UTC', () => {
    expect(nextTextTime(at('2026-06-01T00:00:00Z'), 'Asia/Kolkata').toISOString()).toBe('2026-06-01T02:30:00.000Z'); // 05:30 → 08:00 IST
    expect(isTextAllowed(at('2026-06-01T02:30:00Z'), 'Asia/Kolkata')).toBe(true);
    expect(nextTextTime(at('2026-06-01T12:00:00Z'), 'Pacific/Auckland').toISOString()).toBe('2026-06-01T20:00:00.000Z'); // 00:00 NZST → 08:00
  });

  it('refuses an unknown zone or an invalid instant', () => {
    expect(() => isTextAllowed(new Date(), 'Mars/Olympus_Mons')).toThrow(RangeError);
    expect(() => nextTextTime(new Date(Number.NaN), LA)).toThrow(RangeError);
  });

  it('always answers an allowed time, never earlier than asked, and the first one (property)', () => {
    const zones = ['America/Los_Angeles', 'America/New_York', 'Europe/London', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'UTC'];
    fc.assert(fc.property(fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 0, 1) }), fc.constantFrom(...zones), (ms, zone) => {
      const when = nextTextTime(new Date(ms), zone);
      expect(when.getTime()).toBeGreaterThanOrEqual(ms);
      expect(isTextAllowed(when, zone)).toBe(true);
      if (isTextAllowed(new Date(ms), zone)) expect(when.getTime()).toBe(ms);
      else {
        // Nothing earlier was allowed: one minute before it is still quiet, and it is within a day.
        expect(isTextAllowed(new Date(when.getTime() - 60_000), zone)).toBe(false);
        expect(when.getTime() - ms).toBeLessThanOrEqual(11 * 3_600_000 + 60 * 60_000);
      }
    }), { numRuns: 500 });
  });
});
