/**
 * The patient portal's security on a real PostgreSQL (and Temporal for the pay form): byte-identical answers and
 * similar timing for every kind of failed lookup, lock-out after repeated failures (per account and per client),
 * the lock holding across a second API process on the same database, locks audited without PHI (and failures not at
 * all), CSRF, the session cookie, security headers, friendly form errors that write nothing, and no PHI in the
 * payment-page URL. Parallel guessing, the lock's timing and the attempt table's bound: portal-lockout.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { secureCookies } from '../../web/portal/security';
import { newAccountId } from '../../lib/account-id';
import { freePort } from '../support/global-setup';
import { useTestStack, type TestStack } from '../support/harness';
import { sharedStack } from '../support/shared-stack';
import { generateStatement, PortalClient, startPortalApp, usePortalApp, type StatementScenario } from '../support/statement-driver';

const ROOT = join(__dirname, '../..');
/** Every client of this file has its own address (X-Forwarded-For behind one trusted proxy), so limits do not mix. */
let clientNo = 0;
const client = (url: string, address = `198.51.100.${++clientNo}`) => new PortalClient(url, { 'X-Forwarded-For': address });

async function count(stack: TestStack, table: string, where: Record<string, unknown> = {}): Promise<number> {
  const [row] = await stack.db(table).where(where).count<{ n: number }[]>({ n: '*' });
  return Number(row!.n);
}
/** What a refused request could have written (statement runs of earlier tests write their own audit rows meanwhile). */
async function footprint(stack: TestStack) {
  const tables = ['portal_login_attempts', 'portal_sessions', 'collections', 'payments', 'statements'];
  const counts = Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await count(stack, t)] as const)));
  const [audit] = await stack.db('audit_log').whereNot('action', 'like', 'statement.%').count<{ n: number }[]>({ n: '*' });
  return { ...counts, audit_log: Number(audit!.n) };
}
function unknownAccountId(taken: string[]): string {
  for (;;) {
    const id = newAccountId();
    if (!taken.includes(id)) return id;
  }
}

