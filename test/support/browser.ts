/** Browser tests: playwright-core driving Debian's Chromium (installed by scripts/ensure-chromium.sh), with a
 *  fresh temporary profile per launch (Playwright's default). */
import { chromium, type Browser } from 'playwright-core';

export async function launchBrowser(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}
