/**
 * Payment plans (issue 18) on the real stack: real PostgreSQL, a real Temporal server, the worker, and the stand-in
 * processor over HTTP. The front desk saves a card through the processor's hosted form with a yearly authorisation, and
 * turns the patient's open balance into a plan whose installments are seconds apart (`intervalSeconds`, accepted under
 * NODE_ENV=test only). Each installment is charged once under its key, recorded and applied oldest first with a
 * receipt; skip, pause/resume and cancel act through the run's updates (audited); a declined card is retried on the
 * practice's schedule, then the installments fail and the plan defaults with a task; a lost processor answer and a
 * worker restart never charge twice; the run continues as new and keeps its state.
 */
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { applyToClaim, recordPayment } from '../../db/queries/ledger';
import { planNoteOf } from '../../db/queries/payment-plans';
import { upsertClaim, upsertVisit, type ClaimRecord } from '../../db/queries/reference-data';
import { deadlineAwareRetryInterceptor } from '../../lib/temporal';
import { createStandinProcessor } from '../../processor/standin-processor';
import { paymentPlanWorkflowId, planStatusQuery, type PaymentPlanResult } from '../../workflows/payment-plan';
import { cardChargeWorkflowId, type CardChargeResult } from '../../workflows/card-on-file-charge';
import { portalStatementView } from '../../app/portal-payments';
import { printableOf } from '../../app/statements';
import { statementDocument } from '../../db/queries/statements';
import { formatDate } from '../../web/format';
import { remit } from '../support/copay-driver';
import { TEST_DATA_CONVERTER } from '../support/codec';
import { eventually, seedScenario, type Scenario } from '../support/fixtures';
import { freePort } from '../support/global-setup';
import { recordHistory } from '../support/history';
import { useTestStack } from '../support/harness';

/** The stand-in's development token (ehr/standin/app.ts default), which the harness's stand-in uses. */
const DEV_PROCESSOR_TOKEN = 'dev-processor-standin-token-not-for-production';
const CARDS = { ok: '4242424242424242', declined: '4000000000000002' };

