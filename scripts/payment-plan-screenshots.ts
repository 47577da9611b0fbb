/**
 * Screenshots of payment plans (issue 18) for docs/card-on-file-and-plans.md, with playwright-core and Debian's chromium
 * against a freshly started local stack (./scripts/stack.sh):
 *   node --import tsx scripts/payment-plan-screenshots.ts [apiUrl] [temporalUiUrl] [outDir]
 * Defaults: http://localhost:3000, http://localhost:8233, docs/screenshots.
 * The front desk saves Ben's card for a year at the superbill of his Oct 5 visit (the stand-in processor's test card),
 * sets up a 3-installment plan of his $125.50 on his patient page, and the plan shows there, in the Temporal UI, and in
 * the portal: his statement (opened before the plan) says the plan pays its visits, and his plan page.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser } from '../test/support/browser';
import { demoPatients } from './demo-data';
import { getJson, shooter, STAFF_VIEWPORT, staffSignIn } from './screenshot-support';

const api = (process.argv[2] ?? 'http://localhost:3000').replace(/\/+$/, '');
const ui = (process.argv[3] ?? 'http://localhost:8233').replace(/\/+$/, '');
const out = process.argv[4] ?? 'docs/screenshots';
const shot = shooter(out, 'plan');

/** A practice-calendar date `days` from today (the demo practice is in Los Angeles). */
const laDate = (days: number) => new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Los_Angeles' }).format(new Date(Date.now() + days * 86_400_000));

async function main() {
  mkdirSync(out, { recursive: true });
  const launched = await launchBrowser();
  const { browser } = launched;
  try {
    // 1. Ben's card, saved at his Oct 5 superbill and authorised for every visit for a year (a plan needs that).
    const desk = await staffSignIn(browser, api, 'demo-front-desk-token');
    await desk.goto(`${api}/staff/patients`);
    await desk.getByRole('link', { name: 'Billing page of Okafor, Ben' }).click();
    const patientUrl = desk.url();
    const patientId = new URL(patientUrl).pathname.split('/').pop()!;
    await desk.getByRole('link', { name: 'Superbill of Oct 5, 2026' }).click();
    await Promise.all([desk.waitForURL(/\/processor\/setup\//), desk.getByRole('button', { name: 'Save a card on file' }).click()]);
    await desk.getByLabel('Card number').fill('4242 4242 4242 4242');
    await Promise.all([desk.waitForURL(/\/card-on-file\/new\?/), desk.getByRole('button', { name: 'Save card' }).click()]);
    await desk.getByLabel('Cap per visit', { exact: true }).fill('200.00');
    await desk.getByLabel(/Every visit for a year/).check();
    await desk.getByLabel(/^email$/).check();
    await desk.getByLabel(/The patient agrees to be charged/).check();
    await Promise.all([desk.waitForURL(/done=card-authorised/), desk.getByRole('button', { name: 'Authorise the card' }).click()]);

    // 2. The patient page: Set up a payment plan (3 monthly installments, the first in two weeks).
    await desk.getByLabel('Number of installments').fill('3');
    await desk.getByLabel('First installment on').fill(laDate(14));
    await desk.locator('#payment-plan').scrollIntoViewIfNeeded();
    await desk.locator('#payment-plan').screenshot({ path: join(out, 'plan-01-staff-setup.png') });
    console.log('  plan-01-staff-setup.png');

    // 3. Set up: the plan's card, its installments and Skip / Pause / Cancel.
    await Promise.all([desk.waitForURL(/done=plan-created/), desk.getByRole('button', { name: 'Set up the payment plan' }).click()]);
    await desk.locator('#payment-plan').scrollIntoViewIfNeeded();
    await shot(desk, '02-staff-plan');

    // 4. The plan's run in the Temporal UI: its summary and current details.
    type Plans = { plans: { planId: string; status: string }[] };
    const plan = (await getJson<Plans>(`${api}/v1/patients/${patientId}/payment-plans`)).plans.find((p) => p.status === 'active');
    if (!plan) throw new Error('the plan was not found through the API');
    const tui = await (await browser.newContext({ viewport: STAFF_VIEWPORT })).newPage();
    await tui.goto(`${ui}/namespaces/default/workflows/payment-plan-${plan.planId}`);
    await tui.waitForTimeout(4000);
    await shot(tui, '03-temporal-ui', false);

    // 5. The portal: Ben's statement (opened before the plan) says the plan pays its visits; his plan page.
    const ben = demoPatients.find((p) => p.firstName === 'Ben')!;
    type Statements = { statements: { patientExternalId: string; accountId: string }[] };
    const accountId = (await getJson<Statements>(`${api}/v1/statements`)).statements.find((st) => st.patientExternalId === ben.externalId)?.accountId;
    if (!accountId) {
      console.log('  (Ben has no statement, so no account id to sign in with: portal screenshots skipped)');
      return;
    }
    const portal = await (await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 })).newPage();
    await portal.goto(`${api}/portal`);
    await portal.getByLabel('Account ID').fill(accountId);
    await portal.getByLabel('Date of birth').fill(ben.dateOfBirth);
    await Promise.all([portal.waitForURL('**/portal/statement'), portal.getByRole('button', { name: 'Find my statement' }).click()]);
    await shot(portal, '04-portal-statement');
    await portal.goto(`${api}/portal/payment-plan`);
    await shot(portal, '05-portal-plan');
  } finally {
    await launched.close();
  }
}

main().catch((err: Error) => {
  console.error(`screenshots failed: ${err.message}`);
  process.exit(1);
});
