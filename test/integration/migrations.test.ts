/** The schema on real PostgreSQL: it enforces the ledger's invariants itself, and migrates down and up. */
import { createTestDatabase } from '../support/harness';
import { migrateLatest, rollbackAll } from '../../db/migrate';
import type { Db } from '../../db/connection';

describe('database schema', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let ids: { practice: string; patient: string; visit: string; claim: string; payment: string };

  beforeAll(async () => {
    ({ db, drop } = await createTestDatabase());
    const [practice] = await db('practices').insert({ external_id: 'p1', name: 'P', time_zone: 'America/Los_Angeles', payment_page_url: 'http://x' }).returning('id');
    const [patient] = await db('patients').insert({ practice_id: practice.id, external_id: 'pt1', account_id: 'ABCDEFGH23', first_name: 'A', last_name: 'B', date_of_birth: '1980-01-02', source_version: 1 }).returning('id');
    const [visit] = await db('visits').insert({ practice_id: practice.id, patient_id: patient.id, external_id: 'v1', date_of_service: '2026-11-20', source_version: 1 }).returning('id');
    const [claim] = await db('claims').insert({ practice_id: practice.id, patient_id: patient.id, visit_id: visit.id, external_id: 'c1', responsibility: 'payer', payer_status: 'submitted', source_version: 1 }).returning('id');
    const [payment] = await db('payments').insert(paymentRow(practice.id, patient.id, 'ext-1', 2500)).returning('id');
    ids = { practice: practice.id, patient: patient.id, visit: visit.id, claim: claim.id, payment: payment.id };
  });
  afterAll(() => drop());

  const paymentRow = (practiceId: string, patientId: string, externalId: string, amount: number) => ({
    practice_id: practiceId, patient_id: patientId, external_id: externalId, amount_cents: amount, method: 'card',
    reason: 'copay', paid_at: '2026-11-20T18:00:00Z', payment_date: '2026-11-20',
  });

  it.each([0, -100, 10_000_001])('refuses a payment of %d cents (CHECK)', async (amount) => {
    await expect(db('payments').insert(paymentRow(ids.practice, ids.patient, `ext-${amount}`, amount))).rejects.toThrow(/payments_amount/);
  });

  it('refuses fractional cents (integer column)', async () => {
    await expect(db('payments').insert(paymentRow(ids.practice, ids.patient, 'ext-frac', 10.5))).rejects.toThrow(/integer/);
  });

  it('keeps one payment per external id (UNIQUE)', async () => {
    await expect(db('payments').insert(paymentRow(ids.practice, ids.patient, 'ext-1', 100))).rejects.toThrow(/payments_practice_id_external_id_unique/);
  });

  it('keeps one application per business key (UNIQUE)', async () => {
    await db.raw("update claims set responsibility = 'patient', patient_responsibility_cents = 4000 where id = ?", [ids.claim]);
    const app = { payment_id: ids.payment, claim_id: ids.claim, amount_cents: 100, kind: 'auto', business_key: 'payment:x:claim:y:auto:r1', created_by: 'test' };
    await db('payment_applications').insert(app);
    await expect(db('payment_applications').insert(app)).rejects.toThrow(/payment_applications_business_key_unique/);
  });

  it("keeps the ledger's sums whatever writes the row: claim within its patient responsibility, payment within its amount, no payer-held claim", async () => {
    // The claim now owes 4000 with 100 applied (above); the payment is 2500 with 100 applied.
    const app = (key: string, cents: number, claimId = ids.claim) => ({ payment_id: ids.payment, claim_id: claimId, amount_cents: cents, kind: 'manual', business_key: key, created_by: 'test' });
    await expect(db('payment_applications').insert(app('over-payment', 2401))).rejects.toThrow(/payment_over_placed|would have 2501 cents placed/);
    await expect(db('refunds').insert({ payment_id: ids.payment, amount_cents: 2401, business_key: 'refund-over', note: 'n', created_by: 'test' })).rejects.toThrow(/would have 2501 cents placed/);
    const [big] = await db('payments').insert(paymentRow(ids.practice, ids.patient, 'ext-big', 9000)).returning('id');
    await expect(db('payment_applications').insert({ ...app('over-claim', 3901), payment_id: big.id })).rejects.toThrow(/would have 4001 cents applied/);
    await db('payment_applications').insert({ ...app('fits', 3900), payment_id: big.id }); // exactly the rest: fine
    const [payerClaim] = await db('claims').insert({ practice_id: ids.practice, patient_id: ids.patient, visit_id: ids.visit, external_id: 'c-payer', responsibility: 'payer', payer_status: 'submitted', source_version: 1 }).returning('id');
    await expect(db('payment_applications').insert({ ...app('payer-held', 1, payerClaim.id), payment_id: big.id })).rejects.toThrow(/held by a payer/);
  });

  it.each(['payments', 'payment_applications', 'audit_log'])('refuses UPDATE and DELETE on the ledger table %s', async (table) => {
    if (table === 'audit_log') await db('audit_log').insert({ actor: 't', action: 'a', entity_type: 'e', entity_id: '1' });
    await expect(db.raw(`update ${table} set id = id`)).rejects.toThrow(/append-only/);
    await expect(db(table).delete()).rejects.toThrow(/append-only/);
    await expect(db.raw(`truncate ${table} cascade`)).rejects.toThrow(/append-only/);
  });

  it('refuses a row pointing at nothing (FOREIGN KEY)', async () => {
    await expect(db('payments').insert(paymentRow('00000000-0000-0000-0000-000000000000', ids.patient, 'ext-fk', 100))).rejects.toThrow(/foreign key/);
  });

  it('refuses an unknown manual-task reason and an incomplete resolution', async () => {
    const task = { practice_id: ids.practice, patient_id: ids.patient, reason: 'date_mismatch', business_key: 'k1' };
    await expect(db('manual_tasks').insert({ ...task, reason: 'because' })).rejects.toThrow(/manual_tasks_reason/);
    await expect(db('manual_tasks').insert({ ...task, status: 'resolved' })).rejects.toThrow(/manual_tasks_resolution_complete/);
  });

  it('refuses a malformed account id', async () => {
    await expect(db('patients').insert({ practice_id: ids.practice, external_id: 'pt2', account_id: '1', first_name: 'A', last_name: 'B', date_of_birth: '1980-01-02', source_version: 1 })).rejects.toThrow(/patients_account_id_format/);
  });

  it('returns calendar dates as YYYY-MM-DD strings, never shifted by a time zone', async () => {
    const visit = await db('visits').where({ id: ids.visit }).first();
    expect(visit.date_of_service).toBe('2026-11-20');
  });

  it('migrates down to nothing and up again', async () => {
    const { db: scratch, drop: dropScratch } = await createTestDatabase();
    try {
      const down = await rollbackAll(scratch);
      expect(down.length).toBeGreaterThan(0);
      const tables = await scratch.raw(`select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name not like 'knex_%'`);
      expect(tables.rows[0].n).toBe(0);
      expect(await migrateLatest(scratch)).toEqual(down.slice().reverse());
    } finally {
      await dropScratch();
    }
  });
});
