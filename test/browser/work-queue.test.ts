/**
 * The staff pages in a real browser (playwright-core driving Debian's chromium) against the real stack (Temporal,
 * PostgreSQL, the worker, the EHR stand-in): a billing user resolves a date_mismatch copay end to end; two billing
 * users resolve one task at the same moment; a front-desk user sees no resolve form and is refused by the server;
 * Collect Now on the superbill and on the patient page opens the EHR payment request pre-filled; the CSV download.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { useTestStack } from '../support/harness';
import { seedScenario } from '../support/fixtures';
import { launchBrowser } from '../support/browser';
import { addClaim, appliedByClaim } from '../support/balance-driver';
import { upsertStaff } from '../../db/queries/staff';
import { flaggedCopay, parseCsv, runResult, taskRow } from '../integration/work-queue-support';

/** Waits until the locator's text matches (jest has no Playwright matchers), then returns it. */
async function textOf(locator: Locator, want?: string | RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = ((await locator.count()) > 0 ? await locator.first().textContent() : null) ?? '';
    const ok = want === undefined || (typeof want === 'string' ? text.trim() === want : want.test(text));
    if (ok || Date.now() > deadline) {
      if (typeof want === 'string') expect(text.trim()).toBe(want);
      else if (want !== undefined) expect(text).toMatch(want);
      return text;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
const activeId = (page: Page) => page.evaluate<string>('document.activeElement ? document.activeElement.id : ""');
const activeText = (page: Page) => page.evaluate<string>('document.activeElement ? document.activeElement.textContent : ""');

describe('staff pages in a browser', () => {
  const stack = useTestStack();
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  const contexts: BrowserContext[] = [];
  /** Every URL the browser visited on our API: none may carry PHI. */
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
    await page.goto(`${stack.apiUrl}/staff`);
    await page.waitForURL(/\/staff\/sign-in$/);
    await page.getByLabel('Staff token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/staff\/queue$/);
    return page;
  }

  it('a billing user finds the flagged copay, resolves it with the keyboard, and the ledger and the workflow show it', async () => {
    const f = await flaggedCopay(stack, { copayCents: 2500, responsibilityCents: 4500 });
    const page = await signIn(f.s.tokens.billing);

    // The queue: counts by reason, the task with its credit age against the refund deadline.
    await textOf(page.getByRole('heading', { level: 1 }), 'Work queue');
    const chip = page.getByRole('list', { name: 'Open tasks by reason' }).getByRole('link', { name: /Date of payment ≠ date of service/ });
    expect(await chip.textContent()).toMatch(/1\s*open/);
    const row = page.locator('table.queue tbody tr', { hasText: 'Testpatient, Casey' });
    expect(await row.textContent()).toMatch(/\$25\.00/);
    expect(await row.textContent()).toMatch(/days? old · \d+ days? left|overdue/);
    await row.getByRole('link', { name: /Open/ }).click();
    await page.waitForURL(new RegExp(`/staff/tasks/${f.taskId}$`));

    // The task: payment, visit, the patient's open claims; the form validates as you type.
    await textOf(page.getByRole('heading', { level: 1 }), /Date of payment ≠ date of service/);
    expect(await page.locator('#payment-h + dl').textContent()).toContain('not the date of service');
    await page.getByLabel(/Apply to the patient's claims/).check();
    const amount = page.getByLabel(/Amount to apply to the claim of Nov 20, 2026/);
    await amount.fill('50');
    await textOf(page.locator(`#amount-${f.claimId}-error`), "$50.00 is more than the claim's open balance of $45.00.");
    expect(await amount.getAttribute('aria-invalid')).toBe('true');
    await amount.fill('25.00');
    await page.locator(`#amount-${f.claimId}-error`).waitFor({ state: 'hidden' });
    await textOf(page.locator('#resolve-live'), 'Applying $25.00 of $25.00 · $0.00 stays unapplied (credit)');
    // The refund section is hidden while "apply" is chosen.
    expect(await page.locator('#refundAmount').isVisible()).toBe(false);
    // Submitting without a note: refused in the page, focus on the note.
    await page.getByRole('button', { name: 'Resolve task' }).click();
    await textOf(page.locator('#note-error'), 'A note is required.');
    expect(await activeId(page)).toBe('note');
    expect(page.url()).toBe(`${stack.apiUrl}/staff/tasks/${f.taskId}`);
    await page.keyboard.type('Patient confirmed the copay was for the Nov 20 visit');
    await page.keyboard.press('Tab'); // to the submit button
    expect(await activeText(page)).toBe('Resolve task');
    await Promise.all([page.waitForURL(new RegExp(`/staff/tasks/${f.taskId}\\?done=resolved$`)), page.keyboard.press('Enter')]);

    await textOf(page.getByRole('status').filter({ hasText: 'Task resolved' }), /Task resolved/);
    await textOf(page.locator('#outcome-h'), 'Resolution');
    expect(await page.locator('#outcome-h + dl').textContent()).toContain('Applied to claims');
    expect(await page.locator('#resolve-form').count()).toBe(0);

    // The ledger: one manual application of $25.00 on the visit's claim. The workflow: completed, resolved.
    expect(await appliedByClaim(stack.db, [f.claimId])).toEqual({ [f.claimId]: 2500 });
    const ledger = await request(stack.app).get(`/v1/patients/${f.s.patientId}/payments`).set(f.s.auth('billing')).expect(200);
    expect(ledger.body.payments[0].applications).toEqual([expect.objectContaining({ kind: 'manual', amountCents: 2500, claimId: f.claimId })]);
    expect(await runResult(stack, f.workflowId)).toMatchObject({ status: 'resolved', appliedCents: 2500, taskId: f.taskId });
    expect((await stack.client.workflow.getHandle(f.workflowId).describe()).status.name).toBe('COMPLETED');
    // The collection page says it too.
    await page.goto(`${stack.apiUrl}/staff/collections/${f.collectionId}`);
    await textOf(page.getByRole('heading', { level: 1 }), /resolved/);
  });

  it('two billing users resolve the same task at the same moment: one success, one conflict message', async () => {
    const f = await flaggedCopay(stack);
    const secondToken = `bl2-${randomUUID()}`;
    await upsertStaff(stack.db, { practiceId: f.s.practiceId, displayName: 'Second Biller', role: 'billing', token: secondToken });
    const [a, b] = await Promise.all([signIn(f.s.tokens.billing), signIn(secondToken)]);
    await Promise.all([a.goto(`${stack.apiUrl}/staff/tasks/${f.taskId}`), b.goto(`${stack.apiUrl}/staff/tasks/${f.taskId}`)]);

    await a.getByLabel(/Keep as credit/).check();
    await a.getByLabel('Note').fill('keep it on account');
    await b.getByLabel(/Apply to the patient's claims/).check();
    await b.getByLabel(/Amount to apply to the claim of Nov 20, 2026/).fill('25');
    await b.getByLabel('Note').fill('apply to the visit');
    await Promise.all([
      a.getByRole('button', { name: 'Resolve task' }).click(),
      b.getByRole('button', { name: 'Resolve task' }).click(),
    ]);
    await Promise.all([a.waitForLoadState('load'), b.waitForLoadState('load')]);
    const outcome = async (p: Page) => {
      for (let i = 0; i < 100; i++) {
        if (await p.getByText('Task resolved').isVisible()) return 'success';
        if (await p.getByText('Someone else got there first').isVisible()) return 'conflict';
        await p.waitForTimeout(100);
      }
      return 'neither';
    };
    const results = [await outcome(a), await outcome(b)];
    expect([...results].sort()).toEqual(['conflict', 'success']);
    const loser = results[0] === 'conflict' ? a : b;
    const message = await loser.getByRole('alert').filter({ hasText: 'Someone else got there first' }).textContent();
    expect(message).toMatch(/(Billing|Second Biller) already resolved this task \((kept as credit|applied to claims)\) at .+\. Your resolution was not applied; nothing was changed\.|Someone else is resolving this task right now/);
    const row = await taskRow(stack, f.taskId);
    expect(row.status).toBe('resolved');
    expect((await appliedByClaim(stack.db, [f.claimId]))[f.claimId]).toBe(row.resolution === 'applied' ? 2500 : 0);
  });

  it('a front-desk user sees no resolve form, and the server refuses them (page and API)', async () => {
    const f = await flaggedCopay(stack);
    const page = await signIn(f.s.tokens.frontDesk);
    expect(await page.getByRole('link', { name: 'Reports' }).count()).toBe(0);
    await page.goto(`${stack.apiUrl}/staff/tasks/${f.taskId}`);
    await textOf(page.getByRole('heading', { level: 1 }), /Date of payment ≠ date of service/);
    expect(await page.locator('#resolve-form').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Assign to me' }).count()).toBe(0);
    expect(await page.getByText('Only billing staff can resolve tasks.').isVisible()).toBe(true);

    // The form posted anyway, with this session's own CSRF token: 403.
    const csrf = await page.locator('input[name=csrf]').first().inputValue();
    const posted = await page.context().request.post(`${stack.apiUrl}/staff/tasks/${f.taskId}/resolve`, {
      form: { csrf, action: 'credit', note: 'front desk tries' }, headers: { Origin: stack.apiUrl }, maxRedirects: 0,
    });
    expect(posted.status()).toBe(403);
    expect(await posted.text()).toContain('Only billing staff can resolve or assign tasks.');
    // Reports are billing's.
    expect((await page.goto(`${stack.apiUrl}/staff/reports`))!.status()).toBe(403);
    // The API refuses the front desk's token.
    await request(stack.app).post(`/v1/manual-tasks/${f.taskId}/resolve`).set(f.s.auth('frontDesk')).send({ action: 'credit', note: 'x' }).expect(403);
    expect(await taskRow(stack, f.taskId)).toMatchObject({ status: 'open' });

    // Without the CSRF token (or from another site), even billing's session is refused.
    const billing = await signIn(f.s.tokens.billing);
    const noToken = await billing.context().request.post(`${stack.apiUrl}/staff/tasks/${f.taskId}/resolve`, { form: { action: 'credit', note: 'x' }, headers: { Origin: stack.apiUrl }, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    const billingCsrf = await billing.locator('input[name=csrf]').first().inputValue();
    const crossSite = await billing.context().request.post(`${stack.apiUrl}/staff/tasks/${f.taskId}/resolve`, { form: { csrf: billingCsrf, action: 'credit', note: 'x' }, headers: { Origin: 'https://evil.example' }, maxRedirects: 0 });
    expect(crossSite.status()).toBe(403);
    expect(await taskRow(stack, f.taskId)).toMatchObject({ status: 'open' });
  });

  it('Collect Now on the superbill and on the patient page opens the EHR payment request pre-filled for that patient and visit', async () => {
    const s = await seedScenario(stack.db);
    await addClaim(stack.db, s, { dateOfService: '2026-09-14', patientResponsibilityCents: 4500 });
    const page = await signIn(s.tokens.frontDesk);
    await page.getByRole('link', { name: 'Patients' }).click();
    await page.getByLabel('Find a patient').fill('testpat');
    await page.getByRole('link', { name: 'Billing page of Testpatient, Casey' }).click();
    await textOf(page.getByRole('heading', { level: 1 }), 'Casey Testpatient');
    await textOf(page.locator('#balance-h + p.big'), /\$45\.00/);

    // Superbill of the 2026-11-20 visit: Copayment Collected → Collect Now.
    await page.getByRole('link', { name: 'Superbill of Nov 20, 2026' }).click();
    await page.getByLabel('Copay amount').fill('25.00');
    await page.getByRole('button', { name: 'Collect Now' }).click();
    await page.waitForURL(/\/staff\/collections\/[0-9a-f-]+\?started=new$/);
    const process = page.getByRole('link', { name: /Process Payment in the EHR/ });
    const ehrUrl = await process.getAttribute('href');
    expect(ehrUrl).toMatch(new RegExp(`^${stack.standin.url}/pay/pr_`));
    const requestId = ehrUrl!.split('/pay/')[1]!;
    expect(stack.standin.paymentRequest(requestId)?.input).toMatchObject({ reason: 'copay', visitExternalId: s.visitExternalId, patientExternalId: s.patientExternalId, amountCents: 2500 });
    const ehr = await page.context().newPage();
    await ehr.goto(ehrUrl!);
    // The stand-in EHR knows the patient and visit by their EHR ids (it holds no names in tests).
    const ehrText = (await ehr.textContent('body')) ?? '';
    for (const expected of [s.patientExternalId, s.visitExternalId, 'Copay', '$25.00']) expect(ehrText).toContain(expected);
    await ehr.close();

    // The patient page: Collect Now for the open balance (Outstanding Balance).
    await page.goto(`${stack.apiUrl}/staff/patients/${s.patientId}`);
    await page.getByRole('button', { name: 'Collect Now' }).click();
    await page.waitForURL(/\/staff\/collections\/[0-9a-f-]+\?started=new$/);
    const balanceUrl = await page.getByRole('link', { name: /Process Payment in the EHR/ }).getAttribute('href');
    expect(stack.standin.paymentRequest(balanceUrl!.split('/pay/')[1]!)?.input).toMatchObject({ reason: 'outstanding_balance', visitExternalId: null, amountCents: 4500 });
  });

  it('reports: the CSV download opens as a table with the right totals', async () => {
    const f = await flaggedCopay(stack);
    const page = await signIn(f.s.tokens.billing);
    await page.getByRole('link', { name: 'Reports' }).click();
    await textOf(page.getByRole('heading', { level: 1 }), 'Reports');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('a[href="/staff/reports/open-credits.csv"]').click()]);
    const rows = parseCsv(readFileSync((await download.path()), 'utf8'));
    const header = rows[0]!;
    const mine = rows.slice(1).filter((r) => r[header.indexOf('patient_id')] === f.s.patientExternalId);
    expect(mine).toHaveLength(1);
    expect(mine[0]![header.indexOf('unapplied_cents')]).toBe('2500');
    expect(mine[0]![header.indexOf('unapplied_dollars')]).toBe('25.00');
    const report = (await request(stack.app).get('/v1/reports/open-credits').set(f.s.auth('billing')).expect(200)).body;
    expect(rows.slice(1).reduce((sum, r) => sum + Number(r[header.indexOf('unapplied_cents')]), 0)).toBe(report.totals.unappliedCents);
  });

  it('no PHI in any URL the browser visited', () => {
    expect(visited.length).toBeGreaterThan(10);
    for (const url of visited) {
      const { pathname, search } = new URL(url);
      expect(pathname).toMatch(/^\/staff(\/[a-z-]+)*(\/[0-9a-f-]{36}(\/[a-z-]+)?)?$/);
      expect(search).toMatch(/^(\?((done|started|status|reason|assignee|age|cursor|signed-out)=[\w-]*&?)*)?$/);
      expect(url).not.toMatch(/Casey|Testpatient|1980-02-03|pt-/);
    }
  });
});
