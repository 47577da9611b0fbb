/**
 * The whole patient journey in a real browser (playwright-core driving Debian's Chromium), on a real Temporal server
 * and real PostgreSQL: billing generates a statement → the patient opens the portal, signs in with the keyboard
 * (account id + date of birth), sees first name, lines and total → pays part of it → the stand-in's hosted payment
 * page → back to our receipt once the capture is recorded → pays the rest on a laptop-width screen → the ledger lists
 * the applications oldest first, and the statement ends paid.
 */
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { launchBrowser } from '../support/browser';
import { useTestStack } from '../support/harness';
import { generateStatement, seedStatementScenario, startPortalApp, statementWhen } from '../support/statement-driver';

const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };

async function noHorizontalScroll(page: Page): Promise<void> {
  const { scroll, client } = await page.evaluate<{ scroll: number; client: number }>('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })');
  expect(scroll).toBeLessThanOrEqual(client);
}

describe('patient journey in the browser', () => {
  const stack = useTestStack();
  let portal: Awaited<ReturnType<typeof startPortalApp>>;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  beforeAll(async () => {
    portal = await startPortalApp(stack, { reminderIntervalMs: 60 * 60_000 });
    ({ browser, close: closeBrowser } = await launchBrowser());
  });
  afterAll(async () => {
    await closeBrowser?.();
    await portal?.close();
  });

  it('statement → portal → lookup → pay on the payment page → receipt; the ledger shows the applications oldest first', async () => {
    const s = await seedStatementScenario(stack.db, { paymentPageUrl: `${stack.standin.url}/hosted-pay`, firstName: 'Ada' });
    const statement = await generateStatement(portal.app, s);

    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    try {
      await page.goto(`${portal.url}/portal`);
      expect(await page.title()).toContain('Find your statement');
      await noHorizontalScroll(page);

      // Keyboard only: the skip link first, then the fields in reading order, Enter submits.
      await page.keyboard.press('Tab');
      expect(await page.evaluate<string>('document.activeElement.textContent')).toBe('Skip to main content');
      await page.keyboard.press('Tab');
      expect(await page.evaluate<string>('document.activeElement.id')).toBe('accountId');
      await page.keyboard.type(s.accountId.toLowerCase());
      await page.keyboard.press('Tab');
      expect(await page.evaluate<string>('document.activeElement.id')).toBe('dateOfBirth');
      const [y, m, d] = s.dateOfBirth.split('-');
      await page.keyboard.type(`${m}${d}${y}`);
      // Labels name the fields.
      expect(await page.getByLabel('Account ID').inputValue()).toBe(s.accountId.toLowerCase());
      expect(await page.getByLabel('Date of birth').inputValue()).toBe(s.dateOfBirth);
      await Promise.all([page.waitForURL('**/portal/statement'), page.keyboard.press('Enter')]);

      // The minimum necessary: first name, the lines, what is due.
      await page.getByRole('heading', { name: 'Hello, Ada' }).waitFor();
      const main = await page.locator('main').innerText();
      expect(main).toContain('Office visit, moderate complexity');
      expect(main).toContain('$170.50');
      expect(main).not.toContain('Testington');
      expect(main).not.toContain(s.accountId);
      await noHorizontalScroll(page);

      // Part of it: $100.00.
      const amount = page.getByLabel('Amount to pay');
      expect(await amount.inputValue()).toBe('170.50');
      await amount.fill('100.00');
      await Promise.all([page.waitForURL(`${stack.standin.url}/hosted-pay?**`), page.getByRole('button', { name: 'Continue to payment' }).click()]);
      expect(page.url()).not.toContain(s.accountId);
      await page.getByRole('heading', { name: 'Pay Harbor Family Clinic' }).waitFor();
      await Promise.all([page.waitForURL(`${portal.url}/portal/receipt?**`), page.getByRole('button', { name: 'Pay $100.00' }).click()]);

      // The receipt, once the capture is recorded (the page refreshes itself until then).
      await page.getByRole('heading', { name: 'Thank you: payment received' }).waitFor({ timeout: 20_000 });
      const receipt = await page.locator('dl.receipt').innerText();
      expect(receipt).toContain('$100.00');
      expect(receipt).toMatch(/Confirmation number\s+pay_[0-9a-f]+/);
      expect(receipt).toMatch(/Balance still due\s+\$70\.50/);
      await noHorizontalScroll(page);

      // The rest, on a laptop.
      await page.setViewportSize(LAPTOP);
      await page.getByRole('link', { name: 'Back to your statement' }).click();
      await page.getByText('Balance due now').waitFor();
      expect(await page.getByLabel('Amount to pay').inputValue()).toBe('70.50');
      await Promise.all([page.waitForURL(`${stack.standin.url}/hosted-pay?**`), page.getByRole('button', { name: 'Continue to payment' }).click()]);
      await Promise.all([page.waitForURL(`${portal.url}/portal/receipt?**`), page.getByRole('button', { name: 'Pay $70.50' }).click()]);
      await page.getByRole('heading', { name: 'Thank you: payment received' }).waitFor({ timeout: 20_000 });
      await page.getByRole('link', { name: 'Back to your statement' }).click();
      await page.getByText('This statement is paid in full. Thank you.').waitFor({ timeout: 20_000 });
    } finally {
      await context.close();
    }

    const paid = await statementWhen(portal.app, s, statement.statementId, (b) => b.status === 'paid', 'paid');
    expect(paid).toMatchObject({ dueCents: 0, paidCents: 17050 });
    // The ledger: each payment's applications, the oldest date of service first.
    const ledger = await request(portal.app).get(`/v1/patients/${s.patientId}/payments`).set(s.auth('billing')).expect(200);
    expect(ledger.body.payments.map((p: any) => [p.amountCents, p.reason, p.applications.map((a: any) => [a.claimId, a.amountCents])])).toEqual([
      [10000, 'outstanding_balance', [[s.claimIds[0], 4500], [s.claimIds[1], 5500]]],
      [7050, 'outstanding_balance', [[s.claimIds[1], 7050]]],
    ]);
  });

  it('shows a friendly, accessible error for a failed lookup and a refused amount', async () => {
    const s = await seedStatementScenario(stack.db, { paymentPageUrl: `${stack.standin.url}/hosted-pay` });
    await generateStatement(portal.app, s);
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    try {
      await page.goto(`${portal.url}/portal`);
      await page.getByLabel('Account ID').fill(s.accountId);
      await page.getByLabel('Date of birth').fill('1999-01-01');
      await page.getByRole('button', { name: 'Find my statement' }).click();
      await page.getByRole('alert').getByText('We could not find your statement').waitFor();

      await page.getByLabel('Account ID').fill('nope');
      await page.getByRole('button', { name: 'Find my statement' }).click();
      const alert = page.getByRole('alert');
      expect(await alert.innerText()).toContain('Enter the account ID as printed on your statement');
      // The summary links to the field; the field says what is wrong.
      await alert.getByRole('link', { name: /account ID as printed/ }).click();
      expect(await page.evaluate<string>('document.activeElement.id')).toBe('accountId');
      expect(await page.getByLabel('Account ID').getAttribute('aria-invalid')).toBe('true');

      await page.getByLabel('Account ID').fill(s.accountId);
      await page.getByLabel('Date of birth').fill(s.dateOfBirth);
      await page.getByRole('button', { name: 'Find my statement' }).click();
      await page.getByLabel('Amount to pay').fill('500');
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      expect(await page.getByRole('alert').innerText()).toContain('no more than the balance due, $170.50');
      expect(page.url()).toBe(`${portal.url}/portal/pay`);
    } finally {
      await context.close();
    }
  });
});
