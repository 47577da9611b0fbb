/**
 * Screenshots of card on file (issue 18) for docs/card-on-file-and-plans.md, with playwright-core and Debian's chromium
 * against a freshly started local stack (./scripts/stack.sh; the demo practice charges a minute after the notice):
 *   node --import tsx scripts/card-on-file-screenshots.ts [apiUrl] [standinUrl] [inboxUrl] [temporalUiUrl] [outDir]
 * Defaults: http://localhost:3000, http://localhost:3100, http://localhost:8025, http://localhost:8233, docs/screenshots.
 * It walks the doc's walkthrough: the front desk saves Ada's card at the superbill of her Nov 20 visit (the test card on
 * the stand-in processor's page) and authorises it; the clearinghouse's remittance moves the visit's claim to Ada; the
 * notice in the local inbox; the charge a minute later; the receipt; the ledger; the card on the patient page, in the
 * portal and its run in the Temporal UI. Takes about two minutes (the notice period).
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { html } from '../lib/html';
import { launchBrowser } from '../test/support/browser';
import { demoPatients } from './demo-data';
import { getJson, shooter, STAFF_VIEWPORT, staffSignIn } from './screenshot-support';

const api = (process.argv[2] ?? 'http://localhost:3000').replace(/\/+$/, '');
const standin = (process.argv[3] ?? 'http://localhost:3100').replace(/\/+$/, '');
const inbox = (process.argv[4] ?? 'http://localhost:8025').replace(/\/+$/, '');
const ui = (process.argv[5] ?? 'http://localhost:8233').replace(/\/+$/, '');
const out = process.argv[6] ?? 'docs/screenshots';
const shot = shooter(out, 'card');

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** The newest email in the local inbox whose subject matches, opened. */
async function openEmail(page: Page, subject: RegExp, name: string): Promise<void> {
  const link = await until(`an email "${subject.source}" in ${inbox}`, 180_000, async () => {
    await page.goto(`${inbox}/`);
    const l = page.locator('a[href*="/messages/"]', { hasText: subject }).first();
    return (await l.count()) > 0 ? l : undefined;
  });
  await link.click();
  await page.waitForLoadState('networkidle');
  await shot(page, name);
}

