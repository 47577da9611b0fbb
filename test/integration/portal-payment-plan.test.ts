/**
 * The portal's "Payment plan" page (issue 18; docs/card-on-file-and-plans.md "Payment plans"), on real PostgreSQL, a real
 * Temporal server and the real app over HTTP: a signed-in patient with an open balance and a yearly card authorisation
 * sets up a monthly plan within the practice's limits (created via 'portal', audited as the patient, its run started),
 * with the session's CSRF token; outside the limits the field says why; without a yearly card there is no form; the
 * plan's installments are shown afterwards.
 */
import { randomUUID } from 'node:crypto';
import { saveAuthorisation } from '../../db/queries/card-on-file';
import { authorisationValidUntil } from '../../domain/card-on-file';
import { paymentPlanWorkflowId } from '../../workflows/payment-plan';
import { useTestStack } from '../support/harness';
import { PortalClient, seedStatementScenario, startPortalApp } from '../support/statement-driver';

describe('the portal payment plan page', () => {
  const stack = useTestStack({ worker: false });
  let portal: Awaited<ReturnType<typeof startPortalApp>>;
  beforeAll(async () => {
    portal = await startPortalApp(stack);
  });
  afterAll(() => portal?.close());

  const seed = () => seedStatementScenario(stack.db, { paymentPageUrl: 'http://127.0.0.1:9/pay', email: `plan-${randomUUID().slice(0, 8)}@example.test` });

  async function authorise(practiceId: string, patientId: string, scope: 'year' | 'visit' = 'year', visitId: string | null = null) {
    const ref = randomUUID().slice(0, 12);
    const { authorisation } = await saveAuthorisation(stack.db, {
      practiceId, patientId, card: { processor: 'standin', customerRef: `cus_${ref}`, paymentMethodRef: `pm_${ref}`, brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 },
      capCents: 15_000, scope, visitId, validUntil: authorisationValidUntil(new Date()), noticeChannel: 'email', createdVia: 'front_desk',
      actor: 'staff:test', businessKey: `card-setup:seti_${ref}`,
    });
    return authorisation.id;
  }

  /** A date on the practice's calendar (Los Angeles by default), `days` from today. */
  const localDay = (days = 0, timeZone = 'America/Los_Angeles') => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(Date.now() + days * 86_400_000));

  it('a signed-in patient sets up a monthly plan within the limits (via portal, audited as the patient); outside them the field says why', async () => {
    const s = await seed();
    const { time_zone: timeZone } = await stack.db('practices').where({ id: s.practiceId }).first<{ time_zone: string }>('time_zone');
    const client = new PortalClient(portal.url);
    expect((await client.get('/portal/payment-plan')).status).toBe(303);
    expect((await client.signIn(s.accountId, s.dateOfBirth)).status).toBe(303);
    // No yearly card: no form.
    const noCard = await client.get('/portal/payment-plan');
    expect(noCard.status).toBe(200);
    expect(noCard.body).toContain('needs a card you authorise for a year');
    expect(noCard.body).not.toContain('action="/portal/payment-plan"');

    const auth = await authorise(s.practiceId, s.patientId);
    const page = await client.get('/portal/payment-plan');
    expect(page.body).toContain('in monthly payments');
    expect(page.body).toContain('Visa ending 4242');
    expect(page.body).toContain('action="/portal/payment-plan"');
    const { total } = (await stack.db.raw<{ rows: { total: number }[] }>(
      `select sum(patient_responsibility_cents)::int as total from claims where patient_id = ? and responsibility = 'patient'`, [s.patientId],
    )).rows[0]!;
    const firstDueDate = localDay(7, timeZone);

    // Without the session's form token: refused, nothing written.
    expect((await client.post('/portal/payment-plan', { authorisationId: auth, installments: '2', firstDueDate }, { csrf: 'f'.repeat(64) })).status).toBe(403);
    // Below the practice's minimum installment ($25.00 by default): the field says why.
    const below = await client.post('/portal/payment-plan', { authorisationId: auth, amount: '20.00', firstDueDate });
    expect(below.status).toBe(422);
    expect(below.body).toContain('below the practice&#39;s minimum of $25.00');
    const tooLong = await client.post('/portal/payment-plan', { authorisationId: auth, installments: '13', firstDueDate });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body).toContain('longer than the practice&#39;s limit of 12 months');
    const neither = await client.post('/portal/payment-plan', { authorisationId: auth, firstDueDate });
    expect(neither.status).toBe(422);
    expect(await stack.db('payment_plans').where({ patient_id: s.patientId })).toHaveLength(0);

    const made = await client.post('/portal/payment-plan', { authorisationId: auth, installments: '2', firstDueDate });
    expect(made.status).toBe(303);
    expect(made.headers.get('location')).toBe('/portal/payment-plan?created=1');
    const plan = await stack.db('payment_plans').where({ patient_id: s.patientId }).first();
    expect(plan).toMatchObject({ status: 'active', created_via: 'portal', created_by: `patient:${s.patientId}`, installment_count: 2, total_cents: total, authorisation_id: auth });
    const audit = await stack.db('audit_log').where({ entity_id: plan.id, action: 'payment_plan.created' });
    expect(audit).toEqual([expect.objectContaining({ actor: `patient:${s.patientId}` })]);
    expect((await stack.client.workflow.getHandle(paymentPlanWorkflowId(plan.id)).describe()).status.name).toBe('RUNNING');

    const shown = await client.get('/portal/payment-plan?created=1');
    expect(shown.body).toContain('Your payment plan is set up.');
    expect(shown.body).toContain('Your payment plan');
    expect(shown.body).not.toContain('action="/portal/payment-plan"');
    // A second plan while this one runs: refused.
    expect((await client.post('/portal/payment-plan', { authorisationId: auth, installments: '3', firstDueDate })).status).toBe(409);
    await stack.client.workflow.getHandle(paymentPlanWorkflowId(plan.id)).terminate('test over');
  });

  it("a one-visit authorisation or another patient's card cannot carry a plan", async () => {
    const a = await seed();
    const b = await seed();
    const visit = await stack.db('visits').where({ patient_id: a.patientId }).first<{ id: string }>('id');
    const visitOnly = await authorise(a.practiceId, a.patientId, 'visit', visit.id);
    const othersCard = await authorise(b.practiceId, b.patientId);
    const client = new PortalClient(portal.url);
    expect((await client.signIn(a.accountId, a.dateOfBirth)).status).toBe(303);
    expect((await client.get('/portal/payment-plan')).body).toContain('needs a card you authorise for a year');
    for (const id of [visitOnly, othersCard]) {
      const refused = await client.post('/portal/payment-plan', { authorisationId: id, installments: '2', firstDueDate: localDay(7) });
      expect(refused.status).toBe(422);
    }
    expect(await stack.db('payment_plans').where({ patient_id: a.patientId })).toHaveLength(0);
  });
});
