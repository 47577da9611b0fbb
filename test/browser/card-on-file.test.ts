/**
 * Card on file on the staff pages in a real browser (playwright-core driving Debian's chromium) against the real stack
 * and the stand-in processor (issue 18; docs/card-on-file-and-plans.md): a front-desk user opens a visit's superbill,
 * presses Save a card on file, types the test card on the processor's own page, comes back to the authorisation form
 * (the card read from the processor; a refused field is said next to it), authorises it, sees it on the patient page's
 * Cards on file, and revokes it. Payflow never receives the card number.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createStandinProcessor } from '../../processor/standin-processor';
import { useTestStack } from '../support/harness';
import { seedScenario } from '../support/fixtures';
import { launchBrowser } from '../support/browser';

/** The stand-in's development token (ehr/standin/app.ts default), which the harness's stand-in uses. */
const DEV_PROCESSOR_TOKEN = 'dev-processor-standin-token-not-for-production';

describe('card on file on the staff pages, in a browser', () => {
  const stack = useTestStack({ worker: false });
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  const contexts: BrowserContext[] = [];
  /** The app with the stand-in processor, on its own port. */
  let server: Server;
  let apiUrl: string;
  /** Every request body the browser sent to payflow: the card number is never one of them. */
  const posted: string[] = [];

  beforeAll(async () => {
    const processor = createStandinProcessor({ baseUrl: `${stack.standin.url}/processor`, token: DEV_PROCESSOR_TOKEN, timeoutMs: 5000 });
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('request', stack.makeApp({ processor, statements: { publicBaseUrl: apiUrl } }));
    ({ browser, close: closeBrowser } = await launchBrowser());
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await closeBrowser?.();
    await new Promise<void>((r) => {
      server?.close(() => r());
      server?.closeAllConnections();
    });
  });

  async function signIn(token: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('request', (r) => {
      if (r.url().startsWith(apiUrl) && r.method() === 'POST') posted.push(`${r.url()} ${r.postData() ?? ''}`);
    });
    await page.goto(`${apiUrl}/staff/sign-in`);
    await page.getByLabel('Staff token').fill(token);
    await Promise.all([page.waitForURL(/\/staff\/queue$/), page.getByRole('button', { name: 'Sign in' }).click()]);
    return page;
  }

  it('front desk saves a card at the superbill, authorises it, sees it on the patient page, and revokes it', async () => {
    const s = await seedScenario(stack.db);
    const page = await signIn(s.tokens.frontDesk);

    // The superbill: Save a card on file, next to Collect Now → the processor's own card-entry page.
    await page.goto(`${apiUrl}/staff/visits/${s.visitId}`);
    await page.getByRole('heading', { name: 'Card on file' }).waitFor();
    await Promise.all([
      page.waitForURL((u) => u.toString().startsWith(`${stack.standin.url}/processor/setup/`), { timeout: 15_000 }),
      page.getByRole('button', { name: 'Save a card on file' }).click(),
    ]);
    expect(new URL(page.url()).searchParams.get('return_url')).toBe(`${apiUrl}/staff/patients/${s.patientId}/card-on-file/new?visitId=${s.visitId}`);
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByLabel('Expiry (MM / YY)').fill('12 / 30');
    await Promise.all([
      page.waitForURL(new RegExp(`/staff/patients/${s.patientId}/card-on-file/new\\?visitId=${s.visitId}&setup_intent=[^&]+&redirect_status=succeeded$`)),
      page.getByRole('button', { name: 'Save card' }).click(),
    ]);

    // The authorisation form: the card as the processor has it.
    await page.getByRole('heading', { level: 1, name: 'Authorise the card on file' }).waitFor();
    expect((await page.locator('#saved-card').textContent())?.trim()).toBe('Visa ending 4242');
    expect(await page.getByLabel(/This visit/).isChecked()).toBe(true);
    // Without a cap and without the patient's agreement: refused, each error next to its field; nothing stored.
    await page.getByLabel('Cap per visit', { exact: true }).fill('12.345');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Authorise the card' }).click()]);
    await page.locator('#cap-error').waitFor();
    expect(await page.locator('#cap-error').textContent()).toContain('Enter the cap in dollars and cents');
    expect(await page.getByLabel('Cap per visit', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#agreed-error').textContent()).toContain('The patient must agree');
    expect(await stack.db('card_authorisations').where({ patient_id: s.patientId })).toHaveLength(0);

    await page.getByLabel('Cap per visit', { exact: true }).fill('100.00');
    await page.getByLabel(/Text message/i).check();
    await page.getByLabel(/The patient agrees to be charged/).check();
    await Promise.all([page.waitForURL(new RegExp(`/staff/patients/${s.patientId}\\?done=card-authorised$`)), page.getByRole('button', { name: 'Authorise the card' }).click()]);

    // The patient page: Cards on file.
    await page.getByRole('status').filter({ hasText: 'Card on file authorised' }).waitFor();
    const row = page.locator('section[aria-labelledby="cards-h"] tbody tr').first();
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('Visa ending 4242');
    expect(text).toContain('$100.00');
    expect(text).toContain('one visit');
    expect(text).toContain('text message');
    expect(text).toMatch(/active/);
    const [stored] = await stack.db('card_authorisations').where({ patient_id: s.patientId });
    expect(stored).toMatchObject({ cap_cents: 10_000, scope: 'visit', visit_id: s.visitId, notice_channel: 'text', created_via: 'front_desk', revoked_at: null });

    // Revoke.
    await Promise.all([page.waitForURL(new RegExp(`/staff/patients/${s.patientId}\\?done=card-revoked$`)), row.getByRole('button', { name: /Revoke/ }).click()]);
    await page.getByRole('status').filter({ hasText: 'Card authorisation revoked' }).waitFor();
    const after = (await page.locator('section[aria-labelledby="cards-h"] tbody tr').first().textContent()) ?? '';
    expect(after).toMatch(/revoked/);
    expect(await page.locator('section[aria-labelledby="cards-h"]').getByRole('button', { name: /Revoke/ }).count()).toBe(0);
    const revoked = await stack.db('card_authorisations').where({ id: stored.id }).first();
    expect(revoked.revoked_at).not.toBeNull();
    expect(revoked.revoked_by).toMatch(/^staff:/);

    // The card number went to the processor only.
    expect(posted.length).toBeGreaterThan(0);
    expect(posted.join('\n')).not.toMatch(/4242\+?4242|42424242/);
  });
});
