/** The rules of a manual task's resolution (domain/task-resolution.ts): one case per rule, and a property. */
import fc from 'fast-check';
import { checkResolution, isEligibleClaim, type ResolutionClaim, type ResolutionRequest } from '../../domain/task-resolution';

const claim = (claimId: string, over: Partial<ResolutionClaim> = {}): ResolutionClaim => ({ claimId, ofTaskPatient: true, heldBy: 'patient', openCents: 4500, ...over });
const ctx = { leftCents: 2500, claims: [claim('a'), claim('b', { openCents: 1000 }), claim('payer', { heldBy: 'payer' }), claim('theirs', { ofTaskPatient: false })] };
const apply = (applications: { claimId: string; amountCents: number }[], note = 'n'): ResolutionRequest => ({ action: 'apply', applications, note });

describe('checkResolution', () => {
  it.each<[string, ResolutionRequest, string | undefined]>([
    ['apply within balances', apply([{ claimId: 'a', amountCents: 1500 }, { claimId: 'b', amountCents: 1000 }]), undefined],
    ['amount above the claim\'s open balance', apply([{ claimId: 'b', amountCents: 1001 }]), "$10.01 is more than the claim's open balance of $10.00."],
    ['total above the money left', apply([{ claimId: 'a', amountCents: 2000 }, { claimId: 'b', amountCents: 501 }]), 'The total exceeds the $25.00 left to place.'],
    ["another patient's claim", apply([{ claimId: 'theirs', amountCents: 1 }]), "That claim is not one of this patient's claims."],
    ['an unknown claim', apply([{ claimId: 'nope', amountCents: 1 }]), "That claim is not one of this patient's claims."],
    ['a claim still with the payer', apply([{ claimId: 'payer', amountCents: 1 }]), 'That claim is still with the payer: patient money cannot be applied to it yet.'],
    ['the same claim twice', apply([{ claimId: 'a', amountCents: 1 }, { claimId: 'a', amountCents: 1 }]), 'Each claim may appear only once.'],
    ['no claim', apply([]), 'Choose at least one claim to apply to.'],
    ['a fraction of a cent', apply([{ claimId: 'a', amountCents: 10.5 }]), 'Each amount must be a positive whole number of cents.'],
    ['zero', apply([{ claimId: 'a', amountCents: 0 }]), 'Each amount must be a positive whole number of cents.'],
    ['no note', apply([{ claimId: 'a', amountCents: 1 }], '  '), 'A note is required.'],
    ['credit', { action: 'credit', note: 'keep' }, undefined],
    ['refund within', { action: 'refund', refundCents: 2500, note: 'r' }, undefined],
    ['refund above', { action: 'refund', refundCents: 2501, note: 'r' }, 'The refund must be between $0.01 and $25.00.'],
    ['refund missing', { action: 'refund', note: 'r' }, 'The refund must be between $0.01 and $25.00.'],
    ['close with money left', { action: 'close', note: 'c' }, 'This payment still has $25.00 unapplied: apply it, keep it as credit, or refund it.'],
  ])('%s', (_name, request, message) => {
    expect(checkResolution(request, ctx)?.message).toBe(message);
  });

  it('with nothing left to place only close is allowed', () => {
    const empty = { leftCents: 0, claims: ctx.claims };
    expect(checkResolution({ action: 'close', note: 'done' }, empty)).toBeUndefined();
    expect(checkResolution({ action: 'credit', note: 'x' }, empty)?.field).toBe('action');
    expect(checkResolution({ action: 'refund', refundCents: 1, note: 'x' }, empty)?.field).toBe('action');
    expect(checkResolution(apply([{ claimId: 'a', amountCents: 1 }]), empty)?.field).toBe('action');
  });

  it('names the offending application by its index', () => {
    expect(checkResolution(apply([{ claimId: 'a', amountCents: 1 }, { claimId: 'payer', amountCents: 1 }]), ctx)?.field).toBe('applications.1');
  });

  it('property: an accepted application never exceeds a claim\'s open balance or the money left, and only touches eligible claims', () => {
    const claimArb = fc.record({ claimId: fc.constantFrom('c1', 'c2', 'c3', 'c4'), ofTaskPatient: fc.boolean(), heldBy: fc.constantFrom<'patient' | 'payer'>('patient', 'payer'), openCents: fc.integer({ min: 0, max: 10_000 }) });
    fc.assert(fc.property(
      fc.uniqueArray(claimArb, { selector: (c) => c.claimId, maxLength: 4 }),
      fc.integer({ min: 0, max: 20_000 }),
      fc.array(fc.record({ claimId: fc.constantFrom('c1', 'c2', 'c3', 'c4', 'c5'), amountCents: fc.integer({ min: -5, max: 12_000 }) }), { maxLength: 5 }),
      (claims, leftCents, applications) => {
        if (checkResolution(apply(applications), { leftCents, claims }) !== undefined) return;
        expect(applications.reduce((s, a) => s + a.amountCents, 0)).toBeLessThanOrEqual(leftCents);
        for (const a of applications) {
          const c = claims.find((x) => x.claimId === a.claimId)!;
          expect(isEligibleClaim(c)).toBe(true);
          expect(a.amountCents).toBeGreaterThan(0);
          expect(a.amountCents).toBeLessThanOrEqual(c.openCents);
        }
      },
    ));
  });
});
