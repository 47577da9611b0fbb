/**
 * The statements API at its edges, on a real Temporal server and real PostgreSQL: generating a statement (lines,
 * threshold, one per cycle, the open one again), the batch (idempotent per cycle), reading statements, the printable
 * page, the notification outbox, roles and practice isolation, the stand-in's hosted payment page, and bad input on
 * every new endpoint → 4xx problem+json (HTML pages: a friendly page) with nothing written.
 */
import request from 'supertest';
import type { Express } from 'express';
import { upsertClaim, upsertPatient, upsertVisit } from '../../db/queries/reference-data';
import { signPaymentLink } from '../../lib/payment-link';
import { ensureStatementSchedule, STATEMENT_SCHEDULE_ID } from '../../scripts/statement-schedule';
import { useTestStack, type TestStack } from '../support/harness';
import { eventually } from '../support/fixtures';
import { recordHistory } from '../support/history';
import { generateStatement, outbox, PortalClient, seedStatementScenario, startPortalApp, statementWhen, type StatementScenario } from '../support/statement-driver';

const PROBLEM = /^application\/problem\+json/;

async function count(stack: TestStack, table: string): Promise<number> {
  const [row] = await stack.db(table).count<{ n: number }[]>({ n: '*' });
  return Number(row!.n);
}
/** Everything a refused request could write. */
async function footprint(stack: TestStack) {
  const tables = ['statements', 'statement_lines', 'collections', 'payments', 'manual_tasks', 'notification_outbox', 'portal_login_attempts', 'idempotency_keys'];
  return Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await count(stack, t)] as const)));
}

/** Waits until every statement's run has sent it: their writes must not land inside a footprint comparison. */
async function settled(stack: TestStack): Promise<void> {
  await eventually(async () => ((await stack.db('statements').whereNull('sent_at').first()) ? undefined : true), 20_000, 'statements sent');
}

