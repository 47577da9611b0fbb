/** The card-on-file rules and the credits that apply themselves (issue 18): pure functions, no I/O. */
import fc from 'fast-check';
import type { ClaimState, PaymentState } from '../../domain/application-rules';
import {
  authorisationUsable, cardChargeKey, cardExpired, chargeNoticeSms, chargeNoticeText, declineAction, noticeChannel, planCharge, retryWaits,
} from '../../domain/card-on-file';
import { creditNoticeText, decideCreditApplications } from '../../domain/credit-application';

const NOW = new Date('2026-11-30T12:00:00Z');

describe('card on file', () => {
  it('an authorisation pays only while neither revoked nor expired, and a visit one only for its visit', () => {
    const year = { scope: 'year' as const, visitId: null, validUntil: new Date('2027-11-30T00:00:00Z'), revokedAt: null };
    expect(authorisationUsable(year, 'v1', NOW)).toEqual({ usable: true });
    expect(authorisationUsable({ ...year, revokedAt: NOW }, 'v1', NOW)).toEqual({ usable: false, reason: 'revoked' });
    expect(authorisationUsable({ ...year, validUntil: NOW }, 'v1', NOW)).toEqual({ usable: false, reason: 'expired' });
    const visit = { ...year, scope: 'visit' as const, visitId: 'v1' };
    expect(authorisationUsable(visit, 'v1', NOW)).toEqual({ usable: true });
    expect(authorisationUsable(visit, 'v2', NOW)).toEqual({ usable: false, reason: 'other_visit' });
  });

  it('charges min(owed, cap left), owed net of money already held for the visit', () => {
    expect(planCharge({ claimOpenCents: 8000, heldForVisitCents: 0, capCents: 5000, chargedOnVisitCents: 0 })).toEqual({ charge: true, amountCents: 5000, aboveCapCents: 3000 });
    expect(planCharge({ claimOpenCents: 6000, heldForVisitCents: 2500, capCents: 10_000, chargedOnVisitCents: 0 })).toEqual({ charge: true, amountCents: 3500, aboveCapCents: 0 });
    expect(planCharge({ claimOpenCents: 2000, heldForVisitCents: 2500, capCents: 10_000, chargedOnVisitCents: 0 })).toEqual({ charge: false, reason: 'nothing_owed' });
    expect(planCharge({ claimOpenCents: 6000, heldForVisitCents: 0, capCents: 5000, chargedOnVisitCents: 5000 })).toEqual({ charge: false, reason: 'cap_used' });
  });

  it('never charges more than owed nor more than the cap left (property)', () => {
    const cents = fc.integer({ min: 0, max: 1_000_000 });
    fc.assert(fc.property(cents, cents, fc.integer({ min: 1, max: 1_000_000 }), cents, (open, held, cap, charged) => {
      const p = planCharge({ claimOpenCents: open, heldForVisitCents: held, capCents: cap, chargedOnVisitCents: charged });
      if (!p.charge) return;
      expect(p.amountCents).toBeGreaterThan(0);
      expect(p.amountCents).toBeLessThanOrEqual(open - held);
      expect(p.amountCents + charged).toBeLessThanOrEqual(cap);
      expect(p.amountCents + p.aboveCapCents).toBe(open - held);
    }));
  });

  it('retries a decline on the schedule; an expired card is a task, an authentication a notice', () => {
    expect(declineAction('card_declined')).toBe('retry');
    expect(declineAction('insufficient_funds')).toBe('retry');
    expect(declineAction('processing_error')).toBe('retry');
    expect(declineAction('expired_card')).toBe('card_expired_task');
    expect(declineAction('authentication_required')).toBe('notice_only');
    const day = 86_400_000;
    expect(retryWaits([0, 3 * day, 7 * day])).toEqual([0, 3 * day, 4 * day]);
    expect(retryWaits([7 * day, 0, -5])).toEqual([0, 0, 7 * day]);
  });

  it('a card is expired after its expiry month; keys are per authorisation, claim version and attempt', () => {
    expect(cardExpired({ expMonth: 11, expYear: 2026 }, NOW, 'UTC')).toBe(false);
    expect(cardExpired({ expMonth: 10, expYear: 2026 }, NOW, 'UTC')).toBe(true);
    expect(cardExpired({ expMonth: 1, expYear: 2027 }, NOW, 'UTC')).toBe(false);
    // 17:00 on Nov 30 in Los Angeles is 01:00 on Dec 1 in UTC: a card expiring 11/2026 is still good there.
    expect(cardExpired({ expMonth: 11, expYear: 2026 }, new Date('2026-12-01T01:00:00Z'), 'America/Los_Angeles')).toBe(false);
    expect(cardExpired({ expMonth: 11, expYear: 2026 }, new Date('2026-12-01T01:00:00Z'), 'UTC')).toBe(true);
    expect(cardChargeKey('a1', 'c1', 4, 0)).toBe('card-charge:a1:c1:v4:a0');
  });

  it('the notice goes by the chosen channel when it reaches the patient, else email, text, mail', () => {
    const p = { email: 'x@example.test', phone: '+15555550100', withdrawn: [] as ('email' | 'text' | 'mail')[] };
    expect(noticeChannel('text', p)).toBe('text');
    expect(noticeChannel('text', { ...p, withdrawn: ['text'] })).toBe('email');
    expect(noticeChannel('email', { ...p, email: null })).toBe('text');
    expect(noticeChannel('email', { email: null, phone: null, withdrawn: [] })).toBe('mail');
    expect(noticeChannel('mail', p)).toBe('mail');
  });

  it('the notice says the amount, the card, the date, what is above the cap and how to pay another way; a text says less', () => {
    const n = { practiceName: 'Sunrise Clinic', firstName: 'Casey', amountCents: 5000, aboveCapCents: 3000, last4: '4242', chargeDate: '2026-12-03', payAnotherWayUrl: 'https://pay.example/portal/card-notice/t' };
    const t = chargeNoticeText(n);
    expect(t.subject).toBe('Sunrise Clinic: we will charge $50.00 to your card ending 4242');
    expect(t.body).toContain('on December 3, 2026');
    expect(t.body).toContain('$30.00, is above the limit you authorised');
    expect(t.body).toContain(n.payAnotherWayUrl);
    const sms = chargeNoticeSms(n);
    expect(sms).not.toMatch(/\$|4242/);
    expect(sms).toContain(n.payAnotherWayUrl);
  });
});

