/**
 * The statement workflow on a real Temporal server and real PostgreSQL, driven through the API, the portal and the
 * stand-in's hosted payment page: a partial payment keeps the rest due and the reminders going, the second payment
 * closes it paid; no payment until after the last reminder → unpaid with a `statement_unpaid` task; texts wait for the
 * quiet hours to end; a capture for another statement's collection is refused; two payments racing for one statement
 * never over-apply a line, and staff resolve the surplus by the one resolve rule (a payer-held or another patient's claim
 * is refused by the run's validator). Records replay histories when RECORD_HISTORIES=1 (see test/replay/).
 */
import request from 'supertest';
import { captureUpdate, resolveUpdate } from '../../workflows/collection-messages';
import { registerPaymentUpdate, statementStatusQuery } from '../../workflows/statement-messages';
import { createActivities } from '../../activities';
import { createHttpEhrAdapter } from '../../ehr/http-adapter';
import { recordPayment } from '../../db/queries/ledger';
import { createStatementCollection, getStatement } from '../../db/queries/statements';
import { refusalTypeOf, updateFailureToAppError } from '../../app/temporal-errors';
import { useTestStack } from '../support/harness';
import { eventually } from '../support/fixtures';
import {
  generateStatement, outbox, payOnHostedPage, payThroughPortal, PortalClient, seedStatementScenario, startPortalApp,
  statementWhen,
} from '../support/statement-driver';
import { recordHistory } from '../support/history';

