/**
 * Issue 16, ingest: POST /v1/remittances with real X12 835 files, on the real Temporal + PostgreSQL harness. A file
 * moves our claims exactly as the clearinghouse's `claim.upserted` does (copay runs woken, reversals), once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { useTestStack } from '../support/harness';
import { eventually, seedScenario, type Scenario } from '../support/fixtures';
import { capture, collectionWhen, startCopay } from '../support/copay-driver';
import { readRemittance } from '../../edi/x835/validate';
import { writeRemittance } from '../../edi/x835/write';
import type { Remittance835 } from '../../edi/x835/model';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/835', name), 'utf8');
/** The golden transfer file (PR: copay 25.00, deductible 40.00, coinsurance 3.10 = 68.10) naming this claim in CLP01. */
const transferFor = (claimExternalId: string) => fixture('transfer-to-patient.835').replace('CLP*PFC-1001*', `CLP*${claimExternalId}*`);

/** The transfer's claim taken back by the payer (CLP02 = 22, amounts negated, a debit), under its own trace. */
function reversalOf(transferText: string, trace: string): string {
  const r: Remittance835 = structuredClone(readRemittance(transferText));
  const t = r.groups[0]!.transactions[0]!;
  t.trace.number = trace;
  t.payment = { ...t.payment, creditDebit: 'D' };
  const neg = <A extends { amountCents: number }>(a: A) => ({ ...a, amountCents: -a.amountCents });
  t.claims = t.claims.map((c) => ({
    ...c, status: '22', chargeCents: -c.chargeCents, paidCents: -c.paidCents, patientResponsibilityCents: -c.patientResponsibilityCents,
    adjustments: c.adjustments.map(neg),
    serviceLines: c.serviceLines.map((l) => ({ ...l, chargeCents: -l.chargeCents, paidCents: -l.paidCents, adjustments: l.adjustments.map(neg) })),
  }));
  return writeRemittance(r, { lineBreaks: true });
}