describe('credits that apply themselves', () => {
  const claim = (over: Partial<ClaimState>): ClaimState => ({
    claimId: 'c1', visitId: 'v1', patientId: 'p1', responsibility: 'patient', dateOfService: '2026-10-01', patientResponsibilityCents: 5000, appliedCents: 0, ...over,
  });
  const credit = (over: Partial<PaymentState>): PaymentState => ({
    paymentId: 'pay1', patientId: 'p1', reason: 'outstanding_balance', amountCents: 3000, appliedCents: 0, refundedCents: 0, paymentDate: '2026-09-01', ...over,
  });
  const key = (p: string, c: string) => `${p}>${c}`;

  it('the oldest credit first, onto the oldest open claims first; what is left stays a credit', () => {
    const out = decideCreditApplications(
      [credit({ paymentId: 'new', paymentDate: '2026-10-05', amountCents: 4000 }), credit({ paymentId: 'old', paymentDate: '2026-09-01', amountCents: 3000 })],
      [claim({ claimId: 'late', dateOfService: '2026-11-01', patientResponsibilityCents: 2000 }), claim({ claimId: 'early', dateOfService: '2026-10-01', patientResponsibilityCents: 4000 })],
      key,
    );
    expect(out).toEqual([
      { paymentId: 'old', claimId: 'early', amountCents: 3000, businessKey: 'old>early' },
      { paymentId: 'new', claimId: 'early', amountCents: 1000, businessKey: 'new>early' },
      { paymentId: 'new', claimId: 'late', amountCents: 2000, businessKey: 'new>late' },
    ]);
  });

  it('a copay credit goes only onto its own visit, on its date of service', () => {
    const copay = credit({ paymentId: 'cp', reason: 'copay', visitId: 'v1', paymentDate: '2026-10-01', amountCents: 2500 });
    expect(decideCreditApplications([copay], [claim({ claimId: 'other', visitId: 'v2' }), claim({ claimId: 'own', visitId: 'v1' })], key))
      .toEqual([{ paymentId: 'cp', claimId: 'own', amountCents: 2500, businessKey: 'cp>own' }]);
    expect(decideCreditApplications([{ ...copay, paymentDate: '2026-10-02' }], [claim({ claimId: 'own', visitId: 'v1' })], key)).toEqual([]);
    expect(decideCreditApplications([copay], [claim({ claimId: 'other', visitId: 'v2' })], key)).toEqual([]);
  });

  it('never puts more on a claim than it has open, nor takes more than a credit has (property)', () => {
    const arb = fc.record({
      credits: fc.array(fc.record({ amount: fc.integer({ min: 1, max: 10_000 }), applied: fc.integer({ min: 0, max: 10_000 }), day: fc.integer({ min: 1, max: 28 }) }), { maxLength: 5 }),
      claims: fc.array(fc.record({ resp: fc.integer({ min: 0, max: 10_000 }), applied: fc.integer({ min: 0, max: 10_000 }), day: fc.integer({ min: 1, max: 28 }) }), { maxLength: 5 }),
    });
    fc.assert(fc.property(arb, ({ credits, claims }) => {
      const cs = credits.map((c, i) => credit({ paymentId: `p${i}`, amountCents: c.amount, appliedCents: Math.min(c.applied, c.amount), paymentDate: `2026-09-${String(c.day).padStart(2, '0')}` }));
      const cl = claims.map((c, i) => claim({ claimId: `c${i}`, patientResponsibilityCents: c.resp, appliedCents: c.applied, dateOfService: `2026-10-${String(c.day).padStart(2, '0')}` }));
      const out = decideCreditApplications(cs, cl, key);
      for (const c of cl) expect(out.filter((a) => a.claimId === c.claimId).reduce((s, a) => s + a.amountCents, 0)).toBeLessThanOrEqual(Math.max(0, c.patientResponsibilityCents - c.appliedCents));
      for (const p of cs) expect(out.filter((a) => a.paymentId === p.paymentId).reduce((s, a) => s + a.amountCents, 0)).toBeLessThanOrEqual(p.amountCents - p.appliedCents);
    }));
  });

  it('the notice names the amount and the portal, and no claim details', () => {
    const t = creditNoticeText({ practiceName: 'Sunrise Clinic', firstName: 'Casey', appliedCents: 2500, portalUrl: 'https://pay.example/portal' });
    expect(t.subject).toBe('Sunrise Clinic: your credit of $25.00 was applied to your balance');
    expect(t.body).toContain('https://pay.example/portal');
    expect(t.sms).not.toContain('$');
  });
});
