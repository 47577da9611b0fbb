/**
 * Reports: open credits with their age against the 30-day refund deadline, manual tasks by reason and age; the CSV
 * exports parse as a table (RFC 4180) whose columns add up to the report's totals, with dollars and cents columns,
 * quoting, and no spreadsheet formulas from patient data.
 */
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { useTestStack } from '../support/harness';
import { seedScenario, type Scenario } from '../support/fixtures';
import { addClaim } from '../support/balance-driver';
import { applyToClaim, recordPayment, recordRefund } from '../../db/queries/ledger';
import { upsertPatient } from '../../db/queries/reference-data';
import { centsToDecimal, csvCell, toCsv } from '../../lib/csv';
import { localDateOf } from '../../domain/dates';
import { loosePayment, parseCsv, workflowlessTask } from './work-queue-support';

const daysBetween = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000);

describe('CSV writing', () => {
  it('quotes what needs quoting, doubles quotes, guards formulas, CRLF with a header row', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('Reyes, Ada')).toBe('"Reyes, Ada"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(' padded')).toBe('" padded"');
    expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(null)).toBe('');
    expect(toCsv(['a', 'b'], [[1, 'x,y']])).toBe('a,b\r\n1,"x,y"\r\n');
  });

  it('writes cents as decimal dollars with two places, from integers', () => {
    expect([0, 5, 99, 100, 2550, 123456789, -5].map(centsToDecimal)).toEqual(['0.00', '0.05', '0.99', '1.00', '25.50', '1234567.89', '-0.05']);
    expect(() => centsToDecimal(1.5)).toThrow();
  });
});

