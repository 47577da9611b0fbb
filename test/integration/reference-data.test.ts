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
});
