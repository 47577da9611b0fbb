/**
 * Issue 16, "why you owe", on the real Temporal + PostgreSQL harness: a payer's 835 posted through the API moves a
 * claim of a patient to the patient; the statement then says why the patient owes it, in plain words with amounts, on
 * the patient portal's statement page, the patient's and the staff's printable statement, the staff's claim view of
 * the visit and the statement JSON. A reversal 835 (the payer takes the claim back) removes the reasons everywhere;
 * the payer's re-adjudication brings its own (the claim's current version's), not the first file's. A claim payment
 * staff matched by hand counts like one matched on arrival; a denial and claims no 835 explains have none.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { useTestStack } from '../support/harness';
import { generateStatement, PortalClient, seedStatementScenario, startPortalApp, type StatementScenario } from '../support/statement-driver';
import { readRemittance } from '../../edi/x835/validate';
import { writeRemittance } from '../../edi/x835/write';
import type { Remittance835 } from '../../edi/x835/model';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/835', name), 'utf8');

/** The golden transfer (PR: copay 25.00 on 99213; deductible 40.00 and coinsurance 3.10 on 80053) naming our claim. */
const transferFor = (claimExternalId: string) => fixture('transfer-to-patient.835').replace('CLP*PFC-1001*', `CLP*${claimExternalId}*`);

/** The transfer taken back by the payer (CLP02 = 22, amounts negated, a debit), under its own trace. */
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

/** A page's text as a person reads it: tags gone, entities the pages use decoded, white space collapsed. */
const textOf = (page: string) => page.replace(/<[^>]+>/g, ' ').replaceAll('&#39;', "'").replaceAll('&amp;', '&').replace(/\s+/g, ' ');

const COPAY = 'Copay: $25.00 — the fixed amount your plan asks you to pay for this visit';
const DEDUCTIBLE = "Deductible: $40.00 — your plan's yearly amount you pay before insurance pays";
const COINSURANCE = 'Coinsurance: $3.10 — your share of the cost after the deductible';
const WHY = 'Why you owe for this visit';

