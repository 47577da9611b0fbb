/**
 * Staff sign-in through a real OpenID provider (the local one, idp/, as a child process) over HTTP, with a cookie jar:
 * the sign-in page's button → the provider's login page → its redirect → our callback → the work queue. And every
 * refusal: an identity no staff row has (403 "Ask your practice admin to invite you", nothing created), an email
 * outside the practice's domain, a deactivated member, a tampered state, a replayed callback, a provider that cannot be
 * reached (503, existing sessions unaffected); the idle timeout; the token form switched off.
 */
import request from 'supertest';
import { useTestStack } from '../support/harness';
import { CookieBrowser, startOidcContext, throughProvider, type OidcTestContext } from '../support/idp';
import { upsertPractice } from '../../db/queries/reference-data';
import { upsertStaff } from '../../db/queries/staff';
import { setPracticeIdentityProvider } from '../../app/identity-providers';
import { freePort } from '../support/global-setup';

const DOMAIN = 'signin-clinic.example';

describe('staff sign-in with the practice identity provider', () => {
  const stack = useTestStack();
  let ctx: OidcTestContext;
  const host = '127.0.0.1';

  beforeAll(async () => {
    ctx = await startOidcContext(stack, {
      externalId: 'signin-practice', domain: DOMAIN,
      users: [
        { email: `ada@${DOMAIN}`, name: 'Ada' },
        { email: `bill@${DOMAIN}`, name: 'Bill' },
        { email: `stranger@${DOMAIN}`, name: 'Stranger' },
        { email: 'eve@elsewhere.example', name: 'Eve' },
        { email: `dora@${DOMAIN}`, name: 'Dora' },
        { email: `una@${DOMAIN}`, name: 'Una', emailVerified: false },
      ],
    });
    const practiceId = ctx.practice.id;
    await upsertStaff(stack.db, { practiceId, displayName: 'Ada (admin)', role: 'admin', token: 'signin-test-ada-token-0001', email: `ada@${DOMAIN}` });
    await upsertStaff(stack.db, { practiceId, displayName: 'Bill (billing)', role: 'billing', token: 'signin-test-bill-token-0001', email: `bill@${DOMAIN}` });
    await upsertStaff(stack.db, { practiceId, displayName: 'Dora (front desk)', role: 'front_desk', token: 'signin-test-dora-token-0001', email: `dora@${DOMAIN}` });
    await upsertStaff(stack.db, { practiceId, displayName: 'Una (billing)', role: 'billing', token: 'signin-test-una-token-00001', email: `una@${DOMAIN}` });
    await stack.db('staff_users').where({ practice_id: practiceId, email: `dora@${DOMAIN}` }).update({ deactivated_at: stack.db.fn.now() });
  }, 60_000);
  afterAll(async () => {
    await ctx?.stop();
  });

  const counts = async () => ({
    sessions: Number((await stack.db('staff_sessions').count<{ count: string }[]>('* as count'))[0]!.count),
    staff: Number((await stack.db('staff_users').count<{ count: string }[]>('* as count'))[0]!.count),
  });

  /** Signs in as `email`; the callback's answer and the browser. */
  async function signIn(email: string): Promise<{ browser: CookieBrowser; callback: string; res: Response }> {
    const browser = new CookieBrowser();
    const callback = await throughProvider(browser, ctx, email);
    const res = await browser.request(callback);
    return { browser, callback, res };
  }

  it('the sign-in page offers the practice identity provider; its button goes there, with PKCE, state and nonce', async () => {
    const page = await request(ctx.app).get(`/staff/sign-in?practice=${ctx.practice.externalId}`).expect(200);
    expect(page.text).toContain("Sign in with your practice's identity provider");
    expect(page.text).toContain(`/staff/sign-in/oidc?practice=${ctx.practice.externalId}`);
    const start = await request(ctx.app).get(`/staff/sign-in/oidc?practice=${ctx.practice.externalId}`).expect(303);
    const to = new URL(start.headers.location!);
    expect(to.origin).toBe(ctx.idp.issuer);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('redirect_uri')).toBe(`${ctx.apiUrl}/staff/oidc/callback`);
    expect(to.searchParams.get('nonce')).toBeTruthy();
    const cookie = ([] as string[]).concat(start.headers['set-cookie'] ?? []).find((c) => c.startsWith('pf_staff_signin='))!;
    expect(cookie).toMatch(/^pf_staff_signin=[A-Za-z0-9_-]{43}; Path=\/staff\/oidc; HttpOnly; SameSite=Lax; Max-Age=600$/);
    // Only the state's hash is kept.
    const state = to.searchParams.get('state')!;
    expect(JSON.stringify(await stack.db('staff_sign_ins'))).not.toContain(state);
    await request(ctx.app).get('/staff/sign-in/oidc?practice=no-such-practice').expect(404);
    // Found by the HTTP fuzz: a NUL byte made PostgreSQL refuse the lookup (500). Not a practice: the same 404.
    for (const practice of ['%00', 'a%00b', `${'x'.repeat(201)}`]) await request(ctx.app).get(`/staff/sign-in/oidc?practice=${practice}`).expect(404);
  });

  it('signs in through the provider and lands on the work queue; the subject is recorded; audited', async () => {
    const { browser, res } = await signIn(`ada@${DOMAIN}`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('http-equiv="refresh"');
    expect(browser.cookie(host, 'pf_staff')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(browser.cookie(host, 'pf_staff_signin')).toBeUndefined();
    const queue = await browser.request(`${ctx.apiUrl}/staff/queue`);
    expect(queue.status).toBe(200);
    expect(await queue.text()).toContain('Ada');
    const ada = await stack.db('staff_users').where({ practice_id: ctx.practice.id, email: `ada@${DOMAIN}` }).first();
    expect(ada.oidc_subject).toMatch(/^local-/);
    const actions = await stack.db('audit_log').where({ practice_id: ctx.practice.id, entity_id: ada.id }).pluck('action');
    expect(actions).toEqual(expect.arrayContaining(['staff.identity_linked', 'staff.signed_in']));
    expect(await stack.db('staff_sessions').where({ staff_user_id: ada.id, via: 'oidc' }).first()).toBeTruthy();

    // Again, from another browser: matched by the subject now.
    const again = await signIn(`ada@${DOMAIN}`);
    expect(again.res.status).toBe(200);
    expect((await again.browser.request(`${ctx.apiUrl}/staff/queue`)).status).toBe(200);
  });

  it('an identity no staff member has: 403 "Ask your practice admin to invite you", no session, no row created', async () => {
    const before = await counts();
    const { browser, res } = await signIn(`stranger@${DOMAIN}`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Ask your practice admin to invite you');
    expect(browser.cookie(host, 'pf_staff')).toBeUndefined();
    expect(await counts()).toEqual(before);
    const refused = await stack.db('audit_log').where({ practice_id: ctx.practice.id, action: 'staff.sign_in_refused' }).pluck('after');
    expect(refused).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'unknown', email: `stranger@${DOMAIN}` })]));
  });

  it('an email outside the practice domain is refused', async () => {
    const before = await counts();
    const { browser, res } = await signIn('eve@elsewhere.example');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain(`Only @${DOMAIN} accounts can sign in here`);
    expect(browser.cookie(host, 'pf_staff')).toBeUndefined();
    expect(await counts()).toEqual(before);
  });

  it('a deactivated member, and an email the provider has not verified, are refused', async () => {
    const before = await counts();
    const dora = await signIn(`dora@${DOMAIN}`);
    expect(dora.res.status).toBe(403);
    expect(await dora.res.text()).toContain('Ask your practice admin to invite you');
    const una = await signIn(`una@${DOMAIN}`);
    expect(una.res.status).toBe(403);
    expect(await una.res.text()).toContain('not verified');
    expect(await counts()).toEqual(before);
    expect((await stack.db('staff_users').where({ practice_id: ctx.practice.id, email: `una@${DOMAIN}` }).first()).oidc_subject).toBeNull();
  });

  it('a tampered state, a callback in another browser and a replayed callback are refused', async () => {
    const browser = new CookieBrowser();
    const callback = await throughProvider(browser, ctx, `bill@${DOMAIN}`);
    const url = new URL(callback);
    const state = url.searchParams.get('state')!;
    // Tampered: not the state this browser started with.
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${state.slice(0, -2)}xy`);
    const t = await browser.request(tampered.href);
    expect(t.status).toBe(400);
    expect(await t.text()).toContain('This sign-in has expired');
    // Another browser (no state cookie): refused.
    const other = await new CookieBrowser().request(callback);
    expect(other.status).toBe(400);
    // The real one (the cookie given back: a refused callback clears it) still works, once.
    browser.setCookie(host, 'pf_staff_signin', state);
    expect((await browser.request(callback)).status).toBe(200);
    browser.setCookie(host, 'pf_staff_signin', state);
    const replay = await browser.request(callback);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('This sign-in has expired');
  });

  it('sessions end after 30 minutes unused', async () => {
    const { browser } = await signIn(`bill@${DOMAIN}`);
    expect((await browser.request(`${ctx.apiUrl}/staff/queue`)).status).toBe(200);
    const bill = await stack.db('staff_users').where({ practice_id: ctx.practice.id, email: `bill@${DOMAIN}` }).first();
    await stack.db('staff_sessions').where({ staff_user_id: bill.id }).update({ last_seen_at: stack.db.raw("now() - interval '31 minutes'") });
    const idle = await browser.request(`${ctx.apiUrl}/staff/queue`);
    expect(idle.status).toBe(303);
    expect(idle.headers.get('location')).toBe('/staff/sign-in');
  });

  it('the token form can be switched off (production): no form, and its POST answers 404', async () => {
    const app = stack.makeApp({ staffSignIn: { tokenSignIn: false } });
    const page = await request(app).get('/staff/sign-in').expect(200);
    expect(page.text).not.toContain('name="token"');
    await request(app).post('/staff/sign-in').type('form').send({ token: 'signin-test-ada-token-0001' }).expect(404);
  });

  it('a provider that cannot be reached: a 503 page; existing sessions go on', async () => {
    // A practice whose provider is not listening.
    const dead = await upsertPractice(stack.db, { externalId: 'dead-idp-practice', name: 'Dead IdP', timeZone: 'America/Los_Angeles', paymentPageUrl: 'http://127.0.0.1:9/pay' });
    await setPracticeIdentityProvider({ db: stack.db, idpSecretKey: 'test-idp-secret-key-for-the-tests-only' }, dead, {
      issuer: `http://127.0.0.1:${await freePort()}`, clientId: 'x', clientSecret: 'y'.repeat(20), allowedEmailDomain: DOMAIN,
    }, 'test');
    const down = await request(ctx.app).get('/staff/sign-in/oidc?practice=dead-idp-practice').expect(503);
    expect(down.headers['retry-after']).toBe('60');
    expect(down.text).toContain('identity provider cannot be reached');

    // The provider goes down between its login page and our callback: the code cannot be exchanged.
    const signedIn = await signIn(`ada@${DOMAIN}`);
    expect(signedIn.res.status).toBe(200);
    const browser = new CookieBrowser();
    const callback = await throughProvider(browser, ctx, `bill@${DOMAIN}`);
    await ctx.idp.stop();
    const res = await browser.request(callback);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('identity provider cannot be reached');
    // Ada's session is untouched.
    expect((await signedIn.browser.request(`${ctx.apiUrl}/staff/queue`)).status).toBe(200);
  });
});
