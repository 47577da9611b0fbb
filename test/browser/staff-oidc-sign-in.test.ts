/**
 * Staff sign-in in a real browser (playwright-core driving Debian's chromium) through the local OpenID provider (idp/,
 * a child process): the sign-in page's button → the provider's own login page (email + password) → back to payflow →
 * the work queue, with the SameSite=Strict session cookie; and an identity no staff member has ends on the clear
 * "Ask your practice admin to invite you" page.
 */
import type { Browser } from 'playwright-core';
import { useTestStack } from '../support/harness';
import { launchBrowser } from '../support/browser';
import { startOidcContext, TEST_IDP_PASSWORD, type OidcTestContext } from '../support/idp';
import { upsertStaff } from '../../db/queries/staff';

const DOMAIN = 'browser-clinic.example';

describe('staff sign-in with the identity provider, in a browser', () => {
  const stack = useTestStack();
  let ctx: OidcTestContext;
  let browser: Browser;
  let closeBrowser: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ctx = await startOidcContext(stack, {
      externalId: 'browser-practice', domain: DOMAIN,
      users: [{ email: `bill@${DOMAIN}`, name: 'Bill' }, { email: `newcomer@${DOMAIN}`, name: 'Newcomer' }],
    });
    await upsertStaff(stack.db, { practiceId: ctx.practice.id, displayName: 'Bill (billing)', role: 'billing', token: 'browser-test-bill-token-01', email: `bill@${DOMAIN}` });
    ({ browser, close: closeBrowser } = await launchBrowser());
  }, 60_000);
  afterAll(async () => {
    await closeBrowser?.();
    await ctx?.stop();
  });

  async function throughLoginPage(email: string) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${ctx.apiUrl}/staff/sign-in?practice=${ctx.practice.externalId}`);
    await page.getByRole('link', { name: "Sign in with your practice's identity provider" }).click();
    await page.waitForURL((url) => url.href.startsWith(`${ctx.idp.issuer}/interaction/`));
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(TEST_IDP_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    return { context, page };
  }

  it('signs in on the provider login page and lands on the work queue', async () => {
    const { context, page } = await throughLoginPage(`bill@${DOMAIN}`);
    await page.waitForURL(`${ctx.apiUrl}/staff/queue`, { timeout: 20_000 });
    expect(await page.locator('h1').first().textContent()).toMatch(/work queue/i);
    expect(await page.content()).toContain('Bill');
    const cookie = (await context.cookies(`${ctx.apiUrl}/staff/queue`)).find((c) => c.name === 'pf_staff');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/staff' });
    await context.close();
  });

  it('an identity no staff member has: "Ask your practice admin to invite you"', async () => {
    const { context, page } = await throughLoginPage(`newcomer@${DOMAIN}`);
    await page.waitForURL((url) => url.href.startsWith(`${ctx.apiUrl}/staff/oidc/callback`));
    expect(await page.locator('h1').textContent()).toBe('Ask your practice admin to invite you');
    expect((await context.cookies(`${ctx.apiUrl}/staff/queue`)).find((c) => c.name === 'pf_staff')).toBeUndefined();
    await context.close();
  });
});
