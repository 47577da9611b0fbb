/**
 * Issue 16, staff part: the Remittances pages (list, upload good / refused / duplicate), and matching an unmatched claim
 * payment by hand (API and page): exactly once, audited, the copay run woken, wrong practice and unknown claims refused
 * naming the field, and the mapping remembered so a later file from that payer matches by itself. Real Temporal +
 * PostgreSQL through the harness.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { useTestStack } from '../support/harness';
import { seedScenario, type Scenario } from '../support/fixtures';
import { capture, collectionWhen, startCopay } from '../support/copay-driver';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/835', name), 'utf8');
/** The golden transfer file (PR 68.10: copay 25.00, deductible 40.00, coinsurance 3.10), with this CLP01 and trace. */
const transferFile = (clp01: string, trace = 'EFT240315001') => fixture('transfer-to-patient.835')
  .replace('CLP*PFC-1001*', `CLP*${clp01}*`).replace('TRN*1*EFT240315001*', `TRN*1*${trace}*`);
const PROBLEM = /^application\/problem\+json/;

describe('remittances: staff pages and matching by hand', () => {
  const stack = useTestStack();

  async function signIn(token: string): Promise<{ cookie: string; csrf: string }> {
    const res = await request(stack.app).post('/staff/sign-in').type('form').set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send({ token }).expect(303);
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('pf_staff='))!.split(';')[0]!;
    const queue = await request(stack.app).get('/staff/queue').set('Cookie', cookie).expect(200);
    return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(queue.text)![1]! };
  }
  const page = (path: string, session: { cookie: string }) => request(stack.app).get(path).set('Cookie', session.cookie);
  const upload = (session: { cookie: string; csrf: string }, text: string, csrf = session.csrf) => request(stack.app).post('/staff/remittances')
    .set('Cookie', session.cookie).set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1')
    .field('csrf', csrf).attach('file', Buffer.from(text), { filename: 'era.835', contentType: 'application/octet-stream' });
  const postForm = (path: string, session: { cookie: string }, form: Record<string, string>) =>
    request(stack.app).post(path).type('form').set('Cookie', session.cookie).set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send(form);
  const ingest = (s: Scenario, text: string) => request(stack.app).post('/v1/remittances').set(s.auth('billing')).set('Content-Type', 'application/edi-x12').send(text);
  const match = (s: Scenario, fileId: string, rcId: string, body: unknown, who: 'billing' | 'admin' | 'frontDesk' = 'billing') =>
    request(stack.app).post(`/v1/remittances/${fileId}/claims/${rcId}/match`).set(s.auth(who)).send(body as object);
  const claimOf = (s: Scenario) => stack.db('claims').where({ practice_id: s.practiceId, external_id: s.claimExternalId })
    .first<{ id: string; source_version: number; responsibility: string; patient_responsibility_cents: number }>();
  const detailOf = async (s: Scenario, fileId: string) => (await request(stack.app).get(`/v1/remittances/${fileId}`).set(s.auth('billing')).expect(200)).body;

  it('lists files newest first, uploads through the page (received, duplicate, refused naming segment and position), billing only', async () => {
    const s = await seedScenario(stack.db);
    const billing = await signIn(s.tokens.billing);
    const empty = await page('/staff/remittances', billing).expect(200);
    expect(empty.text).toContain('No remittance file has been received yet');
    expect(empty.text).toContain('enctype="multipart/form-data"');

    const first = await upload(billing, transferFile(s.claimExternalId)).expect(303);
    const fileUrl = first.headers.location as string;
    expect(fileUrl).toMatch(/^\/staff\/remittances\/[0-9a-f-]{36}\?done=received$/);
    const filePage = await page(fileUrl, billing).expect(200);
    expect(filePage.text).toContain('File received');
    expect(filePage.text).toContain('Processed as primary');
    expect(filePage.text).toContain(`href="/staff/visits/${s.visitId}"`);
    for (const words of ['Copay', 'Deductible', 'Coinsurance', '$68.10', '$245.50', '$64.80', 'Claim updated']) expect(filePage.text).toContain(words);

    // A second file (another trace) lands first in the list; the received time is on the practice's clock.
    const second = await upload(billing, transferFile('PFC-NOT-OURS', 'EFT240316777')).expect(303);
    const list = await page('/staff/remittances', billing).expect(200);
    expect(list.text.indexOf('EFT240316777')).toBeGreaterThan(-1);
    expect(list.text.indexOf('EFT240316777')).toBeLessThan(list.text.indexOf('EFT240315001'));
    expect(list.text).toContain('ACME HEALTH PLAN');
    expect(list.text).toMatch(/<span class="badge open">1<\/span>/); // the second file's unmatched claim payment
    expect(second.headers.location).toMatch(/done=received$/);

    // The same bytes again: received once; the page says so.
    const again = await upload(billing, transferFile(s.claimExternalId)).expect(303);
    expect(again.headers.location).toBe(fileUrl.replace('received', 'duplicate'));
    expect((await page(again.headers.location as string, billing).expect(200)).text).toContain('This file was already received');
    expect((await claimOf(s)).source_version).toBe(2);

    // Refused: the problem names segment and position; nothing stored; listed under refused uploads.
    const files = async () => Number((await stack.db('remittance_files').where({ practice_id: s.practiceId }).count<{ n: string }[]>('* as n'))[0]!.n);
    const before = await files();
    const bad = await upload(billing, fixture('bad-se-count.835')).expect(422);
    expect(bad.text).toContain('The file was refused; nothing of it was stored');
    expect(bad.text).toMatch(/segment SE at position \d+: SE01 says/);
    expect(await files()).toBe(before);
    const conflictFile = transferFile(s.claimExternalId).replace('DTM*405*20240314~', 'DTM*405*20240313~');
    const conflict = await upload(billing, conflictFile).expect(409);
    expect(conflict.text).toContain('EFT240315001');
    const withRefusals = await page('/staff/remittances', billing).expect(200);
    expect(withRefusals.text).toContain('Refused uploads');
    expect(withRefusals.text).toMatch(/segment SE at position \d+/);
    expect(withRefusals.text).toContain('payment already received');

    // No file chosen; a wrong CSRF token; front desk.
    await request(stack.app).post('/staff/remittances').set('Cookie', billing.cookie).set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1')
      .field('csrf', billing.csrf).attach('file', Buffer.alloc(0), { filename: '' }).expect(422);
    // Over the 5 MB of POST /v1/remittances: refused while it is read (multer's limit), nothing stored.
    const filesBefore = await stack.db('remittance_files').count({ n: '*' }).first();
    const big = await request(stack.app).post('/staff/remittances').set('Cookie', billing.cookie).set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1')
      .field('csrf', billing.csrf).attach('file', Buffer.alloc(5 * 1024 * 1024 + 1, 'A'), { filename: 'big.835' }).expect(413);
    expect(big.text).toContain('larger than 5 MB');
    expect(await stack.db('remittance_files').count({ n: '*' }).first()).toEqual(filesBefore);
    await upload(billing, transferFile('PFC-X', 'EFT1'), 'x'.repeat(43)).expect(403);
    await request(stack.app).post('/staff/remittances').set('Cookie', billing.cookie).set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1')
      .type('form').send({ csrf: billing.csrf }).expect(415);
    const frontDesk = await signIn(s.tokens.frontDesk);
    await page('/staff/remittances', frontDesk).expect(403);
    await upload(frontDesk, transferFile('PFC-X', 'EFT2')).expect(403);
    expect((await page('/staff/queue', frontDesk).expect(200)).text).not.toContain('href="/staff/remittances"');
    expect((await page('/staff/queue', billing).expect(200)).text).toContain('href="/staff/remittances"');

    // Another practice's file is not found.
    const other = await seedScenario(stack.db);
    await page(fileUrl.replace(/\?.*$/, ''), await signIn(other.tokens.billing)).expect(404);
  });

  it('API match: the copay run applies, exactly once (409 naming it, also when two race), audited; refusals name the field; a later file matches by the alias', async () => {
    const s = await seedScenario(stack.db, { dateOfService: '2026-11-20' });
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await collectionWhen(stack, s, started.collectionId, 'awaiting_transfer');

    const clp01 = `BILLED-${s.claimExternalId}`; // the practice billed it under another number: no claim has this external id
    const ingested = await ingest(s, transferFile(clp01)).expect(201);
    expect(ingested.body).toMatchObject({ matched: 0, unmatched: 1 });
    const fileId = ingested.body.fileId as string;
    const rcId = (await detailOf(s, fileId)).claims[0].id as string;
    const claim = await claimOf(s);

    // Refusals, each naming what is wrong; nothing changes.
    const notUuid = await match(s, fileId, rcId, { claimId: 'nope' }).expect(422).expect('Content-Type', PROBLEM);
    expect(notUuid.body.errors).toEqual([expect.objectContaining({ field: 'claimId' })]);
    const unknown = await match(s, fileId, rcId, { claimId: '6f1c0d7e-0000-4000-8000-000000000000' }).expect(422).expect('Content-Type', PROBLEM);
    expect(unknown.body.errors).toEqual([{ field: 'claimId', reason: 'no claim of this practice has this id' }]);
    const other = await seedScenario(stack.db);
    const otherClaim = await claimOf(other);
    const wrongPractice = await match(s, fileId, rcId, { claimId: otherClaim.id }).expect(422);
    expect(wrongPractice.body.errors).toEqual([expect.objectContaining({ field: 'claimId' })]);
    await match(other, fileId, rcId, { claimId: otherClaim.id }).expect(404); // another practice's file: not found
    await match(s, fileId, '6f1c0d7e-0000-4000-8000-000000000000', { claimId: claim.id }).expect(404);
    await match(s, fileId, rcId, { claimId: claim.id }, 'frontDesk').expect(403);
    const extra = await match(s, fileId, rcId, { claimId: claim.id, note: 'x' }).expect(422);
    expect(extra.body.errors[0].field).toBe('note');
    expect((await claimOf(s)).source_version).toBe(1);

    // Two staff at once: one match wins, the other gets 409 naming the claim.
    const [a, b] = await Promise.all([match(s, fileId, rcId, { claimId: claim.id }), match(s, fileId, rcId, { claimId: claim.id }, 'admin')]);
    const won = [a, b].find((r) => r.status === 200)!;
    const lost = [a, b].find((r) => r.status !== 200)!;
    expect(lost.status).toBe(409);
    expect(lost.headers['content-type']).toMatch(PROBLEM);
    expect(lost.body.detail).toContain(claim.id);
    expect(won.body).toMatchObject({ fileId, remittanceClaimId: rcId, claimId: claim.id, visitId: s.visitId, outcome: 'updated', appliedVersion: 2, aliasRemembered: true });
    expect(await claimOf(s)).toMatchObject({ responsibility: 'patient', patient_responsibility_cents: 6810, source_version: 2 });
    // The copay run waiting for the transfer heard of it (outbox) and applied its money.
    const done = await collectionWhen(stack, s, started.collectionId, 'applied');
    expect(done.applications).toEqual([expect.objectContaining({ amountCents: 2500, kind: 'auto' })]);

    // Once: a third try is 409 saying who and when; no version moves.
    const third = await match(s, fileId, rcId, { claimId: claim.id }).expect(409);
    expect(third.body.detail).toMatch(new RegExp(`claim ${claim.id}, by (Billing|Admin) at \\d{4}-`));
    expect((await claimOf(s)).source_version).toBe(2);
    expect(Number((await stack.db('remittance_claim_matches').where({ remittance_claim_id: rcId }).count<{ n: string }[]>('* as n'))[0]!.n)).toBe(1);
    const audit = await stack.db('audit_log').where({ entity_type: 'remittance_claim', entity_id: rcId }).select('actor', 'action', 'after', 'at');
    expect(audit).toEqual([expect.objectContaining({ actor: expect.stringMatching(/^user:/), action: 'remittance_claim.matched', after: expect.objectContaining({ matchedClaimId: claim.id, appliedVersion: 2 }) })]);
    expect(JSON.stringify(audit)).not.toContain(clp01);

    // The file now counts it matched; its detail says who matched it.
    const detail = await detailOf(s, fileId);
    expect(detail.file).toMatchObject({ matched: 1, unmatched: 0 });
    expect(detail.claims[0]).toMatchObject({ matchedClaimId: claim.id, matchedVisitId: s.visitId, outcome: 'updated', appliedVersion: 2, manualMatch: expect.objectContaining({ staffName: expect.any(String) }) });

    // A later file from the same payer with that CLP01 matches by itself (the alias), and moves the claim again.
    const later = await ingest(s, transferFile(clp01, 'EFT240401002')).expect(201);
    expect(later.body).toMatchObject({ matched: 1, unmatched: 0 });
    expect((await detailOf(s, later.body.fileId)).claims[0]).toMatchObject({ matchedClaimId: claim.id, outcome: 'updated', appliedVersion: 3, manualMatch: null });
    expect((await claimOf(s)).source_version).toBe(3);
    // …but not for another practice, where that CLP01 means nothing.
    const elsewhere = await ingest(other, transferFile(clp01, 'EFT240401003')).expect(201);
    expect(elsewhere.body).toMatchObject({ matched: 0, unmatched: 1 });
  });

  it("a payer's CLP01 already remembered as another claim is 409, and nothing changes", async () => {
    const s = await seedScenario(stack.db);
    const first = await ingest(s, transferFile('PFC-TWICE')).expect(201);
    const second = await ingest(s, transferFile('PFC-TWICE', 'EFT240501001')).expect(201); // received before any match: unmatched too
    expect(second.body).toMatchObject({ unmatched: 1 });
    const claim = await claimOf(s);
    await match(s, first.body.fileId, (await detailOf(s, first.body.fileId)).claims[0].id, { claimId: claim.id }).expect(200);
    // A second claim of the same practice (another visit of the same patient).
    const visitId = (await stack.db('visits').insert({ practice_id: s.practiceId, patient_id: s.patientId, external_id: `v2-${s.visitExternalId}`, date_of_service: '2026-11-21', source_version: 1 }).returning<{ id: string }[]>('id'))[0]!.id;
    const claim2 = (await stack.db('claims').insert({ practice_id: s.practiceId, patient_id: s.patientId, visit_id: visitId, external_id: `c2-${s.claimExternalId}`, responsibility: 'payer', payer_status: 'submitted', source_version: 1 }).returning<{ id: string }[]>('id'))[0]!.id;
    const refused = await match(s, second.body.fileId, (await detailOf(s, second.body.fileId)).claims[0].id, { claimId: claim2 }).expect(409);
    expect(refused.body.detail).toContain(claim.id);
    expect(await stack.db('claims').where({ id: claim2 }).first('source_version')).toEqual({ source_version: 1 });
    expect((await detailOf(s, second.body.fileId)).claims[0]).toMatchObject({ outcome: 'unmatched', matchedClaimId: null });
    // Matching it to the remembered claim works.
    await match(s, second.body.fileId, (await detailOf(s, second.body.fileId)).claims[0].id, { claimId: claim.id }).expect(200);
  });

  it('page match: search by claim or visit number, choose, match once; a second match is a 409 page', async () => {
    const s = await seedScenario(stack.db);
    const billing = await signIn(s.tokens.billing);
    const ingested = await ingest(s, transferFile('PFC-PAGE-1')).expect(201);
    const fileId = ingested.body.fileId as string;
    const rcId = (await detailOf(s, fileId)).claims[0].id as string;
    const claim = await claimOf(s);

    const filePage = await page(`/staff/remittances/${fileId}`, billing).expect(200);
    expect(filePage.text).toContain('No matching claim');
    expect(filePage.text).toContain(`href="?match=${rcId}#match-h"`);
    const searchForm = await page(`/staff/remittances/${fileId}?match=${rcId}`, billing).expect(200);
    expect(searchForm.text).toContain('Match claim payment PFC-PAGE-1');
    const byVisit = await page(`/staff/remittances/${fileId}?match=${rcId}&q=${encodeURIComponent(s.visitExternalId)}`, billing).expect(200);
    expect(byVisit.text).toContain(`value="${claim.id}"`);
    const byClaim = await page(`/staff/remittances/${fileId}?match=${rcId}&q=${encodeURIComponent(s.claimExternalId.slice(0, 6))}`, billing).expect(200);
    expect(byClaim.text).toContain(`value="${claim.id}"`);
    const none = await page(`/staff/remittances/${fileId}?match=${rcId}&q=zzz-nothing`, billing).expect(200);
    expect(none.text).toContain('No claim of this practice has a claim or visit number starting with');
    // The search's wildcards are text: "%" finds nothing.
    expect((await page(`/staff/remittances/${fileId}?match=${rcId}&q=%25`, billing).expect(200)).text).not.toContain(`value="${claim.id}"`);

    const path = `/staff/remittances/${fileId}/claims/${rcId}/match`;
    await postForm(path, billing, { csrf: 'x'.repeat(43), claimId: claim.id }).expect(403);
    const noChoice = await postForm(path, billing, { csrf: billing.csrf, q: s.visitExternalId }).expect(422);
    expect(noChoice.text).toContain('Choose one of the claims found.');
    const ok = await postForm(path, billing, { csrf: billing.csrf, claimId: claim.id }).expect(303);
    expect(ok.headers.location).toBe(`/staff/remittances/${fileId}?done=matched#claim-${rcId}`);
    const after = await page(`/staff/remittances/${fileId}?done=matched`, billing).expect(200);
    expect(after.text).toContain('Claim payment matched');
    expect(after.text).toContain('matched by Billing');
    expect(after.text).toContain(`href="/staff/visits/${s.visitId}"`);
    const twice = await postForm(path, billing, { csrf: billing.csrf, claimId: claim.id }).expect(409);
    expect(twice.text).toContain('already matched');
    expect((await claimOf(s)).source_version).toBe(2);
    const frontDesk = await signIn(s.tokens.frontDesk);
    await postForm(path, frontDesk, { csrf: frontDesk.csrf, claimId: claim.id }).expect(403);
  });
});