describe('patient portal security', () => {
  const stack = useTestStack();
  const portalApp = usePortalApp(stack);
  const seed = () => portalApp.seed();

  it('signs in with the right account id and date of birth (any common spelling of both)', async () => {
    const s = await seed();
    const c = client(portalApp.portal.url);
    const lower = s.accountId.toLowerCase().replace(/(.{5})/, '$1-');
    const [y, m, d] = s.dateOfBirth.split('-');
    const res = await c.signIn(` ${lower} `, `${m}/${d}/${y}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/portal/statement');
    const cookie = res.headers.getSetCookie().find((x) => x.startsWith('pf_session='))!;
    expect(cookie).toMatch(/; Path=\/portal/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Max-Age=900/);
    expect(cookie).not.toMatch(/Secure/); // a local address (http://127.0.0.1)
    expect(cookie).not.toContain(s.accountId);
  });

  it('sets Secure cookies everywhere but on a local address', () => {
    expect(secureCookies('http://localhost:3000')).toBe(false);
    expect(secureCookies('http://127.0.0.1:3000')).toBe(false);
    expect(secureCookies('https://pay.example.com')).toBe(true);
    expect(secureCookies('http://pay.example.com')).toBe(true);
  });

  it('answers an unknown account, a wrong date of birth and a locked account with byte-identical pages', async () => {
    const s = await seed();
    const locked = await seed();
    const c = client(portalApp.portal.url);
    await c.get('/portal');
    const unknown = await c.post('/portal/lookup', { accountId: unknownAccountId([s.accountId, locked.accountId]), dateOfBirth: s.dateOfBirth });
    const wrongDob = await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: '1990-01-01' });
    for (let i = 0; i < 10; i++) await c.post('/portal/lookup', { accountId: locked.accountId, dateOfBirth: '1990-01-01' });
    const lockedRight = await c.post('/portal/lookup', { accountId: locked.accountId, dateOfBirth: locked.dateOfBirth });
    for (const r of [unknown, wrongDob, lockedRight]) {
      expect(r.status).toBe(403);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.getSetCookie()).toEqual([]);
    }
    expect(wrongDob.body).toBe(unknown.body);
    expect(lockedRight.body).toBe(unknown.body);
    expect(unknown.body).toContain('We could not find your statement');
    expect(unknown.body).not.toContain(s.accountId);
  });

  it('does the same work for every kind of failure: the same SQL statements, in the same order (no timing oracle)', async () => {
    // Asserted as work, not time (timers in tests only measure the machine's load): every failure runs the same
    // statements, so none answers measurably faster than another.
    const s = await seed();
    const locked = await seed();
    const c = client(portalApp.portal.url);
    await c.get('/portal');
    for (let i = 0; i < 10; i++) await c.post('/portal/lookup', { accountId: locked.accountId, dateOfBirth: '1990-01-01' });
    const kinds = {
      unknown: () => ({ accountId: unknownAccountId([s.accountId, locked.accountId]), dateOfBirth: s.dateOfBirth }),
      wrongDob: () => ({ accountId: s.accountId, dateOfBirth: '1990-01-01' }),
      locked: () => ({ accountId: locked.accountId, dateOfBirth: locked.dateOfBirth }),
    };
    const statements: string[] = [];
    // The worker's background loops (outbox relay, starting reconciler) share this pool: not the lookup's work.
    const background = /run_messages|start_checked_at|status = 'starting'/;
    const onQuery = (q: { sql: string }) => {
      if (!background.test(q.sql)) statements.push(q.sql);
    };
    const work: Record<string, string[]> = {};
    stack.db.on('query', onQuery);
    try {
      for (const [kind, form] of Object.entries(kinds)) {
        statements.length = 0;
        const res = await c.post('/portal/lookup', form());
        expect(res.status).toBe(403);
        work[kind] = [...statements];
      }
    } finally {
      stack.db.removeListener('query', onQuery);
    }
    expect(work.unknown!.length).toBeGreaterThan(0);
    expect(work.wrongDob).toEqual(work.unknown);
    expect(work.locked).toEqual(work.unknown);
  });

  it('locks an account after repeated failures: after 50 wrong dates of birth even the right one is refused', async () => {
    const s = await seed();
    const other = await seed();
    const c = client(portalApp.portal.url);
    await c.get('/portal');
    const first = await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: '2000-01-01' });
    for (let i = 1; i < 50; i++) {
      const res = await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: `2000-01-${String((i % 28) + 1).padStart(2, '0')}` });
      expect(res.status).toBe(403);
      expect(res.body).toBe(first.body);
    }
    const right = await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: s.dateOfBirth });
    expect(right.status).toBe(403);
    expect(right.body).toBe(first.body);
    // Locked in PostgreSQL for 30 minutes; another account from the same client is not affected.
    const lock = await stack.db('portal_login_attempts').where('key', 'like', 'account:%').whereNotNull('locked_until').orderBy('updated_at', 'desc').first();
    expect(new Date(lock.locked_until).getTime() - Date.now()).toBeGreaterThan(29 * 60_000);
    expect((await c.signIn(other.accountId, other.dateOfBirth)).status).toBe(303);
  });

  it('audits a lock once, without PHI (a keyed hash instead), and a failed lookup not at all', async () => {
    const s = await seed();
    const c = client(portalApp.portal.url);
    const audited = () => count(stack, 'audit_log', { actor: 'portal:anonymous' });
    const before = await audited();
    await c.signIn(s.accountId, '1999-09-09');
    await c.post('/portal/lookup', { accountId: unknownAccountId([s.accountId]), dateOfBirth: s.dateOfBirth });
    expect(await audited()).toBe(before);
    for (let i = 0; i < 12; i++) await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: '1999-09-09' });
    expect(await audited()).toBe(before + 1);
    const rows = await stack.db('audit_log').where({ actor: 'portal:anonymous' }).orderBy('id', 'desc').limit(1);
    expect(rows.map((r: any) => [r.action, r.after.attempts])).toEqual([['portal.account_locked', 10]]);
    const text = JSON.stringify(rows);
    for (const phi of [s.accountId, s.dateOfBirth, '1999-09-09', 'Ada', 'Testington', '198.51.100.']) expect(text).not.toContain(phi);
    for (const r of rows) {
      expect(r.entity_type).toBe('portal_account');
      expect(r.entity_id).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  describe('on a second API process on the same database', () => {
    let child: ChildProcess | undefined;
    let secondUrl = '';
    beforeAll(async () => {
      const port = await freePort();
      secondUrl = `http://127.0.0.1:${port}`;
      child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/main.ts')], {
      cwd: ROOT, // one process (a tsx CLI wrapper would die on SIGKILL and leave its child running)
        env: {
          ...process.env, NODE_ENV: 'test', DATABASE_URL: stack.dbUrl, PORT: String(port), TEMPORAL_ADDRESS: sharedStack().temporalAddress,
          TEMPORAL_TASK_QUEUE: stack.taskQueue, LOG_LEVEL: 'silent', PUBLIC_BASE_URL: secondUrl, PORTAL_TRUSTED_PROXY_HOPS: '1',
        },
        stdio: 'ignore',
      });
      const deadline = Date.now() + 40_000;
      for (;;) {
        const up = await fetch(`${secondUrl}/healthz`).then((r) => r.ok, () => false);
        if (up) break;
        if (Date.now() > deadline) throw new Error('the second API process did not start');
        await new Promise((r) => setTimeout(r, 200));
      }
    }, 60_000);
    afterAll(async () => {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    });

    it('the lock holds there, and failures on both processes add up', async () => {
      const s: StatementScenario = await seed();
      const c = client(portalApp.portal.url);
      await c.get('/portal');
      const failed = await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: '1990-01-01' });
      // 4 more here, 5 there: 10 failures in all lock the account for both.
      for (let i = 0; i < 4; i++) await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: '1990-01-01' });
      for (let i = 0; i < 5; i++) {
        const there = await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: '1990-01-01' }, { baseUrl: secondUrl });
        expect(there.status).toBe(403);
        expect(there.body).toBe(failed.body); // same secret, same CSRF cookie: the same bytes from either process
      }
      const rightThere = await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: s.dateOfBirth }, { baseUrl: secondUrl });
      const rightHere = await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: s.dateOfBirth });
      for (const r of [rightThere, rightHere]) {
        expect(r.status).toBe(403);
        expect(r.body).toBe(failed.body);
      }
    });
  });

  it('limits failures per client address, whatever the accounts', async () => {
    const strict = await startPortalApp(stack, { trustedProxyHops: 1, maxFailuresPerClient: 5 });
    try {
      const s = await seed();
      const c = client(strict.url);
      await c.get('/portal');
      for (let i = 0; i < 5; i++) await c.post('/portal/lookup', { accountId: unknownAccountId([s.accountId]), dateOfBirth: '1990-01-01' });
      const refused = await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: s.dateOfBirth });
      expect(refused.status).toBe(403);
      expect(await stack.db('portal_login_attempts').where('key', 'like', 'client:%').andWhere('locked_until', '>', stack.db.fn.now()).count<{ n: number }[]>({ n: '*' })).toEqual([{ n: 1 }]);
      // The account itself is fine: from another address it signs in.
      expect((await client(strict.url).signIn(s.accountId, s.dateOfBirth)).status).toBe(303);
    } finally {
      await strict.close();
    }
  });

  it('refuses a form without a valid CSRF token, and writes nothing', async () => {
    const s = await seed();
    const before = await footprint(stack);
    const c = client(portalApp.portal.url);
    const noCookie = await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: s.dateOfBirth }, { csrf: null });
    expect(noCookie.status).toBe(403);
    expect(noCookie.body).toContain('This form has expired');
    await c.get('/portal');
    const forged = await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: s.dateOfBirth }, { csrf: 'a'.repeat(64) });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('content-type')).toMatch(/^text\/html/);
    // Another browser's token does not fit this browser's cookie.
    const otherBrowser = client(portalApp.portal.url);
    await otherBrowser.get('/portal');
    expect((await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: s.dateOfBirth }, { csrf: otherBrowser.csrf })).status).toBe(403);
    expect(await footprint(stack)).toEqual(before);
  });

  it('answers malformed lookups with a friendly page that names the fields, and writes nothing', async () => {
    const before = await footprint(stack);
    const c = client(portalApp.portal.url);
    await c.get('/portal');
    for (const [form, messages] of [
      [{ accountId: '', dateOfBirth: '' }, ['Enter your account ID.', 'Enter your date of birth']],
      [{ accountId: 'abc', dateOfBirth: '1984-13-40' }, ['10 letters and numbers', 'as a real date']],
      [{ accountId: 'ABCDEFGHJK<script>', dateOfBirth: '2999-01-01' }, ['10 letters and numbers', 'as a real date']],
      [{ dateOfBirth: '03/12/1984' }, ['Enter your account ID.']],
    ] as const) {
      const res = await c.post('/portal/lookup', form);
      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      for (const m of messages) expect(res.body).toContain(m);
      expect(res.body).toContain('class="error-summary" role="alert"');
      expect(res.body).not.toContain('<script>');
    }
    expect(await footprint(stack)).toEqual(before);
  });

  it('ends the session after its time: back to the sign-in page, saying why', async () => {
    const short = await startPortalApp(stack, { trustedProxyHops: 1, sessionTtlMs: 1000 });
    try {
      const s = await seed();
      const c = client(short.url);
      expect((await c.signIn(s.accountId, s.dateOfBirth)).status).toBe(303);
      expect((await c.get('/portal/statement')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2100));
      const later = await c.get('/portal/statement');
      expect(later.status).toBe(303);
      expect(later.headers.get('location')).toBe('/portal?notice=expired');
      const before = await footprint(stack);
      const pay = await c.post('/portal/pay', { amount: '10.00' });
      expect(pay.status).toBe(303);
      expect(await footprint(stack)).toEqual(before);
    } finally {
      await short.close();
    }
  });

  it('sends security headers on portal pages: a CSP without scripts, no framing, no referrer, no caching', async () => {
    const s = await seed();
    await generateStatement(portalApp.portal.app, s);
    const c = client(portalApp.portal.url);
    for (const res of [await c.get('/portal'), await c.signIn(s.accountId, s.dateOfBirth), await c.get('/portal/statement'), await c.get('/portal/statement/print')]) {
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/script-src|unsafe-inline|unsafe-eval/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const statement = await c.get('/portal/statement');
    expect(statement.headers.get('cache-control')).toBe('no-store');
    // The pay form redirects to the practice's payment page: its origin is the only other form target.
    expect(statement.headers.get('content-security-policy')).toContain(`form-action 'self' ${stack.standin.url}`);
    expect(statement.body).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
  });

  it('refuses a pay amount that is not an amount, zero, or more than the balance shown: a friendly message, nothing written', async () => {
    const s = await seed();
    await generateStatement(portalApp.portal.app, s);
    const c = client(portalApp.portal.url);
    await c.signIn(s.accountId, s.dateOfBirth);
    await c.get('/portal/statement');
    const before = await footprint(stack);
    for (const [amount, message] of [
      ['', 'Enter an amount in dollars and cents'], ['abc', 'Enter an amount in dollars and cents'], ['-5', 'Enter an amount in dollars and cents'],
      ['1.234', 'Enter an amount in dollars and cents'], ['0', 'at least $0.01'], ['0.00', 'at least $0.01'],
      ['170.51', 'no more than the balance due, $170.50'], ['99999999', 'no more than the balance due'],
    ] as const) {
      const res = await c.post('/portal/pay', { amount });
      expect(res.status).toBe(422);
      expect(res.body).toContain(message);
      expect(res.body).toContain('aria-invalid="true"');
    }
    expect(await footprint(stack)).toEqual(before);
  });

  it('sends the patient to the payment page with a signed, expiring reference and no PHI in the URL', async () => {
    const s = await seed();
    await generateStatement(portalApp.portal.app, s);
    const c = client(portalApp.portal.url);
    await c.signIn(s.accountId, s.dateOfBirth);
    await c.get('/portal/statement');
    const pay = await c.post('/portal/pay', { amount: '12.34' });
    expect(pay.status).toBe(303);
    const location = new URL(pay.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${stack.standin.url}/hosted-pay`);
    expect([...location.searchParams.keys()]).toEqual(['ref']);
    const payload = JSON.parse(Buffer.from(location.searchParams.get('ref')!.split('.')[0]!, 'base64url').toString('utf8'));
    expect(Object.keys(payload).sort()).toEqual(['a', 'c', 'exp', 'n', 'p', 'r']);
    expect(payload).toMatchObject({ a: 1234, r: `${portalApp.portal.url}/portal/receipt`, n: 'Harbor Family Clinic' });
    expect(payload.exp - Date.now() / 1000).toBeGreaterThan(29 * 60);
    const url = location.toString();
    for (const phi of [s.accountId, s.dateOfBirth, 'Ada', 'Testington', s.patientId]) expect(decodeURIComponent(url)).not.toContain(phi);
    // Tampered with: the payment page refuses it.
    const forged = location.searchParams.get('ref')!.replace(/^./, (ch) => (ch === 'e' ? 'f' : 'e'));
    expect((await fetch(`${stack.standin.url}/hosted-pay?ref=${encodeURIComponent(forged)}`)).status).toBe(400);
    // The receipt page answers a forged reference with a friendly page.
    const receipt = await c.get(`/portal/receipt?ref=${encodeURIComponent(forged)}`);
    expect(receipt.status).toBe(400);
    expect(receipt.body).toContain('We could not find this payment');
  });
});
