/**
 * Issue 15, the operator's pages (web/platform/): the platform operator signs in with a configured token (a signed
 * session cookie, pf_operator), sees every practice and onboards one from a form. A wrong token is a 401 page; a bad
 * field a 422 page naming it, keeping what was typed but never the client secret; a duplicate EHR practice id a 409
 * page; a form without the session's CSRF token a 403; signing out ends the session. The JSON routes stay bearer-only.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { useTestStack } from '../support/harness';

const OPERATOR = `operator-${randomUUID()}`;
const HTML = /^text\/html/;

const csrfOf = (page: string): string => {
  const m = /name="csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1]!;
};

describe("the platform operator's pages", () => {
  const stack = useTestStack({ worker: false });
  let app: Express;
  beforeAll(() => {
    app = stack.makeApp({ operatorTokens: [OPERATOR] });
  });

  const signedIn = async () => {
    const agent = request.agent(app);
    const res = await agent.post('/platform/sign-in').type('form').send({ token: OPERATOR }).expect(303);
    expect(res.headers.location).toBe('/platform');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/pf_operator=\d+\.[0-9a-f]{64}; Path=\/platform; HttpOnly; SameSite=Strict; Max-Age=3600/);
    expect(cookie).not.toContain(OPERATOR);
    const page = await agent.get('/platform').expect(200);
    return { agent, csrf: csrfOf(page.text), page, cookie: cookie.split(';')[0]! };
  };
  const practiceForm = () => ({
    externalId: `ehr-practice-${randomUUID()}`, name: 'Lakeside <Pediatrics>', timeZone: 'America/Chicago', paymentPageUrl: 'https://ehr.example/pay',
    statementThreshold: '12.50', adminEmail: `Admin.${randomUUID().slice(0, 8)}@Lakeside.example`, adminName: 'Lee Admin',
    idpIssuer: '', idpClientId: '', idpClientSecret: '', idpAllowedEmailDomain: '',
  });

  it('without a session: the sign-in page; a wrong token is a 401 page; the JSON API still wants its bearer token', async () => {
    const page = await request(app).get('/platform').expect(200);
    expect(page.headers['content-type']).toMatch(HTML);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.text).toContain('action="/platform/sign-in"');
    const refused = await request(app).post('/platform/sign-in').type('form').send({ token: 'not-an-operator-token-at-all' }).expect(401);
    expect(refused.headers['content-type']).toMatch(HTML);
    expect(refused.text).toContain('not a platform operator token');
    expect(refused.headers['set-cookie']).toBeUndefined();
    expect((await request(app).post('/platform/sign-in').type('form').send({ token: OPERATOR }).set('Origin', 'https://evil.example')).status).toBe(403);
    expect((await request(app).get('/platform/practices')).status).toBe(401);
    expect((await request(app).get('/platform/practices').set('Authorization', `Bearer ${OPERATOR}`)).status).toBe(200);
    // Without a session, the form goes nowhere.
    expect((await request(app).post('/platform/onboard').type('form').send(practiceForm())).headers.location).toBe('/platform');
  });

  it('signed in: the list and the form; onboarding → 303, the practice and its invited admin exist, a notice names it', async () => {
    const { agent, csrf, page } = await signedIn();
    expect(page.text).toContain('Every practice on the platform');
    expect(page.text).toContain('action="/platform/onboard"');
    const form = practiceForm();
    const done = await agent.post('/platform/onboard').type('form').send({ ...form, csrf }).expect(303);
    const practiceId = /^\/platform\?onboarded=([0-9a-f-]{36})$/.exec(done.headers.location as string)?.[1];
    expect(practiceId).toBeDefined();
    expect(await stack.db('practices').where({ id: practiceId }).first())
      .toMatchObject({ external_id: form.externalId, name: 'Lakeside <Pediatrics>', time_zone: 'America/Chicago', statement_threshold_cents: 1250 });
    expect(await stack.db('staff_users').where({ practice_id: practiceId }).first())
      .toMatchObject({ role: 'admin', kind: 'person', email: form.adminEmail.toLowerCase(), display_name: 'Lee Admin' });
    expect(await stack.db('audit_log').where({ entity_id: practiceId, action: 'practice.onboarded' })).toHaveLength(1);
    const after = await agent.get(done.headers.location as string).expect(200);
    expect(after.text).toContain('Lakeside &lt;Pediatrics&gt; is onboarded');
    expect(after.text).toContain(form.externalId);
    expect(after.text).not.toContain('<Pediatrics>');
  });

  it('an invalid time zone: 422 naming the field, what was typed kept, the secret never echoed; a duplicate: 409', async () => {
    const { agent, csrf } = await signedIn();
    const secret = `secret-${randomUUID()}`;
    const form = {
      ...practiceForm(), timeZone: 'Mars/Olympus', idpIssuer: 'https://idp.lakeside.example', idpClientId: 'payflow-client',
      idpClientSecret: secret, idpAllowedEmailDomain: 'lakeside.example',
    };
    const before = await stack.db('practices').count<{ count: string }[]>('* as count');
    const bad = await agent.post('/platform/onboard').type('form').send({ ...form, csrf }).expect(422);
    expect(bad.headers['content-type']).toMatch(HTML);
    expect(bad.text).toContain('Time zone: must be an IANA time zone');
    expect(bad.text).toContain('value="Mars/Olympus"');
    expect(bad.text).toContain(`value="${form.externalId}"`);
    expect(bad.text).toContain('value="payflow-client"');
    expect(bad.text).not.toContain(secret);
    expect(await stack.db('practices').count<{ count: string }[]>('* as count')).toEqual(before);

    const threshold = await agent.post('/platform/onboard').type('form').send({ ...practiceForm(), statementThreshold: 'ten dollars', csrf }).expect(422);
    expect(threshold.text).toContain('Statement threshold (dollars): must be an amount in dollars');

    const good = { ...form, timeZone: 'America/Denver' };
    await agent.post('/platform/onboard').type('form').send({ ...good, csrf }).expect(303);
    const dup = await agent.post('/platform/onboard').type('form').send({ ...good, csrf }).expect(409);
    expect(dup.text).toContain('already on the platform');
    expect(dup.text).not.toContain(secret);
    expect(await stack.db('practices').where({ external_id: good.externalId })).toHaveLength(1);
  });

  it('a form without the CSRF token (or from another origin) is refused; signing out ends the session', async () => {
    const { agent, csrf } = await signedIn();
    const form = practiceForm();
    expect((await agent.post('/platform/onboard').type('form').send(form)).status).toBe(403);
    expect((await agent.post('/platform/onboard').type('form').send({ ...form, csrf: `${csrf}x` })).status).toBe(403);
    expect((await agent.post('/platform/onboard').type('form').send({ ...form, csrf }).set('Origin', 'https://evil.example')).status).toBe(403);
    expect(await stack.db('practices').where({ external_id: form.externalId })).toHaveLength(0);
    expect((await agent.post('/platform/sign-out').type('form').send({})).status).toBe(403);

    const out = await agent.post('/platform/sign-out').type('form').send({ csrf }).expect(303);
    expect(String(out.headers['set-cookie'])).toMatch(/pf_operator=; Path=\/platform; HttpOnly; SameSite=Strict; Max-Age=0/);
    const page = await agent.get('/platform').expect(200);
    expect(page.text).toContain('action="/platform/sign-in"');
    expect(page.text).not.toContain('action="/platform/onboard"');
    expect((await agent.post('/platform/onboard').type('form').send({ ...form, csrf })).headers.location).toBe('/platform');
  });

  it('a session ends when its token leaves the configuration', async () => {
    const { cookie } = await signedIn();
    expect((await request(app).get('/platform').set('Cookie', cookie).expect(200)).text).toContain('action="/platform/onboard"');
    const other = stack.makeApp({ operatorTokens: [`operator-${randomUUID()}`] });
    const res = await request(other).get('/platform').set('Cookie', cookie).expect(200);
    expect(res.text).toContain('action="/platform/sign-in"');
  });
});
