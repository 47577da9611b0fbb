/** What runs say about themselves in the Temporal UI: details in plain words, activity summaries. */
import { dayOfWait, formatWallTime, transferWaitDetails, DAY_MS } from '../../workflows/run-details';
import { activitySummary } from '../../workflows/interceptors';

describe('run details', () => {
  it('says when a wait ends on the practice wall clock, with the zone abbreviation', () => {
    expect(formatWallTime(Date.parse('2026-12-02T01:00:00Z'), 'America/Los_Angeles')).toBe('2026-12-01 17:00 PST');
    expect(formatWallTime(Date.parse('2026-07-02T01:00:00Z'), 'America/Los_Angeles')).toBe('2026-07-01 18:00 PDT');
    expect(formatWallTime(Date.parse('2026-12-02T01:00:00Z'), 'America/New_York')).toBe('2026-12-01 20:00 EST');
    // Runs started before the time zone was an input read in UTC; a bad zone never breaks a run.
    expect(formatWallTime(Date.parse('2026-12-02T01:00:00Z'), 'UTC')).toBe('2026-12-02 01:00 UTC');
    expect(formatWallTime(Date.parse('2026-12-02T01:00:00Z'), 'Not/AZone')).toBe('2026-12-02 01:00 UTC');
  });

  it('counts the days of a long wait: day 1 on the first day, day 12 on the twelfth, never past the last', () => {
    const start = Date.parse('2026-11-20T18:00:00Z');
    expect(dayOfWait(start, start, 120 * DAY_MS)).toBe('day 1 of 120');
    expect(dayOfWait(start, start + 11 * DAY_MS + 5, 120 * DAY_MS)).toBe('day 12 of 120');
    expect(dayOfWait(start, start + 130 * DAY_MS, 120 * DAY_MS)).toBe('day 120 of 120');
    expect(dayOfWait(start, start, DAY_MS)).toBeUndefined();
    expect(transferWaitDetails(start, start + 11 * DAY_MS, 120 * DAY_MS)).toBe("waiting for the claim's responsibility transfer, day 12 of 120");
    expect(transferWaitDetails(start, start, 3_600_000)).toBe("waiting for the claim's responsibility transfer");
  });
});

describe('activity summaries', () => {
  it.each([
    ['openPaymentRequest', { collectionId: 'c1' }, 'open the EHR payment request (Patient Payment tool, pre-filled)'],
    ['setCollectionStatus', { collectionId: 'c1', status: 'awaiting_capture' }, 'record status awaiting_capture on the collection'],
    ['recordCapturedPayment', { amountCents: 2500, method: 'card', externalPaymentId: 'pay-9' }, 'record the captured payment: $25.00 by card (EHR payment pay-9)'],
    ['applyDecision', { applications: [{ claimId: 'cl-1', amountCents: 2500 }] }, 'apply $25.00 to claim cl-1'],
    ['applyDecision', { applications: [{ claimId: 'a', amountCents: 1000 }, { claimId: 'b', amountCents: 500 }], task: { reason: 'credit_remaining', amountCents: 1000 } },
      'apply $15.00 to 2 claims; flag for staff: credit_remaining ($10.00)'],
    ['applyDecision', { applications: [], task: { reason: 'date_mismatch', amountCents: 3000 } }, 'flag for staff: date_mismatch ($30.00)'],
    ['resolveTask', { taskId: 't1', resolution: 'refund', refundCents: 500 }, 'resolve task t1: refund $5.00'],
    ['cancelPaymentRequest', { requestId: 'r1' }, 'cancel EHR payment request r1'],
    ['recordWiringCheck', {}, 'record wiring check'],
  ])('%s %j → "%s"', (type, args, summary) => {
    expect(activitySummary(type, [args])).toBe(summary);
  });
});
