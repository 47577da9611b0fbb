/**
 * The ledger on real PostgreSQL: exactly once by business key, no over-application even under concurrency,
 * reversals and refunds as new rows, tasks resolved exactly once, an audit row for every change, and the
 * activities the workflows call (practice-local payment dates, rounds after a reversal).
 */
import { createTestDatabase } from '../support/harness';
import type { Db } from '../../db/connection';
import {
  applyToClaim, claimApplications, claimState, openManualTask, patientLedger,
  paymentState, recordPayment, recordRefund, resolveManualTask, reverseApplication,
} from '../../db/queries/ledger';
import { LedgerConflict, LedgerRuleError, RowNotFound } from '../../db/errors';
import { appErrorOf } from '../../app/errors';
import { createLedgerActivities } from '../../activities/ledger';
import { autoApplicationKey } from '../../domain/application-rules';

describe('ledger', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let practiceId: string;
  let patientId: string;
  let otherPatientId: string;
  let seq = 0;
  const next = (prefix: string) => `${prefix}-${++seq}`;

  beforeAll(async () => {
    ({ db, drop } = await createTestDatabase());
    const [practice] = await db('practices').insert({ external_id: 'p1', name: 'P', time_zone: 'America/Los_Angeles', payment_page_url: 'http://x' }).returning('id');
    const [patient] = await db('patients').insert({ practice_id: practice.id, external_id: 'pt1', account_id: 'ABCDEFGH23', first_name: 'Ada', last_name: 'Lovelace', date_of_birth: '1980-01-02', source_version: 1 }).returning('id');
    const [other] = await db('patients').insert({ practice_id: practice.id, external_id: 'pt2', account_id: 'ABCDEFGH24', first_name: 'Grace', last_name: 'Hopper', date_of_birth: '1981-03-04', source_version: 1 }).returning('id');
    practiceId = practice.id;
    patientId = patient.id;
    otherPatientId = other.id;
  });
  afterAll(() => drop());

  async function visit(opts: { patient?: string; dateOfService?: string } = {}): Promise<string> {
    const [row] = await db('visits').insert({
      practice_id: practiceId, patient_id: opts.patient ?? patientId, external_id: next('v'),
      date_of_service: opts.dateOfService ?? '2026-11-20', source_version: 1,
    }).returning('id');
    return row.id;
  }

  async function claim(opts: { owedCents?: number; responsibility?: 'payer' | 'patient'; patient?: string; visitId?: string } = {}) {
    const patient = opts.patient ?? patientId;
    const visitId = opts.visitId ?? (await visit({ patient }));
    const [row] = await db('claims').insert({
      practice_id: practiceId, patient_id: patient, visit_id: visitId, external_id: next('c'),
      responsibility: opts.responsibility ?? 'patient', payer_status: 'processed',
      patient_responsibility_cents: opts.owedCents ?? 5000, source_version: 1,
    }).returning('id');
    return { claimId: row.id as string, visitId };
  }

  async function payment(amountCents: number, opts: { externalId?: string; patient?: string } = {}): Promise<string> {
    const { paymentId } = await recordPayment(db, {
      practiceId, patientId: opts.patient ?? patientId, collectionId: null, visitId: null, externalId: opts.externalId ?? next('ext'),
      amountCents, method: 'card', reason: 'outstanding_balance', paidAt: '2026-11-20T18:00:00Z', paymentDate: '2026-11-20',
      actor: 'user:test',
    });
    return paymentId;
  }

  async function collection(opts: { path: 'copay' | 'balance'; visitId: string | null }): Promise<string> {
    // At most one balance collection per patient waits for its capture (migration 004): close the previous one.
    if (opts.path === 'balance') await db('collections').where({ patient_id: patientId, path: 'balance' }).whereIn('status', ['starting', 'awaiting_capture']).update({ status: 'expired' });
    const [row] = await db('collections').insert({
      practice_id: practiceId, patient_id: patientId, visit_id: opts.visitId, path: opts.path, workflow_id: next('wf'),
      requested_amount_cents: 2500, created_by: 'user:test',
    }).returning('id');
    return row.id;
  }

  const count = async (table: string, where: Record<string, unknown> = {}): Promise<number> => {
    const [row] = await db(table).where(where).count<{ n: number }[]>({ n: '*' });
    return Number(row!.n);
  };
  const ledgerCounts = async () => ({
    payments: await count('payments'), applications: await count('payment_applications'),
    reversals: await count('application_reversals'), refunds: await count('refunds'), audit: await count('audit_log'),
  });
  const apply = (paymentId: string, claimId: string, amountCents: number, businessKey = next('apply')) =>
    applyToClaim(db, { paymentId, claimId, amountCents, kind: 'auto', businessKey, actor: 'system:test' });

  async function expectRefused(attempt: () => Promise<unknown>, status: 409 | 422 = 422) {
    const before = await ledgerCounts();
    const error = await attempt().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(status === 422 ? LedgerRuleError : LedgerConflict);
    expect(appErrorOf(error)).toMatchObject({ status, type: status === 422 ? 'ledger-rule' : 'conflict' }); // as the API answers it
    expect(await ledgerCounts()).toEqual(before);
  }

  describe('recordPayment', () => {
    it('is idempotent by external id: one row, created false on the second call', async () => {
      const input = {
        practiceId, patientId, collectionId: null, visitId: null, externalId: 'ext-idem', amountCents: 2500, method: 'card' as const,
        reason: 'copay' as const, paidAt: '2026-11-20T18:00:00Z', paymentDate: '2026-11-20', actor: 'user:test',
      };
      const first = await recordPayment(db, input);
      const second = await recordPayment(db, input);
      expect(first.created).toBe(true);
      expect(second).toEqual({ paymentId: first.paymentId, created: false });
      expect(await count('payments', { external_id: 'ext-idem' })).toBe(1);
      expect(await count('audit_log', { entity_type: 'payment', entity_id: first.paymentId })).toBe(1);

      await expectRefused(() => recordPayment(db, { ...input, amountCents: 2600 }), 409);
      await expectRefused(() => recordPayment(db, { ...input, method: 'cash' }), 409);
      await expectRefused(() => recordPayment(db, { ...input, patientId: otherPatientId }), 409);
    });

    it('refuses amounts that are not positive whole cents', async () => {
      for (const amountCents of [0, -1, 10.5, Number.NaN, 10_000_001]) {
        await expectRefused(() => payment(amountCents));
      }
    });
  });

  describe('applyToClaim', () => {
    it('is idempotent by business key; the same key with another amount is a conflict', async () => {
      const paymentId = await payment(3000);
      const { claimId } = await claim({ owedCents: 5000 });
      const first = await apply(paymentId, claimId, 1000, 'key-idem');
      const second = await apply(paymentId, claimId, 1000, 'key-idem');
      expect(first.created).toBe(true);
      expect(second).toEqual({ applicationId: first.applicationId, created: false });
      expect(await count('payment_applications', { business_key: 'key-idem' })).toBe(1);
      expect(await count('audit_log', { entity_type: 'payment_application', entity_id: first.applicationId })).toBe(1);
      await expectRefused(() => apply(paymentId, claimId, 1200, 'key-idem'), 409);
      expect((await paymentState(db, paymentId)).appliedCents).toBe(1000);
      expect((await claimState(db, claimId)).appliedCents).toBe(1000);
    });

    it('answers a replayed key even when the payment has nothing left', async () => {
      const paymentId = await payment(1000);
      const { claimId } = await claim({ owedCents: 5000 });
      const first = await apply(paymentId, claimId, 1000, 'key-full');
      expect(await apply(paymentId, claimId, 1000, 'key-full')).toEqual({ applicationId: first.applicationId, created: false });
    });

    it('refuses more than the payment has unapplied (nothing written)', async () => {
      const paymentId = await payment(1000);
      const { claimId } = await claim({ owedCents: 5000 });
      await apply(paymentId, claimId, 600);
      await expectRefused(() => apply(paymentId, claimId, 401));
      await expect(apply(paymentId, claimId, 400)).resolves.toMatchObject({ created: true });
    });

    it("refuses more than the claim's open patient balance (nothing written)", async () => {
      const paymentId = await payment(5000);
      const { claimId } = await claim({ owedCents: 1000 });
      await expectRefused(() => apply(paymentId, claimId, 1001));
      await apply(paymentId, claimId, 1000);
      await expectRefused(() => apply(paymentId, claimId, 1));
    });

    it('refuses a claim whose balance still sits with a payer (nothing written)', async () => {
      const paymentId = await payment(5000);
      const { claimId } = await claim({ responsibility: 'payer', owedCents: 1000 });
      await expectRefused(() => apply(paymentId, claimId, 100));
    });

    it("refuses another patient's claim (nothing written)", async () => {
      const paymentId = await payment(5000);
      const { claimId } = await claim({ patient: otherPatientId, owedCents: 1000 });
      await expectRefused(() => apply(paymentId, claimId, 100));
    });

    it('refuses amounts that are not positive whole cents', async () => {
      const paymentId = await payment(5000);
      const { claimId } = await claim({ owedCents: 1000 });
      for (const amountCents of [0, -100, 1.5]) await expectRefused(() => apply(paymentId, claimId, amountCents));
    });

    it.each([
      { binds: 'the payment', paymentCents: 2000, owedCents: 10_000, each: 300, fits: 6 },
      { binds: 'the claim', paymentCents: 10_000, owedCents: 4000, each: 300, fits: 13 },
    ])('20 parallel applications with distinct keys never over-apply ($binds binds)', async ({ paymentCents, owedCents, each, fits }) => {
      const paymentId = await payment(paymentCents);
      const { claimId } = await claim({ owedCents });
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => apply(paymentId, claimId, each, `par-${paymentId}-${i}`)));

      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(ok).toHaveLength(fits);
      for (const r of refused) expect(r.reason).toBeInstanceOf(LedgerRuleError);

      const p = await paymentState(db, paymentId);
      const c = await claimState(db, claimId);
      expect(p.appliedCents).toBe(fits * each);
      expect(c.appliedCents).toBe(fits * each);
      expect(p.appliedCents).toBeLessThanOrEqual(paymentCents);
      expect(c.appliedCents).toBeLessThanOrEqual(owedCents);
      expect(await count('payment_applications', { payment_id: paymentId })).toBe(fits);
    });

    it('20 parallel calls with the same business key write exactly one row', async () => {
      const paymentId = await payment(5000);
      const { claimId } = await claim({ owedCents: 5000 });
      const results = await Promise.all(Array.from({ length: 20 }, () => apply(paymentId, claimId, 700, 'same-key')));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.applicationId)).size).toBe(1);
      expect(await count('payment_applications', { business_key: 'same-key' })).toBe(1);
      expect((await paymentState(db, paymentId)).appliedCents).toBe(700);
    });
  });

  describe('reverseApplication', () => {
    it('reverses by a new row; the application no longer counts; a second call is idempotent', async () => {
      const paymentId = await payment(2000);
      const { claimId } = await claim({ owedCents: 1500 });
      const { applicationId } = await apply(paymentId, claimId, 1500);
      expect((await paymentState(db, paymentId)).appliedCents).toBe(1500);

      const first = await reverseApplication(db, { applicationId, businessKey: `reversal:${applicationId}`, reason: 'payer reprocessed', actor: 'system:test' });
      const second = await reverseApplication(db, { applicationId, businessKey: `reversal:${applicationId}`, reason: 'payer reprocessed', actor: 'system:test' });
      expect(first.created).toBe(true);
      expect(second).toEqual({ reversalId: first.reversalId, created: false });
      expect(await count('application_reversals', { application_id: applicationId })).toBe(1);
      expect(await count('payment_applications', { id: applicationId })).toBe(1);

      expect((await paymentState(db, paymentId)).appliedCents).toBe(0);
      expect((await claimState(db, claimId)).appliedCents).toBe(0);
      expect(await claimApplications(db, claimId)).toEqual([
        expect.objectContaining({ applicationId, claimId, kind: 'auto', reversed: true, amountCents: 1500, paymentId }),
      ]);
      // The money is free again: it can be applied anew under a fresh key.
      await expect(apply(paymentId, claimId, 1500)).resolves.toMatchObject({ created: true });
    });

    it('refuses an unknown application', async () => {
      await expect(reverseApplication(db, {
        applicationId: '00000000-0000-0000-0000-000000000000', businessKey: next('rev'), reason: 'x', actor: 'system:test',
      })).rejects.toBeInstanceOf(RowNotFound);
    });
  });

  describe('recordRefund', () => {
    it('refunds at most the unapplied money, once per business key', async () => {
      const paymentId = await payment(2000);
      const { claimId } = await claim({ owedCents: 5000 });
      await apply(paymentId, claimId, 1500);
      const refund = (amountCents: number, businessKey = next('refund')) =>
        recordRefund(db, { paymentId, amountCents, businessKey, note: 'patient asked', actor: 'user:test' });

      await expectRefused(() => refund(600));
      const first = await refund(500, 'refund-once');
      expect(first.created).toBe(true);
      expect(await refund(500, 'refund-once')).toEqual({ refundId: first.refundId, created: false });
      await expectRefused(() => refund(400, 'refund-once'), 409);
      await expectRefused(() => refund(1));
      await expectRefused(() => apply(paymentId, claimId, 1));

      const state = await paymentState(db, paymentId);
      expect(state).toMatchObject({ amountCents: 2000, appliedCents: 1500, refundedCents: 500 });
      const [entry] = (await patientLedger(db, patientId)).filter((e) => e.paymentId === paymentId);
      expect(entry).toMatchObject({ appliedCents: 1500, refundedCents: 500, unappliedCents: 0 });
      expect(entry!.refunds).toHaveLength(1);
      expect(entry!.applications).toHaveLength(1);
    });
  });

  describe('manual tasks', () => {
    const task = (businessKey: string) => openManualTask(db, {
      practiceId, patientId, reason: 'credit_remaining', amountCents: 700, businessKey, actor: 'system:test',
    });

    it('openManualTask is idempotent by business key', async () => {
      const first = await task('task-once');
      const second = await task('task-once');
      expect(first.created).toBe(true);
      expect(second).toEqual({ taskId: first.taskId, created: false });
      expect(await count('manual_tasks', { business_key: 'task-once' })).toBe(1);
      expect(await count('audit_log', { entity_type: 'manual_task', entity_id: first.taskId, action: 'task.opened' })).toBe(1);
    });

    it('two parallel resolutions: exactly one wins', async () => {
      const { taskId } = await task(next('task'));
      const results = await Promise.all([
        resolveManualTask(db, { taskId, resolution: 'credit', note: 'keep as credit', actor: 'user:a' }),
        resolveManualTask(db, { taskId, resolution: 'refund', note: 'refund it', actor: 'user:b' }),
      ]);
      expect(results.filter((r) => r.resolved)).toHaveLength(1);
      expect(results.filter((r) => !r.resolved)).toHaveLength(1);
      const row = await db('manual_tasks').where({ id: taskId }).first();
      expect(row.status).toBe('resolved');
      expect(await count('audit_log', { entity_type: 'manual_task', entity_id: taskId, action: 'task.resolved' })).toBe(1);
      await expect(resolveManualTask(db, { taskId, resolution: 'credit', note: 'again', actor: 'user:a' })).resolves.toEqual({ resolved: false });
    });

    it('refuses an empty note and an unknown task', async () => {
      const { taskId } = await task(next('task'));
      await expect(resolveManualTask(db, { taskId, resolution: 'credit', note: ' ', actor: 'user:a' })).rejects.toBeInstanceOf(LedgerRuleError);
      await expect(resolveManualTask(db, { taskId: '00000000-0000-0000-0000-000000000000', resolution: 'credit', note: 'n', actor: 'user:a' }))
        .rejects.toBeInstanceOf(RowNotFound);
    });
  });

  describe('activities', () => {
    let activities: ReturnType<typeof createLedgerActivities>;
    beforeAll(() => {
      activities = createLedgerActivities({ db });
    });

    it('recordCapturedPayment dates the payment on the practice calendar, not UTC', async () => {
      const visitId = await visit();
      const collectionId = await collection({ path: 'copay', visitId });
      const input = { collectionId, externalPaymentId: next('cap'), amountCents: 2500, method: 'card' as const, paidAt: '2026-11-21T03:30:00Z' };
      const first = await activities.recordCapturedPayment(input);
      expect(first).toMatchObject({ paymentDate: '2026-11-20', created: true });
      expect(await activities.recordCapturedPayment(input)).toEqual({ ...first, created: false });
      const row = await db('payments').where({ id: first.paymentId }).first();
      expect(row).toMatchObject({ payment_date: '2026-11-20', reason: 'copay', visit_id: visitId, collection_id: collectionId, patient_id: patientId });
    });

    it('recordCapturedPayment records a balance collection as an outstanding-balance payment', async () => {
      const collectionId = await collection({ path: 'balance', visitId: null });
      const { paymentId } = await activities.recordCapturedPayment({
        collectionId, externalPaymentId: next('cap'), amountCents: 1200, method: 'cash', paidAt: '2026-11-20T18:00:00Z',
      });
      expect(await paymentState(db, paymentId)).toMatchObject({ reason: 'outstanding_balance', paymentDate: '2026-11-20', amountCents: 1200 });
    });

    it('loadCopayState: no claim yet, then round 1, and round 2 after a reversal of the auto application', async () => {
      const visitId = await visit();
      const collectionId = await collection({ path: 'copay', visitId });
      const { paymentId } = await activities.recordCapturedPayment({
        collectionId, externalPaymentId: next('cap'), amountCents: 2500, method: 'card', paidAt: '2026-11-20T19:00:00Z',
      });
      expect(await activities.loadCopayState({ paymentId, visitId })).toMatchObject({ claim: null, round: 1 });

      const { claimId } = await claim({ visitId, owedCents: 4000 });
      const state = await activities.loadCopayState({ paymentId, visitId });
      expect(state).toMatchObject({ round: 1, claim: { claimId, appliedCents: 0, dateOfService: '2026-11-20' }, payment: { visitId, appliedCents: 0 } });

      const decision = {
        practiceId, patientId, paymentId, visitId, claimId, collectionId, workflowId: 'wf-copay', taskKeySuffix: 'r1',
        applications: [{ paymentId, claimId, amountCents: 2500, businessKey: autoApplicationKey(paymentId, claimId, 1) }],
      };
      const applied = await activities.applyDecision(decision);
      expect(await activities.applyDecision(decision)).toEqual(applied);
      expect(applied.taskId).toBeNull();
      expect((await activities.loadCopayState({ paymentId, visitId })).round).toBe(1);

      const reversal = await activities.reverseAutoApplications({ claimId, reason: 'payer reprocessed', eventId: 'evt-1' });
      // No run watches for it (this copay's collection is not `applied`): the reversed money goes to staff.
      expect(reversal).toEqual({ reversedApplicationIds: applied.applicationIds, tasks: [expect.objectContaining({ paymentId, reason: 'credit_remaining' })] });
      // A retried activity answers the same.
      expect(await activities.reverseAutoApplications({ claimId, reason: 'payer reprocessed', eventId: 'evt-1' })).toEqual(reversal);

      const after = await activities.loadCopayState({ paymentId, visitId });
      expect(after.round).toBe(2);
      expect(after.payment.appliedCents).toBe(0);
      expect(after.claim!.appliedCents).toBe(0);
    });

    it('applyDecision opens the task once; reverseAutoApplications leaves manual applications and flags them', async () => {
      const paymentId = await payment(3000);
      const { claimId, visitId } = await claim({ owedCents: 2000 });
      const collectionId = await collection({ path: 'balance', visitId: null });
      const decision = {
        practiceId, patientId, paymentId, visitId, claimId, collectionId, workflowId: 'wf-x', taskKeySuffix: 'r1',
        applications: [{ paymentId, claimId, amountCents: 2000, businessKey: autoApplicationKey(paymentId, claimId, 1) }],
        task: { reason: 'credit_remaining' as const, amountCents: 1000 },
      };
      const applied = await activities.applyDecision(decision);
      expect(await activities.applyDecision(decision)).toEqual(applied);
      const task = await db('manual_tasks').where({ id: applied.taskId }).first();
      expect(task).toMatchObject({ business_key: `collection:${collectionId}:task:credit_remaining:r1`, status: 'open', payment_id: paymentId });

      // The payer reprocesses (auto application reversed); staff then apply by hand; the payer reprocesses again.
      const first = await activities.reverseAutoApplications({ claimId, reason: 'payer reprocessed', eventId: 'evt-a' });
      expect(first.tasks).toEqual([expect.objectContaining({ paymentId, reason: 'credit_remaining' })]);
      await applyToClaim(db, { paymentId, claimId, amountCents: 500, kind: 'manual', businessKey: next('manual'), actor: 'user:test' });
      await db('claims').where({ id: claimId }).increment('source_version', 1); // the payer's next version reprocesses it again
      const second = await activities.reverseAutoApplications({ claimId, reason: 'payer reprocessed', eventId: 'evt-b' });
      expect(second.reversedApplicationIds).toEqual([]);
      expect(second.tasks).toEqual([expect.objectContaining({ paymentId, reason: 'claim_reversed' })]);
      expect(await db('manual_tasks').where({ id: second.tasks![0]!.taskId }).first()).toMatchObject({ claim_id: claimId, payment_id: paymentId, reason: 'claim_reversed' });
      expect((await claimState(db, claimId)).appliedCents).toBe(500);
    });

    it('resolveTask applies and resolves in one transaction; a retry is idempotent; a rival loses', async () => {
      const paymentId = await payment(3000);
      const a = await claim({ owedCents: 1000 });
      const b = await claim({ owedCents: 1000 });
      const { taskId } = await openManualTask(db, { practiceId, patientId, paymentId, reason: 'credit_remaining', amountCents: 3000, businessKey: next('task'), actor: 'system:test' });
      const input = {
        taskId, resolution: 'applied' as const, note: 'applied to two claims', actor: 'user:a', paymentId,
        applications: [{ claimId: b.claimId, amountCents: 800 }, { claimId: a.claimId, amountCents: 1000 }],
      };
      expect(await activities.resolveTask(input)).toEqual({ resolved: true });
      expect(await activities.resolveTask(input)).toEqual({ resolved: true });
      expect(await activities.resolveTask({ ...input, actor: 'user:b' })).toEqual({ resolved: false });
      expect((await paymentState(db, paymentId)).appliedCents).toBe(1800);
      expect(await count('payment_applications', { payment_id: paymentId, kind: 'manual' })).toBe(2);
      expect(await db('manual_tasks').where({ id: taskId }).first()).toMatchObject({ status: 'resolved', resolution: 'applied', resolved_by: 'user:a' });
    });

    it('resolveTask rolls everything back when an application is refused (the task stays open)', async () => {
      const paymentId = await payment(3000);
      const a = await claim({ owedCents: 1000 });
      const b = await claim({ owedCents: 1000 });
      const { taskId } = await openManualTask(db, { practiceId, patientId, paymentId, reason: 'credit_remaining', amountCents: 3000, businessKey: next('task'), actor: 'system:test' });
      const before = await ledgerCounts();
      await expect(activities.resolveTask({
        taskId, resolution: 'applied', note: 'too much on b', actor: 'user:a', paymentId,
        applications: [{ claimId: a.claimId, amountCents: 500 }, { claimId: b.claimId, amountCents: 1500 }],
      })).rejects.toBeInstanceOf(LedgerRuleError);
      expect(await ledgerCounts()).toEqual(before);
      expect(await db('manual_tasks').where({ id: taskId }).first()).toMatchObject({ status: 'open' });
    });

    it('resolveTask refund: records the refund and resolves; credit just resolves', async () => {
      const paymentId = await payment(1000);
      const refundTask = await openManualTask(db, { practiceId, patientId, paymentId, reason: 'credit_remaining', amountCents: 1000, businessKey: next('task'), actor: 'system:test' });
      expect(await activities.resolveTask({ taskId: refundTask.taskId, resolution: 'refund', note: 'refund requested', actor: 'user:a', paymentId, refundCents: 1000 }))
        .toEqual({ resolved: true });
      expect(await paymentState(db, paymentId)).toMatchObject({ refundedCents: 1000 });
      expect(await db('refunds').where({ business_key: `task:${refundTask.taskId}:refund` }).first()).toMatchObject({ amount_cents: 1000 });

      const creditTask = await openManualTask(db, { practiceId, patientId, reason: 'credit_remaining', amountCents: 100, businessKey: next('task'), actor: 'system:test' });
      expect(await activities.resolveTask({ taskId: creditTask.taskId, resolution: 'credit', note: 'keep', actor: 'user:a' })).toEqual({ resolved: true });
    });

    it('setCollectionStatus updates the projection and audits a change once', async () => {
      const collectionId = await collection({ path: 'balance', visitId: null });
      expect(await activities.setCollectionStatus({ collectionId, status: 'awaiting_capture', paymentRequestId: 'req-1', paymentRequestUrl: 'https://ehr/req-1' }))
        .toEqual({ changed: true, path: 'balance' });
      expect(await activities.setCollectionStatus({ collectionId, status: 'awaiting_capture' })).toEqual({ changed: false, path: 'balance' });
      // Fields left out keep their values.
      expect(await db('collections').where({ id: collectionId }).first()).toMatchObject({ status: 'awaiting_capture', payment_request_id: 'req-1', payment_request_url: 'https://ehr/req-1' });
      const audits = await db('audit_log').where({ entity_type: 'collection', entity_id: collectionId }).select('actor', 'action', 'before', 'after');
      expect(audits).toEqual([{ actor: 'system:workflow', action: 'collection.status_changed', before: { status: 'starting' }, after: { status: 'awaiting_capture' } }]);
    });

    it('setCollectionStatus: of ten racing writers of the same status, one changes it and one audit row is written', async () => {
      const collectionId = await collection({ path: 'balance', visitId: null });
      const results = await Promise.all(Array.from({ length: 10 }, () => activities.setCollectionStatus({ collectionId, status: 'expired' })));
      expect(results.filter((r) => r.changed)).toHaveLength(1);
      expect(await count('audit_log', { entity_type: 'collection', entity_id: collectionId })).toBe(1);
      await expect(activities.setCollectionStatus({ collectionId: '00000000-0000-4000-8000-000000000000', status: 'expired' })).rejects.toBeInstanceOf(RowNotFound);
    });
  });

  // Runs last (jest keeps declaration order within a file): checks everything the tests above wrote.
  it('every ledger change wrote an audit row, and no audit row carries PHI', async () => {
    // Not vacuous: the tests above wrote rows of every kind.
    for (const table of ['payments', 'payment_applications', 'application_reversals', 'refunds', 'manual_tasks']) {
      expect(await count(table)).toBeGreaterThan(0);
    }
    const missing = async (sql: string) => (await db.raw<{ rows: { id: string }[] }>(sql)).rows;
    expect(await missing(`select p.id from payments p where not exists (
      select 1 from audit_log l where l.entity_type = 'payment' and l.entity_id = p.id::text and l.action = 'payment.recorded')`)).toEqual([]);
    expect(await missing(`select a.id from payment_applications a where not exists (
      select 1 from audit_log l where l.entity_type = 'payment_application' and l.entity_id = a.id::text and l.action = 'application.created')`)).toEqual([]);
    expect(await missing(`select r.id from application_reversals r where not exists (
      select 1 from audit_log l where l.entity_type = 'payment_application' and l.entity_id = r.application_id::text and l.action = 'application.reversed')`)).toEqual([]);
    expect(await missing(`select f.id from refunds f where not exists (
      select 1 from audit_log l where l.entity_type = 'refund' and l.entity_id = f.id::text and l.action = 'refund.recorded')`)).toEqual([]);
    expect(await missing(`select t.id from manual_tasks t where not exists (
      select 1 from audit_log l where l.entity_type = 'manual_task' and l.entity_id = t.id::text and l.action = 'task.opened')`)).toEqual([]);
    expect(await missing(`select t.id from manual_tasks t where t.status = 'resolved' and not exists (
      select 1 from audit_log l where l.entity_type = 'manual_task' and l.entity_id = t.id::text and l.action = 'task.resolved')`)).toEqual([]);
    expect(await count('audit_log', { action: 'payment.recorded' })).toBe(await count('payments'));
    expect(await count('audit_log', { action: 'application.created' })).toBe(await count('payment_applications'));
    expect(await count('audit_log', { action: 'application.reversed' })).toBe(await count('application_reversals'));

    const audit = JSON.stringify(await db('audit_log').select('before', 'after'));
    for (const phi of ['Ada', 'Lovelace', 'Grace', 'Hopper', 'ABCDEFGH23', 'ABCDEFGH24', '1980-01-02', '1981-03-04', 'patient asked']) {
      expect(audit).not.toContain(phi);
    }
  });
});
