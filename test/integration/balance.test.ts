/**
 * Patient-page (outstanding-balance) collection end to end, on a real Temporal server and real PostgreSQL, driven the
 * way the billing system and the EHR drive it: POST /v1/patients/{id}/balance-collections, the EHR stand-in's
 * capture (a signed webhook), GET /v1/collections/{id}, the manual-task resolution.
 * Records replay histories when RECORD_HISTORIES=1 (see test/replay/).
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { useTestStack, type TestStack } from '../support/harness';
import { eventually, seedScenario, type Scenario } from '../support/fixtures';
import { capture, collectionWhen, post } from '../support/copay-driver';
import {
  addClaim, addPatient, appliedByClaim, collectBalance, historyText, startBalance, type BalanceStarted,
} from '../support/balance-driver';
import { recordHistory } from '../support/history';
import { upsertClaim, upsertVisit } from '../../db/queries/reference-data';
import { PayflowPath, PayflowPracticeId, PayflowStatus } from '../../workflows/search-attributes';

const PROBLEM = /^application\/problem\+json/;
const JSON_TYPE = /^application\/json/;

async function count(stack: TestStack, table: string, where: Record<string, unknown> = {}): Promise<number> {
  const [row] = await stack.db(table).where(where).count<{ n: string | number }[]>({ n: '*' });
  return Number(row!.n);
}

/** Row counts of everything a refused request could have written. */
async function footprint(stack: TestStack) {
  const tables = ['collections', 'payments', 'payment_applications', 'manual_tasks', 'webhook_inbox', 'idempotency_keys', 'audit_log'];
  return Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await count(stack, t)] as const)));
}

/** A patient with two patient-owned claims: the older $40.00 (2026-09-10), the newer $60.00 (2026-10-15). */
async function twoClaims(stack: TestStack) {
  const s = await seedScenario(stack.db);
  const older = await addClaim(stack.db, s, { dateOfService: '2026-09-10', patientResponsibilityCents: 4000 });
  const newer = await addClaim(stack.db, s, { dateOfService: '2026-10-15', patientResponsibilityCents: 6000 });
  return { s, older, newer };
}

async function businessKeys(stack: TestStack, paymentId: string): Promise<string[]> {
  return stack.db('payment_applications').where({ payment_id: paymentId }).orderBy('business_key').pluck('business_key');
}

