/**
 * Screenshots of the Temporal UI for docs/operations.md, taken against a running local stack:
 *   API_URL=http://localhost:3000 UI_URL=http://localhost:8233 EHR_URL=http://localhost:3100 npx tsx scripts/screenshots.ts
 * Creates a few copay collections in different states through the API and the EHR stand-in (demo data), signs in to
 * the codec endpoint as an engineer, points the UI's codec settings at it with "include cross-origin credentials",
 * and saves: the runs filtered by path and status, a run's summary and details, its decoded payloads, and the same
 * run seen without the credential (ciphertext).
 * Uses playwright-core with Debian's Chromium (test/support/browser.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/support/browser';

const API = process.env.API_URL ?? 'http://localhost:3000';
const UI = process.env.UI_URL ?? 'http://localhost:8233';
const EHR = process.env.EHR_URL ?? 'http://localhost:3100';
const ENGINEER_TOKEN = process.env.ENGINEER_TOKEN ?? 'dev-engineer-codec-token';
const OUT = join(__dirname, '../docs/screenshots');
const staff = (role: 'front-desk' | 'billing') => ({ Authorization: `Bearer demo-${role}-token`, 'Content-Type': 'application/json' });

async function call<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface Started { collectionId: string; workflowId: string; paymentRequest: { requestId: string } }

/** Collect Now on a demo visit (by external id), optionally captured at `paidAt`. */
async function collect(visitExternalId: string, amountCents: number, paidAt?: string): Promise<Started> {
  const { patients } = await call<{ patients: { patientId: string }[] }>(`${API}/v1/patients`, { headers: staff('front-desk') });
  for (const p of patients) {
    const { visits } = await call<{ visits: { visitId: string; externalId: string }[] }>(`${API}/v1/patients/${p.patientId}/visits`, { headers: staff('front-desk') });
    const visit = visits.find((v) => v.externalId === visitExternalId);
    if (!visit) continue;
    const started = await call<Started>(`${API}/v1/visits/${visit.visitId}/copay-collections`, { method: 'POST', headers: staff('front-desk'), body: JSON.stringify({ amountCents }) });
    if (paidAt) {
      await call(`${EHR}/api/payment-requests/${started.paymentRequest.requestId}/capture`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: 'card', paidAt }),
      }).catch(() => undefined); // already captured on a second run of this script
    }
    return started;
  }
  throw new Error(`no demo visit ${visitExternalId}: is this the local stack with demo data?`);
}

async function settle(page: Page, ms = 1500) {
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.waitForTimeout(ms);
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  // Runs in several states (demo visits: v-2001 and v-2005 still with the payer; v-2002, v-2003, v-2004 with the patient).
  const waitingTransfer = await collect('v-2001', 2500, '2026-11-20T10:05:00-08:00'); // awaiting_transfer, day 1 of 120
  await collect('v-2005', 3000); // awaiting_capture
  await collect('v-2002', 2500, '2026-09-14T09:30:00-07:00'); // applied (claim already with the patient)
  await collect('v-2003', 4000, '2026-10-06T09:00:00-07:00'); // date_mismatch → needs_attention
  await collect('v-2004', 2000, '2026-08-22T11:00:00-07:00'); // paid in full by the payer → credit_remaining
  await new Promise((r) => setTimeout(r, 3000));

  const launched = await launchBrowser();
  const { browser } = launched;
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 960 }, timezoneId: 'America/Los_Angeles' });
    const page = await context.newPage();

    // 1. Sign in to the codec endpoint (the cookie the UI will send with "include cross-origin credentials").
    await page.goto(`${API}/codec/session`);
    await page.fill('input[name=token]', ENGINEER_TOKEN);
    await Promise.all([page.waitForLoadState('load'), page.click('form[action="/codec/session"] button')]);
    if (!(await page.textContent('body'))?.includes('Signed in')) throw new Error('codec sign-in failed');

    // 2. The UI's codec settings: this browser's endpoint, with credentials.
    await page.goto(`${UI}/namespaces/default/workflows`);
    await settle(page);
    await page.click('[data-testid^="data-encoder-status"]');
    await settle(page, 500);
    await configureCodec(page);

    // 3. Runs filtered by path and status.
    const query = 'PayflowPath = "copay" AND PayflowStatus = "needs_attention"';
    await page.goto(`${UI}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    await settle(page, 2500);
    await page.screenshot({ path: join(OUT, 'temporal-ui-filter-path-status.png') });

    // 4. A run: its summary, current details and activity summaries (User Metadata tab).
    const runUrl = `${UI}/namespaces/default/workflows/${encodeURIComponent(waitingTransfer.workflowId)}`;
    await page.goto(runUrl);
    await settle(page, 3000);
    await page.getByRole('link', { name: 'User Metadata' }).or(page.getByText('User Metadata', { exact: true })).first().click();
    await settle(page, 2500);
    await page.screenshot({ path: join(OUT, 'temporal-ui-run-summary.png') });

    // 5. Decoded payloads: the run's input, the event history with activity summaries, one activity's decoded input.
    await page.goto(runUrl);
    await settle(page, 3000);
    await page.screenshot({ path: join(OUT, 'temporal-ui-decoded-payloads.png') });
    const row = page.locator('[data-testid=event-summary-row]', { hasText: 'recordCapturedPayment' }).first();
    await row.scrollIntoViewIfNeeded();
    await row.click();
    await settle(page, 2500);
    await row.evaluate((el) => (el as unknown as { scrollIntoView(o: unknown): void }).scrollIntoView({ block: 'start' }));
    await page.evaluate('window.scrollBy(0, -140); document.querySelectorAll("*").forEach((e) => { if (e.scrollLeft) e.scrollLeft = 0; })');
    await settle(page, 500);
    await page.screenshot({ path: join(OUT, 'temporal-ui-decoded-activity-input.png') });

    // 6. The same run for someone without the engineer credential: ciphertext (the codec endpoint answers 401).
    const stranger = await browser.newContext({ viewport: { width: 1440, height: 960 } });
    const other = await stranger.newPage();
    await other.goto(runUrl);
    await settle(other, 3500);
    await other.screenshot({ path: join(OUT, 'temporal-ui-encrypted-without-credential.png') });
    await stranger.close();
    process.stdout.write(`screenshots written to ${OUT}\n`);
  } finally {
    await launched.close();
  }
}

/**
 * The UI's Codec Server drawer: "Use my browser setting…", our endpoint, "Include cross-origin credentials", Apply.
 * (The cluster-level endpoint comes from --ui-codec-endpoint, but its include-credentials flag cannot be set there.)
 */
async function configureCodec(page: Page) {
  await page.getByRole('button', { name: /Use Cluster-level setting/ }).click();
  await page.getByText(/browser setting/i).first().click();
  await page.getByPlaceholder('Paste your endpoint here').fill(`${API}/codec`);
  // The drawer sits under the sticky top bar once scrolled: set the toggle directly.
  const toggle = page.getByLabel('Include cross-origin credentials');
  if (!(await toggle.isChecked())) await toggle.evaluate((el) => (el as unknown as { click(): void }).click());
  if (!(await toggle.isChecked())) throw new Error('could not tick "Include cross-origin credentials"');
  await page.getByRole('button', { name: 'Apply' }).evaluate((el) => (el as unknown as { click(): void }).click());
  await settle(page, 500);
}

main().catch((err: Error) => {
  console.error(`screenshots failed: ${err.message}`);
  process.exit(1);
});