describe('payment plans', () => {
  const stack = useTestStack({ worker: false });
  let app: ReturnType<typeof stack.makeApp>;
  const processor = () => createStandinProcessor({ baseUrl: `${stack.standin.url}/processor`, token: DEV_PROCESSOR_TOKEN, timeoutMs: 5000 });

  beforeAll(async () => {
    app = stack.makeApp({ processor: processor() });
    await stack.startWorker({ processor: processor() });
  });

  /**
   * A patient owing on three claims (oldest first: $30.00 on 2026-09-01, $40.00 on 2026-10-01, $50.00 on 2026-11-01),
   * stored as the clearinghouse would but with no message to any run (no card-on-file charge is started for them);
   * the practice retries a decline after 1 second.
   */
  async function scenario(): Promise<Scenario & { claims: string[] }> {
    const s = await seedScenario(stack.db, { dateOfService: '2026-11-01' });
    await stack.db('patients').where({ id: s.patientId }).update({ email: `plan-${s.patientId.slice(0, 8)}@example.test` });
    await stack.db.raw(`update practices set card_notice_wait = interval '60 days', card_retry_schedule = '{0, 1 second}'::interval[] where id = ?`, [s.practiceId]);
    const claims: string[] = [];
    const owed: [string, number][] = [['2026-09-01', 3000], ['2026-10-01', 4000], ['2026-11-01', 5000]];
    for (const [i, [dos, cents]] of owed.entries()) {
      const visitExternalId = i === 2 ? s.visitExternalId : `${s.visitExternalId}-${i}`;
      if (i < 2) await upsertVisit(stack.db, { practiceExternalId: s.practiceExternalId, patientExternalId: s.patientExternalId, externalId: visitExternalId, version: 1, dateOfService: dos });
      const claim: ClaimRecord = {
        ...s.claim, visitExternalId, externalId: i === 2 ? s.claimExternalId : `${s.claimExternalId}-${i}`, version: i === 2 ? s.claim.version + 1 : 1,
        responsibility: 'patient', payerStatus: 'adjudicated', patientResponsibilityCents: cents,
        lines: s.claim.lines.map((l) => ({ ...l, insurerPaidCents: 18000 - cents, patientResponsibilityCents: cents })),
      };
      claims.push((await upsertClaim(stack.db, claim)).id);
    }
    return { ...s, claims };
  }

  /** The front desk saves a card on the processor's hosted form and records a yearly authorisation. */
  async function authorise(s: Scenario, card: string): Promise<string> {
    const setup = await request(app).post(`/v1/patients/${s.patientId}/card-setups`).set(s.auth('frontDesk')).send({});
    expect(setup.status).toBe(201);
    const typed = await fetch(setup.body.entryUrl, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ cardNumber: card, expiry: '12 / 30' }) });
    expect(typed.status).toBe(200);
    const res = await request(app).post(`/v1/patients/${s.patientId}/card-authorisations`).set(s.auth('frontDesk'))
      .send({ setupRef: setup.body.setupRef, capCents: 10_000, scope: 'year', noticeChannel: 'email', agreed: true });
    expect(res.status).toBe(201);
    return res.body.authorisationId as string;
  }

  /** A date on the practice's calendar (Los Angeles), `days` from today. */
  const localDay = (days = 0) => new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Los_Angeles' }).format(new Date(Date.now() + days * 86_400_000));
  function createPlan(s: Scenario, body: Record<string, unknown>, key?: string, on = app) {
    const req = request(on).post(`/v1/patients/${s.patientId}/payment-plans`).set(s.auth('billing'));
    if (key) void req.set('Idempotency-Key', key);
    return req.send({ firstDueDate: localDay(), ...body });
  }
  const act = (s: Scenario, planId: string, action: string, on = app) => request(on).post(`/v1/payment-plans/${planId}/${action}`).set(s.auth('frontDesk')).send({});
  const handleOf = (planId: string) => stack.client.workflow.getHandle(paymentPlanWorkflowId(planId));
  const resultOf = (planId: string) => eventually(async () => {
    const d = await handleOf(planId).describe().catch(() => undefined);
    return d && d.status.name === 'COMPLETED' ? handleOf(planId).result() as Promise<PaymentPlanResult> : undefined;
  }, 90_000, 'the plan run to end');
  const chargesAt = (planId: string) => stack.standin.processor.charges().filter((c) => c.metadata?.planId === planId);
  const installments = (planId: string) => stack.db('payment_plan_installments').where({ plan_id: planId }).orderBy('sequence');
  /** A payment at the front desk (outside any plan), applied by hand to the scenario's claims: `cents[i]` on claim i. */
  async function payAtDesk(s: Scenario & { claims: string[] }, practiceId: string, externalId: string, cents: number[]): Promise<void> {
    const { paymentId } = await recordPayment(stack.db, {
      practiceId, patientId: s.patientId, collectionId: null, visitId: null, externalId, amountCents: cents.reduce((a, b) => a + b, 0),
      method: 'cash', reason: 'outstanding_balance', paidAt: new Date().toISOString(), paymentDate: localDay(), actor: 'test:front-desk',
    });
    for (const [i, amountCents] of cents.entries()) {
      await applyToClaim(stack.db, { paymentId, claimId: s.claims[i]!, amountCents, kind: 'manual', businessKey: `test:${paymentId}:${i}`, actor: 'test:front-desk' });
    }
  }
  const paymentsOf = (s: Scenario) => stack.db('payments').where({ patient_id: s.patientId }).orderBy('paid_at');

  it('refuses a plan outside the practice limits or the card authorisation, naming the field; changes nothing', async () => {
    const s = await scenario();
    const auth = await authorise(s, CARDS.ok);
    const later = localDay(7); // nothing falls due during this test
    const below = await createPlan(s, { authorisationId: auth, installmentCents: 2000, firstDueDate: later });
    expect(below.status).toBe(422);
    expect(below.headers['content-type']).toContain('application/problem+json');
    expect(below.body.errors).toEqual([{ field: 'installmentCents', reason: "makes installments of $20.00, below the practice's minimum of $25.00" }]);
    const long = await createPlan(s, { authorisationId: auth, installmentCents: 2500, interval: { unit: 'week', count: 2 }, totalCents: 12_000, firstDueDate: later });
    expect(long.status).toBe(201); // 5 installments every 2 weeks: well within 12 months
    expect(long.body.installments.map((i: { amountCents: number }) => i.amountCents)).toEqual([2500, 2500, 2500, 2500, 2000]);
    await act(s, long.body.planId, 'cancel').expect(200);
    // PostgreSQL keeps the schedule whole: the installments that are not skipped add up to the total (checked at commit).
    await expect(stack.db('payment_plan_installments').where({ plan_id: long.body.planId, sequence: 1 }).update({ amount_cents: 1 })).rejects.toThrow(/payment_plan_installments_sum|sum to/);
    await expect(stack.db('payment_plan_installments').where({ plan_id: long.body.planId, sequence: 1 }).update({ amount_cents: 0 })).rejects.toThrow(/payment_plan_installments_amount/);
    const tooLong = await createPlan(s, { authorisationId: auth, installments: 13, firstDueDate: later });
    expect(tooLong.body.errors).toEqual([
      { field: 'installments', reason: "makes installments of $9.23, below the practice's minimum of $25.00" },
      { field: 'installments', reason: "makes a plan of 13 installments monthly, longer than the practice's limit of 12 months" },
    ]);
    const both = await createPlan(s, { authorisationId: auth, installments: 3, installmentCents: 4000, firstDueDate: '2020-01-01' });
    expect(both.body.errors.map((e: { field: string }) => e.field)).toEqual(['installmentCents']);
    const past = await createPlan(s, { authorisationId: auth, installments: 3, firstDueDate: '2020-01-01' });
    expect(past.body.errors).toEqual([{ field: 'firstDueDate', reason: expect.stringContaining('must be today') }]);
    const over = await createPlan(s, { authorisationId: auth, installments: 3, totalCents: 12_001, firstDueDate: later });
    expect(over.body.errors).toEqual([{ field: 'totalCents', reason: 'must not exceed the open balance ($120.00)' }]);
    // A visit authorisation cannot carry a plan.
    const setup = await request(app).post(`/v1/patients/${s.patientId}/card-setups`).set(s.auth('frontDesk')).send({});
    await fetch(setup.body.entryUrl, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ cardNumber: CARDS.ok, expiry: '12 / 30' }) });
    const visitAuth = await request(app).post(`/v1/patients/${s.patientId}/card-authorisations`).set(s.auth('frontDesk'))
      .send({ setupRef: setup.body.setupRef, capCents: 10_000, scope: 'visit', visitId: s.visitId, noticeChannel: 'email', agreed: true });
    const visitOnly = await createPlan(s, { authorisationId: visitAuth.body.authorisationId, installments: 3, firstDueDate: later });
    expect(visitOnly.body.errors).toEqual([{ field: 'authorisationId', reason: 'is for one visit only; a plan needs a yearly authorisation' }]);
    expect(await stack.db('payment_plans').where({ patient_id: s.patientId, status: 'active' })).toHaveLength(0);
    expect(chargesAt(long.body.planId)).toHaveLength(0);
  });

  it('a 3-installment plan: each charged once on its due, applied oldest first, a receipt each; readable in Temporal', async () => {
    const s = await scenario();
    const auth = await authorise(s, CARDS.ok);
    const created = await createPlan(s, { authorisationId: auth, installments: 3, intervalSeconds: 3 }, `plan-${s.patientId}`);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'active', totalCents: 12_000, installmentCount: 3, installmentCents: 4000, paidCents: 0 });
    expect(created.body.installments.map((i: { amountCents: number; state: string }) => [i.amountCents, i.state])).toEqual([[4000, 'scheduled'], [4000, 'scheduled'], [4000, 'scheduled']]);
    const planId = created.body.planId as string;
    // The same request again (its key): the same answer; a plan of other terms while this one runs: 409.
    const again = await createPlan(s, { authorisationId: auth, installments: 3, intervalSeconds: 3 }, `plan-${s.patientId}`);
    expect(again.body.planId).toBe(planId);
    expect((await createPlan(s, { authorisationId: auth, installments: 4 })).status).toBe(409);

    const d = await handleOf(planId).describe();
    expect(await d.staticSummary()).toBe(`Payment plan ${planId}: $120.00 in 3 installments, every 3 seconds`);
    const details = await eventually(async () => {
      const m = await handleOf(planId).query<{ currentDetails: string }>('__temporal_workflow_metadata');
      return /installment 1 of 3, \$40\.00, due \d{4}-\d{2}-\d{2}/.test(m.currentDetails) ? m.currentDetails : undefined;
    }, 20_000, 'the details');
    expect(details).toContain('card ending 4242');
    expect(await handleOf(planId).query(planStatusQuery)).toMatchObject({ status: 'active', next: { sequence: 1, position: 1, count: 3, amountCents: 4000 } });

    await expect(resultOf(planId)).resolves.toEqual({ status: 'completed', paidCents: 12_000, installmentsPaid: 3 });
    recordHistory(paymentPlanWorkflowId(planId), 'payment-plan-completed');
    expect(chargesAt(planId)).toHaveLength(3);
    const rows = await installments(planId);
    expect(rows.map((r) => [r.state, r.business_key])).toEqual([1, 2, 3].map((n) => ['paid', `plan:${planId}:installment:${n}:a0`]));
    const payments = await paymentsOf(s);
    expect(payments.map((p) => [p.amount_cents, p.method, p.reason])).toEqual([[4000, 'card', 'outstanding_balance'], [4000, 'card', 'outstanding_balance'], [4000, 'card', 'outstanding_balance']]);
    // Oldest first: $30 + $10 of the first, then $30 + $10, then $40.
    const applied = await stack.db('payment_applications').whereIn('payment_id', payments.map((p) => p.id));
    const on = (paymentId: string) => applied.filter((a) => a.payment_id === paymentId).map((a) => [s.claims.indexOf(a.claim_id), a.amount_cents]).sort();
    expect(payments.map((p) => on(p.id))).toEqual([[[0, 3000], [1, 1000]], [[1, 3000], [2, 1000]], [[2, 4000]]]);
    await eventually(async () => ((await stack.db('notification_outbox').whereIn('payment_id', payments.map((p) => p.id)).where({ kind: 'receipt' })).length === 3 ? true : undefined), 30_000, 'three receipts');
    const plan = await request(app).get(`/v1/payment-plans/${planId}`).set(s.auth('billing'));
    expect(plan.body).toMatchObject({ status: 'completed', paidCents: 12_000, next: null });
    const list = await request(app).get(`/v1/patients/${s.patientId}/payment-plans`).set(s.auth('frontDesk'));
    expect(list.body.plans.map((p: { planId: string }) => p.planId)).toEqual([planId]);
    const audit = await stack.db('audit_log').where({ entity_id: planId }).orderBy('id');
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['payment_plan.created', 'payment_plan.installment_paid', 'payment_plan.completed']));
    expect(JSON.stringify(audit)).not.toMatch(/Casey|Testpatient|1980-02-03/);
  });

  it('claims paid another way: an installment charges only what the plan still owes; one nothing is owed for is skipped', async () => {
    const s = await scenario();
    const auth = await authorise(s, CARDS.ok);
    const planId = (await createPlan(s, { authorisationId: auth, installments: 3, intervalSeconds: 4 })).body.planId as string;
    // Before the first installment, the patient pays $100.00 of the plan's $120.00 at the front desk (cash).
    const plan = await stack.db('payment_plans').where({ id: planId }).first();
    await payAtDesk(s, plan.practice_id, `cash-${planId}`, [3000, 4000, 3000]);
    // A statement shown meanwhile says what the plan will still charge: $20.00, not the $120.00 scheduled.
    expect(await planNoteOf(stack.db, { id: randomUUID(), patient_id: s.patientId })).toMatchObject({ leftCents: 2000, next: { amountCents: 2000 } });

    await expect(resultOf(planId)).resolves.toEqual({ status: 'completed', paidCents: 2000, installmentsPaid: 1 });
    recordHistory(paymentPlanWorkflowId(planId), 'payment-plan-paid-otherwise-v2'); // the 'plan-paid-otherwise' patch taken
    expect(chargesAt(planId).map((c) => c.amountCents)).toEqual([2000]);
    expect((await installments(planId)).map((i) => [i.amount_cents, i.state])).toEqual([[2000, 'paid'], [4000, 'skipped'], [4000, 'skipped']]);
    expect(await stack.db('payment_plans').where({ id: planId }).first()).toMatchObject({ status: 'completed', total_cents: 2000 });
    // Every claim is paid to the cent: nothing left over, no credit.
    const open = await stack.db('claims').whereIn('id', s.claims).select('id', 'patient_responsibility_cents');
    const applied = await stack.db('payment_applications').whereIn('claim_id', s.claims).sum({ cents: 'amount_cents' }).first();
    expect(Number(applied!.cents)).toBe(open.reduce((sum, c) => sum + c.patient_responsibility_cents, 0));
    expect(await stack.db('manual_tasks').where({ patient_id: s.patientId })).toHaveLength(0);
    const reduced = await stack.db('audit_log').where({ entity_id: planId, action: 'payment_plan.installment_reduced' }).orderBy('id');
    expect(reduced.map((a) => [a.after.sequence, a.after.amountCents])).toEqual([[1, 2000], [2, 0], [3, 0]]);
  });

  it('a declined installment, then the claims paid another way: the retry charges nothing, the plan completes with nothing charged', async () => {
    const s = await scenario();
    await stack.db('practices').where({ id: s.practiceId }).update({ card_retry_schedule: stack.db.raw(`'{0, 8 seconds}'::interval[]`) });
    const auth = await authorise(s, CARDS.declined);
    const planId = (await createPlan(s, { authorisationId: auth, installments: 3, intervalSeconds: 2 })).body.planId as string;
    await eventually(async () => ((await stack.db('payment_plan_charges').where({ plan_id: planId, state: 'declined' })).length === 1 ? true : undefined), 30_000, 'the first attempt declined');
    const plan = await stack.db('payment_plans').where({ id: planId }).first();
    await payAtDesk(s, plan.practice_id, `check-${planId}`, [3000, 4000, 5000]);
    await expect(resultOf(planId)).resolves.toEqual({ status: 'completed', paidCents: 0, installmentsPaid: 0 });
    expect(chargesAt(planId)).toHaveLength(1); // the declined first attempt only: the retry found nothing owed
    expect((await installments(planId)).map((i) => i.state)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(await stack.db('payment_plans').where({ id: planId }).first()).toMatchObject({ total_cents: 0, failed_installments: 0 });
    expect(await stack.db('manual_tasks').where({ patient_id: s.patientId })).toHaveLength(0);
  });

  it('skip moves the next installment to the end; the run continues as new and keeps its state', async () => {
    const s = await scenario();
    const auth = await authorise(s, CARDS.ok);
    const created = await createPlan(s, { authorisationId: auth, installments: 4, intervalSeconds: 3 });
    const planId = created.body.planId as string;
    const skipped = await act(s, planId, 'skip');
    expect(skipped.status).toBe(200);
    expect(skipped.body.installments.map((i: { sequence: number; state: string }) => [i.sequence, i.state])).toEqual([[1, 'skipped'], [2, 'scheduled'], [3, 'scheduled'], [4, 'scheduled'], [5, 'scheduled']]);
    expect(skipped.body.next).toMatchObject({ sequence: 2 });
    const firstRun = (await handleOf(planId).describe()).runId;

    await expect(resultOf(planId)).resolves.toEqual({ status: 'completed', paidCents: 12_000, installmentsPaid: 4 });
    expect(chargesAt(planId)).toHaveLength(4);
    expect((await installments(planId)).map((r) => r.state)).toEqual(['skipped', 'paid', 'paid', 'paid', 'paid']);
    // Continued as new after 3 installments: the last run is not the first, and it started from the carried state.
    const last = await handleOf(planId).describe();
    expect(last.runId).not.toBe(firstRun);
    recordHistory(paymentPlanWorkflowId(planId), 'payment-plan-skipped-continued'); // the run after continue-as-new
    const history = await handleOf(planId).fetchHistory();
    expect(history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBeTruthy();
    const audit = await stack.db('audit_log').where({ entity_id: planId, action: 'payment_plan.installment_skipped' });
    expect(audit).toHaveLength(1);
    expect(audit[0].actor).toMatch(/^staff:/);
  });

  it('pause holds the charge past its due; resume charges it; cancel stops the rest', async () => {
    const s = await scenario();
    const auth = await authorise(s, CARDS.ok);
    const planId = (await createPlan(s, { authorisationId: auth, installments: 3, intervalSeconds: 3 })).body.planId as string;
    expect((await act(s, planId, 'pause')).body.status).toBe('paused');
    expect((await act(s, planId, 'pause')).status).toBe(409); // already paused: the run refuses
    await new Promise((r) => setTimeout(r, 5000)); // the first installment falls due while paused
    expect(chargesAt(planId)).toHaveLength(0);
    expect((await handleOf(planId).query(planStatusQuery)).status).toBe('paused');
    expect((await act(s, planId, 'resume')).body.status).toBe('active');
    await eventually(async () => ((await installments(planId))[0].state === 'paid' ? true : undefined), 30_000, 'the first installment paid');
    const cancelled = await act(s, planId, 'cancel');
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    await expect(resultOf(planId)).resolves.toMatchObject({ status: 'cancelled', installmentsPaid: 1, paidCents: 4000 });
    recordHistory(paymentPlanWorkflowId(planId), 'payment-plan-paused-resumed-cancelled');
    expect(chargesAt(planId)).toHaveLength(1);
    expect((await act(s, planId, 'resume')).status).toBe(409);
    const actions = (await stack.db('audit_log').where({ entity_id: planId }).orderBy('id')).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['payment_plan.paused', 'payment_plan.resumed', 'payment_plan.cancelled']));
  });

  it('a declined card is retried on the schedule; N failed installments default the plan with a task', async () => {
    const s = await scenario();
    const auth = await authorise(s, CARDS.declined);
    const planId = (await createPlan(s, { authorisationId: auth, installments: 3, intervalSeconds: 2 })).body.planId as string;
    await expect(resultOf(planId)).resolves.toEqual({ status: 'defaulted', paidCents: 0, installmentsPaid: 0 });
    recordHistory(paymentPlanWorkflowId(planId), 'payment-plan-defaulted');
    // Two attempts (0 and 1 second) per installment, two installments failed (the practice's default N = 2).
    const charges = await stack.db('payment_plan_charges').where({ plan_id: planId }).orderBy(['sequence', 'attempt']);
    expect(charges.map((c) => [c.sequence, c.attempt, c.state, c.decline_code])).toEqual([
      [1, 0, 'declined', 'card_declined'], [1, 1, 'declined', 'card_declined'], [2, 0, 'declined', 'card_declined'], [2, 1, 'declined', 'card_declined'],
    ]);
    expect((await installments(planId)).map((r) => r.state)).toEqual(['failed', 'failed', 'scheduled']);
    const task = await stack.db('manual_tasks').where({ patient_id: s.patientId, reason: 'plan_defaulted' }).first();
    expect(task).toMatchObject({ status: 'open', workflow_id: paymentPlanWorkflowId(planId) });
    expect(await paymentsOf(s)).toHaveLength(0);
    expect((await request(app).get(`/v1/payment-plans/${planId}`).set(s.auth('billing'))).body).toMatchObject({ status: 'defaulted', failedInstallments: 2 });
  });

  it('a lost processor answer and a worker restart mid-plan: every installment charged exactly once', async () => {
    const s = await scenario();
    const auth = await authorise(s, CARDS.ok);
    stack.standin.processor.loseAnswers(1);
    const planId = (await createPlan(s, { authorisationId: auth, installments: 3, intervalSeconds: 4 })).body.planId as string;
    await eventually(async () => ((await installments(planId))[0].state === 'paid' ? true : undefined), 40_000, 'the first installment paid');
    await stack.stopWorker();
    await new Promise((r) => setTimeout(r, 6000)); // the second installment falls due with no worker
    expect(chargesAt(planId)).toHaveLength(1);
    await stack.startWorker({ processor: processor() });
    await expect(resultOf(planId)).resolves.toEqual({ status: 'completed', paidCents: 12_000, installmentsPaid: 3 });
    expect(chargesAt(planId)).toHaveLength(3);
    expect(await paymentsOf(s)).toHaveLength(3);
    expect(await stack.db('payment_plan_charges').where({ plan_id: planId })).toHaveLength(3);
  });

  it('Temporal unreachable: 503 problem+json with Retry-After; the plan written meanwhile gets its run when staff act or the create is retried', async () => {
    const s = await scenario();
    const auth = await authorise(s, CARDS.ok);
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, interceptors: [deadlineAwareRetryInterceptor()] });
    try {
      const down = stack.makeApp({ temporal: new Client({ connection, dataConverter: TEST_DATA_CONVERTER }), temporalRequestTimeoutMs: 2000, processor: processor() });
      const body = { authorisationId: auth, installments: 3, firstDueDate: localDay(14) };
      const res = await createPlan(s, body, undefined, down);
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['retry-after']).toBe('5');
      // The plan was written, its run not started: staff acting on it start the run first.
      const planId = (await stack.db('payment_plans').where({ patient_id: s.patientId }).first()).id as string;
      expect((await act(s, planId, 'pause')).body.status).toBe('paused');
      expect((await handleOf(planId).describe()).status.name).toBe('RUNNING');
      // The caller's retry of the create answers the same plan.
      const retried = await createPlan(s, body);
      expect(retried.status).toBe(200);
      expect(retried.body).toMatchObject({ planId, status: 'paused' });
      const resume = await act(s, planId, 'resume', down);
      expect(resume.status).toBe(503);
      expect(resume.headers['retry-after']).toBe('5');
      await act(s, planId, 'cancel').expect(200);
    } finally {
      await connection.close();
    }
  });
  /**
   * A new visit whose claim the payer held: the clearinghouse moves $60.00 of it to the patient (through the stand-in's
   * remittance, so the webhook, the outbox and the relay are the real ones). Answers the claim's id.
   */
  async function newChargeOf(s: Scenario & { claims: string[] }, cents = 6000): Promise<string> {
    const visitExternalId = `${s.visitExternalId}-new`;
    await upsertVisit(stack.db, { practiceExternalId: s.practiceExternalId, patientExternalId: s.patientExternalId, externalId: visitExternalId, version: 1, dateOfService: '2026-11-15' });
    const held: ClaimRecord = { ...s.claim, visitExternalId, externalId: `${s.claimExternalId}-new`, version: 1 };
    await upsertClaim(stack.db, held);
    await remit(stack, {
      ...held, version: 2, responsibility: 'patient', payerStatus: 'adjudicated', patientResponsibilityCents: cents,
      lines: held.lines.map((l) => ({ ...l, insurerPaidCents: 18000 - cents, patientResponsibilityCents: cents })),
    });
    return (await stack.db('claims').where({ external_id: held.externalId, practice_id: s.practiceId }).first()).id as string;
  }
  const generateStatement = (s: Scenario) => request(app).post(`/v1/patients/${s.patientId}/statements`).set(s.auth('billing')).send({});

  it('join_plan: a claim moving to the patient joins the live plan (spread over what is left; the run told); the card is not charged for it; no statement', async () => {
    const s = await scenario();
    await stack.db('practices').where({ id: s.practiceId }).update({ plan_new_charges: 'join_plan' });
    const auth = await authorise(s, CARDS.ok);
    const created = await createPlan(s, { authorisationId: auth, installments: 3, firstDueDate: localDay(7) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ newCharges: 'join_plan', totalCents: 12_000 });
    const planId = created.body.planId as string;
    const covered = await stack.db('payment_plan_claims').where({ plan_id: planId });
    expect(covered.map((c) => [s.claims.indexOf(c.claim_id), c.covered_cents, c.joined_via]).sort()).toEqual([[0, 3000, 'created'], [1, 4000, 'created'], [2, 5000, 'created']]);
    // Everything owed is in the plan: no statement.
    const refused = await generateStatement(s);
    expect(refused.status).toBe(422);
    expect(refused.body.type).toContain('in-payment-plan');
    await eventually(async () => ((await handleOf(planId).query(planStatusQuery)).status === 'active' ? true : undefined), 20_000, 'the run to read its plan');

    const claimId = await newChargeOf(s);
    const plan = await stack.db('payment_plans').where({ id: planId }).first();
    expect(plan.total_cents).toBe(18_000);
    expect((await installments(planId)).map((i) => [i.sequence, i.amount_cents, i.state])).toEqual([[1, 6000, 'scheduled'], [2, 6000, 'scheduled'], [3, 6000, 'scheduled']]);
    expect(await stack.db('payment_plan_claims').where({ plan_id: planId, claim_id: claimId }).first()).toMatchObject({ covered_cents: 6000, joined_via: 'new_charge' });
    // The run learns it through the outbox (the planChanged signal) and reads the plan again.
    const view = await eventually(async () => {
      const v = await handleOf(planId).query(planStatusQuery);
      return v.totalCents === 18_000 ? v : undefined;
    }, 30_000, 'the run to learn the new total');
    expect(view.installments.map((i) => i.amountCents)).toEqual([6000, 6000, 6000]);
    expect(view.next).toMatchObject({ sequence: 1, amountCents: 6000 });
    // The card-on-file charge of that claim (the yearly authorisation) leaves it to the plan.
    const charge = await eventually(async () => {
      const h = stack.client.workflow.getHandle(cardChargeWorkflowId(auth, claimId));
      const d = await h.describe().catch(() => undefined);
      return d?.status.name === 'COMPLETED' ? (h.result() as Promise<CardChargeResult>) : undefined;
    }, 30_000, 'the card charge run to end');
    expect(charge).toEqual({ status: 'skipped', reason: 'in_payment_plan' });
    expect(await stack.db('card_charges').where({ claim_id: claimId })).toHaveLength(0);
    expect((await generateStatement(s)).status).toBe(422);
    const audit = await stack.db('audit_log').where({ entity_id: planId, action: 'payment_plan.charge_joined' });
    expect(audit).toHaveLength(1);
    expect(audit[0].after).toMatchObject({ totalCents: 18_000, claimId, joinedCents: 6000 });
    // Cancelled: the plan's claims go back to statements (all four claims, $180.00).
    await act(s, planId, 'cancel').expect(200);
    const statement = await generateStatement(s);
    expect(statement.status).toBe(201);
    expect(statement.body.totalCents).toBe(18_000);
  });

  it('join_plan: a new charge that would add installments past the card authorisation goes to the statement instead', async () => {
    const s = await scenario();
    await stack.db('practices').where({ id: s.practiceId }).update({ plan_new_charges: 'join_plan' });
    const auth = await authorise(s, CARDS.ok);
    const planId = (await createPlan(s, { authorisationId: auth, installments: 3, firstDueDate: localDay(7) })).body.planId as string;
    await eventually(async () => ((await handleOf(planId).query(planStatusQuery)).status === 'active' ? true : undefined), 20_000, 'the run to hold its plan');
    // Nothing left to raise (every installment tried: written behind the parked run's back), and the authorisation ends
    // a day after the last one: an installment appended one month later could never be charged.
    await stack.db('payment_plan_installments').where({ plan_id: planId }).update({ state: 'failed', attempts: 1 });
    const last = await stack.db('payment_plan_installments').where({ plan_id: planId }).orderBy('sequence', 'desc').first();
    await stack.db('card_authorisations').where({ id: auth }).update({ valid_until: new Date(last.due_at.getTime() + 86_400_000) });
    const claimId = await newChargeOf(s);
    expect(await stack.db('payment_plan_claims').where({ claim_id: claimId })).toHaveLength(0);
    expect((await stack.db('payment_plans').where({ id: planId }).first()).total_cents).toBe(12_000);
    expect(await stack.db('payment_plan_installments').where({ plan_id: planId })).toHaveLength(3);
    expect(await stack.db('audit_log').where({ entity_id: planId, action: 'payment_plan.charge_joined' })).toHaveLength(0);
    const statement = await generateStatement(s);
    expect(statement.status).toBe(201);
    expect(statement.body.totalCents).toBe(6000);
    await act(s, planId, 'cancel').expect(200);
  });

  it('next_statement: a new claim while the plan runs stays out of the plan and goes on the statement alone', async () => {
    const s = await scenario();
    const auth = await authorise(s, CARDS.ok);
    const planId = (await createPlan(s, { authorisationId: auth, installments: 3, firstDueDate: localDay(7) })).body.planId as string;
    const claimId = await newChargeOf(s);
    expect((await stack.db('payment_plans').where({ id: planId }).first()).total_cents).toBe(12_000);
    expect(await stack.db('payment_plan_claims').where({ claim_id: claimId })).toHaveLength(0);
    const statement = await generateStatement(s);
    expect(statement.status).toBe(201);
    expect(statement.body.totalCents).toBe(6000);
    const lines = await stack.db('statement_lines').where({ statement_id: statement.body.statementId });
    expect([...new Set(lines.map((l) => l.claim_id))]).toEqual([claimId]);
    // The statement says what the plan still collects, so its total is not read as all the patient owes (the printed
    // statement, its PDF and email through the same model; the portal's page).
    const statementRow = await stack.db('statements').where({ id: statement.body.statementId }).first();
    const note = `Not on this statement: $120.00 left in your payment plan, paid with the card ending 4242. Next installment: $40.00 on ${formatDate(localDay(7))}.`;
    expect((await request(app).get(`/v1/statements/${statementRow.id}/print`).set(s.auth('billing')).expect(200)).text).toContain(note);
    expect(await printableOf(stack.db, (await statementDocument(stack.db, statementRow.id))!, 'http://127.0.0.1/portal')).toMatchObject({ planNote: note, dueCents: 6000 });
    expect(await portalStatementView({ db: stack.db }, statementRow)).toMatchObject({ planNote: note });
    await act(s, planId, 'pause').expect(200);
    expect((await portalStatementView({ db: stack.db }, statementRow))?.planNote).toBe(
      'Not on this statement: $120.00 left in your payment plan; it is paused: nothing is charged until it resumes. Please call the billing office about it.',
    );
    await act(s, planId, 'cancel').expect(200);
    // Ended: its claims are ordinary claims again (the next statement bills them), and the statement says nothing of it.
    expect((await portalStatementView({ db: stack.db }, statementRow))?.planNote).toBeUndefined();
  });

  it('a statement opened before the plan keeps its visits, and says the plan pays them', async () => {
    const s = await scenario();
    const statement = await generateStatement(s);
    expect(statement.status).toBe(201);
    const auth = await authorise(s, CARDS.ok);
    const planId = (await createPlan(s, { authorisationId: auth, installments: 3, firstDueDate: localDay(7) })).body.planId as string;
    const row = await stack.db('statements').where({ id: statement.body.statementId }).first();
    expect((await portalStatementView({ db: stack.db }, row))?.planNote).toBe(
      `Some visits on this statement are in your payment plan, which has $120.00 left, paid with the card ending 4242. Next installment: $40.00 on ${formatDate(localDay(7))}.`
      + ' If you pay for those visits here, the plan charges that much less.',
    );
    await act(s, planId, 'cancel').expect(200);
  });

  it('the staff patient page shows the plan with Skip / Pause / Resume / Cancel (POST forms, CSRF, through the run)', async () => {
    const s = await scenario();
    const auth = await authorise(s, CARDS.ok);
    const planId = (await createPlan(s, { authorisationId: auth, installments: 3, firstDueDate: localDay(7) })).body.planId as string;
    const signIn = await request(app).post('/staff/sign-in').type('form').set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send({ token: s.tokens.frontDesk }).expect(303);
    const cookie = ([] as string[]).concat(signIn.headers['set-cookie'] ?? []).find((c) => c.startsWith('pf_staff='))!.split(';')[0]!;
    const pageOf = () => request(app).get(`/staff/patients/${s.patientId}`).set('Cookie', cookie).set('Host', '127.0.0.1');
    const page = await pageOf();
    expect(page.status).toBe(200);
    expect(page.text).toContain('Payment plan');
    expect(page.text).toMatch(/id="plan-status">Active/);
    expect(page.text).toContain('$40.00');
    for (const action of ['skip', 'pause', 'cancel']) expect(page.text).toContain(`action="/staff/payment-plans/${planId}/${action}"`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const post = (action: string, form: Record<string, string>) => request(app).post(`/staff/payment-plans/${planId}/${action}`).type('form')
      .set('Cookie', cookie).set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send(form);

    expect((await post('pause', {})).status).toBe(403); // no CSRF token: refused, nothing changes
    expect((await stack.db('payment_plans').where({ id: planId }).first()).status).toBe('active');
    const paused = await post('pause', { csrf });
    expect(paused.status).toBe(303);
    expect(paused.headers.location).toBe(`/staff/patients/${s.patientId}?done=plan-pause#payment-plan`);
    expect((await stack.db('payment_plans').where({ id: planId }).first()).status).toBe('paused');
    const pausedPage = await pageOf();
    expect(pausedPage.text).toMatch(/id="plan-status">Paused/);
    expect(pausedPage.text).toContain(`action="/staff/payment-plans/${planId}/resume"`);
    expect((await post('skip', { csrf })).status).toBe(303);
    expect((await installments(planId)).map((i) => i.state)).toEqual(['skipped', 'scheduled', 'scheduled', 'scheduled']);
    expect((await post('resume', { csrf })).status).toBe(303);
    expect((await post('cancel', { csrf })).status).toBe(303);
    expect((await stack.db('payment_plans').where({ id: planId }).first()).status).toBe('cancelled');
    expect((await post('resume', { csrf })).status).toBe(409);
    const audit = await stack.db('audit_log').where({ entity_id: planId }).whereIn('action', ['payment_plan.paused', 'payment_plan.resumed', 'payment_plan.cancelled']);
    expect(audit.map((a) => a.actor)).toEqual(audit.map(() => expect.stringMatching(/^staff:/)));
    expect(audit).toHaveLength(3);
  });

  it('staff set up a plan on the patient page: refused fields named next to them (422, nothing written); then 303 and the run starts', async () => {
    const s = await scenario();
    const auth = await authorise(s, CARDS.ok);
    const signIn = await request(app).post('/staff/sign-in').type('form').set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send({ token: s.tokens.billing }).expect(303);
    const cookie = ([] as string[]).concat(signIn.headers['set-cookie'] ?? []).find((c) => c.startsWith('pf_staff='))!.split(';')[0]!;
    const pageOf = () => request(app).get(`/staff/patients/${s.patientId}`).set('Cookie', cookie).set('Host', '127.0.0.1');
    const page = await pageOf();
    expect(page.text).toContain('Set up a payment plan for $120.00');
    expect(page.text).toContain(`name="authorisationId" value="${auth}" checked`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const submit = (form: Record<string, string>) => request(app).post(`/staff/patients/${s.patientId}/payment-plans`).type('form')
      .set('Cookie', cookie).set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send({ csrf, authorisationId: auth, firstDueDate: localDay(7), ...form });

    // The form's own refusals, then the plan rules' (the practice's smallest installment), each next to its field.
    const neither = await submit({});
    expect(neither.status).toBe(422);
    expect(neither.text).toMatch(/id="installments-error">Enter the number of installments, or the amount of each installment\./);
    expect(neither.text).toMatch(/id="installments"[^>]*aria-invalid="true"/);
    const tooSmall = await submit({ amount: '1.00', every: 'week' });
    expect(tooSmall.status).toBe(422);
    expect(tooSmall.text).toMatch(/id="installmentCents-error">The amount of each payment [^<]*minimum/);
    expect(tooSmall.text).toContain('value="1.00"'); // what was typed is shown again
    expect(tooSmall.text).toMatch(/name="every" value="week" checked/);
    const past = await submit({ installments: '3', firstDueDate: '2020-01-01' });
    expect(past.status).toBe(422);
    expect(past.text).toMatch(/id="firstDueDate-error">The first payment date must be today/);
    expect(await stack.db('payment_plans').where({ patient_id: s.patientId })).toHaveLength(0);

    const made = await submit({ installments: '3', every: '2weeks' });
    expect(made.status).toBe(303);
    expect(made.headers.location).toBe(`/staff/patients/${s.patientId}?done=plan-created#payment-plan`);
    const plan = await stack.db('payment_plans').where({ patient_id: s.patientId }).first();
    expect(plan).toMatchObject({ status: 'active', total_cents: 12_000, installment_count: 3, created_via: 'front_desk', created_by: expect.stringMatching(/^staff:/) });
    expect((await installments(plan.id)).map((i) => i.amount_cents)).toEqual([4000, 4000, 4000]);
    await eventually(async () => ((await handleOf(plan.id).query(planStatusQuery)).status === 'active' ? true : undefined), 20_000, 'the run');
    const after = await request(app).get(made.headers.location as string).set('Cookie', cookie).set('Host', '127.0.0.1');
    expect(after.text).toContain('Payment plan set up');
    expect(after.text).toMatch(/id="plan-status">Active/);
    expect(after.text).not.toContain('Set up a payment plan for');
    // A second plan while this one is live: refused, nothing written.
    expect((await submit({ installments: '2' })).status).toBe(409);
    expect(await stack.db('payment_plans').where({ patient_id: s.patientId })).toHaveLength(1);
    await act(s, plan.id, 'cancel').expect(200);
    // The balance paid at the desk between showing the form and pressing it: said in a notice, nothing written.
    await payAtDesk(s, plan.practice_id, `cash-${plan.id}`, [3000, 4000, 5000]);
    const paidMeanwhile = await submit({ installments: '3' });
    expect(paidMeanwhile.status).toBe(422);
    expect(paidMeanwhile.text).toContain('The payment plan was not set up');
    expect(paidMeanwhile.text).toContain('The patient has no open balance.');
    expect(await stack.db('payment_plans').where({ patient_id: s.patientId })).toHaveLength(1);
  });
});