describe('patient-page (outstanding-balance) collection', () => {
  const stack = useTestStack();

  it('exact payment: both patient-owned claims paid, no task; the amount defaulted to the open balance', async () => {
    const { s, older, newer } = await twoClaims(stack);
    const started = await startBalance(stack, s);
    expect(started).toMatchObject({
      path: 'balance', patientId: s.patientId, visitId: null, requestedAmountCents: 10000, namedClaimIds: [], existing: false,
      workflowId: `balance-${started.collectionId}`, status: 'awaiting_capture',
    });
    expect(started.paymentRequest.url).toMatch(/\/pay\//);
    // The EHR request: reason Outstanding Balance, no visit, the open balance.
    expect(stack.standin.paymentRequest(started.paymentRequest.requestId)?.input).toMatchObject({
      collectionId: started.collectionId, reason: 'outstanding_balance', visitExternalId: null, amountCents: 10000, patientExternalId: s.patientExternalId,
    });
    const page = await fetch(started.paymentRequest.url);
    expect(await page.text()).toContain('$100.00');

    const captured = await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    expect(captured.delivery).toMatchObject({ status: 200, body: { status: 'accepted' } });
    const done = await collectionWhen(stack, s, started.collectionId, 'applied');
    expect(done.payment).toMatchObject({ amountCents: 10000, paymentDate: '2026-11-20' });
    expect(done.appliedCents).toBe(10000);
    expect(done.openTask).toBeNull();
    expect(done.tasks).toEqual([]);
    expect(done.applications).toHaveLength(2);
    expect(await appliedByClaim(stack.db, [older, newer])).toEqual({ [older]: 4000, [newer]: 6000 });
    const paymentId: string = done.payment.paymentId;
    expect(await businessKeys(stack, paymentId)).toEqual([
      `payment:${paymentId}:claim:${older}:auto:r1`, `payment:${paymentId}:claim:${newer}:auto:r1`,
    ].sort());

    const ledger = await request(stack.app).get(`/v1/patients/${s.patientId}/payments`).set(s.auth('billing')).expect(200);
    expect(ledger.body.payments).toEqual([expect.objectContaining({ collectionId: started.collectionId, reason: 'outstanding_balance', visitId: null, unappliedCents: 0 })]);

    const handle = stack.client.workflow.getHandle(started.workflowId);
    expect(await handle.result()).toMatchObject({ status: 'applied', appliedCents: 10000, paymentId });
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(PayflowPath)).toBe('balance');
    expect(described.typedSearchAttributes.get(PayflowStatus)).toBe('applied');
    expect(described.typedSearchAttributes.get(PayflowPracticeId)).toBe(s.practiceId);

    // Nothing is left to collect now.
    const again = await collectBalance(stack.app, s).expect(422).expect('Content-Type', PROBLEM);
    expect(again.body.type).toBe('/problems/no-open-balance');
    recordHistory(started.workflowId, 'balance-applied');
  });

  it('partial payment: applied oldest first; the newer claim keeps its balance, which the next Collect Now defaults to', async () => {
    const { s, older, newer } = await twoClaims(stack);
    const started = await startBalance(stack, s, { amountCents: 5000 });
    expect(started.requestedAmountCents).toBe(5000);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    const done = await collectionWhen(stack, s, started.collectionId, 'applied');
    expect(done.openTask).toBeNull();
    expect(await appliedByClaim(stack.db, [older, newer])).toEqual({ [older]: 4000, [newer]: 1000 });

    // The first collection is past its capture: a new Collect Now starts a new one, for the $50.00 still open.
    const next = await startBalance(stack, s);
    expect(next.collectionId).not.toBe(started.collectionId);
    expect(next.requestedAmountCents).toBe(5000);
  });

  it('overpayment: the open balances are paid and the rest becomes a credit_remaining task that billing resolves', async () => {
    const { s, older, newer } = await twoClaims(stack);
    const started = await startBalance(stack, s, { amountCents: 15000 });
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    const flagged = await collectionWhen(stack, s, started.collectionId, 'needs_attention');
    expect(flagged.appliedCents).toBe(10000);
    expect(await appliedByClaim(stack.db, [older, newer])).toEqual({ [older]: 4000, [newer]: 6000 });
    expect(flagged.openTask).toMatchObject({ reason: 'credit_remaining', status: 'open' });
    const task = await stack.db('manual_tasks').where({ id: flagged.openTask.id }).first();
    expect(task).toMatchObject({
      patient_id: s.patientId, collection_id: started.collectionId, workflow_id: started.workflowId, visit_id: null, claim_id: null,
      business_key: `collection:${started.collectionId}:task:credit_remaining:r1`,
    });
    const handle = stack.client.workflow.getHandle(started.workflowId);
    expect((await handle.describe()).typedSearchAttributes.get(PayflowStatus)).toBe('needs_attention');

    // More than the $50.00 left → refused by the workflow's validator.
    const resolve = (body: object) => request(stack.app).post(`/v1/manual-tasks/${flagged.openTask.id}/resolve`).set(s.auth('billing')).send(body);
    const tooMuch = await resolve({ action: 'refund', refundCents: 5001, note: 'refund it' }).expect(422).expect('Content-Type', PROBLEM);
    expect(tooMuch.body.detail).toBe('The refund must be between $0.01 and $50.00.');
    await resolve({ action: 'refund', refundCents: 5000, note: 'refunded to the card' }).expect(200);
    const resolved = await collectionWhen(stack, s, started.collectionId, 'resolved');
    expect(resolved.openTask).toBeNull();
    expect(await handle.result()).toMatchObject({ status: 'resolved', appliedCents: 10000 });
    const ledger = await request(stack.app).get(`/v1/patients/${s.patientId}/payments`).set(s.auth('billing')).expect(200);
    expect(ledger.body.payments[0]).toMatchObject({ amountCents: 15000, appliedCents: 10000, refundedCents: 5000, unappliedCents: 0 });

    // No PHI in the run: not in its id, search attributes, details, inputs or results.
    const history = historyText(started.workflowId);
    for (const phi of ['Casey', 'Testpatient', '1980-02-03', s.patientExternalId]) expect(history).not.toContain(phi);
    recordHistory(started.workflowId, 'balance-credit-remaining-resolved');
  });

  it('a named claim is paid first although it is newer', async () => {
    const { s, older, newer } = await twoClaims(stack);
    const started = await startBalance(stack, s, { amountCents: 6000, claimIds: [newer] });
    expect(started.namedClaimIds).toEqual([newer]);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    const done = await collectionWhen(stack, s, started.collectionId, 'applied');
    expect(done.namedClaimIds).toEqual([newer]);
    expect(await appliedByClaim(stack.db, [older, newer])).toEqual({ [older]: 0, [newer]: 6000 });
  });

  it("never touches a payer-held claim (even named) or another patient's claim; they are not in the default amount either", async () => {
    const s = await seedScenario(stack.db);
    const payerHeld = await addClaim(stack.db, s, { dateOfService: '2026-01-05', patientResponsibilityCents: 3000, responsibility: 'payer' });
    const own = await addClaim(stack.db, s, { dateOfService: '2026-09-10', patientResponsibilityCents: 4000 });
    const other = await addPatient(stack.db, s);
    const othersClaim = await addClaim(stack.db, s, { dateOfService: '2026-01-01', patientResponsibilityCents: 5000, patientExternalId: other.patientExternalId });

    const byDefault = await startBalance(stack, s);
    expect(byDefault.requestedAmountCents).toBe(4000);
    await request(stack.app).post(`/v1/collections/${byDefault.collectionId}/cancel`).set(s.auth('frontDesk')).send({ reason: 'patient wants to pay more' }).expect(200);
    await collectionWhen(stack, s, byDefault.collectionId, 'cancelled');

    const started = await startBalance(stack, s, { amountCents: 9000, claimIds: [payerHeld] });
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    const flagged = await collectionWhen(stack, s, started.collectionId, 'needs_attention');
    expect(flagged.openTask).toMatchObject({ reason: 'credit_remaining' });
    expect(flagged.appliedCents).toBe(4000);
    expect(await appliedByClaim(stack.db, [payerHeld, own, othersClaim])).toEqual({ [payerHeld]: 0, [own]: 4000, [othersClaim]: 0 });
  });

  it('no open balance and no amount → 422 with a clear message, nothing written; with an amount it is taken and held for staff', async () => {
    const s = await seedScenario(stack.db); // its only claim is still with the payer
    const before = await footprint(stack);
    const res = await collectBalance(stack.app, s, {}).expect(422).expect('Content-Type', PROBLEM);
    expect(res.body).toMatchObject({ status: 422, type: '/problems/no-open-balance', errors: [expect.objectContaining({ field: 'amountCents' })] });
    expect(res.body.detail).toMatch(/no open balance/);
    const noBody = await collectBalance(stack.app, s).expect(422).expect('Content-Type', PROBLEM);
    expect(noBody.body.type).toBe('/problems/no-open-balance');
    expect(await footprint(stack)).toEqual(before);

    const started = await startBalance(stack, s, { amountCents: 2000 });
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    const flagged = await collectionWhen(stack, s, started.collectionId, 'needs_attention');
    expect(flagged.applications).toEqual([]);
    expect(flagged.openTask).toMatchObject({ reason: 'credit_remaining' });
  });

  describe('Collect Now pressed more than once', () => {
    it('a second press answers 200 with the same collection, existing: true and the same payment link', async () => {
      const { s } = await twoClaims(stack);
      const first = await startBalance(stack, s);
      const second = await collectBalance(stack.app, s, {}, 'billing').expect(200).expect('Content-Type', JSON_TYPE);
      expect(second.body).toMatchObject({ collectionId: first.collectionId, workflowId: first.workflowId, existing: true });
      expect(second.body.paymentRequest).toEqual(first.paymentRequest);
      expect(await count(stack, 'collections', { patient_id: s.patientId })).toBe(1);
    });

    it('a second press without an amount finds the waiting collection even when the balance was settled meanwhile', async () => {
      const s = await seedScenario(stack.db);
      const tag = randomUUID().slice(0, 8);
      await upsertVisit(stack.db, { practiceExternalId: s.practiceExternalId, patientExternalId: s.patientExternalId, externalId: `v-${tag}`, version: 1, dateOfService: '2026-09-10' });
      const claim = (cents: number, version: number) => ({
        practiceExternalId: s.practiceExternalId, visitExternalId: `v-${tag}`, externalId: `c-${tag}`, version, responsibility: 'patient' as const,
        payerStatus: 'adjudicated', patientResponsibilityCents: cents,
        lines: [{ lineNumber: 1, procedureCode: '99213', chargeCents: 18000, insurerPaidCents: 18000 - cents, adjustmentCents: 0, patientResponsibilityCents: cents }],
      });
      await upsertClaim(stack.db, claim(4000, 1));
      const first = await startBalance(stack, s);
      await upsertClaim(stack.db, claim(0, 2)); // the payer reprocessed and paid it all
      const second = await collectBalance(stack.app, s).expect(200);
      expect(second.body).toMatchObject({ collectionId: first.collectionId, existing: true, requestedAmountCents: 4000 });
    });

    it('ten concurrent presses make one collection, one workflow and one EHR request', async () => {
      const { s } = await twoClaims(stack);
      const answers = await Promise.all(Array.from({ length: 10 }, () => collectBalance(stack.app, s, { amountCents: 2500 })));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
      expect(new Set(answers.map((a) => a.body.collectionId)).size).toBe(1);
      expect(new Set(answers.map((a) => a.body.paymentRequest?.requestId)).size).toBe(1);
      expect(await count(stack, 'collections', { patient_id: s.patientId })).toBe(1);
      const description = await stack.client.workflow.getHandle(answers[0]!.body.workflowId).describe();
      expect(description.status.name).toBe('RUNNING');
    });

    it('Idempotency-Key: the same key and body replays the stored answer', async () => {
      const { s } = await twoClaims(stack);
      const key = `balance-${randomUUID()}`;
      const first = await collectBalance(stack.app, s, { amountCents: 2500 }).set('Idempotency-Key', key).expect(201);
      const again = await collectBalance(stack.app, s, { amountCents: 2500 }).set('Idempotency-Key', key).expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      const reused = await collectBalance(stack.app, s, { amountCents: 3000 }).set('Idempotency-Key', key).expect(422).expect('Content-Type', PROBLEM);
      expect(reused.body.type).toBe('/problems/idempotency-key-reused');
      expect(await count(stack, 'collections', { patient_id: s.patientId })).toBe(1);
    });
  });

  describe('bad input → 4xx problem+json, nothing written', () => {
    let a: { s: Scenario; older: string; newer: string };
    let b: Scenario;
    let bClaim: string;
    let otherPatientsClaim: string;

    beforeAll(async () => {
      a = await twoClaims(stack);
      const other = await addPatient(stack.db, a.s);
      otherPatientsClaim = await addClaim(stack.db, a.s, { dateOfService: '2026-08-01', patientResponsibilityCents: 1000, patientExternalId: other.patientExternalId });
      b = await seedScenario(stack.db);
      bClaim = await addClaim(stack.db, b, { dateOfService: '2026-08-01', patientResponsibilityCents: 1000 });
    });

    const amountCases: [string, unknown][] = [
      ['zero', 0], ['negative', -100], ['fractional', 12.5], ['above the maximum', 10_000_001], ['a string', '2500'], ['null', null],
    ];
    it.each(amountCases)('amountCents %s → 422 naming amountCents', async (_what, amountCents) => {
      const before = await footprint(stack);
      const res = await collectBalance(stack.app, a.s, { amountCents }).expect(422).expect('Content-Type', PROBLEM);
      expect(res.body).toMatchObject({ status: 422, type: '/problems/validation-failed' });
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'amountCents' })]);
      expect(await footprint(stack)).toEqual(before);
    });

    it('an unknown field → 422 naming it', async () => {
      const before = await footprint(stack);
      const res = await collectBalance(stack.app, a.s, { amountCents: 100, visitId: a.older }).expect(422).expect('Content-Type', PROBLEM);
      expect(res.body.errors).toEqual([{ field: 'visitId', reason: 'unknown field' }]);
      expect(await footprint(stack)).toEqual(before);
    });

    it.each([
      ["another patient's claim", 'claimIds.1', () => [a.older, otherPatientsClaim], /not a claim of this patient/],
      ["another practice's claim", 'claimIds.0', () => [bClaim], /not a claim of this patient/],
      ['an unknown claim', 'claimIds.0', () => [randomUUID()], /not a claim of this patient/],
      ['not a uuid', 'claimIds.0', () => ['claim-1'], /claim id/],
      ['the same claim twice', 'claimIds.2', () => [a.older, a.newer, a.older], /twice/],
    ] as [string, string, () => string[], RegExp][])('claimIds with %s → 422 naming %s', async (_what, field, ids, reason) => {
      const before = await footprint(stack);
      const res = await collectBalance(stack.app, a.s, { amountCents: 1000, claimIds: ids() }).expect(422).expect('Content-Type', PROBLEM);
      expect(res.body.errors).toEqual([{ field, reason: expect.stringMatching(reason) }]);
      expect(await footprint(stack)).toEqual(before);
    });

    it('more than 50 claims, or claimIds not a list → 422 naming claimIds', async () => {
      const before = await footprint(stack);
      const many = await collectBalance(stack.app, a.s, { claimIds: Array.from({ length: 51 }, () => randomUUID()) }).expect(422).expect('Content-Type', PROBLEM);
      expect(many.body.errors).toEqual([expect.objectContaining({ field: 'claimIds' })]);
      const notList = await collectBalance(stack.app, a.s, { claimIds: a.older }).expect(422).expect('Content-Type', PROBLEM);
      expect(notList.body.errors).toEqual([expect.objectContaining({ field: 'claimIds' })]);
      expect(await footprint(stack)).toEqual(before);
    });

    it('malformed JSON → 400', async () => {
      const before = await footprint(stack);
      const res = await request(stack.app).post(`/v1/patients/${a.s.patientId}/balance-collections`).set(a.s.auth('frontDesk'))
        .set('Content-Type', 'application/json').send('{"amountCents": 25').expect(400).expect('Content-Type', PROBLEM);
      expect(res.body.type).toBe('/problems/malformed-json');
      expect(await footprint(stack)).toEqual(before);
    });

    it("another practice's patient, an unknown patient, a patient id that is not a uuid → 404 'No such patient.'", async () => {
      const before = await footprint(stack);
      for (const patientId of [b.patientId, randomUUID(), 'not-a-uuid']) {
        const res = await collectBalance(stack.app, a.s, { amountCents: 1000 }, 'frontDesk', patientId).expect(404).expect('Content-Type', PROBLEM);
        expect(res.body.detail).toBe('No such patient.');
      }
      expect(await footprint(stack)).toEqual(before);
    });

    it('no token → 401', async () => {
      const before = await footprint(stack);
      await request(stack.app).post(`/v1/patients/${a.s.patientId}/balance-collections`).send({ amountCents: 1000 }).expect(401).expect('Content-Type', PROBLEM);
      expect(await footprint(stack)).toEqual(before);
    });
  });

  it('billing and admin may start one too; created_by names the staff member', async () => {
    for (const who of ['billing', 'admin'] as const) {
      const { s } = await twoClaims(stack);
      const res = await collectBalance(stack.app, s, {}, who).expect(201);
      const staff = await stack.db('staff_users').where({ practice_id: s.practiceId, role: who === 'billing' ? 'billing' : 'admin' }).first();
      expect((await stack.db('collections').where({ id: res.body.collectionId }).first()).created_by).toBe(`staff:${staff.id}`);
    }
  });

  it('cancel before the capture: cancelled, the EHR request closed, a late capture refused; a new Collect Now starts a new collection', async () => {
    const { s } = await twoClaims(stack);
    const started = await startBalance(stack, s);
    await request(stack.app).post(`/v1/collections/${started.collectionId}/cancel`).set(s.auth('frontDesk')).send({ reason: 'patient left' })
      .expect(200).expect('Content-Type', JSON_TYPE);
    const cancelled = await collectionWhen(stack, s, started.collectionId, 'cancelled');
    expect(cancelled.payment).toBeUndefined();
    expect(stack.standin.paymentRequest(started.paymentRequest.requestId)?.status).toBe('cancelled');
    const late = await post(`${stack.standin.url}/api/payment-requests/${started.paymentRequest.requestId}/capture`, { method: 'card', paidAt: '2026-11-20T18:00:00Z' });
    if (late.status === 200) expect(late.body.delivery.status).toBe(409);
    else expect(late.status).toBe(409);
    expect(await count(stack, 'payments', { collection_id: started.collectionId })).toBe(0);
    expect(await stack.client.workflow.getHandle(started.workflowId).result()).toMatchObject({ status: 'cancelled', appliedCents: 0 });
    await request(stack.app).post(`/v1/collections/${started.collectionId}/cancel`).set(s.auth('frontDesk')).send({ reason: 'again' }).expect(409);

    const fresh = await startBalance(stack, s);
    expect(fresh.collectionId).not.toBe(started.collectionId);
    expect(fresh.existing).toBe(false);
  });

  it('cancel after the capture → 409; the payment stands', async () => {
    const { s } = await twoClaims(stack);
    const started = await startBalance(stack, s, { amountCents: 15000 }); // leaves a task: the run stays open
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await collectionWhen(stack, s, started.collectionId, 'needs_attention');
    const res = await request(stack.app).post(`/v1/collections/${started.collectionId}/cancel`).set(s.auth('frontDesk')).send({ reason: 'too late' })
      .expect(409).expect('Content-Type', PROBLEM);
    expect(res.body.detail).toMatch(/already captured/);
    expect(await count(stack, 'payments', { collection_id: started.collectionId })).toBe(1);
  });

  it('capture window expiry: expired, the EHR request cancelled, and a new Collect Now starts a NEW collection', async () => {
    const { s } = await twoClaims(stack);
    const shortWindow = stack.makeApp({ windows: { captureWindowMs: 1500, transferWindowMs: 60_000, reversalWatchMs: 60_000 } });
    const first = (await collectBalance(shortWindow, s, {}).expect(201)).body as BalanceStarted;
    const expired = await collectionWhen(stack, s, first.collectionId, 'expired');
    expect(expired.payment).toBeUndefined();
    await eventually(() => Promise.resolve(stack.standin.paymentRequest(first.paymentRequest.requestId)?.status === 'cancelled' ? true : undefined), 20_000, 'EHR request cancelled');
    expect(await stack.client.workflow.getHandle(first.workflowId).result()).toMatchObject({ status: 'expired', appliedCents: 0 });

    const second = await collectBalance(stack.app, s, {}).expect(201);
    expect(second.body).toMatchObject({ existing: false, requestedAmountCents: 10000 });
    expect(second.body.collectionId).not.toBe(first.collectionId);
    expect(second.body.paymentRequest.requestId).not.toBe(first.paymentRequest.requestId);
  });
});
