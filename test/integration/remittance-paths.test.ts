/**
 * Issue 16, "paths woken by an 835": the copay, balance and statement paths with the claim moved by real X12 835 files,
 * which the stand-in clearinghouse builds (edi/x835/write.ts) and POSTs to POST /v1/remittances with the practice's
 * billing token, on the real Temporal + PostgreSQL harness. Each path: the transfer 835 makes the money land by the
 * path's rule; a reversal 835 (CLP02 = 22) takes it back off (the copay run waits again; other money becomes a
 * credit_remaining task); the next transfer 835 puts it back.
 */
import request from 'supertest';
import type { ClaimRecord } from '../../db/queries/reference-data';
import { startStandin, type PatientShare, type RunningStandin } from '../../ehr/standin';
import { useTestStack, TEST_SECRETS } from '../support/harness';
import { eventually, reverseToPayer, seedScenario, transferToPatient } from '../support/fixtures';
import { capture, collectionWhen, post, startCopay } from '../support/copay-driver';
import { addClaim, startBalance } from '../support/balance-driver';
import { generateStatement, payThroughPortal, seedStatementScenario, startPortalApp, statementWhen } from '../support/statement-driver';

describe('collections woken by an 835 file from the clearinghouse', () => {
  const stack = useTestStack();
  /** The clearinghouse stand-in in its stack configuration: 835 files to the API, one billing token per practice. */
  let clearinghouse: RunningStandin;
  const tokens = new Map<string, string>();
  let portal: Awaited<ReturnType<typeof startPortalApp>>;
  beforeAll(async () => {
    clearinghouse = await startStandin({
      port: 0, secrets: TEST_SECRETS, remittanceFormat: '835',
      webhooks: { ehrUrl: `${stack.apiUrl}/webhooks/ehr`, clearinghouseUrl: `${stack.apiUrl}/webhooks/clearinghouse` },
      payflow835: { apiUrl: stack.apiUrl, token: (practice) => tokens.get(practice) },
    });
    portal = await startPortalApp(stack, { reminderIntervalMs: 60 * 60_000 });
  });
  afterAll(async () => {
    await portal?.close();
    await clearinghouse?.close();
  });

  /** The clearinghouse sends the claim as an 835; payflow takes the new file and matches the claim. */
  async function remit835(claim: ClaimRecord, patientShare?: PatientShare): Promise<{ traceNumber: string; file: string; fileId: string }> {
    const res = await post(`${clearinghouse.url}/api/remittances`, { claim, ...(patientShare ? { patientShare } : {}) });
    expect(res.status).toBe(200);
    expect(res.body.file).toMatch(/^ISA\*/);
    expect(res.body.delivery).toMatchObject({ status: 201, body: { traceNumber: res.body.traceNumber, matched: 1, unmatched: 0, duplicate: false } });
    return { traceNumber: res.body.traceNumber, file: res.body.file, fileId: res.body.delivery.body.fileId };
  }

  /** The claim as we hold it (practice, visit, lines), for the clearinghouse's next word on it. */
  async function recordOf(claimId: string, patch: Partial<ClaimRecord>): Promise<ClaimRecord> {
    const c = await stack.db('claims as c').join('visits as v', 'v.id', 'c.visit_id').join('practices as p', 'p.id', 'c.practice_id').where('c.id', claimId)
      .first<{ external_id: string; visit_external_id: string; practice_external_id: string; source_version: number; patient_responsibility_cents: number }>(
        'c.external_id', 'v.external_id as visit_external_id', 'p.external_id as practice_external_id', 'c.source_version', 'c.patient_responsibility_cents');
    const lines = await stack.db('claim_lines').where({ claim_id: claimId }).orderBy('line_number')
      .select<{ line_number: number; procedure_code: string; charge_cents: number; insurer_paid_cents: number; adjustment_cents: number; patient_responsibility_cents: number }[]>(
        'line_number', 'procedure_code', 'charge_cents', 'insurer_paid_cents', 'adjustment_cents', 'patient_responsibility_cents');
    return {
      practiceExternalId: c.practice_external_id, visitExternalId: c.visit_external_id, externalId: c.external_id, version: c.source_version + 1,
      responsibility: 'patient', payerName: 'Test Payer', payerStatus: 'adjudicated', patientResponsibilityCents: c.patient_responsibility_cents,
      lines: lines.map((l) => ({ lineNumber: l.line_number, procedureCode: l.procedure_code, chargeCents: l.charge_cents, insurerPaidCents: l.insurer_paid_cents, adjustmentCents: l.adjustment_cents, patientResponsibilityCents: l.patient_responsibility_cents })),
      ...patch,
    };
  }
  /** One line of 180.00: 40.00 contractual, the patient's share, the rest paid. */
  const adjudicatedLine = (cents: number) => [{ lineNumber: 1, procedureCode: '99213', chargeCents: 18000, insurerPaidCents: 14000 - cents, adjustmentCents: 4000, patientResponsibilityCents: cents }];

  const standingOn = (claimId: string) => stack.db('payment_applications as a')
    .whereNotExists(stack.db('application_reversals as r').whereRaw('r.application_id = a.id'))
    .where('a.claim_id', claimId).select<{ payment_id: string; kind: string; amount_cents: number }[]>('a.payment_id', 'a.kind', 'a.amount_cents');
  const openTasksOf = (paymentId: string) => stack.db('manual_tasks').where({ payment_id: paymentId, status: 'open' }).select<{ id: string; reason: string; claim_id: string }[]>('id', 'reason', 'claim_id');
  const paymentOf = async (collectionId: string) => (await stack.db('payments').where({ collection_id: collectionId }).first<{ id: string }>('id')).id;
  const claimRow = (claimId: string) => stack.db('claims').where({ id: claimId }).first<{ responsibility: string; payer_status: string; patient_responsibility_cents: number }>();

  it('copay: a run in awaiting_transfer is woken by the transfer 835 and applies the copay; a reversal 835 takes it off and the run waits again; the next 835 applies it again', async () => {
    const s = await seedScenario(stack.db, { dateOfService: '2026-11-20' });
    tokens.set(s.practiceExternalId, s.tokens.billing);
    const claimId = (await stack.db('claims').where({ visit_id: s.visitId }).first<{ id: string }>('id')).id;
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');

    // Copay 25.00 + deductible 10.00 + coinsurance 5.00 = 40.00 the patient's.
    const transfer = await remit835(transferToPatient(s, 4000), { copayCents: 2500, deductibleCents: 1000, coinsuranceCents: 500 });
    expect(transfer.file).toContain('CAS*PR*3*25*');
    const applied = await collectionWhen(stack, s, started.collectionId, 'applied');
    expect(applied.applications).toEqual([expect.objectContaining({ amountCents: 2500, kind: 'auto', reversed: false })]);
    expect(await claimRow(claimId)).toMatchObject({ responsibility: 'patient', patient_responsibility_cents: 4000 });
    const detail = await request(stack.app).get(`/v1/remittances/${transfer.fileId}`).set(s.auth('billing')).expect(200);
    expect(detail.body.claims[0]).toMatchObject({ statusCode: '1', matchedClaimId: claimId, outcome: 'updated' });
    expect(detail.body.claims[0].patientOwes.map((l: { code: string; amountCents: number }) => [l.code, l.amountCents])).toEqual([['3', 2500], ['1', 1000], ['2', 500]]);
    const paymentId = await paymentOf(started.collectionId);

    // The payer reprocesses (CLP02 = 22): the application is reversed; the run still watching owns the money (no task).
    const reversal = await remit835(reverseToPayer(s));
    expect(reversal.file).toMatch(/CLP\*[^*]+\*22\*-180\*/);
    expect(reversal.file).toContain('CAS*PR*3*-25**1*-10**2*-5~'); // exactly the adjudication it takes back
    expect(await claimRow(claimId)).toMatchObject({ responsibility: 'payer', payer_status: 'reprocessing' });
    expect(await standingOn(claimId)).toEqual([]);
    await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');
    expect(await openTasksOf(paymentId)).toEqual([]);

    await remit835(transferToPatient(s, 4000), { copayCents: 2500, deductibleCents: 1500 });
    await collectionWhen(stack, s, started.collectionId, 'applied');
    expect(await standingOn(claimId)).toEqual([{ payment_id: paymentId, kind: 'auto', amount_cents: 2500 }]);
    await eventually(async () => ((await openTasksOf(paymentId)).length === 0 ? true : undefined), 5000, 'no task');
  });

  it('balance: the transfer 835 makes the claim the patient\'s and Collect Now applies to it; a reversal 835 turns the money into a credit task; the next transfer 835 puts it back by itself', async () => {
    const s = await seedScenario(stack.db);
    tokens.set(s.practiceExternalId, s.tokens.billing);
    const claimId = await addClaim(stack.db, s, { dateOfService: '2026-10-01', patientResponsibilityCents: 0, responsibility: 'payer' });
    await remit835(await recordOf(claimId, { lines: adjudicatedLine(6000), patientResponsibilityCents: 6000 }), { deductibleCents: 5000, coinsuranceCents: 1000 });
    expect(await claimRow(claimId)).toMatchObject({ responsibility: 'patient', payer_status: 'adjudicated', patient_responsibility_cents: 6000 });
    const started = await startBalance(stack, s, { amountCents: 6000 });
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await collectionWhen(stack, s, started.collectionId, 'applied');
    const paymentId = await paymentOf(started.collectionId);
    expect(await standingOn(claimId)).toEqual([{ payment_id: paymentId, kind: 'auto', amount_cents: 6000 }]);

    await remit835(await recordOf(claimId, { responsibility: 'payer', payerStatus: 'reprocessing' }));
    expect(await standingOn(claimId)).toEqual([]);
    const [task] = await openTasksOf(paymentId);
    expect(task).toMatchObject({ reason: 'credit_remaining', claim_id: claimId });
    const ledger = await request(stack.app).get(`/v1/patients/${s.patientId}/payments`).set(s.auth('billing'));
    expect(ledger.body.payments[0]).toMatchObject({ unappliedCents: 6000, applications: [expect.objectContaining({ reversed: true })] });

    await remit835(await recordOf(claimId, { lines: adjudicatedLine(6000), patientResponsibilityCents: 6000 }), { deductibleCents: 6000 });
    expect(await standingOn(claimId)).toEqual([{ payment_id: paymentId, kind: 'auto', amount_cents: 6000 }]);
    expect(await openTasksOf(paymentId)).toEqual([]);
    expect(await stack.db('manual_tasks').where({ id: task!.id }).first()).toMatchObject({ status: 'resolved', resolution: 'applied', resolved_by: 'clearinghouse' });
  });

  it("statement: its amount due follows a reversal 835 and the next transfer 835; once paid, a reversal 835 takes that payment off into a credit task and the transfer 835 puts it back", async () => {
    const s = await seedStatementScenario(stack.db, {
      paymentPageUrl: `${stack.standin.url}/hosted-pay`,
      claims: [
        { dateOfService: '2026-09-14', lines: [{ procedureCode: '99213', description: 'Office visit', chargeCents: 18000, insurerPaidCents: 9500, adjustmentCents: 4000, patientResponsibilityCents: 4500 }] },
        { dateOfService: '2026-10-05', lines: [{ procedureCode: '99214', description: 'Office visit', chargeCents: 25000, insurerPaidCents: 11000, adjustmentCents: 6000, patientResponsibilityCents: 8000 }] },
      ],
    });
    tokens.set(s.practiceExternalId, s.tokens.billing);
    const claimB = s.claimIds[1]!;
    const st = await generateStatement(portal.app, s);
    expect(st.dueCents).toBe(12500);

    await remit835(await recordOf(claimB, { responsibility: 'payer', payerStatus: 'reprocessing' }));
    await statementWhen(portal.app, s, st.statementId, (b) => b.dueCents === 4500, 'due without the reversed claim');
    await remit835(await recordOf(claimB, {}), { coinsuranceCents: 8000 });
    await statementWhen(portal.app, s, st.statementId, (b) => b.dueCents === 12500, 'due with the claim back');

    await payThroughPortal(portal.url, s, '125.00');
    await statementWhen(portal.app, s, st.statementId, (b) => b.status === 'paid', 'paid');
    const paymentId = (await stack.db('payments').where({ patient_id: s.patientId }).first<{ id: string }>('id')).id;
    expect(await standingOn(claimB)).toEqual([{ payment_id: paymentId, kind: 'auto', amount_cents: 8000 }]);

    await remit835(await recordOf(claimB, { responsibility: 'payer', payerStatus: 'reprocessing' }));
    expect(await standingOn(claimB)).toEqual([]);
    expect(await openTasksOf(paymentId)).toEqual([expect.objectContaining({ reason: 'credit_remaining', claim_id: claimB })]);
    expect(await standingOn(s.claimIds[0]!)).toEqual([{ payment_id: paymentId, kind: 'auto', amount_cents: 4500 }]);

    await remit835(await recordOf(claimB, {}), { coinsuranceCents: 8000 });
    expect(await standingOn(claimB)).toEqual([{ payment_id: paymentId, kind: 'auto', amount_cents: 8000 }]);
    expect(await openTasksOf(paymentId)).toEqual([]);
  });

  it('a denial 835 (CLP02 = 4) leaves the claim with the payer, denied; a copay waiting for the transfer keeps waiting', async () => {
    const s = await seedScenario(stack.db, { dateOfService: '2026-11-20' });
    tokens.set(s.practiceExternalId, s.tokens.billing);
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');
    const denial = await remit835({ ...s.claim, version: 2, payerStatus: 'denied' });
    expect(denial.file).toMatch(/CLP\*[^*]+\*4\*180\*0\*/);
    expect(await stack.db('claims').where({ visit_id: s.visitId }).first()).toMatchObject({ responsibility: 'payer', payer_status: 'denied' });
    expect((await request(stack.app).get(`/v1/collections/${started.collectionId}`).set(s.auth('frontDesk'))).body.status).toBe('awaiting_transfer');
  });

  it('the stand-in refuses a claim the payer has not adjudicated as an 835 (400), and still sends the JSON event when asked', async () => {
    // A stand-in with no payflow API token (the harness's) cannot send 835 files: 409 saying so.
    const unconfigured = await post(`${stack.standin.url}/api/remittances`, { claim: { ...(await seedScenario(stack.db)).claim, version: 2, responsibility: 'patient' }, format: '835' });
    expect(unconfigured.status).toBe(409);
    expect(unconfigured.body.detail).toContain('PAYFLOW_API_TOKEN');

    const s = await seedScenario(stack.db);
    tokens.set(s.practiceExternalId, s.tokens.billing);
    const refused = await post(`${clearinghouse.url}/api/remittances`, { claim: { ...s.claim, version: 2 } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'claim' })]);
    expect(clearinghouse.sentRemittances().some((r) => r.file.includes(s.claimExternalId))).toBe(false);
    const json = await post(`${clearinghouse.url}/api/remittances`, { claim: transferToPatient(s, 4500), format: 'json' });
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ eventId: expect.stringMatching(/^evt_/), delivery: { status: 200 } });
    expect(await stack.db('claims').where({ visit_id: s.visitId }).first()).toMatchObject({ responsibility: 'patient', patient_responsibility_cents: 4500 });
  });
});
