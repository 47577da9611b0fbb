/**
 * What the screenshot scripts (scripts/*-screenshots.ts) share: a staff sign-in with a demo token, a JSON read of the
 * API as the demo billing user, and a named screenshot in the docs' folder.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';

export const STAFF_VIEWPORT = { width: 1366, height: 860 };
const BILLING = { Authorization: 'Bearer demo-billing-token' };

/** A new browser page signed in to the staff pages at `api` with a demo staff token (on the work queue). */
export async function staffSignIn(browser: Browser, api: string, token: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: STAFF_VIEWPORT, deviceScaleFactor: 1 })).newPage();
  await page.goto(`${api}/staff/sign-in`);
  await page.getByLabel('Staff token').fill(token);
  await Promise.all([page.waitForURL(/\/staff\/queue$/), page.getByRole('button', { name: 'Sign in' }).click()]);
  return page;
}

/** GET `url` as the demo billing user; its JSON. */
export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: BILLING });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return (await res.json()) as T;
}

/** A screenshot function writing `<prefix>-<name>.png` in `outDir`, and saying so. */
export function shooter(outDir: string, prefix: string) {
  return async (page: Page, name: string, fullPage = true): Promise<void> => {
    await page.screenshot({ path: join(outDir, `${prefix}-${name}.png`), fullPage });
    console.log(`  ${prefix}-${name}.png`);
  };
}