describe('POST /v1/remittances (X12 835)', () => {
  const stack = useTestStack();

  const send = (s: Scenario, body: string, who: 'billing' | 'admin' | 'frontDesk' = 'billing', type = 'application/edi-x12') =>
    request(stack.app).post('/v1/remittances').set(s.auth(who)).set('Content-Type', type).send(body);
  const claimOf = (s: Scenario) => stack.db('claims').where({ practice_id: s.practiceId, external_id: s.claimExternalId })
    .first<{ id: string; source_version: number; responsibility: string; payer_status: string; patient_responsibility_cents: number }>();
  const counts = async (s: Scenario) => ({
    files: Number((await stack.db('remittance_files').where({ practice_id: s.practiceId }).count<{ n: string }[]>('* as n'))[0]!.n),
    traces: Number((await stack.db('remittance_traces').where({ practice_id: s.practiceId }).count<{ n: string }[]>('* as n'))[0]!.n),
    claims: Number((await stack.db('remittance_claims').where({ practice_id: s.practiceId }).count<{ n: string }[]>('* as n'))[0]!.n),
  });

  it('moves the claim to the patient with the PR total and applies a copay waiting for the transfer; a re-send changes nothing', async () => {
    const s = await seedScenario(stack.db, { dateOfService: '2026-11-20' });
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');

    const file = transferFor(s.claimExternalId);
    const res = await send(s, file);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      traceNumber: 'EFT240315001', payer: { id: '1512345678', name: 'ACME HEALTH PLAN' }, paymentCents: 6480, claims: 1, matched: 1, unmatched: 0, duplicate: false,
    });
    const claim = await claimOf(s);
    expect(claim).toMatchObject({ responsibility: 'patient', payer_status: 'adjudicated', patient_responsibility_cents: 6810, source_version: 2 });
    expect(await stack.db('claim_lines').where({ claim_id: claim.id }).select('line_number', 'procedure_code', 'insurer_paid_cents', 'adjustment_cents', 'patient_responsibility_cents'))
      .toEqual([{ line_number: 1, procedure_code: '99213', insurer_paid_cents: 5250, adjustment_cents: 7250, patient_responsibility_cents: 2500 }]);

    const done = await collectionWhen(stack, s, started.collectionId, 'applied');
    expect(done.applications).toEqual([expect.objectContaining({ amountCents: 2500, kind: 'auto', reversed: false })]);

    // (b) the same bytes again: the first answer, marked duplicate; no row, version or message more.
    const before = { ...(await counts(s)), messages: Number((await stack.db('run_messages').count<{ n: string }[]>('* as n'))[0]!.n) };
    const again = await send(s, file, 'admin', 'text/plain');
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...res.body, duplicate: true });
    expect({ ...(await counts(s)), messages: Number((await stack.db('run_messages').count<{ n: string }[]>('* as n'))[0]!.n) }).toEqual(before);
    expect((await claimOf(s)).source_version).toBe(2);

    // The detail: the claim payment, its claim, and why the patient owes, in plain words.
    const detail = await request(stack.app).get(`/v1/remittances/${res.body.fileId}`).set(s.auth('billing'));
    expect(detail.status).toBe(200);
    expect(detail.body.claims).toEqual([expect.objectContaining({
      patientControlNumber: s.claimExternalId, statusCode: '1', matchedClaimId: claim.id, outcome: 'updated', appliedVersion: 2, patientResponsibilityCents: 6810,
      patientOwes: [
        expect.objectContaining({ code: '3', label: 'Copay', amountCents: 2500 }),
        expect.objectContaining({ code: '1', label: 'Deductible', amountCents: 4000 }),
        expect.objectContaining({ code: '2', label: 'Coinsurance', amountCents: 310 }),
      ],
    })]);
    expect(JSON.stringify(detail.body)).not.toContain('DOE'); // no patient name from NM1 is stored or shown
  });

  it('(c) the same payer and trace in other bytes is 409, and nothing of it is stored', async () => {
    const s = await seedScenario(stack.db);
    const file = transferFor(s.claimExternalId);
    expect((await send(s, file)).status).toBe(201);
    const before = await counts(s);
    const other = file.replace('DTM*405*20240314~', 'DTM*405*20240313~');
    const res = await send(s, other);
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.detail).toContain('EFT240315001');
    expect(await counts(s)).toEqual(before);
    expect((await claimOf(s)).source_version).toBe(2);
  });

  it('(d) a malformed file (bad SE01) is 422 naming the segment and its position; nothing is stored', async () => {
    const s = await seedScenario(stack.db);
    const res = await send(s, fixture('bad-se-count.835'));
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: expect.stringMatching(/^segment SE at position \d+$/), reason: expect.stringContaining('SE01') }]);
    expect(await counts(s)).toEqual({ files: 0, traces: 0, claims: 0 });
    expect((await claimOf(s)).source_version).toBe(1);

    const empty = await send(s, '', 'billing', 'text/plain');
    expect(empty.status).toBe(422);
    expect(empty.body.errors[0].field).toMatch(/^segment .+ at position \d+$/);
    // Two payments of one file with the same payer and trace: refused as a whole.
    const sameTraceTwice = await send(s, fixture('two-transactions.835').replace('TRN*1*CHK50022*1999999999~', 'TRN*1*EFT240315101*1512345678~'));
    expect(sameTraceTwice.status).toBe(422);
    expect(sameTraceTwice.body.errors).toEqual([expect.objectContaining({ field: 'transaction 2' })]);
    expect(await counts(s)).toEqual({ files: 0, traces: 0, claims: 0 });
  });

  it('(e) a CLP01 we do not know is stored unmatched and listed', async () => {
    const s = await seedScenario(stack.db);
    const res = await send(s, fixture('transfer-to-patient.835')); // CLP01 PFC-1001: no claim of this practice
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ claims: 1, matched: 0, unmatched: 1 });
    const list = await request(stack.app).get('/v1/remittances').set(s.auth('admin'));
    expect(list.status).toBe(200);
    expect(list.body.remittances).toEqual([expect.objectContaining({ fileId: res.body.fileId, matched: 0, unmatched: 1, paymentCents: 6480, traceNumber: 'EFT240315001' })]);
    const detail = await request(stack.app).get(`/v1/remittances/${res.body.fileId}`).set(s.auth('billing'));
    expect(detail.body.claims).toEqual([expect.objectContaining({ patientControlNumber: 'PFC-1001', matchedClaimId: null, outcome: 'unmatched', appliedVersion: null })]);
    expect((await claimOf(s)).source_version).toBe(1);
  });

  it('(f) a reversal file (CLP02 = 22) after the transfer puts the claim back with the payer, and the applied copay is reversed', async () => {
    const s = await seedScenario(stack.db, { dateOfService: '2026-11-20' });
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    const transfer = transferFor(s.claimExternalId);
    expect((await send(s, transfer)).status).toBe(201);
    await collectionWhen(stack, s, started.collectionId, 'applied');

    const res = await send(s, reversalOf(transfer, 'EFT240320099'));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ matched: 1, paymentCents: -6480, traceNumber: 'EFT240320099' });
    expect(await claimOf(s)).toMatchObject({ responsibility: 'payer', payer_status: 'reprocessing', source_version: 3 });
    const claim = await claimOf(s);
    const reversed = await eventually(async () => {
      const rows = await stack.db('payment_applications as a').join('application_reversals as r', 'r.application_id', 'a.id').where('a.claim_id', claim.id).select('a.id');
      return rows.length > 0 ? rows : undefined;
    }, 20_000, 'the copay application reversed');
    expect(reversed).toHaveLength(1);
  });

  it('a reversal and its re-adjudication in one file: two claim payments of one CLP01 (occurrence 0 and 1), two versions, in file order', async () => {
    const s = await seedScenario(stack.db);
    expect((await send(s, transferFor(s.claimExternalId))).status).toBe(201);
    const res = await send(s, fixture('reversal-readjudication.835').replaceAll('CLP*PFC-1002*', `CLP*${s.claimExternalId}*`));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ claims: 2, matched: 2, unmatched: 0, paymentCents: 2000 });
    expect(await claimOf(s)).toMatchObject({ responsibility: 'patient', payer_status: 'adjudicated', patient_responsibility_cents: 1000, source_version: 4 });
    const detail = await request(stack.app).get(`/v1/remittances/${res.body.fileId}`).set(s.auth('billing'));
    expect(detail.body.claims.map((c: { occurrence: number; statusCode: string; appliedVersion: number }) => [c.occurrence, c.statusCode, c.appliedVersion]))
      .toEqual([[0, '22', 3], [1, '1', 4]]);
    expect(detail.body.claims[1].patientOwes).toEqual([expect.objectContaining({ code: '3', label: 'Copay', amountCents: 1000 })]);
  });

  it('(g) a body over 5 MB is 413; (h) front desk is 403; another practice\'s file is 404', async () => {
    const s = await seedScenario(stack.db);
    const big = await send(s, 'x'.repeat(5 * 1024 * 1024 + 1), 'billing', 'text/plain');
    expect(big.status).toBe(413);
    expect(await counts(s)).toEqual({ files: 0, traces: 0, claims: 0 });

    expect((await send(s, transferFor(s.claimExternalId), 'frontDesk')).status).toBe(403);
    expect((await request(stack.app).get('/v1/remittances').set(s.auth('frontDesk'))).status).toBe(403);
    const json = await request(stack.app).post('/v1/remittances').set(s.auth('billing')).send({ file: 'ISA' });
    expect(json.status).toBe(415);

    const ok = await send(s, transferFor(s.claimExternalId));
    expect(ok.status).toBe(201);
    const other = await seedScenario(stack.db);
    expect((await request(stack.app).get(`/v1/remittances/${ok.body.fileId}`).set(other.auth('billing'))).status).toBe(404);
    expect((await request(stack.app).get('/v1/remittances/6f1c0d7e-0000-4000-8000-000000000000').set(s.auth('billing'))).status).toBe(404);
    expect((await request(stack.app).get('/v1/remittances').set(other.auth('billing'))).body).toEqual({ remittances: [] });
  });
});