describe('why you owe: the 835\'s PR adjustments in plain words on the statement pages and the claim view', () => {
  const stack = useTestStack();
  let portal: Awaited<ReturnType<typeof startPortalApp>>;
  beforeAll(async () => {
    portal = await startPortalApp(stack, { reminderIntervalMs: 60 * 60_000 });
  });
  afterAll(() => portal.close());

  const post835 = (s: StatementScenario, body: string) =>
    request(portal.app).post('/v1/remittances').set(s.auth('billing')).set('Content-Type', 'application/edi-x12').send(body);

  /** Signs a staff member in through the page (as the staff pages' own tests do); answers the session cookie. */
  async function staffCookie(token: string): Promise<string> {
    const res = await request(portal.app).post('/staff/sign-in').type('form').set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send({ token }).expect(303);
    return ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('pf_staff='))!.split(';')[0]!;
  }

  it('shows the reasons under the claim on every page and in the JSON; a reversal removes them; a re-adjudication shows its own', async () => {
    // One claim the patient already owes (no remittance: no reasons), one still with the payer that the 835 transfers.
    const s = await seedStatementScenario(stack.db, {
      paymentPageUrl: `${stack.standin.url}/hosted-pay`,
      claims: [
        { dateOfService: '2026-09-14', lines: [{ procedureCode: '99214', description: 'Office visit', chargeCents: 18000, insurerPaidCents: 9500, adjustmentCents: 4000, patientResponsibilityCents: 4500 }] },
        {
          dateOfService: '2026-11-20', responsibility: 'payer', lines: [
            { procedureCode: '99213', description: 'Office visit, established patient', chargeCents: 15000, insurerPaidCents: 0, adjustmentCents: 0, patientResponsibilityCents: 0 },
            { procedureCode: '80053', description: 'Metabolic panel', chargeCents: 9550, insurerPaidCents: 0, adjustmentCents: 0, patientResponsibilityCents: 0 },
          ],
        },
      ],
    });
    const claim = await stack.db('claims').where({ id: s.claimIds[1] }).first<{ external_id: string; visit_id: string }>('external_id', 'visit_id');
    const transfer = transferFor(claim.external_id);
    expect((await post835(s, transfer)).body).toMatchObject({ matched: 1, unmatched: 0 });

    const st = await generateStatement(portal.app, s);
    // The JSON: the transferred claim's last line says why (payer's order: copay on 99213, then deductible and
    // coinsurance on 80053); the other claim and the claim's first line say nothing.
    expect(st.lines.map((l: { procedureCode: string; balanceCents: number }) => [l.procedureCode, l.balanceCents])).toEqual([['99214', 4500], ['99213', 2500], ['80053', 4310]]);
    expect(st.lines[0].whyYouOwe).toBeUndefined();
    expect(st.lines[1].whyYouOwe).toBeUndefined();
    expect(st.lines[2].whyYouOwe).toEqual([
      { code: '3', amountCents: 2500, words: 'Copay — the fixed amount your plan asks you to pay for this visit' },
      { code: '1', amountCents: 4000, words: "Deductible — your plan's yearly amount you pay before insurance pays" },
      { code: '2', amountCents: 310, words: 'Coinsurance — your share of the cost after the deductible' },
    ]);
    const read = async () => (await request(portal.app).get(`/v1/statements/${st.statementId}`).set(s.auth('billing')).expect(200)).body;
    expect((await read()).lines[2].whyYouOwe).toHaveLength(3);

    // The patient's statement page and printable statement, the staff's printable statement.
    const patient = new PortalClient(portal.url);
    expect((await patient.signIn(s.accountId, s.dateOfBirth)).status).toBe(303);
    const statementPage = await patient.get('/portal/statement');
    expect(statementPage.status).toBe(200);
    // Still script-free, and no inline style: the reasons are plain markup styled by the portal's stylesheet.
    expect(statementPage.headers.get('content-security-policy')).not.toMatch(/unsafe-inline|script-src '(?!none)/);
    const pages = async () => ({
      portal: (await patient.get('/portal/statement')).body,
      portalPrint: (await patient.get('/portal/statement/print')).body,
      staffPrint: (await request(portal.app).get(`/v1/statements/${st.statementId}/print`).set(s.auth('billing')).expect(200)).text,
    });
    for (const [name, page] of Object.entries(await pages())) {
      const text = textOf(page);
      for (const sentence of [WHY, COPAY, DEDUCTIBLE, COINSURANCE]) expect({ name, has: text.includes(sentence) }).toEqual({ name, has: true });
      // Once, under the transferred claim's last line (80053), not under the other claim.
      expect(page.match(/<tr class="why">/g)).toHaveLength(1);
      expect(text.indexOf(WHY)).toBeGreaterThan(text.indexOf('80053'));
      expect(page).not.toMatch(/<script|style="/);
    }

    // The staff's claim view of the visit: the same sentences, with the codes.
    const cookie = await staffCookie(s.tokens.billing);
    const visit = async () => textOf((await request(portal.app).get(`/staff/visits/${claim.visit_id}`).set('Cookie', cookie).expect(200)).text);
    const visitText = await visit();
    expect(visitText).toContain('Why the patient owes');
    for (const sentence of [`${COPAY} (PR-3)`, `${DEDUCTIBLE} (PR-1)`, `${COINSURANCE} (PR-2)`]) expect(visitText).toContain(sentence);

    // The payer takes the claim back: responsibility with the payer, no reasons anywhere.
    expect((await post835(s, reversalOf(transfer, 'EFT240320099'))).body).toMatchObject({ matched: 1 });
    expect((await stack.db('claims').where({ id: s.claimIds[1] }).first()).responsibility).toBe('payer');
    expect((await read()).lines.map((l: { whyYouOwe?: unknown }) => l.whyYouOwe)).toEqual([undefined, undefined, undefined]);
    for (const [name, page] of Object.entries(await pages())) {
      expect({ name, why: page.includes('class="why"'), words: textOf(page).includes('Deductible') }).toEqual({ name, why: false, words: false });
    }
    const afterReversal = await visit();
    expect(afterReversal).not.toContain('Deductible');
    expect(afterReversal).toContain('None now: the payer holds this claim');

    // The payer's re-adjudication (its own reversal of an earlier payment, then copay 10.00): the current version's words.
    const readjudication = fixture('reversal-readjudication.835').replaceAll('CLP*PFC-1002*', `CLP*${claim.external_id}*`);
    expect((await post835(s, readjudication)).body).toMatchObject({ matched: 2 });
    expect((await read()).lines[2].whyYouOwe).toEqual([{ code: '3', amountCents: 1000, words: 'Copay — the fixed amount your plan asks you to pay for this visit' }]);
    const again = textOf((await patient.get('/portal/statement')).body);
    expect(again).toContain('Copay: $10.00 — the fixed amount your plan asks you to pay for this visit');
    expect(again).not.toContain('Deductible');
    expect(await visit()).toContain('Copay: $10.00 — the fixed amount your plan asks you to pay for this visit (PR-3)');
  });

  it('a claim payment staff matched by hand (remittance_claim_matches) gives its reasons too', async () => {
    const s = await seedStatementScenario(stack.db, {
      paymentPageUrl: `${stack.standin.url}/hosted-pay`,
      claims: [{ dateOfService: '2026-11-20', responsibility: 'payer', lines: [{ procedureCode: '99213', description: null, chargeCents: 15000, insurerPaidCents: 0, adjustmentCents: 0, patientResponsibilityCents: 0 }] }],
    });
    // CLP01 PFC-1001 names no claim of ours: stored unmatched, then matched by billing staff to the seeded claim.
    const file = await post835(s, fixture('transfer-to-patient.835'));
    expect(file.body).toMatchObject({ matched: 0, unmatched: 1 });
    const detail = await request(portal.app).get(`/v1/remittances/${file.body.fileId}`).set(s.auth('billing')).expect(200);
    await request(portal.app).post(`/v1/remittances/${file.body.fileId}/claims/${detail.body.claims[0].id}/match`).set(s.auth('billing'))
      .send({ claimId: s.claimIds[0] }).expect(200);
    const st = await generateStatement(portal.app, s);
    expect(st.lines.at(-1).whyYouOwe.map((w: { code: string; amountCents: number }) => [w.code, w.amountCents])).toEqual([['3', 2500], ['1', 4000], ['2', 310]]);
  });

  it('a denied claim (matched, but the payer keeps it) and claims no remittance explains have no reasons', async () => {
    const s = await seedStatementScenario(stack.db, { paymentPageUrl: `${stack.standin.url}/hosted-pay` });
    const other = await seedStatementScenario(stack.db, {
      paymentPageUrl: `${stack.standin.url}/hosted-pay`,
      claims: [{ dateOfService: '2026-11-20', responsibility: 'payer', lines: [{ procedureCode: '99213', description: null, chargeCents: 15000, insurerPaidCents: 0, adjustmentCents: 0, patientResponsibilityCents: 0 }] }],
    });
    // A denial (CLP02 = 4): matched and applied, but the claim stays with the payer: no reasons.
    const otherClaim = await stack.db('claims').where({ id: other.claimIds[0] }).first<{ external_id: string; visit_id: string }>('external_id', 'visit_id');
    expect((await post835(other, fixture('denial.835').replace(/CLP\*[^*]+\*4\*/, `CLP*${otherClaim.external_id}*4*`))).body).toMatchObject({ matched: 1 });
    const cookie = await staffCookie(other.tokens.billing);
    const page = textOf((await request(portal.app).get(`/staff/visits/${otherClaim.visit_id}`).set('Cookie', cookie).expect(200)).text);
    expect(page).toContain('None now: the payer holds this claim');
    // A statement of claims seeded without any remittance says nothing about reasons.
    const st = await generateStatement(portal.app, s);
    expect(st.lines.every((l: { whyYouOwe?: unknown }) => l.whyYouOwe === undefined)).toBe(true);
  });
});
