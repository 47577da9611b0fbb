/**
 * Screenshots of what reaches patients (issue 17) for docs/statements-and-portal.md, with playwright-core and Debian's
 * chromium against a running local stack: the local SMTP server's inbox, a statement email (its pay link and PDF), the
 * receipt, the text inbox of the SMS stand-in, and the print-and-mail stand-in's letters (when there are any).
 *   node node_modules/tsx/dist/cli.mjs scripts/message-screenshots.ts [inboxUrl] [standinUrl] [outDir]
 * Defaults: http://localhost:8025, http://localhost:3100, docs/screenshots.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

const inbox = process.argv[2] ?? 'http://localhost:8025';
const standin = process.argv[3] ?? 'http://localhost:3100';
const out = process.argv[4] ?? 'docs/screenshots';
const VIEWPORT = { width: 1280, height: 860 };

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(out, `messages-${name}.png`), fullPage: true });
  console.log(`  messages-${name}.png`);
}

async function main() {
  mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const page = await (await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 })).newPage();
    await page.goto(`${inbox}/`);
    await shot(page, '1-email-inbox');
    // The newest statement email: its HTML body, the pay link and the PDF attachment.
    const first = page.locator('a[href*="/messages/"]', { hasText: 'statement' }).first();
    if ((await first.count()) === 0) throw new Error('no statement email in the inbox: start the stack (its demo statements send emails) and wait a few seconds');
    await first.click();
    await page.waitForLoadState('networkidle');
    await shot(page, '2-statement-email');
    await page.goto(`${inbox}/`);
    const receipt = page.locator('a[href*="/messages/"]', { hasText: 'receipt' }).first();
    if ((await receipt.count()) > 0) {
      await receipt.click();
      await page.waitForLoadState('networkidle');
      await shot(page, '3-receipt-email');
    }
    await page.goto(`${standin}/sms/inbox`);
    await shot(page, '4-text-inbox');
    // Letters only when a demo patient has a mailing address of record (the demo data has none yet).
    await page.goto(`${standin}/print-mail`);
    if (!(await page.getByText('No letters yet').count())) await shot(page, '5-letters');
  } finally {
    await browser.close();
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
