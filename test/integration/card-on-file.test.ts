/**
 * Card on file charged after adjudication (issue 18), on real PostgreSQL, a real Temporal server and the stand-in
 * processor over HTTP (ehr/standin/processor.ts through processor/standin-processor.ts): the front desk saves a card and
 * records the patient's authorisation; the clearinghouse moves the claim to the patient; the patient gets a notice; after
 * the practice's notice period (seconds here) the card is charged min(owed, cap), the payment is applied to the claim and
 * a receipt is sent. Declines are retried on the schedule; an expired card opens a task; the notice's link, a revocation
 * and a copay already held for the visit are honoured; a lost processor answer never charges twice; the cap holds in
 * PostgreSQL whatever runs at once.
 */
import request from 'supertest';
import { openManualTask, recordPayment } from '../../db/queries/ledger';
import { createStandinProcessor } from '../../processor/standin-processor';
/** The stand-in's development token (ehr/standin/app.ts default), which the harness's stand-in uses. */
const DEV_PROCESSOR_TOKEN = 'dev-processor-standin-token-not-for-production';
import { cardChargeWorkflowId } from '../../workflows/card-on-file-charge';
import { capture, remit, startCopay } from '../support/copay-driver';
import { eventually, reverseToPayer, seedScenario, transferToPatient, type Scenario } from '../support/fixtures';
import { useTestStack } from '../support/harness';
import { recordHistory } from '../support/history';
import { creditNoticeWorkflowId } from '../../workflows/credit-notice';

const CARDS = { ok: '4242424242424242', declined: '4000000000000002', expired: '4000000000000069' };

