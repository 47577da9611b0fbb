/**
 * Portal sessions on the server (issue 13, item 8): the CSRF token of a signed-in form belongs to the server-side
 * session, so a token and CSRF cookie from another browser are refused even when sent together; signing out ends the
 * session on the server (a copied cookie no longer works); every portal answer carries `Cache-Control: no-store`.
 */
import { useTestStack, type TestStack } from '../support/harness';
import { generateStatement, PortalClient, usePortalApp, type HttpAnswer } from '../support/statement-driver';

let clientNo = 0;
const client = (url: string) => new PortalClient(url, { 'X-Forwarded-For': `192.0.2.${++clientNo}` });

async function collectionsOf(stack: TestStack, patientId: string): Promise<number> {
  const [row] = await stack.db('collections').where({ patient_id: patientId }).count<{ n: number }[]>({ n: '*' });
  return Number(row!.n);
}

describe('portal sessions on the server', () => {
  const stack = useTestStack();
  const portalApp = usePortalApp(stack);
  const seed = () => portalApp.seed();

  it("refuses a signed-in form whose CSRF token is another browser's, even with that browser's CSRF cookie", async () => {
    const s = await seed();
    await generateStatement(portalApp.portal.app, s);
    const victim = client(portalApp.portal.url);
    expect((await victim.signIn(s.accountId, s.dateOfBirth)).status).toBe(303);
    await victim.get('/portal/statement');
    // The attacker's own browser: a CSRF cookie and its matching form token, planted in the victim's browser.
    const attacker = client(portalApp.portal.url);
    await attacker.get('/portal');
    const forged = client(portalApp.portal.url);
    forged.cookies.set('pf_session', victim.cookies.get('pf_session')!);
    forged.cookies.set('pf_csrf', attacker.cookies.get('pf_csrf')!);
    const pay = await forged.post('/portal/pay', { amount: '10.00' }, { csrf: attacker.csrf });
    expect(pay.status).toBe(403);
    expect(pay.body).toContain('This form has expired');
    // The token of another signed-in session does not fit either.
    const other = await seed();
    const otherPatient = client(portalApp.portal.url);
    await otherPatient.signIn(other.accountId, other.dateOfBirth);
    await otherPatient.get('/portal/statement');
    expect((await victim.post('/portal/pay', { amount: '10.00' }, { csrf: otherPatient.csrf })).status).toBe(403);
    expect((await victim.post('/portal/sign-out', {}, { csrf: otherPatient.csrf })).status).toBe(403);
    expect(await collectionsOf(stack, s.patientId)).toBe(0);
    // The victim's own token works, and only in the victim's session.
    expect((await victim.get('/portal/statement')).status).toBe(200);
    expect((await victim.post('/portal/pay', { amount: '10.00' })).status).toBe(303);
    expect(await collectionsOf(stack, s.patientId)).toBe(1);
  });

  it('signs out on the server: the old session cookie no longer opens the statement or pays', async () => {
    const s = await seed();
    await generateStatement(portalApp.portal.app, s);
    const c = client(portalApp.portal.url);
    expect((await c.signIn(s.accountId, s.dateOfBirth)).status).toBe(303);
    expect((await c.get('/portal/statement')).status).toBe(200);
    const copied = new Map(c.cookies);
    const copiedCsrf = c.csrf;
    const out = await c.post('/portal/sign-out', {});
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/portal?notice=signed-out');
    expect(c.cookies.has('pf_session')).toBe(false);
    // Someone kept the cookie (another tab, a copy): the server has ended that session.
    const replay = client(portalApp.portal.url);
    for (const [k, v] of copied) replay.cookies.set(k, v);
    const page = await replay.get('/portal/statement');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/portal?notice=expired');
    for (const [k, v] of copied) replay.cookies.set(k, v);
    const pay = await replay.post('/portal/pay', { amount: '10.00' }, { csrf: copiedCsrf });
    expect(pay.status).toBe(303);
    expect(pay.headers.get('location')).toMatch(/^\/portal/);
    expect(await collectionsOf(stack, s.patientId)).toBe(0);
  });

  it('starts a new server-side session at each sign-in (a planted session cookie is not kept)', async () => {
    const s = await seed();
    const c = client(portalApp.portal.url);
    await c.get('/portal');
    c.cookies.set('pf_session', 'A'.repeat(43));
    expect((await c.signIn(s.accountId, s.dateOfBirth)).status).toBe(303);
    expect(c.cookies.get('pf_session')).not.toBe('A'.repeat(43));
    expect(c.cookies.get('pf_session')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('answers every portal page, redirect and error with Cache-Control: no-store', async () => {
    const s = await seed();
    await generateStatement(portalApp.portal.app, s);
    const c = client(portalApp.portal.url);
    const answers = {
      lookupForm: await c.get('/portal'),
      lookupInvalid: await c.post('/portal/lookup', { accountId: 'x', dateOfBirth: 'y' }),
      lookupFailed: await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: '1999-09-09' }),
      lookupOk: await c.post('/portal/lookup', { accountId: s.accountId, dateOfBirth: s.dateOfBirth }),
      statement: await c.get('/portal/statement'),
      print: await c.get('/portal/statement/print'),
      payInvalid: await c.post('/portal/pay', { amount: 'abc' }),
      pay: await c.post('/portal/pay', { amount: '5.00' }),
      receiptInvalid: await c.get('/portal/receipt?ref=nope'),
      csrfFailed: await c.post('/portal/pay', { amount: '5.00' }, { csrf: 'b'.repeat(64) }),
      signOut: await c.post('/portal/sign-out', {}),
      signedOut: await c.get('/portal/statement'),
      unknownPage: await c.get('/portal/nothing-here'),
    };
    expect(answers.statement.status).toBe(200);
    expect(answers.pay.status).toBe(303);
    const receipt = await c.get(`/portal/receipt?ref=${encodeURIComponent(new URL(answers.pay.headers.get('location')!).searchParams.get('ref')!)}`);
    expect(receipt.status).toBe(200);
    const all: Record<string, HttpAnswer> = { ...answers, receipt };
    const cacheControl = Object.fromEntries(Object.entries(all).map(([k, a]) => [k, a.headers.get('cache-control')]));
    expect(cacheControl).toEqual(Object.fromEntries(Object.keys(cacheControl).map((k) => [k, 'no-store'])));
    // Stylesheets carry no PHI: they may be cached.
    expect((await c.get('/portal/static/portal.css')).headers.get('cache-control')).toMatch(/^public/);
  });
});