/** A time zone whose wall clock now shows `hour` (Etc/GMT zones have no DST; their sign is inverted). */
function zoneWithLocalHour(hour: number): string {
  const offset = ((hour - new Date().getUTCHours()) % 24 + 24 + 12) % 24 - 12; // -12 … +11
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

describe('statement workflow', () => {
  const stack = useTestStack();
  let portal: Awaited<ReturnType<typeof startPortalApp>>;
  beforeAll(async () => {
    portal = await startPortalApp(stack, { reminderIntervalMs: 2500, reminderLimit: 5 });
  });
  afterAll(() => portal.close());
  const payPage = () => `${stack.standin.url}/hosted-pay`;

  it('a partial payment keeps the rest due and the reminders going; the second payment ends it paid', async () => {
    const s = await seedStatementScenario(stack.db, { paymentPageUrl: payPage(), email: 'ada@example.com', timeZone: zoneWithLocalHour(12) });
    const statement = await generateStatement(portal.app, s);
    expect(statement).toMatchObject({ totalCents: 17050, dueCents: 17050, status: 'open', workflowId: `statement-${statement.statementId}` });
    const sent = await eventually(async () => {
      const messages = await outbox(portal.app, s, statement.statementId);
      return messages.length >= 2 ? messages : undefined;
    }, 20_000, 'statement sent');
    expect(sent.map((m) => `${m.kind}:${m.sequence}:${m.channel}`).sort()).toEqual(['statement:0:email', 'statement:0:mail']);
    const email = sent.find((m) => m.channel === 'email');
    expect(email.body).toContain(s.accountId);
    expect(email.body).toContain(`${portal.url}/portal`);
    expect(email.body).toContain('$170.50');

    // $50.00 of $170.50: the oldest claim ($45.00) is paid, $5.00 goes to the next one.
    const first = await payThroughPortal(portal.url, s, '50.00');
    expect(first.receiptUrl.startsWith(`${portal.url}/portal/receipt?ref=`)).toBe(true);
    const partly = await statementWhen(portal.app, s, statement.statementId, (b) => b.paidCents === 5000, 'first payment recorded');
    expect(partly).toMatchObject({ status: 'open', dueCents: 12050 });

    // Reminders on schedule (every 2.5 s here), for what is still due.
    const reminder = await eventually(async () => {
      const m = (await outbox(portal.app, s, statement.statementId)).filter((x) => x.kind === 'reminder' && x.channel === 'email');
      return m.find((x) => x.body.includes('$120.50'));
    }, 20_000, 'a reminder for the rest');
    expect(reminder.subject).toBe('Reminder: your statement from Harbor Family Clinic');
    expect(reminder.sequence).toBeGreaterThanOrEqual(1);
    const sequences = (await outbox(portal.app, s, statement.statementId)).filter((x) => x.kind === 'reminder' && x.channel === 'email').map((x) => x.sequence).sort((a: number, b: number) => a - b);
    expect(sequences).toEqual(sequences.map((_: number, i: number) => i + 1)); // 1, 2, …: none skipped, none twice

    await payThroughPortal(portal.url, s, '120.50');
    const paid = await statementWhen(portal.app, s, statement.statementId, (b) => b.status === 'paid', 'paid');
    expect(paid).toMatchObject({ dueCents: 0, paidCents: 17050 });
    const result = await stack.client.workflow.getHandle(statement.workflowId).result();
    expect(result).toMatchObject({ status: 'paid', paidCents: 17050, dueCents: 0 });
    expect(result.remindersSent).toBeGreaterThanOrEqual(1);

    // The ledger: the statement's claims, oldest first; nothing left open, nothing over-applied.
    const ledger = await request(portal.app).get(`/v1/patients/${s.patientId}/payments`).set(s.auth('billing')).expect(200);
    expect(ledger.body.payments.map((p: any) => p.applications.map((a: any) => [a.claimId, a.amountCents]))).toEqual([
      [[s.claimIds[0], 4500], [s.claimIds[1], 500]],
      [[s.claimIds[1], 12050]],
    ]);
    const tasks = await stack.db('manual_tasks').where({ patient_id: s.patientId });
    expect(tasks).toEqual([]);
    recordHistory(statement.workflowId, 'statement-partial-then-paid');
  });

  it('ends unpaid after the last reminder, with a statement_unpaid task for staff', async () => {
    const s = await seedStatementScenario(stack.db, { paymentPageUrl: payPage() });
    const quick = await startPortalApp(stack, { reminderIntervalMs: 1000, reminderLimit: 2 });
    try {
      const statement = await generateStatement(quick.app, s);
      const result = await stack.client.workflow.getHandle(statement.workflowId).result();
      expect(result).toMatchObject({ status: 'unpaid', remindersSent: 2, dueCents: 17050 });
      const closed = await getStatement(stack.db, statement.statementId);
      expect(closed).toMatchObject({ status: 'unpaid', reminders_sent: 2 });
      const task = await stack.db('manual_tasks').where({ statement_id: statement.statementId }).first();
      expect(task).toMatchObject({ reason: 'statement_unpaid', status: 'open', patient_id: s.patientId, id: result.unpaidTaskId });
      const mail = (await outbox(quick.app, s, statement.statementId)).map((m) => `${m.kind}:${m.sequence}:${m.channel}`).sort();
      expect(mail).toEqual(['reminder:1:mail', 'reminder:2:mail', 'statement:0:mail']);
      // Closed: the portal offers no payment any more, and the workflow refuses one.
      const client = new PortalClient(quick.url);
      await client.signIn(s.accountId, s.dateOfBirth);
      const page = await client.get('/portal/statement');
      expect(page.body).toContain('can no longer be paid online');
      expect(page.body).not.toContain('action="/portal/pay"');
      recordHistory(statement.workflowId, 'statement-unpaid');
    } finally {
      await quick.close();
    }
  });

  it('holds a text back during the quiet hours (outside 08:00-21:00 practice time); email and mail go at once', async () => {
    const night = await seedStatementScenario(stack.db, { paymentPageUrl: payPage(), email: 'n@example.com', phone: '+15555550100', timeZone: zoneWithLocalHour(3) });
    const day = await seedStatementScenario(stack.db, { paymentPageUrl: payPage(), email: 'd@example.com', phone: '+15555550101', timeZone: zoneWithLocalHour(13) });
    const atNight = await generateStatement(portal.app, night);
    const atDay = await generateStatement(portal.app, day);
    const channels = async (s: typeof night, id: string) => (await outbox(portal.app, s, id)).map((m) => m.channel).sort();
    await eventually(async () => ((await channels(day, atDay.statementId)).length === 3 ? true : undefined), 20_000, 'day: all three channels');
    expect(await channels(day, atDay.statementId)).toEqual(['email', 'mail', 'text']);
    await eventually(async () => ((await channels(night, atNight.statementId)).length === 2 ? true : undefined), 20_000, 'night: email and mail');
    // The run moves from `sending` to `awaiting_payment` just after the notices are recorded.
    const view = await eventually(async () => {
      const v = await stack.client.workflow.getHandle(atNight.workflowId).query(statementStatusQuery);
      return v.status === 'awaiting_payment' ? v : undefined;
    }, 20_000, 'night: awaiting payment');
    expect(view.status).toBe('awaiting_payment');
    const heldUntil = new Date(view.deferredTextAt!);
    // The next 08:00 on the practice's clock: 5 hours after 03:xx, on the hour.
    expect(heldUntil.getTime() - Date.now()).toBeGreaterThan(4 * 3_600_000);
    expect(heldUntil.getTime() - Date.now()).toBeLessThanOrEqual(5 * 3_600_000);
    expect(heldUntil.getUTCMinutes()).toBe(0);
    expect(await channels(night, atNight.statementId)).toEqual(['email', 'mail']);
    const text = (await outbox(portal.app, day, atDay.statementId)).find((m) => m.channel === 'text');
    expect(text.body).not.toContain(day.accountId); // a text is not a private channel
    expect(text.body).not.toMatch(/\$\d/);
  });

  it("refuses a capture for a collection that is not one of the statement's payments", async () => {
    const a = await seedStatementScenario(stack.db, { paymentPageUrl: payPage() });
    const b = await seedStatementScenario(stack.db, { paymentPageUrl: payPage() });
    const sa = await generateStatement(portal.app, a);
    const sb = await generateStatement(portal.app, b);
    const statementB = (await getStatement(stack.db, sb.statementId))!;
    const foreign = await createStatementCollection(stack.db, { statement: statementB, amountCents: 1000, createdBy: 'test' });
    await stack.client.workflow.getHandle(sb.workflowId).executeUpdate(registerPaymentUpdate, { args: [{ collectionId: foreign.id, amountCents: 1000 }] });
    // B's collection, delivered to A's run: refused (409 Conflict at the webhook), nothing recorded.
    const refused = await stack.client.workflow.getHandle(sa.workflowId).executeUpdate(captureUpdate, {
      args: [{ collectionId: foreign.id, eventId: 'evt-x', externalPaymentId: 'pay-x', amountCents: 1000, method: 'card', paidAt: new Date().toISOString() }],
    }).then(() => undefined, (err: unknown) => updateFailureToAppError(err));
    expect(refused).toMatchObject({ status: 409, message: expect.stringMatching(/not a payment of this statement/) });
    expect(await stack.db('payments').where({ collection_id: foreign.id })).toEqual([]);
  });

  it('two payments racing for one statement: both recorded, no line over-applied, the surplus goes to staff', async () => {
    const s = await seedStatementScenario(stack.db, { paymentPageUrl: payPage() });
    const statement = await generateStatement(portal.app, s);
    // Two tabs: both see $170.50 due; one pays all of it, the other $170.00 (the same amount from two tabs would reach
    // the same open payment request: portal-pay-bound.test.ts).
    const tabs = [new PortalClient(portal.url), new PortalClient(portal.url)];
    const links: string[] = [];
    for (const tab of tabs) {
      expect((await tab.signIn(s.accountId, s.dateOfBirth)).status).toBe(303);
      await tab.get('/portal/statement');
    }
    for (const tab of tabs) {
      const pay = await tab.post('/portal/pay', { amount: tab === tabs[0] ? '170.50' : '170.00' });
      expect(pay.status).toBe(303);
      links.push(pay.headers.get('location')!);
    }
    await Promise.all(links.map((l) => payOnHostedPage(l)));
    const paid = await statementWhen(portal.app, s, statement.statementId, (b) => b.status === 'paid' && b.payments.every((p: any) => p.payment), 'both payments recorded');
    expect(paid.paidCents).toBe(34050);

    const perClaim = await stack.db('payment_applications as a')
      .join('claims as c', 'c.id', 'a.claim_id')
      .whereIn('a.claim_id', s.claimIds)
      .groupBy('c.id', 'c.patient_responsibility_cents')
      .select('c.id', 'c.patient_responsibility_cents', stack.db.raw('sum(a.amount_cents)::int as applied'));
    for (const c of perClaim) expect(c.applied).toBeLessThanOrEqual(c.patient_responsibility_cents);
    expect(perClaim.reduce((sum: number, c: any) => sum + c.applied, 0)).toBe(17050);
    // The second payment's surplus (applied after it was recorded) goes to staff: one task.
    const tasks = await eventually(async () => {
      const t = await stack.db('manual_tasks').where({ statement_id: statement.statementId, reason: 'credit_remaining' });
      return t.length > 0 ? t : undefined;
    }, 20_000, 'the credit_remaining task');
    expect(tasks).toHaveLength(1);
    // The run waits for staff to place the surplus; billing keeps it as credit through the work queue.
    const running = await eventually(async () => {
      const view = await stack.client.workflow.getHandle(statement.workflowId).query(statementStatusQuery);
      return view.openTaskIds.length > 0 ? view : undefined;
    }, 20_000, 'the run holding the task');
    expect(running).toMatchObject({ status: 'paid', openTaskIds: [tasks[0].id] });
    // The statement run's validator is the one resolve rule (checkResolution): it refuses a payer-held claim and
    // another patient's claim itself, as the copay and balance runs do (before, it checked the amounts only).
    const run = stack.client.workflow.getHandle(statement.workflowId);
    const apply = (claim: { ofTaskPatient: boolean; heldBy: 'patient' | 'payer' }) => run.executeUpdate(resolveUpdate, {
      args: [{
        taskId: tasks[0].id, action: 'apply', note: 'apply the surplus', actor: 'user:test', unappliedCents: 50,
        applications: [{ claimId: s.claimIds[0]!, amountCents: 50 }], claims: [{ claimId: s.claimIds[0]!, openCents: 100, ...claim }],
      }],
    }).then(() => undefined, (err: unknown) => err);
    expect(refusalTypeOf(await apply({ ofTaskPatient: true, heldBy: 'payer' }))).toBe('Invalid');
    expect(updateFailureToAppError(await apply({ ofTaskPatient: true, heldBy: 'payer' }))).toMatchObject({ status: 422, message: expect.stringMatching(/still with the payer/) });
    expect(updateFailureToAppError(await apply({ ofTaskPatient: false, heldBy: 'patient' }))).toMatchObject({ status: 422, message: expect.stringMatching(/not one of this patient's claims/) });
    await request(portal.app).post(`/v1/manual-tasks/${tasks[0].id}/resolve`).set(s.auth('billing'))
      .send({ action: 'credit', note: 'paid twice from two tabs; kept as credit, patient informed' }).expect(200);
    const result = await stack.client.workflow.getHandle(statement.workflowId).result();
    expect(result).toMatchObject({ status: 'paid', paidCents: 34050, dueCents: 0 });
    expect(await stack.db('manual_tasks').where({ id: tasks[0].id }).first()).toMatchObject({ status: 'resolved', resolution: 'credit' });
    recordHistory(statement.workflowId, 'statement-surplus-resolved');
  });

  it('the ledger serialises concurrent applications of two payments of one statement (row locks)', async () => {
    const s = await seedStatementScenario(stack.db, { paymentPageUrl: payPage() });
    const statement = await generateStatement(portal.app, s);
    const row = (await getStatement(stack.db, statement.statementId))!;
    const activities = createActivities({ db: stack.db, ehr: createHttpEhrAdapter({ baseUrl: stack.standin.url }) });
    const payments = await Promise.all([0, 1].map(async (i) => {
      const collection = await createStatementCollection(stack.db, { statement: row, amountCents: 10000, createdBy: 'test' });
      const { paymentId } = await recordPayment(stack.db, {
        practiceId: s.practiceId, patientId: s.patientId, collectionId: collection.id, visitId: null, externalId: `race-${statement.statementId}-${i}`,
        amountCents: 10000, method: 'card', reason: 'outstanding_balance', paidAt: new Date().toISOString(), paymentDate: '2026-11-28', actor: 'test',
      });
      return { collectionId: collection.id, paymentId };
    }));
    // Both at once, many times over: the second waits for the first's locks, then sees what is left.
    const results = await Promise.all(payments.flatMap((p) => [0, 1, 2].map(() => activities.applyStatementPayment({ statementId: statement.statementId, ...p, workflowId: 'test' }))));
    const applied = results.slice(0, 1)[0]!.appliedCents + results[3]!.appliedCents;
    expect(applied).toBe(17050);
    const perClaim = await stack.db('payment_applications').whereIn('claim_id', s.claimIds).groupBy('claim_id').select('claim_id', stack.db.raw('sum(amount_cents)::int as applied'));
    expect(Object.fromEntries(perClaim.map((r: any) => [r.claim_id, r.applied]))).toEqual({ [s.claimIds[0]!]: 4500, [s.claimIds[1]!]: 12550 });
    // The payment that came second has $29.50 left: one credit_remaining task, however often it was retried.
    const tasks = await stack.db('manual_tasks').where({ statement_id: statement.statementId });
    expect(tasks).toHaveLength(1);
    expect(tasks[0].reason).toBe('credit_remaining');
  });
});