async function main() {
  mkdirSync(out, { recursive: true });
  const launched = await launchBrowser();
  const { browser } = launched;
  try {
    // 1. The superbill of Ada's Nov 20 visit (its claim still with the payer): Save a card on file, next to Collect Now.
    const desk = await staffSignIn(browser, api, 'demo-front-desk-token');
    await desk.goto(`${api}/staff/patients`);
    await desk.getByRole('link', { name: 'Billing page of Reyes, Ada' }).click();
    const patientUrl = desk.url();
    const patientId = new URL(patientUrl).pathname.split('/').pop()!;
    await desk.getByRole('link', { name: 'Superbill of Nov 20, 2026' }).click();
    await shot(desk, '01-superbill');

    // 2. The processor's own page: the card is typed there, never into payflow.
    await Promise.all([desk.waitForURL(/\/processor\/setup\//), desk.getByRole('button', { name: 'Save a card on file' }).click()]);
    await desk.getByLabel('Card number').fill('4242 4242 4242 4242');
    await shot(desk, '02-processor-card-page');

    // 3. Back in payflow: the card as the processor has it, and the authorisation.
    await Promise.all([desk.waitForURL(/\/card-on-file\/new\?/), desk.getByRole('button', { name: 'Save card' }).click()]);
    await desk.getByLabel('Cap per visit', { exact: true }).fill('100.00');
    await desk.getByLabel(/This visit/).check();
    await desk.getByLabel(/^email$/).check();
    await desk.getByLabel(/The patient agrees to be charged/).check();
    await shot(desk, '03-authorise');

    // 4. The patient page: Cards on file.
    await Promise.all([desk.waitForURL(/done=card-authorised/), desk.getByRole('button', { name: 'Authorise the card' }).click()]);
    await desk.locator('#cards-h').scrollIntoViewIfNeeded();
    await shot(desk, '04-patient-cards-on-file');

    // 5. The clearinghouse's remittance (an X12 835 through the stand-in): $40.00 of the claim is now Ada's.
    const remit = await fetch(`${standin}/api/remittances`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        claim: {
          practiceExternalId: 'demo-practice', visitExternalId: 'v-2001', externalId: 'c-3001', version: 2, responsibility: 'patient', payerName: 'Blue Harbor Health',
          payerStatus: 'adjudicated', patientResponsibilityCents: 4000,
          lines: [{ lineNumber: 1, procedureCode: '99213', chargeCents: 18000, insurerPaidCents: 10000, adjustmentCents: 4000, patientResponsibilityCents: 4000 }],
        },
        patientShare: { copayCents: 2500, deductibleCents: 1000, coinsuranceCents: 500 },
      }),
    });
    if (!remit.ok) throw new Error(`the stand-in's remittance answered ${remit.status}: ${await remit.text()}`);
    console.log('  (remittance sent: the notice comes now, the charge a minute later)');

    // 6. The notice, in the local inbox.
    const mail = await (await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 })).newPage();
    await openEmail(mail, /we will charge/, '05-notice-email');

    // 7. The charge, after the practice's notice period (1 minute in the demo), and its receipt.
    type Listed = { authorisations: { authorisationId: string; chargedCents: number }[] };
    const charged = await until('the charge', 240_000, async () => {
      const { authorisations } = await getJson<Listed>(`${api}/v1/patients/${patientId}/card-authorisations`);
      return authorisations.find((a) => a.chargedCents > 0);
    });
    console.log(`  (charged ${charged.chargedCents} cents)`);
    await openEmail(mail, /payment receipt/, '06-receipt-email');

    // 8. The ledger: the card payment applied to the claim.
    type Payments = { payments: { method: string; applications: { claimId: string }[] }[] };
    const payments = await getJson<Payments>(`${api}/v1/patients/${patientId}/payments`);
    const claimId = payments.payments.find((p) => p.method === 'card')?.applications[0]?.claimId;
    // The JSON as the API answers it, indented (escaped: nothing in it is markup).
    const ledger = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    const text = `GET /v1/patients/${patientId}/payments\n\n${JSON.stringify(payments, null, 2)}`;
    await ledger.setContent(html`<pre style="font: 14px/1.4 monospace; margin: 16px">${text}</pre>`.toString());
    await shot(ledger, '07-ledger');

    // 9. The patient page again: charged so far.
    await desk.goto(patientUrl);
    await desk.locator('#cards-h').scrollIntoViewIfNeeded();
    await shot(desk, '08-patient-charged');

    // 10. The portal: Ada's card on file, with Revoke.
    const ada = demoPatients.find((p) => p.firstName === 'Ada')!;
    // Her account id is on her statements (GET /v1/statements), as on the paper one.
    type Statements = { statements: { patientExternalId: string; accountId: string }[] };
    const accountId = (await getJson<Statements>(`${api}/v1/statements`)).statements.find((st) => st.patientExternalId === ada.externalId)?.accountId;
    if (accountId) {
      const portal = await (await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 })).newPage();
      await portal.goto(`${api}/portal`);
      await portal.getByLabel('Account ID').fill(accountId);
      await portal.getByLabel('Date of birth').fill(ada.dateOfBirth);
      await Promise.all([portal.waitForURL('**/portal/statement'), portal.getByRole('button', { name: 'Find my statement' }).click()]);
      await portal.goto(`${api}/portal/card-on-file`);
      await shot(portal, '09-portal-card-on-file');
    } else {
      console.log('  (Ada has no statement, so no account id to sign in with: portal screenshot skipped)');
    }

    // 11. The charge run in the Temporal UI.
    if (claimId) {
      const tui = await (await browser.newContext({ viewport: STAFF_VIEWPORT })).newPage();
      await tui.goto(`${ui}/namespaces/default/workflows/card-charge-${charged.authorisationId}-${claimId}`);
      await tui.waitForTimeout(4000);
      await shot(tui, '10-temporal-ui', false);
    }
  } finally {
    await launched.close();
  }
}

main().catch((err: Error) => {
  console.error(`screenshots failed: ${err.message}`);
  process.exit(1);
});