describe('statements API', () => {
  const stack = useTestStack();
  let portal: Awaited<ReturnType<typeof startPortalApp>>;
  let app: Express;
  beforeAll(async () => {
    portal = await startPortalApp(stack, { reminderIntervalMs: 60 * 60_000 });
    app = portal.app;
  });
  afterAll(() => portal.close());
  const seed = (opts: Partial<Parameters<typeof seedStatementScenario>[1]> = {}) =>
    seedStatementScenario(stack.db, { paymentPageUrl: `${stack.standin.url}/hosted-pay`, ...opts });

  it('generates a statement of the patient-owned balances only, with one line per claim line, oldest first', async () => {
    const s = await seed({
      claims: [
        { dateOfService: '2026-10-05', lines: [{ procedureCode: '99214', description: 'Office visit', chargeCents: 25000, insurerPaidCents: 11000, adjustmentCents: 6000, patientResponsibilityCents: 8000 }] },
        { dateOfService: '2026-08-01', lines: [{ procedureCode: '99213', description: 'Office visit', chargeCents: 18000, insurerPaidCents: 14000, adjustmentCents: 4000, patientResponsibilityCents: 0 }] },
        { dateOfService: '2026-09-14', lines: [{ procedureCode: '85025', description: 'Blood count', chargeCents: 6500, insurerPaidCents: 1200, adjustmentCents: 750, patientResponsibilityCents: 4550 }] },
        { dateOfService: '2026-11-20', responsibility: 'payer', lines: [{ procedureCode: '99215', description: 'Still with the payer', chargeCents: 30000, insurerPaidCents: 0, adjustmentCents: 0, patientResponsibilityCents: 9000 }] },
      ],
    });
    const res = await request(app).post(`/v1/patients/${s.patientId}/statements`).set(s.auth('billing')).send({}).expect(201);
    expect(res.body).toMatchObject({ status: 'open', totalCents: 12550, dueCents: 12550, existing: false, accountId: s.accountId, remindersSent: 0 });
    expect(res.body.cycle).toMatch(/^\d{4}-\d{2}$/);
    expect(res.body.lines).toEqual([
      { claimId: s.claimIds[2], dateOfService: '2026-09-14', procedureCode: '85025', description: 'Blood count', chargeCents: 6500, insurancePaidCents: 1200, adjustmentCents: 750, patientPaidCents: 0, balanceCents: 4550, currentBalanceCents: 4550 },
      { claimId: s.claimIds[0], dateOfService: '2026-10-05', procedureCode: '99214', description: 'Office visit', chargeCents: 25000, insurancePaidCents: 11000, adjustmentCents: 6000, patientPaidCents: 0, balanceCents: 8000, currentBalanceCents: 8000 },
    ]);
    // Its workflow sends it (mail, the only channel on file).
    await statementWhen(app, s, res.body.statementId, (b) => b.sentAt !== null, 'sent');
    expect((await outbox(app, s, res.body.statementId)).map((m) => m.channel)).toEqual(['mail']);
    // Asked again: the open statement, not a second one.
    const again = await request(app).post(`/v1/patients/${s.patientId}/statements`).set(s.auth('admin')).send().expect(200);
    expect(again.body).toMatchObject({ statementId: res.body.statementId, existing: true });
    expect(await stack.db('statements').where({ patient_id: s.patientId })).toHaveLength(1);
    // A statement event is audited without PHI.
    const audit = await stack.db('audit_log').where({ entity_type: 'statement', entity_id: res.body.statementId, action: 'statement.created' }).first();
    expect(audit.after).toMatchObject({ totalCents: 12550, lines: 2, status: 'open' });
    expect(JSON.stringify(audit)).not.toContain(s.accountId);
  });

  it("follows its claims both ways: a claim the payer takes back owes nothing for now (line and amount due), and owes again when it returns", async () => {
    const s = await seed({
      claims: [
        { dateOfService: '2026-09-14', lines: [{ procedureCode: '85025', description: 'Blood count', chargeCents: 6500, insurerPaidCents: 1200, adjustmentCents: 750, patientResponsibilityCents: 4550 }] },
        { dateOfService: '2026-10-05', lines: [{ procedureCode: '99214', description: 'Office visit', chargeCents: 25000, insurerPaidCents: 11000, adjustmentCents: 6000, patientResponsibilityCents: 8000 }] },
      ],
    });
    const st = await generateStatement(app, s);
    const claim = await stack.db('claims as c').join('visits as v', 'v.id', 'c.visit_id').join('practices as p', 'p.id', 'c.practice_id')
      .where('c.id', s.claimIds[1]).first<{ external_id: string; visit_external_id: string; practice_external_id: string; source_version: number }>('c.external_id', 'v.external_id as visit_external_id', 'p.external_id as practice_external_id', 'c.source_version');
    const version = (v: number, responsibility: 'payer' | 'patient') => upsertClaim(stack.db, {
      practiceExternalId: claim.practice_external_id, visitExternalId: claim.visit_external_id, externalId: claim.external_id, version: v, responsibility,
      payerStatus: responsibility === 'payer' ? 'reprocessing' : 'adjudicated', patientResponsibilityCents: 8000,
      lines: [{ lineNumber: 1, procedureCode: '99214', chargeCents: 25000, insurerPaidCents: 11000, adjustmentCents: 6000, patientResponsibilityCents: 8000 }],
    });
    const read = async () => (await request(app).get(`/v1/statements/${st.statementId}`).set(s.auth('billing')).expect(200)).body;

    await version(claim.source_version + 1, 'payer');
    const taken = await read();
    expect(taken.dueCents).toBe(4550);
    expect(taken.lines.map((l: { balanceCents: number; currentBalanceCents: number }) => [l.balanceCents, l.currentBalanceCents])).toEqual([[4550, 4550], [8000, 0]]);
    // The patient's page and both printable copies say it too: the printed balance struck through, today's beside it.
    const patient = new PortalClient(portal.url);
    expect((await patient.signIn(s.accountId, s.dateOfBirth)).status).toBe(303);
    const pages = [
      (await patient.get('/portal/statement')).body,
      (await patient.get('/portal/statement/print')).body,
      (await request(app).get(`/v1/statements/${st.statementId}/print`).set(s.auth('billing')).expect(200)).text,
    ];
    for (const page of pages) {
      expect(page).toContain('<s>$80.00</s> <span class="now">now $0.00</span>');
      expect(page).toContain('Some balances changed since this statement');
      expect(page).not.toContain('<s>$45.50</s>');
    }

    await version(claim.source_version + 2, 'patient');
    const back = await read();
    expect(back.dueCents).toBe(12550);
    expect(back.lines.map((l: { currentBalanceCents: number }) => l.currentBalanceCents)).toEqual([4550, 8000]);
    const again = (await patient.get('/portal/statement')).body;
    expect(again).not.toContain('<s>');
    expect(again).not.toContain('Some balances changed');
  });

  it('sends no statement at or below the threshold ($10.00 unless the practice says otherwise): 422, nothing written', async () => {
    const s = await seed({ claims: [{ dateOfService: '2026-09-14', lines: [{ procedureCode: '99213', description: null, chargeCents: 18000, insurerPaidCents: 17000, adjustmentCents: 0, patientResponsibilityCents: 1000 }] }] });
    await settled(stack);
    const before = await footprint(stack);
    const res = await request(app).post(`/v1/patients/${s.patientId}/statements`).set(s.auth('billing')).send({}).expect(422).expect('Content-Type', PROBLEM);
    expect(res.body).toMatchObject({ type: '/problems/below-threshold', status: 422 });
    expect(await footprint(stack)).toEqual(before);
    await stack.db('practices').where({ id: s.practiceId }).update({ statement_threshold_cents: 999 });
    await request(app).post(`/v1/patients/${s.patientId}/statements`).set(s.auth('billing')).send({}).expect(201);
  });

  it('sends at most one statement per cycle: once this cycle has one (closed), 409', async () => {
    const s = await seed();
    const first = await generateStatement(app, s);
    await settled(stack);
    await stack.db('statements').where({ id: first.statementId }).update({ status: 'paid', closed_at: new Date() });
    const before = await footprint(stack);
    const res = await request(app).post(`/v1/patients/${s.patientId}/statements`).set(s.auth('billing')).send({}).expect(409).expect('Content-Type', PROBLEM);
    expect(res.body.detail).toContain(first.cycle);
    expect(await footprint(stack)).toEqual(before);
  });

  it('runs a batch for every patient due one, and a second batch of the cycle does nothing', async () => {
    const a = await seed();
    const practice = a.practiceExternalId;
    // Two more patients of the same practice: one due, one below the threshold.
    const extra = async (tag: string, cents: number) => {
      const p = await upsertPatient(stack.db, { practiceExternalId: practice, externalId: `pt-${tag}`, version: 1, firstName: 'Bo', lastName: 'Batch', dateOfBirth: '1970-01-01' });
      await upsertVisit(stack.db, { practiceExternalId: practice, patientExternalId: `pt-${tag}`, externalId: `v-${tag}`, version: 1, dateOfService: '2026-10-10' });
      await upsertClaim(stack.db, {
        practiceExternalId: practice, visitExternalId: `v-${tag}`, externalId: `c-${tag}`, version: 1, responsibility: 'patient', payerStatus: 'adjudicated',
        patientResponsibilityCents: cents, lines: [{ lineNumber: 1, procedureCode: '99213', chargeCents: 18000, insurerPaidCents: 10000, adjustmentCents: 0, patientResponsibilityCents: cents }],
      });
      return p.id;
    };
    const due = await extra(`${a.patientId.slice(0, 8)}-due`, 2500);
    await extra(`${a.patientId.slice(0, 8)}-low`, 500);

    const first = await request(app).post('/v1/statement-batches').set(a.auth('billing')).send({}).expect(200);
    expect(first.body.created).toHaveLength(2);
    expect(first.body.started.sort()).toEqual([...first.body.created].sort());
    expect(first.body.workflowId).toBe(`statement-batch-${a.practiceId}-${first.body.cycle}`);
    recordHistory(first.body.workflowId, 'statement-batch'); // RECORD_HISTORIES=1: test/replay/
    const statements = await stack.db('statements').where({ practice_id: a.practiceId });
    expect(statements.map((s: any) => s.patient_id).sort()).toEqual([a.patientId, due].sort());
    for (const id of first.body.created) await statementWhen(app, a, id, (b) => b.sentAt !== null, 'sent');

    const second = await request(app).post('/v1/statement-batches').set(a.auth('billing')).send({}).expect(200);
    expect(second.body).toMatchObject({ cycle: first.body.cycle, created: [], started: [] });
    expect(await stack.db('statements').where({ practice_id: a.practiceId })).toHaveLength(2);
  });

  it('lists and reads statements of the practice only (another practice: 404)', async () => {
    const s = await seed();
    const other = await seed();
    const st = await generateStatement(app, s);
    const list = await request(app).get(`/v1/statements?status=open&patientId=${s.patientId}`).set(s.auth('frontDesk')).expect(200);
    expect(list.body.statements).toEqual([expect.objectContaining({ statementId: st.statementId, accountId: s.accountId, status: 'open' })]);
    await request(app).get(`/v1/statements/${st.statementId}`).set(other.auth('billing')).expect(404).expect('Content-Type', PROBLEM);
    await request(app).get(`/v1/statements/${st.statementId}/print`).set(other.auth('billing')).expect(404).expect('Content-Type', PROBLEM);
    expect((await request(app).get('/v1/statements').set(other.auth('billing')).expect(200)).body.statements).toEqual([]);
    await request(app).post(`/v1/patients/${s.patientId}/statements`).set(other.auth('billing')).send({}).expect(404);
  });

  it('serves a printable statement: letterhead, account, date, lines, total, how to pay online; helmet headers, no caching', async () => {
    const s = await seed();
    const st = await generateStatement(app, s);
    const res = await request(app).get(`/v1/statements/${st.statementId}/print`).set(s.auth('frontDesk')).expect(200).expect('Content-Type', /^text\/html/);
    for (const text of ['Harbor Family Clinic', 'Statement date', s.accountId, 'Ada Testington', 'Office visit, moderate complexity', '$170.50', `${portal.url}/portal`, 'Amount enclosed', 'Sep 14, 2026']) {
      expect(res.text).toContain(text);
    }
    expect(res.text).toContain('<link rel="stylesheet" href="/portal/static/statement.css">');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    const css = await request(app).get('/portal/static/statement.css').expect(200).expect('Content-Type', /text\/css/);
    expect(css.text).toContain('@media print');
  });

  it('lets billing read the outbox (PHI), not the front desk', async () => {
    const s = await seed({ email: 'casey@example.com' });
    const st = await generateStatement(app, s);
    await request(app).get('/v1/notifications').set(s.auth('frontDesk')).expect(403).expect('Content-Type', PROBLEM);
    const messages = await eventually(async () => {
      const m = await outbox(app, s, st.statementId);
      return m.length === 2 ? m : undefined;
    }, 20_000, 'two messages');
    expect(messages.map((m) => m.channel).sort()).toEqual(['email', 'mail']);
    expect(messages.find((m) => m.channel === 'email')).toMatchObject({ recipient: 'casey@example.com', subject: 'Your statement from Harbor Family Clinic', kind: 'statement', sequence: 0 });
  });

  it('answers bad input on every new JSON endpoint with 4xx problem+json naming the problem, and writes nothing', async () => {
    const s = await seed();
    await generateStatement(app, s);
    await settled(stack);
    const before = await footprint(stack);
    const cases: [string, () => request.Test, number, RegExp?][] = [
      ['statement for a malformed patient id', () => request(app).post('/v1/patients/not-a-uuid/statements').set(s.auth('billing')).send({}), 404],
      ['statement for an unknown patient', () => request(app).post('/v1/patients/00000000-0000-4000-8000-000000000000/statements').set(s.auth('billing')).send({}), 404],
      ['statement with an unknown field', () => request(app).post(`/v1/patients/${s.patientId}/statements`).set(s.auth('billing')).send({ cycle: '2020-01' }), 422, /cycle: unknown field/],
      ['statement with malformed JSON', () => request(app).post(`/v1/patients/${s.patientId}/statements`).set(s.auth('billing')).set('Content-Type', 'application/json').send('{"'), 400],
      ['statement by the front desk', () => request(app).post(`/v1/patients/${s.patientId}/statements`).set(s.auth('frontDesk')).send({}), 403],
      ['statement without a token', () => request(app).post(`/v1/patients/${s.patientId}/statements`).send({}), 401],
      ['batch with an unknown field', () => request(app).post('/v1/statement-batches').set(s.auth('billing')).send({ practiceId: s.practiceId }), 422, /practiceId: unknown field/],
      ['batch by the front desk', () => request(app).post('/v1/statement-batches').set(s.auth('frontDesk')).send({}), 403],
      ['batch with a body too large', () => request(app).post('/v1/statement-batches').set(s.auth('billing')).set('Content-Type', 'application/json').send(JSON.stringify({ pad: 'x'.repeat(70 * 1024) })), 413],
      ['list with an unknown status', () => request(app).get('/v1/statements?status=lost').set(s.auth('billing')), 422, /status: must be open, paid or unpaid/],
      ['list with an unknown parameter', () => request(app).get('/v1/statements?sort=desc').set(s.auth('billing')), 422, /sort: unknown query parameter/],
      ['list with a malformed patient id', () => request(app).get('/v1/statements?patientId=42').set(s.auth('billing')), 422, /patientId/],
      ['a malformed statement id', () => request(app).get('/v1/statements/42').set(s.auth('billing')), 404],
      ['an unknown statement', () => request(app).get('/v1/statements/00000000-0000-4000-8000-000000000000').set(s.auth('billing')), 404],
      ['the print page of a malformed id', () => request(app).get('/v1/statements/42/print').set(s.auth('billing')), 404],
      ['outbox with a malformed statement id', () => request(app).get('/v1/notifications?statementId=x').set(s.auth('billing')), 422, /statementId/],
      ['outbox with a limit of 0', () => request(app).get('/v1/notifications?limit=0').set(s.auth('billing')), 422, /limit/],
      ['outbox of an unknown statement', () => request(app).get('/v1/notifications?statementId=00000000-0000-4000-8000-000000000000').set(s.auth('billing')), 404],
    ];
    for (const [what, send, status, detail] of cases) {
      const res = await send();
      expect({ what, status: res.status }).toEqual({ what, status });
      expect({ what, type: res.headers['content-type'] }).toEqual({ what, type: expect.stringMatching(PROBLEM) });
      expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
      if (detail) expect(res.body.detail).toMatch(detail);
    }
    expect(await footprint(stack)).toEqual(before);
  });

  it("answers bad references on the stand-in's hosted payment page with a friendly page, and charges nothing", async () => {
    const before = stack.standin.sentEvents().length;
    const valid = { c: '00000000-0000-4000-8000-000000000001', a: 500, p: 'p', n: 'Harbor Family Clinic', r: `${portal.url}/portal/receipt` };
    const expired = signPaymentLink({ ...valid, exp: Math.floor(Date.now() / 1000) - 60 }, 'dev-payment-link-secret');
    const wrongSecret = signPaymentLink({ ...valid, exp: Math.floor(Date.now() / 1000) + 600 }, 'another-secret-of-16');
    for (const [url, status, text] of [
      [`${stack.standin.url}/hosted-pay`, 400, 'This payment link is not valid'],
      [`${stack.standin.url}/hosted-pay?ref=garbage`, 400, 'This payment link is not valid'],
      [`${stack.standin.url}/hosted-pay?ref=${wrongSecret}`, 400, 'This payment link is not valid'],
      [`${stack.standin.url}/hosted-pay?ref=${expired}`, 410, 'This payment link has expired'],
    ] as const) {
      const res = await fetch(url);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain(text);
    }
    const post = await fetch(`${stack.standin.url}/hosted-pay`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ref: expired, cardNumber: '4242424242424242' }).toString(),
    });
    expect(post.status).toBe(400);
    expect(stack.standin.sentEvents().length).toBe(before);
  });

  it('runs the daily Temporal Schedule: the batch for every practice, idempotent per cycle', async () => {
    const s = await seed();
    const settings = { publicBaseUrl: portal.url, reminderIntervalMs: 60 * 60_000, reminderLimit: 3, captureWindowMs: 60 * 60_000 };
    expect(await ensureStatementSchedule(stack.client, { taskQueue: stack.taskQueue, settings })).toBe('created');
    expect(await ensureStatementSchedule(stack.client, { taskQueue: stack.taskQueue, settings })).toBe('updated');
    const handle = stack.client.schedule.getHandle(STATEMENT_SCHEDULE_ID);
    try {
      const described = await handle.describe();
      expect(described.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 17, end: 17, step: 1 }] });
      await handle.trigger();
      const statement = await eventually(async () => (await stack.db('statements').where({ patient_id: s.patientId }).first()) ?? undefined, 20_000, 'the scheduled batch');
      await statementWhen(app, s, statement.id, (b) => b.sentAt !== null, 'sent by its run');
      await eventually(async () => ((await handle.describe()).info.recentActions.length > 0 ? true : undefined), 20_000, 'a recorded action');
    } finally {
      await handle.delete();
    }
  });

  it('keeps statements out of problem details and logs: a missing statement answers without ids of people', async () => {
    const s: StatementScenario = await seed();
    const res = await request(app).get('/v1/statements/00000000-0000-4000-8000-000000000000').set(s.auth('billing')).expect(404);
    expect(JSON.stringify(res.body)).not.toContain(s.patientId);
  });
});
