/**
 * Screenshots of the patient portal for docs/statements-and-portal.md, at phone (390 px) and laptop (1280 px) width,
 * taken against a running local stack (./scripts/stack.sh):
 *   API_URL=http://localhost:3000 npx tsx scripts/portal-screenshots.ts
 * Uses the demo statements (Ben's: two visits, three lines) and pays small parts of it on the stand-in's hosted
 * payment page, so the demo keeps a balance. Then "why you owe" (issue 16): the golden 835 moves Dev's claim, still with
 * the payer, to Dev; Dev's statement then shows the payer's reasons in plain words under the claim.
 * Playwright-core with Debian's Chromium (test/support/browser.ts).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../test/support/browser';
import { demoPatients } from './demo-data';

const API = (process.env.API_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
const OUT = join(__dirname, '../docs/screenshots');
const WIDTHS = { phone: { width: 390, height: 844 }, laptop: { width: 1280, height: 800 } } as const;

async function demoAccount(firstName: string): Promise<{ accountId: string; dateOfBirth: string }> {
  const res = await fetch(`${API}/v1/statements?status=open`, { headers: { Authorization: 'Bearer demo-billing-token' } });
  if (!res.ok) throw new Error(`GET /v1/statements answered ${res.status}`);
  const { statements } = (await res.json()) as { statements: { patientExternalId: string; accountId: string }[] };
  const patient = demoPatients.find((p) => p.firstName === firstName)!;
  const statement = statements.find((s) => s.patientExternalId === patient.externalId);
  if (!statement) throw new Error(`no open demo statement for ${firstName}: start a fresh stack (delete its data folder)`);
  return { accountId: statement.accountId, dateOfBirth: patient.dateOfBirth };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  console.log(`docs/screenshots/${name}.png`);
}

async function signIn(page: Page, account: { accountId: string; dateOfBirth: string }): Promise<void> {
  await page.getByLabel('Account ID').fill(account.accountId);
  await page.getByLabel('Date of birth').fill(account.dateOfBirth);
  await Promise.all([page.waitForURL('**/portal/statement'), page.getByRole('button', { name: 'Find my statement' }).click()]);
}

async function journey(browser: Browser, width: keyof typeof WIDTHS, account: { accountId: string; dateOfBirth: string }, pay: string): Promise<void> {
  const context = await browser.newContext({ viewport: WIDTHS[width], deviceScaleFactor: width === 'phone' ? 2 : 1 });
  const page = await context.newPage();
  try {
    await page.goto(`${API}/portal`);
    await shot(page, `portal-1-lookup-${width}`);
    await page.getByLabel('Account ID').fill(account.accountId);
    await page.getByLabel('Date of birth').fill('2001-01-01');
    await page.getByRole('button', { name: 'Find my statement' }).click();
    await page.getByRole('alert').waitFor();
    await shot(page, `portal-2-lookup-failed-${width}`);
    await signIn(page, account);
    await shot(page, `portal-3-statement-${width}`);
    await page.getByLabel('Amount to pay').fill(pay);
    await Promise.all([page.waitForURL('**/hosted-pay?**'), page.getByRole('button', { name: 'Continue to payment' }).click()]);
    await shot(page, `portal-4-payment-page-${width}`);
    await Promise.all([page.waitForURL('**/portal/receipt?**'), page.getByRole('button', { name: /^Pay \$/ }).click()]);
    await page.getByRole('heading', { name: 'Thank you: payment received' }).waitFor({ timeout: 30_000 });
    await shot(page, `portal-5-receipt-${width}`);
    await page.goto(`${API}/portal/statement/print`);
    await shot(page, `portal-6-printable-statement-${width}`);
    if (width === 'laptop') {
      // As printed (the print stylesheet): a letter-size PDF.
      await page.pdf({ path: join(OUT, 'portal-statement-printed.pdf'), format: 'Letter', printBackground: true });
      console.log('docs/screenshots/portal-statement-printed.pdf');
    }
  } finally {
    await context.close();
  }
}

const BILLING = { Authorization: 'Bearer demo-billing-token' };

async function call(path: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(`${API}${path}`, { ...init, headers: { ...BILLING, ...init.headers } });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path.split('?')[0]} answered ${res.status}`);
  return res.json();
}

/**
 * Dev's claim (c-3005, still with the payer in the demo data) adjudicated by the golden 835 (copay, deductible,
 * coinsurance), and Dev's statement for this cycle: a statement whose claim has reasons. Safe to run again: the same
 * bytes are a duplicate, and the open statement is answered as it is.
 */
async function whyYouOweAccount(): Promise<{ accountId: string; dateOfBirth: string }> {
  const dev = demoPatients.find((p) => p.firstName === 'Dev')!;
  const file = readFileSync(join(__dirname, '../test/fixtures/835/transfer-to-patient.835'), 'utf8').replace('CLP*PFC-1001*', 'CLP*c-3005*');
  await call('/v1/remittances', { method: 'POST', body: file, headers: { 'Content-Type': 'application/edi-x12' } });
  const { patients } = (await call(`/v1/patients?externalId=${dev.externalId}`)) as { patients: { patientId: string }[] };
  const statement = (await call(`/v1/patients/${patients[0]!.patientId}/statements`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } })) as { accountId: string };
  return { accountId: statement.accountId, dateOfBirth: dev.dateOfBirth };
}

/** Dev's statement page: the reasons under the claim. */
async function whyYouOwe(browser: Browser, width: keyof typeof WIDTHS, account: { accountId: string; dateOfBirth: string }): Promise<void> {
  const context = await browser.newContext({ viewport: WIDTHS[width], deviceScaleFactor: width === 'phone' ? 2 : 1 });
  const page = await context.newPage();
  try {
    await page.goto(`${API}/portal`);
    await signIn(page, account);
    await shot(page, `portal-7-why-you-owe-${width}`);
  } finally {
    await context.close();
  }
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const ben = await demoAccount('Ben');
  const launched = await launchBrowser();
  try {
    await journey(launched.browser, 'phone', ben, '25.00');
    await journey(launched.browser, 'laptop', ben, '10.00');
    const dev = await whyYouOweAccount();
    for (const width of ['phone', 'laptop'] as const) await whyYouOwe(launched.browser, width, dev);
  } finally {
    await launched.close();
  }
}

main().catch((err: Error) => {
  console.error(`portal screenshots failed: ${err.message}`);
  process.exit(1);
});