describe('card on file charged after adjudication', () => {
  const stack = useTestStack({ worker: false });
  let app: ReturnType<typeof stack.makeApp>;
  const processor = () => createStandinProcessor({ baseUrl: `${stack.standin.url}/processor`, token: DEV_PROCESSOR_TOKEN, timeoutMs: 5000 });

  beforeAll(async () => {
    app = stack.makeApp({ processor: processor() });
    await stack.startWorker({ processor: processor() });
  });

  /** A patient with an email, their practice's notice period and retry schedule in seconds. */
  async function scenario(opts: { noticeSeconds?: number; retrySeconds?: number[] } = {}): Promise<Scenario> {
    const s = await seedScenario(stack.db);
    await stack.db('patients').where({ id: s.patientId }).update({ email: `card-${s.patientId.slice(0, 8)}@example.test` });
    await stack.db.raw(`update practices set card_notice_wait = make_interval(secs => ?), card_retry_schedule = ?::interval[] where id = ?`, [
      opts.noticeSeconds ?? 2, `{${(opts.retrySeconds ?? [0, 1]).map((x) => `${x} seconds`).join(',')}}`, s.practiceId,
    ]);
    return s;
  }

  /** The front desk saves a card (typed on the processor's page) and records the authorisation. */
  async function authorise(s: Scenario, card: string, body: Record<string, unknown> = {}) {
    const setup = await request(app).post(`/v1/patients/${s.patientId}/card-setups`).set(s.auth('frontDesk')).send({});
    expect(setup.status).toBe(201);
    expect(setup.body.entryUrl).toContain(`/processor/setup/${setup.body.setupRef}`);
    const typed = await fetch(setup.body.entryUrl, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ cardNumber: card, expiry: '12 / 30' }) });
    expect(typed.status).toBe(200);
    const res = await request(app).post(`/v1/patients/${s.patientId}/card-authorisations`).set(s.auth('frontDesk'))
      .send({ setupRef: setup.body.setupRef, capCents: 10_000, scope: 'visit', visitId: s.visitId, noticeChannel: 'email', agreed: true, ...body });
    expect(res.status).toBe(201);
    return res.body as { authorisationId: string; card: { last4: string } };
  }

  const chargesOf = (authorisationId: string) => stack.db('card_charges').where({ authorisation_id: authorisationId }).orderBy('created_at');
  const noticesOf = (s: Scenario) => stack.db('notification_outbox').where({ patient_id: s.patientId, kind: 'card_notice' }).orderBy('created_at');
  const resultOf = (authorisationId: string, claimId: string) => eventually(async () => {
    const d = await stack.client.workflow.getHandle(cardChargeWorkflowId(authorisationId, claimId)).describe().catch(() => undefined);
    return d && d.status.name !== 'RUNNING' ? stack.client.workflow.getHandle(cardChargeWorkflowId(authorisationId, claimId)).result() : undefined;
  }, 60_000, 'the charge run to end');
  const claimIdOf = async (s: Scenario) => (await stack.db('claims').where({ visit_id: s.visitId }).first()).id as string;

  it('refuses a bad authorisation with the field named, and changes nothing', async () => {
    const s = await scenario();
    const res = await request(app).post(`/v1/patients/${s.patientId}/card-authorisations`).set(s.auth('frontDesk'))
      .send({ setupRef: 'seti_x', capCents: -5, scope: 'visit', noticeChannel: 'pigeon', agreed: false });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['agreed', 'capCents', 'noticeChannel']);
    const noVisit = await request(app).post(`/v1/patients/${s.patientId}/card-authorisations`).set(s.auth('frontDesk'))
      .send({ setupRef: 'seti_x', capCents: 5000, scope: 'visit', noticeChannel: 'email', agreed: true });
    expect(noVisit.body.errors).toEqual([{ field: 'visitId', reason: 'is required when scope is visit' }]);
    const unknown = await request(app).post(`/v1/patients/${s.patientId}/card-authorisations`).set(s.auth('frontDesk'))
      .send({ setupRef: 'seti_unknown', capCents: 5000, scope: 'year', noticeChannel: 'email', agreed: true });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ field: 'setupRef', reason: 'is not a card setup started for this patient' }]);
    // Another patient's setup (its reference travelled through a browser) authorises nothing for this one.
    const other = await scenario();
    const theirs = await request(app).post(`/v1/patients/${other.patientId}/card-setups`).set(other.auth('frontDesk')).send({});
    const stolen = await request(app).post(`/v1/patients/${s.patientId}/card-authorisations`).set(s.auth('frontDesk'))
      .send({ setupRef: theirs.body.setupRef, capCents: 5000, scope: 'year', noticeChannel: 'email', agreed: true });
    expect(stolen.status).toBe(422);
    // The processor down: 503 with Retry-After, nothing saved.
    stack.standin.processor.setDown(true);
    const down = await request(app).post(`/v1/patients/${s.patientId}/card-setups`).set(s.auth('frontDesk')).send({});
    stack.standin.processor.setDown(false);
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    // A setup whose card was never entered: 409, nothing saved.
    const setup = await request(app).post(`/v1/patients/${s.patientId}/card-setups`).set(s.auth('frontDesk')).send({});
    const early = await request(app).post(`/v1/patients/${s.patientId}/card-authorisations`).set(s.auth('frontDesk'))
      .send({ setupRef: setup.body.setupRef, capCents: 5000, scope: 'year', noticeChannel: 'email', agreed: true });
    expect(early.status).toBe(409);
    expect(await stack.db('card_authorisations').where({ patient_id: s.patientId })).toHaveLength(0);
  });

  it('notice, then after the wait a charge of min(owed, cap) applied to the claim, a receipt; the same setup authorises once', async () => {
    const s = await scenario();
    const a = await authorise(s, CARDS.ok, { capCents: 5000 });
    expect(a.card.last4).toBe('4242');
    // The same completed setup authorised again (a retried request without its key): the same authorisation, 200.
    const setupRef = (await stack.db('card_authorisations').where({ id: a.authorisationId }).first()).business_key.replace('card-setup:', '');
    const again = await request(app).post(`/v1/patients/${s.patientId}/card-authorisations`).set(s.auth('frontDesk'))
      .send({ setupRef, capCents: 5000, scope: 'visit', visitId: s.visitId, noticeChannel: 'email', agreed: true });
    expect(again.status).toBe(200);
    expect(again.body.authorisationId).toBe(a.authorisationId);
    const list = await request(app).get(`/v1/patients/${s.patientId}/card-authorisations`).set(s.auth('billing'));
    expect(list.body.authorisations).toEqual([expect.objectContaining({ authorisationId: a.authorisationId, status: 'active', capCents: 5000, chargedCents: 0 })]);

    await remit(stack, transferToPatient(s, 8000)); // owes $80.00; the cap is $50.00
    const claimId = await claimIdOf(s);
    const notice = await eventually(async () => (await noticesOf(s))[0], 30_000, 'the notice');
    expect(notice).toMatchObject({ channel: 'email', kind: 'card_notice' });
    expect(notice.subject).toContain('we will charge $50.00 to your card ending 4242');
    expect(notice.body).toContain('$30.00, is above the limit you authorised');
    expect(notice.body).toMatch(/\/portal\/card-notice\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/);
    // Nothing charged before the notice period has passed.
    expect(await chargesOf(a.authorisationId)).toHaveLength(0);

    await expect(resultOf(a.authorisationId, claimId)).resolves.toMatchObject({ status: 'charged', amountCents: 5000, attempts: 1 });
    recordHistory(cardChargeWorkflowId(a.authorisationId, claimId), 'card-charge-charged');
    const [charge] = await chargesOf(a.authorisationId);
    expect(charge).toMatchObject({ state: 'succeeded', amount_cents: 5000, claim_id: claimId });
    const payment = await stack.db('payments').where({ id: charge.payment_id }).first();
    expect(payment).toMatchObject({ amount_cents: 5000, method: 'card', reason: 'outstanding_balance', external_id: charge.charge_ref });
    const applied = await stack.db('payment_applications').where({ payment_id: payment.id });
    expect(applied).toEqual([expect.objectContaining({ claim_id: claimId, amount_cents: 5000, kind: 'auto' })]);
    await eventually(async () => stack.db('notification_outbox').where({ payment_id: payment.id, kind: 'receipt' }).first(), 30_000, 'the receipt');
    // At the processor: exactly one charge, under the business key.
    const atProcessor = stack.standin.processor.charges().filter((c) => c.metadata?.authorisationId === a.authorisationId);
    expect(atProcessor).toHaveLength(1);
  });

  it('a copay already held for the visit is not charged again: only the rest is', async () => {
    const s = await scenario();
    const a = await authorise(s, CARDS.ok);
    const copay = await startCopay(stack, s, 2500);
    await capture(stack, copay.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await eventually(async () => stack.db('payments').where({ collection_id: copay.collectionId }).first(), 30_000, 'the copay payment');
    await remit(stack, transferToPatient(s, 6000));
    const claimId = await claimIdOf(s);
    await expect(resultOf(a.authorisationId, claimId)).resolves.toMatchObject({ status: 'charged', amountCents: 3500 });
    // The copay applied by its run, the card for the rest: the claim is paid, not over-paid.
    const claimApplied = await eventually(async () => {
      const rows = await stack.db('payment_applications').where({ claim_id: claimId });
      const sum = rows.reduce((t, r) => t + r.amount_cents, 0);
      return sum === 6000 ? sum : undefined;
    }, 30_000, 'the copay and the card applied');
    expect(claimApplied).toBe(6000);
  });

  it('a declined card is tried again on the schedule, then the patient is told; an expired card opens a task', async () => {
    const s = await scenario({ retrySeconds: [0, 1] });
    const a = await authorise(s, CARDS.declined);
    await remit(stack, transferToPatient(s, 4000));
    const claimId = await claimIdOf(s);
    await expect(resultOf(a.authorisationId, claimId)).resolves.toMatchObject({ status: 'not_charged', code: 'card_declined', attempts: 2 });
    recordHistory(cardChargeWorkflowId(a.authorisationId, claimId), 'card-charge-declined');
    expect((await chargesOf(a.authorisationId)).map((c) => c.state)).toEqual(['declined', 'declined']);
    expect(await stack.db('payments').where({ patient_id: s.patientId })).toHaveLength(0);
    const notices = await noticesOf(s);
    expect(notices.map((n) => n.subject)).toEqual([expect.stringContaining('we will charge $40.00'), expect.stringContaining('we could not charge your card')]);

    const e = await scenario();
    const b = await authorise(e, CARDS.expired);
    await remit(stack, transferToPatient(e, 4000));
    const eClaim = await claimIdOf(e);
    await expect(resultOf(b.authorisationId, eClaim)).resolves.toMatchObject({ status: 'not_charged', code: 'expired_card', attempts: 1 });
    const task = await stack.db('manual_tasks').where({ patient_id: e.patientId, reason: 'card_expired' }).first();
    expect(task).toMatchObject({ status: 'open', claim_id: eClaim });
  });

  it('"pay another way" from the notice stops the charge; a revocation after the notice too', async () => {
    const s = await scenario({ noticeSeconds: 30 });
    const a = await authorise(s, CARDS.ok);
    await remit(stack, transferToPatient(s, 4000));
    const claimId = await claimIdOf(s);
    const notice = await eventually(async () => (await noticesOf(s))[0], 30_000, 'the notice');
    const link = new URL(/(http\S+\/portal\/card-notice\/\S+)/.exec(notice.body)![1]!);
    const page = await request(app).get(link.pathname);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Don't charge my card");
    expect(await stack.db('card_charge_objections')).toEqual([]); // opening the page changes nothing
    const done = await request(app).post(link.pathname).type('form').send({});
    expect(done.text).toContain('Your card will not be charged');
    // The waiting run is woken at once (not after the 30 s notice period) and charges nothing.
    await expect(resultOf(a.authorisationId, claimId)).resolves.toEqual({ status: 'skipped', reason: 'objected' });
    // Woken by the stop signal: the 30 s notice timer never fired.
    const events = (await stack.client.workflow.getHandle(cardChargeWorkflowId(a.authorisationId, claimId)).fetchHistory()).events ?? [];
    expect(events.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'stop')).toBe(true);
    expect(events.some((e) => e.timerFiredEventAttributes)).toBe(false);
    recordHistory(cardChargeWorkflowId(a.authorisationId, claimId), 'card-charge-objected');
    expect(await chargesOf(a.authorisationId)).toHaveLength(0);
    expect((await request(app).get(`${link.pathname}x`)).status).toBe(404);

    const r = await scenario({ noticeSeconds: 3 });
    const b = await authorise(r, CARDS.ok);
    await remit(stack, transferToPatient(r, 4000));
    const rClaim = await claimIdOf(r);
    await eventually(async () => (await noticesOf(r))[0], 30_000, 'the notice');
    const revoked = await request(app).post(`/v1/card-authorisations/${b.authorisationId}/revoke`).set(r.auth('frontDesk')).send({});
    expect(revoked.body).toMatchObject({ revoked: true, authorisation: { status: 'revoked' } });
    await expect(resultOf(b.authorisationId, rClaim)).resolves.toEqual({ status: 'skipped', reason: 'revoked' });
    expect(await chargesOf(b.authorisationId)).toHaveLength(0);
    const audit = await stack.db('audit_log').where({ entity_id: b.authorisationId }).orderBy('id');
    expect(audit.map((x) => x.action)).toEqual(['card_authorisation.created', 'card_authorisation.revoked']);
  });

  it('a processor answer lost mid-charge: the retry under the same key gets the first charge, never a second', async () => {
    const s = await scenario();
    const a = await authorise(s, CARDS.ok);
    stack.standin.processor.loseAnswers(1);
    await remit(stack, transferToPatient(s, 4000));
    const claimId = await claimIdOf(s);
    await expect(resultOf(a.authorisationId, claimId)).resolves.toMatchObject({ status: 'charged', amountCents: 4000 });
    const atProcessor = stack.standin.processor.charges().filter((c) => c.metadata?.authorisationId === a.authorisationId);
    expect(atProcessor).toHaveLength(1);
    expect(await stack.db('payments').where({ patient_id: s.patientId })).toHaveLength(1);
  });

  it('the processor down at the charge and the worker restarted meanwhile: retried with the same key, one charge', async () => {
    const s = await scenario({ noticeSeconds: 1 });
    const a = await authorise(s, CARDS.ok);
    stack.standin.processor.setDown(true);
    await remit(stack, transferToPatient(s, 4000));
    const claimId = await claimIdOf(s);
    // The charge is reserved (pending) and its call fails while the processor is down.
    await eventually(async () => (await chargesOf(a.authorisationId)).find((c) => c.state === 'pending'), 30_000, 'a pending charge');
    await stack.stopWorker();
    await stack.startWorker({ processor: processor() });
    stack.standin.processor.setDown(false);
    await expect(resultOf(a.authorisationId, claimId)).resolves.toMatchObject({ status: 'charged', amountCents: 4000 });
    expect(stack.standin.processor.charges().filter((c) => c.metadata?.authorisationId === a.authorisationId)).toHaveLength(1);
    expect(await chargesOf(a.authorisationId)).toEqual([expect.objectContaining({ state: 'succeeded', amount_cents: 4000 })]);
  });

  it('a payer reversal after the charge follows the reversal rules; the claim back with the patient charges nothing more', async () => {
    const s = await scenario();
    const a = await authorise(s, CARDS.ok);
    await remit(stack, transferToPatient(s, 4000));
    const claimId = await claimIdOf(s);
    await expect(resultOf(a.authorisationId, claimId)).resolves.toMatchObject({ status: 'charged', amountCents: 4000 });
    await remit(stack, reverseToPayer(s));
    // The money is off the payer-held claim, and visible (a task for staff).
    const task = await eventually(async () => stack.db('manual_tasks').where({ patient_id: s.patientId, status: 'open' }).first(), 30_000, 'a task for the reversed money');
    expect(['claim_reversed', 'credit_remaining']).toContain(task.reason);
    const standing = await stack.db.raw(`select coalesce(sum(a.amount_cents), 0)::int as s from payment_applications a where a.claim_id = ? and not exists (select 1 from application_reversals r where r.application_id = a.id)`, [claimId]);
    expect(standing.rows[0].s).toBe(0);
    // Back with the patient: the money goes back on the claim, and the new round finds nothing owed.
    await remit(stack, transferToPatient(s, 4000));
    await eventually(async () => {
      const d = await stack.client.workflow.getHandle(cardChargeWorkflowId(a.authorisationId, claimId)).describe();
      return d.status.name === 'COMPLETED' && d.runId ? d : undefined;
    }, 60_000, 'the second round to end');
    expect((await chargesOf(a.authorisationId)).filter((c) => c.state === 'succeeded')).toHaveLength(1);
  });

  it('PostgreSQL keeps charges of one authorisation within its cap per visit, whatever runs at once', async () => {
    const s = await scenario();
    const a = await authorise(s, CARDS.ok, { capCents: 5000 });
    const claimId = await claimIdOf(s);
    const row = (key: string, amount: number) => ({ authorisation_id: a.authorisationId, claim_id: claimId, visit_id: s.visitId, business_key: key, amount_cents: amount });
    await stack.db('card_charges').insert(row('cap-test-1', 3000));
    await expect(stack.db('card_charges').insert(row('cap-test-2', 2500))).rejects.toThrow(/cap/);
    await stack.db('card_charges').insert(row('cap-test-3', 2000));
    // A declined charge no longer counts.
    await stack.db('card_charges').where({ business_key: 'cap-test-1' }).update({ state: 'declined', decline_code: 'card_declined' });
    await stack.db('card_charges').insert(row('cap-test-4', 3000));
  });

  describe('credits that apply themselves', () => {
    /** A credit the patient has with the practice: a payment with money left over, its task open for staff. */
    async function credit(s: Scenario, cents: number, paymentDate = '2026-10-01') {
      const { paymentId } = await recordPayment(stack.db, {
        practiceId: s.practiceId, patientId: s.patientId, collectionId: null, visitId: null, externalId: `credit-${paymentId8()}`, amountCents: cents,
        method: 'card', reason: 'outstanding_balance', paidAt: `${paymentDate}T18:00:00Z`, paymentDate, actor: 'test',
      });
      const { taskId } = await openManualTask(stack.db, { practiceId: s.practiceId, patientId: s.patientId, paymentId, reason: 'credit_remaining', amountCents: cents, businessKey: `test-credit:${paymentId}`, actor: 'test' });
      return { paymentId, taskId };
    }
    let n = 0;
    const paymentId8 = () => `${Date.now()}-${n++}`;

    it('a new patient balance takes the credit at once; the patient is told; the task closes itself', async () => {
      const s = await scenario();
      const c = await credit(s, 2000);
      const answer = await remit(stack, transferToPatient(s, 3000));
      expect(answer.delivery.body).toMatchObject({ status: 'updated', creditAppliedCents: 2000 });
      const claimId = await claimIdOf(s);
      expect(await stack.db('payment_applications').where({ payment_id: c.paymentId })).toEqual([expect.objectContaining({ claim_id: claimId, amount_cents: 2000, kind: 'auto' })]);
      expect(await stack.db('manual_tasks').where({ id: c.taskId }).first()).toMatchObject({ status: 'resolved', resolution: 'applied' });
      const told = await eventually(async () => stack.db('notification_outbox').where({ patient_id: s.patientId, kind: 'credit_notice' }).first(), 30_000, 'the credit notice');
      expect(told.subject).toBe('Test Practice: your credit of $20.00 was applied to your balance');
      await eventually(async () => ((await stack.client.workflow.getHandle(creditNoticeWorkflowId(claimId, s.claim.version)).describe()).status.name === 'COMPLETED' ? true : undefined), 30_000, 'the notice run to end');
      recordHistory(creditNoticeWorkflowId(claimId, s.claim.version), 'credit-notice');
      // Delivered again (the clearinghouse retries): nothing more is applied.
      await remit(stack, s.claim);
      expect(await stack.db('payment_applications').where({ payment_id: c.paymentId })).toHaveLength(1);
    });

    it('with a card on file, the credit goes first and the card pays only the rest', async () => {
      const s = await scenario();
      const a = await authorise(s, CARDS.ok);
      await credit(s, 1500);
      await remit(stack, transferToPatient(s, 4000));
      const claimId = await claimIdOf(s);
      await expect(resultOf(a.authorisationId, claimId)).resolves.toMatchObject({ status: 'charged', amountCents: 2500 });
      const standing = await stack.db('payment_applications').where({ claim_id: claimId });
      expect(standing.reduce((t, r) => t + r.amount_cents, 0)).toBe(4000);
    });
  });
});
