/**
 * The Remittances pages in a real browser (playwright-core driving Debian's chromium) against the real stack: a billing
 * user uploads an 835 with the plain file input (multipart, no script needed), sees the refused file's segment and
 * position, opens a file, finds the claim of an unmatched claim payment by its visit number, and matches it; the
 * claim moves and the page says who matched it. No PHI in any URL visited.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { useTestStack } from '../support/harness';
import { seedScenario } from '../support/fixtures';
import { launchBrowser } from '../support/browser';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/835', name), 'utf8');

describe('remittance pages in a browser', () => {
  const stack = useTestStack();
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  const contexts: BrowserContext[] = [];
  const visited: string[] = [];

  beforeAll(async () => {
    ({ browser, close: closeBrowser } = await launchBrowser());
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await closeBrowser?.();
  });

  async function signIn(token: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('framenavigated', (frame) => {
      if (frame.url().startsWith(stack.apiUrl)) visited.push(frame.url());
    });
    await page.goto(`${stack.apiUrl}/staff/sign-in`);
    await page.getByLabel('Staff token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/staff\/queue$/);
    return page;
  }

  it('uploads (refused, then received), finds the claim by visit number and matches it', async () => {
    const s = await seedScenario(stack.db);
    const page = await signIn(s.tokens.billing);
    await page.getByRole('link', { name: 'Remittances' }).click();
    await page.waitForURL(/\/staff\/remittances$/);

    const input = page.getByLabel('Remittance file (X12 835, up to 5 MB)');
    await input.setInputFiles({ name: 'bad.835', mimeType: 'application/octet-stream', buffer: Buffer.from(fixture('bad-se-count.835')) });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/refused; nothing of it was stored.*segment SE at position \d+/s);

    // The practice billed this claim under another number: the payment arrives unmatched.
    const file = fixture('transfer-to-patient.835').replace('CLP*PFC-1001*', 'CLP*OLD-NUMBER-7*');
    await page.getByLabel('Remittance file (X12 835, up to 5 MB)').setInputFiles({ name: 'era.835', mimeType: 'text/plain', buffer: Buffer.from(file) });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.waitForURL(/\/staff\/remittances\/[0-9a-f-]{36}\?done=received$/);
    expect(await page.getByRole('status').first().textContent()).toContain('File received');
    const row = page.locator('table.data tbody tr', { hasText: 'OLD-NUMBER-7' });
    expect(await row.textContent()).toMatch(/Processed as primary.*\$245\.50.*\$64\.80.*\$68\.10.*Copay.*No matching claim/s);

    await row.getByRole('link', { name: /Match to a claim/ }).click();
    await page.getByLabel('Claim or visit number').fill(s.visitExternalId);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByLabel(s.claimExternalId).check();
    await page.getByRole('button', { name: 'Match to this claim' }).click();
    await page.waitForURL(/\?done=matched#claim-/);
    expect(await page.getByRole('status').first().textContent()).toContain('Claim payment matched');
    const matched = page.locator('table.data tbody tr', { hasText: 'OLD-NUMBER-7' });
    expect(await matched.textContent()).toMatch(/Claim updated.*version 2.*matched by Billing/s);
    expect(await matched.getByRole('link', { name: new RegExp(s.claimExternalId) }).getAttribute('href')).toBe(`/staff/visits/${s.visitId}`);

    const claim = await stack.db('claims').where({ practice_id: s.practiceId, external_id: s.claimExternalId }).first<{ source_version: number; responsibility: string }>();
    expect(claim).toMatchObject({ source_version: 2, responsibility: 'patient' });
    // Ids and the search for a visit's external id only: no name, no date of birth in any address.
    expect(visited.join('\n')).not.toMatch(/Testpatient|Casey|1980/);
  });
});