describe('reports', () => {
  const stack = useTestStack({ worker: false });
  let s: Scenario;
  let tricky: { id: string; externalId: string };
  const today = () => localDateOf(new Date(), 'America/Los_Angeles');

  beforeAll(async () => {
    s = await seedScenario(stack.db);
    const externalId = `pt-${randomUUID().slice(0, 8)}`;
    const { id } = await upsertPatient(stack.db, { practiceExternalId: s.practiceExternalId, externalId, version: 1, firstName: 'Pat', lastName: '=O"Brien, Jr.', dateOfBirth: '1970-01-01' });
    tricky = { id, externalId };

    // Credits: $30.00 untouched (old: overdue), $50.00 with $20.00 applied, $12.34 with $2.34 refunded, $10.00 fully applied (not a credit).
    const old = await loosePayment(stack, s, 3000, '2026-09-01');
    const partial = await loosePayment(stack, s, 5000, '2026-11-20');
    const claim = await addClaim(stack.db, s, { dateOfService: '2026-11-01', patientResponsibilityCents: 3000 });
    await applyToClaim(stack.db, { paymentId: partial, claimId: claim, amountCents: 2000, kind: 'manual', businessKey: `test:${randomUUID()}`, actor: 'system:test' });
    const refunded = await loosePayment(stack, s, 1234, '2026-11-25');
    await recordRefund(stack.db, { paymentId: refunded, amountCents: 234, businessKey: `test:${randomUUID()}`, note: 'partial refund', actor: 'system:test' });
    const full = await loosePayment(stack, s, 1000, '2026-11-26');
    await applyToClaim(stack.db, { paymentId: full, claimId: claim, amountCents: 1000, kind: 'manual', businessKey: `test:${randomUUID()}`, actor: 'system:test' });
    // The tricky patient's credit, with a task.
    const { paymentId: trickyPayment } = await recordPayment(stack.db, {
      practiceId: s.practiceId, patientId: id, collectionId: null, visitId: null, externalId: `pay_${randomUUID()}`, amountCents: 777,
      method: 'cash', reason: 'outstanding_balance', paidAt: '2026-11-27T18:00:00Z', paymentDate: '2026-11-27', actor: 'system:test',
    });
    await stack.db('manual_tasks').insert({ practice_id: s.practiceId, patient_id: id, payment_id: trickyPayment, reason: 'credit_remaining', business_key: `test:${randomUUID()}` });
    await workflowlessTask(stack, s, { reason: 'claim_reversed', paymentId: old, amountCents: 3000 });
    const unpaid = await workflowlessTask(stack, s, { reason: 'statement_unpaid', amountCents: 4500 });
    await stack.db('manual_tasks').where({ id: unpaid }).update({
      created_at: stack.db.raw("(((now() at time zone 'America/Los_Angeles')::date - 20) + time '12:00') at time zone 'America/Los_Angeles'"),
    });
    // Another practice's credit never shows.
    const other = await seedScenario(stack.db);
    await loosePayment(stack, other, 9999);
  });

  it('open credits: each unapplied payment with its age against the 30-day deadline, oldest first, and totals', async () => {
    const report = (await request(stack.app).get('/v1/reports/open-credits').set(s.auth('billing')).expect(200).expect('Cache-Control', 'no-store')).body;
    expect(report.asOf).toBe(today());
    expect(report.credits.map((c: { paymentDate: string; unappliedCents: number }) => [c.paymentDate, c.unappliedCents])).toEqual([
      ['2026-09-01', 3000], ['2026-11-20', 3000], ['2026-11-25', 1000], ['2026-11-27', 777],
    ]);
    const oldAge = daysBetween('2026-09-01', today());
    expect(report.credits[0]).toMatchObject({ ageDays: oldAge, credit: { deadline: '2026-10-01', overdue: true, daysLeft: 30 - oldAge }, openTask: { reason: 'claim_reversed' } });
    expect(report.totals).toEqual({ count: 4, unappliedCents: 7777, overdueCount: 1, overdueCents: 3000 });
  });

  it('open credits CSV: a table whose cents and dollars columns add up to the totals', async () => {
    const res = await request(stack.app).get('/v1/reports/open-credits.csv').set(s.auth('billing')).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="open-credits-${today()}.csv"`);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text.endsWith('\r\n')).toBe(true);
    const [header, ...rows] = parseCsv(res.text);
    expect(header).toEqual(['payment_id', 'ehr_payment_id', 'patient_id', 'patient_name', 'payment_reason', 'method', 'payment_date', 'age_days', 'refund_deadline',
      'deadline_status', 'amount_dollars', 'amount_cents', 'applied_dollars', 'applied_cents', 'refunded_dollars', 'refunded_cents', 'unapplied_dollars', 'unapplied_cents', 'open_task_reason']);
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.length === header!.length)).toBe(true);
    const col = (name: string) => rows.map((r) => r[header!.indexOf(name)]!);
    const sumCents = (name: string) => col(name).reduce((sum, v) => sum + Number(v), 0);
    const sumDollars = (name: string) => col(name).reduce((sum, v) => sum + Math.round(Number(v) * 100), 0);
    expect(sumCents('unapplied_cents')).toBe(7777);
    expect(sumDollars('unapplied_dollars')).toBe(7777);
    expect(sumCents('amount_cents')).toBe(3000 + 5000 + 1234 + 777);
    expect(sumCents('applied_cents') + sumCents('refunded_cents') + sumCents('unapplied_cents')).toBe(sumCents('amount_cents'));
    expect(col('unapplied_dollars')).toEqual(['30.00', '30.00', '10.00', '7.77']);
    expect(col('refunded_dollars')).toEqual(['0.00', '0.00', '2.34', '0.00']);
    expect(col('deadline_status')[0]).toMatch(/^overdue by \d+ days$/);
    // Quoting and the formula guard: the tricky name comes back exactly, behind an apostrophe (it began with '=').
    expect(col('patient_name')[3]).toBe(`'=O"Brien, Jr., Pat`);
    expect(res.text).toContain(`"'=O""Brien, Jr., Pat"`);
    expect(col('patient_id')[3]).toBe(tricky.externalId);
  });

  it('manual tasks by reason and age, and their CSV', async () => {
    const report = (await request(stack.app).get('/v1/reports/manual-tasks').set(s.auth('admin')).expect(200)).body;
    expect(report.totals).toEqual({ count: 3, amountCents: 3000 + 4500 + 777 });
    const byReason = Object.fromEntries(report.byReason.map((r: { reason: string }) => [r.reason, r]));
    expect(byReason.claim_reversed).toMatchObject({ count: 1, amountCents: 3000, byAge: { '0-7': 1, '8-14': 0, '15-30': 0, '31+': 0 } });
    expect(byReason.statement_unpaid).toMatchObject({ count: 1, amountCents: 4500, byAge: { '0-7': 0, '8-14': 0, '15-30': 1, '31+': 0 } });
    expect(byReason.credit_remaining).toMatchObject({ count: 1, amountCents: 777 });
    expect(byReason.date_mismatch).toMatchObject({ count: 0, amountCents: 0 });

    const res = await request(stack.app).get('/v1/reports/manual-tasks.csv').set(s.auth('billing')).expect(200);
    const [header, ...rows] = parseCsv(res.text);
    expect(header).toEqual(['task_id', 'reason', 'reason_label', 'opened_at', 'age_days', 'age_bucket', 'patient_id', 'patient_name', 'amount_dollars', 'amount_cents',
      'credit_age_days', 'refund_deadline', 'deadline_status', 'assignee']);
    expect(rows).toHaveLength(3);
    const col = (name: string) => rows.map((r) => r[header!.indexOf(name)]!);
    expect(col('amount_cents').reduce((sum, v) => sum + Number(v), 0)).toBe(report.totals.amountCents);
    expect(col('amount_dollars').reduce((sum, v) => sum + Math.round(Number(v) * 100), 0)).toBe(report.totals.amountCents);
    expect(col('reason')).toEqual(['statement_unpaid', 'credit_remaining', 'claim_reversed']);
    expect(col('age_bucket')).toEqual(['15-30', '0-7', '0-7']);
    expect(col('age_days')[0]).toBe('20');
  });

  it('front desk may not read reports; another practice sees only its own', async () => {
    await request(stack.app).get('/v1/reports/open-credits.csv').set(s.auth('frontDesk')).expect(403);
    const other = await seedScenario(stack.db);
    const theirs = (await request(stack.app).get('/v1/reports/open-credits').set(other.auth('billing')).expect(200)).body;
    expect(theirs.totals).toMatchObject({ count: 0, unappliedCents: 0 });
  });
});
