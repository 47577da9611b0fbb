/** The staff patient page's dates are the practice's calendar dates (shared/domain.md), never UTC's. */
import { patientPage } from '../../web/staff/pages/patient';

describe('staff patient page', () => {
  it("says when a task was opened on the practice's calendar: 19:00 in Los Angeles is still that day there", () => {
    const html = patientPage(
      { staff: { id: 's1', practiceId: 'p1', displayName: 'Billing', role: 'billing' } as never, csrf: 'x' },
      {
        patient: { patientId: 'pt1', externalId: 'pt-1', firstName: 'Ada', lastName: 'Test', dateOfBirth: '1984-03-12', timeZone: 'America/Los_Angeles' },
        claims: [], visits: [], copays: [], balances: [], credits: [],
        tasks: [{ taskId: 't1', reason: 'credit_remaining', createdAt: new Date('2026-11-21T03:00:00Z') }],
        creditAge: () => { throw new Error('no credits here'); },
      },
    );
    expect(html).toContain('opened Nov 20, 2026');
    expect(html).not.toContain('opened Nov 21, 2026');
  });
});
