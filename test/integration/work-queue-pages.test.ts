/**
 * The staff pages over HTTP: the session cookie (HttpOnly, SameSite=Strict, Path=/staff, server-side, ended by
 * sign-out), headers (CSP without inline code, no-store), CSRF and origin checks, roles on pages, another practice's
 * ids → 404, HTML escaping, and the server-side validation that answers without the page script.
 */
import request from 'supertest';
import { useTestStack } from '../support/harness';
import { seedScenario, type Scenario } from '../support/fixtures';
import { upsertPatient } from '../../db/queries/reference-data';
import { flaggedCopay, taskRow } from './work-queue-support';

describe('staff pages', () => {
  const stack = useTestStack();

  /** Signs in through the page; returns the cookie header and the session's CSRF token. */
  async function signIn(token: string): Promise<{ cookie: string; csrf: string }> {
    const res = await request(stack.app).post('/staff/sign-in').type('form').set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send({ token }).expect(303);
    expect(res.headers.location).toBe('/staff/queue');
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const cookie = setCookie.find((c) => c.startsWith('pf_staff='))!;
    const queue = await request(stack.app).get('/staff/queue').set('Cookie', cookie.split(';')[0]!).expect(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(queue.text)![1]!;
    return { cookie: cookie.split(';')[0]!, csrf };
  }
  const post = (path: string, session: { cookie: string }, form: Record<string, string>) =>
    request(stack.app).post(path).type('form').set('Cookie', session.cookie).set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send(form);

  it('sign-in: a server-side session in an HttpOnly, SameSite=Strict cookie on /staff; a wrong token gets 401; sign-out ends it', async () => {
    const s = await seedScenario(stack.db);
    const res = await request(stack.app).post('/staff/sign-in').type('form').set('Host', '127.0.0.1').send({ token: s.tokens.billing }).expect(303);
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('pf_staff='))!;
    expect(cookie).toMatch(/^pf_staff=[A-Za-z0-9_-]{43}; Path=\/staff; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    const value = cookie.split(';')[0]!.slice('pf_staff='.length);
    // Only a hash of the cookie value is stored, never the staff token.
    const rows = await stack.db('staff_sessions');
    expect(JSON.stringify(rows)).not.toContain(value);
    expect(JSON.stringify(rows)).not.toContain(s.tokens.billing);
    // On a non-local address the cookie is Secure.
    const remote = await request(stack.app).post('/staff/sign-in').type('form').set('Host', 'billing.example.com').send({ token: s.tokens.billing }).expect(303);
    expect(([] as string[]).concat(remote.headers['set-cookie'] ?? []).find((c) => c.startsWith('pf_staff='))).toMatch(/; Secure$/);

    const bad = await request(stack.app).post('/staff/sign-in').type('form').send({ token: 'not-the-right-token-at-all' }).expect(401);
    expect(bad.text).toContain('That token was not accepted');
    await request(stack.app).post('/staff/sign-in').type('form').set('Origin', 'https://evil.example').send({ token: s.tokens.billing }).expect(403);

    const session = await signIn(s.tokens.billing);
    await request(stack.app).get('/staff/queue').expect(303).expect('Location', '/staff/sign-in');
    await post('/staff/sign-out', session, { csrf: session.csrf }).expect(303).expect('Location', '/staff/sign-in?signed-out=1');
    await request(stack.app).get('/staff/queue').set('Cookie', session.cookie).expect(303).expect('Location', '/staff/sign-in');
    const audit = await stack.db('audit_log').whereIn('action', ['staff.signed_in', 'staff.signed_out']).where({ practice_id: s.practiceId }).pluck('action');
    expect(audit).toEqual(expect.arrayContaining(['staff.signed_in', 'staff.signed_out']));
  });

  it('headers: a CSP that allows only our own script and styles, no caching, no framing; pages reference no inline code', async () => {
    const s = await seedScenario(stack.db);
    const session = await signIn(s.tokens.billing);
    const res = await request(stack.app).get('/staff/queue').set('Cookie', session.cookie).expect(200);
    expect(res.headers['content-security-policy']).toBe("default-src 'none';script-src 'self';style-src 'self';img-src 'self';form-action 'self';frame-ancestors 'none';base-uri 'none';connect-src 'self'");
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('same-origin');
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(res.text).not.toMatch(/\sstyle=|\son[a-z]+=/);
    await request(stack.app).get('/staff/static/staff.js').expect(200).expect('Content-Type', /javascript/);
    await request(stack.app).get('/staff/static/staff.css').expect(200).expect('Content-Type', /css/);
  });

  it('CSRF: a form without the session token, or from another origin, changes nothing (403)', async () => {
    const f = await flaggedCopay(stack);
    const session = await signIn(f.s.tokens.billing);
    await post(`/staff/tasks/${f.taskId}/assign`, session, {}).expect(403);
    await post(`/staff/tasks/${f.taskId}/assign`, session, { csrf: 'x'.repeat(43) }).expect(403);
    await request(stack.app).post(`/staff/tasks/${f.taskId}/assign`).type('form').set('Cookie', session.cookie).set('Origin', 'https://evil.example').send({ csrf: session.csrf }).expect(403);
    expect(await taskRow(stack, f.taskId)).toMatchObject({ assignee: null });
    await post(`/staff/tasks/${f.taskId}/assign`, session, { csrf: session.csrf }).expect(303).expect('Location', `/staff/tasks/${f.taskId}?done=assigned`);
    expect((await taskRow(stack, f.taskId)).assignee).not.toBeNull();
  });

  it('the resolve form without the script: the server validates and answers on the page, with the values kept', async () => {
    const f = await flaggedCopay(stack, { copayCents: 2500, responsibilityCents: 1000 });
    const session = await signIn(f.s.tokens.billing);
    const tooMuch = await post(`/staff/tasks/${f.taskId}/resolve`, session, { csrf: session.csrf, action: 'apply', [`amount.${f.claimId}`]: '15.00', note: 'apply' }).expect(422);
    expect(tooMuch.text).toContain("$15.00 is more than the claim&#39;s open balance of $10.00.");
    expect(tooMuch.text).toContain('value="15.00"');
    const noNote = await post(`/staff/tasks/${f.taskId}/resolve`, session, { csrf: session.csrf, action: 'credit', note: '' }).expect(422);
    expect(noNote.text).toContain('A note is required.');
    const badAmount = await post(`/staff/tasks/${f.taskId}/resolve`, session, { csrf: session.csrf, action: 'refund', refundAmount: '12,5x', note: 'r' }).expect(422);
    expect(badAmount.text).toContain('Enter the amount to refund in dollars and cents');
    expect(await taskRow(stack, f.taskId)).toMatchObject({ status: 'open' });
    await post(`/staff/tasks/${f.taskId}/resolve`, session, { csrf: session.csrf, action: 'apply', [`amount.${f.claimId}`]: '$10', note: 'the open balance' })
      .expect(303).expect('Location', `/staff/tasks/${f.taskId}?done=resolved`);
  });

  it('a second resolution from a page still showing the form: 409, saying who resolved it', async () => {
    const f = await flaggedCopay(stack);
    const admin = await signIn(f.s.tokens.admin);
    const billing = await signIn(f.s.tokens.billing);
    await post(`/staff/tasks/${f.taskId}/resolve`, admin, { csrf: admin.csrf, action: 'credit', note: 'keep' }).expect(303);
    const late = await post(`/staff/tasks/${f.taskId}/resolve`, billing, { csrf: billing.csrf, action: 'credit', note: 'keep too' }).expect(409);
    expect(late.text).toContain('Someone else got there first');
    expect(late.text).toMatch(/Admin already resolved this task \(kept as credit\) at [^<]+\. Your resolution was not applied; nothing was changed\./);
  });

  it('roles on pages: front desk sees no reports, settings or resolve form; billing no settings; admin all', async () => {
    const f = await flaggedCopay(stack);
    const fd = await signIn(f.s.tokens.frontDesk);
    const task = await request(stack.app).get(`/staff/tasks/${f.taskId}`).set('Cookie', fd.cookie).expect(200);
    expect(task.text).not.toContain('id="resolve-form"');
    expect(task.text).toContain('Only billing staff can resolve tasks.');
    await request(stack.app).get('/staff/reports').set('Cookie', fd.cookie).expect(403);
    await request(stack.app).get('/staff/reports/open-credits.csv').set('Cookie', fd.cookie).expect(403);
    await request(stack.app).get('/staff/settings').set('Cookie', fd.cookie).expect(403);
    await post(`/staff/tasks/${f.taskId}/assign`, fd, { csrf: fd.csrf }).expect(403);

    const billing = await signIn(f.s.tokens.billing);
    await request(stack.app).get('/staff/reports').set('Cookie', billing.cookie).expect(200);
    await request(stack.app).get('/staff/settings').set('Cookie', billing.cookie).expect(403);
    await post('/staff/settings', billing, { csrf: billing.csrf, statementThreshold: '20.00' }).expect(403);

    const admin = await signIn(f.s.tokens.admin);
    await request(stack.app).get('/staff/settings').set('Cookie', admin.cookie).expect(200);
    await post('/staff/settings', admin, { csrf: admin.csrf, statementThreshold: 'ten' }).expect(422);
    await post('/staff/settings', admin, { csrf: admin.csrf, statementThreshold: '20.00' }).expect(303).expect('Location', '/staff/settings?saved=1');
    expect(await stack.db('practices').where({ id: f.s.practiceId }).first().then((p: { statement_threshold_cents: number }) => p.statement_threshold_cents)).toBe(2000);
  });

  it("another practice's task, patient, visit or collection: 404 pages; patient names are escaped", async () => {
    const f = await flaggedCopay(stack);
    const other: Scenario = await seedScenario(stack.db);
    const them = await signIn(other.tokens.admin);
    for (const path of [`/staff/tasks/${f.taskId}`, `/staff/patients/${f.s.patientId}`, `/staff/visits/${f.s.visitId}`, `/staff/collections/${f.collectionId}`, '/staff/tasks/nope']) {
      const res = await request(stack.app).get(path).set('Cookie', them.cookie).expect(404);
      expect(res.text).toContain('There is nothing here, or it belongs to another practice.');
    }
    await post(`/staff/patients/${f.s.patientId}/collect`, them, { csrf: them.csrf, amount: '10.00' }).expect(404);
    await post(`/staff/visits/${f.s.visitId}/collect`, them, { csrf: them.csrf, amount: '10.00' }).expect(404);

    await upsertPatient(stack.db, { practiceExternalId: other.practiceExternalId, externalId: 'pt-xss', version: 1, firstName: '<script>alert(1)</script>', lastName: 'O\'Hara "&"', dateOfBirth: '1990-01-01' });
    const list = await request(stack.app).get('/staff/patients').set('Cookie', them.cookie).expect(200);
    expect(list.text).not.toContain('<script>alert(1)</script>');
    expect(list.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(list.text).toContain('O&#39;Hara &quot;&amp;&quot;');
  });
});
