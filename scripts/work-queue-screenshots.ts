/**
 * Screenshots of the staff pages for docs/work-queue.md, taken with playwright-core and Debian's chromium against a
 * freshly started local stack (it walks the demo: resolves the flagged copay, shows a conflict, starts collections).
 *   node node_modules/tsx/dist/cli.mjs scripts/work-queue-screenshots.ts [apiUrl] [temporalUiUrl] [outDir]
 * Defaults: http://localhost:3000, http://localhost:8233, docs/screenshots.
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { shooter, STAFF_VIEWPORT, staffSignIn } from './screenshot-support';

const api = process.argv[2] ?? 'http://localhost:3000';
const ui = process.argv[3] ?? 'http://localhost:8233';
const out = process.argv[4] ?? 'docs/screenshots';
const VIEWPORT = STAFF_VIEWPORT;
const shot = shooter(out, 'work-queue');
const signIn = (browser: Browser, token: string) => staffSignIn(browser, api, token);

async function main() {
  mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    // Sign-in.
    const anon = await (await browser.newContext({ viewport: VIEWPORT })).newPage();
    await anon.goto(`${api}/staff/sign-in`);
    await shot(anon, '01-sign-in', false);

    // The queue, as billing.
    const billing = await signIn(browser, 'demo-billing-token');
    await shot(billing, '02-queue');

    // Reports, while the demo's tasks and credits are open.
    await billing.goto(`${api}/staff/reports`);
    await shot(billing, '11-reports');
    await billing.goto(`${api}/staff/queue`);

    // The flagged copay: the task, the form validating as you type.
    const dateMismatch = billing.locator('table.queue tbody tr', { hasText: 'Patel, Dev' });
    const taskHref = await dateMismatch.getByRole('link', { name: /Open/ }).getAttribute('href');
    if (!taskHref) throw new Error('the demo date_mismatch task is not in the queue (resolved already? start from a fresh data dir)');
    await billing.goto(`${api}${taskHref}`);
    await billing.getByLabel(/Apply to the patient's claims/).check();
    await billing.getByLabel(/Amount to apply to the claim of Nov 27, 2026/).fill('45');
    await billing.getByLabel('Note').fill('Patient confirmed the copay was for the Nov 27 visit');
    await billing.locator('#resolve-live').scrollIntoViewIfNeeded();
    await shot(billing, '03-task-validation');
    await billing.getByLabel(/Amount to apply to the claim of Nov 27, 2026/).fill('30.00');

    // Front desk sees the same task without the form.
    const frontDesk = await signIn(browser, 'demo-front-desk-token');
    await frontDesk.goto(`${api}${taskHref}`);
    await shot(frontDesk, '04-task-front-desk');

    // Resolve.
    await Promise.all([billing.waitForURL(/done=resolved$/), billing.getByRole('button', { name: 'Resolve task' }).click()]);
    await shot(billing, '05-task-resolved');
    const workflowId = (await billing.locator('code').first().textContent())?.trim();

    // The run in the Temporal UI: completed.
    if (workflowId) {
      const tui = await (await browser.newContext({ viewport: VIEWPORT })).newPage();
      await tui.goto(`${ui}/namespaces/default/workflows/${workflowId}`);
      await tui.waitForTimeout(4000);
      await shot(tui, '06-temporal-ui-completed', false);
    }

    // Two people, one task: the credit (Chloe's overdue copay credit) resolved by someone else first.
    await billing.goto(`${api}/staff/queue`);
    const creditHref = await billing.locator('table.queue tbody tr', { hasText: 'Nguyen, Chloe' }).getByRole('link', { name: /Open/ }).getAttribute('href');
    if (creditHref) {
      const admin = await signIn(browser, 'demo-admin-token');
      await Promise.all([billing.goto(`${api}${creditHref}`), admin.goto(`${api}${creditHref}`)]);
      await admin.getByLabel(/Refund to the patient/).check();
      await admin.getByLabel('Note').fill('Refund: the payer paid this visit in full');
      await Promise.all([admin.waitForURL(/done=resolved$/), admin.getByRole('button', { name: 'Resolve task' }).click()]);
      await billing.getByLabel(/Keep as credit/).check();
      await billing.getByLabel('Note').fill('Keep on account for the next visit');
      await Promise.all([billing.waitForLoadState('load'), billing.getByRole('button', { name: 'Resolve task' }).click()]);
      await billing.getByText('Someone else got there first').waitFor();
      await shot(billing, '07-conflict');
    }

    // The patient billing page (Balance pane, Collect Now) and a superbill (Copayment Collected, Collect Now).
    await billing.goto(`${api}/staff/patients`);
    await billing.getByRole('link', { name: 'Billing page of Reyes, Ada' }).click();
    await shot(billing, '08-patient-billing-page');
    await billing.getByRole('link', { name: 'Superbill of Nov 20, 2026' }).click();
    await billing.getByLabel('Copay amount').fill('25.00');
    await shot(billing, '09-superbill-copay-panel');
    await Promise.all([billing.waitForURL(/started=/), billing.getByRole('button', { name: 'Collect Now' }).click()]);
    await shot(billing, '10-collection-process-payment');

  } finally {
    await browser.close();
  }
}

main().catch((err: Error) => {
  console.error(`screenshots failed: ${err.message}`);
  process.exit(1);
});
