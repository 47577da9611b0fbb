/** Reference data and demo data on real PostgreSQL: idempotent, and an older version never wins. */
import { upsertClaim, upsertPatient } from '../../db/queries/reference-data';
import { demoClaims, demoPatients, loadDemoData } from '../../scripts/demo-data';
import { ACCOUNT_ID_PATTERN } from '../../lib/account-id';
import { useTestStack } from '../support/harness';

describe('reference data and demo data', () => {
  const stack = useTestStack({ worker: false });
  const db = () => stack.db;

  const counts = async () => Object.fromEntries(
    await Promise.all(['practices', 'patients', 'visits', 'claims', 'claim_lines'].map(async (t) => [t, (await db()(t).count<{ n: number }[]>({ n: '*' }))[0]!.n])),
  );

  it('loads the demo data through the stand-in\'s signed webhooks, idempotently: a second load changes nothing', async () => {
    await loadDemoData(db(), stack.standin.url);
    const first = await counts();
    const accountIds = await db()('patients').orderBy('external_id').pluck('account_id');
    const events = await db()('webhook_inbox').count<{ n: number }[]>({ n: '*' });
    expect(events[0]!.n).toBeGreaterThanOrEqual(1 + demoPatients.length + demoClaims.length);
    await loadDemoData(db(), stack.standin.url);
    expect(await counts()).toEqual(first);
    expect(await db()('patients').orderBy('external_id').pluck('account_id')).toEqual(accountIds);
    expect(first).toMatchObject({ practices: 1, patients: demoPatients.length, claims: demoClaims.length });
  });

  it('covers the claim states the product cares about, in a practice on Los Angeles time', async () => {
    expect(await db()('practices').pluck('time_zone')).toEqual(['America/Los_Angeles']);
    const states = await db()('claims').select('responsibility', 'payer_status', 'patient_responsibility_cents');
    expect(states).toEqual(expect.arrayContaining([
      expect.objectContaining({ responsibility: 'payer' }),
      expect.objectContaining({ responsibility: 'patient', patient_responsibility_cents: 4500 }),
      expect.objectContaining({ payer_status: 'paid_in_full', patient_responsibility_cents: 0 }),
    ]));
  });

  it('mints random, non-sequential account ids', async () => {
    const ids = await db()('patients').pluck('account_id');
    expect(ids.every((id: string) => ACCOUNT_ID_PATTERN.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('never lets an older version overwrite a newer one', async () => {
    const base = demoPatients[0]!;
    expect((await upsertPatient(db(), { ...base, version: 3, lastName: 'Newer' })).outcome).toBe('updated');
    expect((await upsertPatient(db(), { ...base, version: 2, lastName: 'Older' })).outcome).toBe('stale');
    expect(await db()('patients').where({ external_id: base.externalId }).first().then((r) => r.last_name)).toBe('Newer');

    const claim = demoClaims[0]!;
    await upsertClaim(db(), { ...claim, version: 5, responsibility: 'patient', patientResponsibilityCents: 2500 });
    await upsertClaim(db(), { ...claim, version: 4, responsibility: 'payer', patientResponsibilityCents: 0 });
    expect(await db()('claims').where({ external_id: claim.externalId }).first()).toMatchObject({ responsibility: 'patient', patient_responsibility_cents: 2500, source_version: 5 });
  });

  it('replaces a claim\'s lines with a newer version\'s set, and names the unknown practice or visit it refers to', async () => {
    const claim = demoClaims[0]!;
    const line = (lineNumber: number, chargeCents: number) => ({ lineNumber, procedureCode: '99213', chargeCents, insurerPaidCents: 0, adjustmentCents: 0, patientResponsibilityCents: 0 });
    const first = await upsertClaim(db(), { ...claim, version: 10, lines: [line(1, 100), line(2, 200), line(3, 300)] });
    const visit = await db()('visits').where({ id: first.visitId }).first();
    expect(visit.external_id).toBe(claim.visitExternalId);
    await upsertClaim(db(), { ...claim, version: 11, lines: [line(2, 250), line(4, 400)] });
    const lines = await db()('claim_lines').where({ claim_id: first.id }).orderBy('line_number').select('line_number', 'charge_cents');
    expect(lines).toEqual([{ line_number: 2, charge_cents: 250 }, { line_number: 4, charge_cents: 400 }]);
    // A stale version changes no line.
    await upsertClaim(db(), { ...claim, version: 9, lines: [line(1, 1)] });
    expect(await db()('claim_lines').where({ claim_id: first.id }).count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 2 }]);

    await expect(upsertClaim(db(), { ...claim, practiceExternalId: 'no-such-practice' })).rejects.toThrow(new ReferenceError('unknown practice no-such-practice'));
    await expect(upsertClaim(db(), { ...claim, visitExternalId: 'no-such-visit' })).rejects.toThrow(new ReferenceError('unknown visit no-such-visit'));
  });
});
