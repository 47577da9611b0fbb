/**
 * Issue 15, practice onboarding: the platform operator (its own tokens, not staff's) creates a practice with its first
 * admin; that admin invites staff by email, changes a role, deactivates a member (whose token stops at once and whose
 * page sessions end); the last admin cannot be demoted and nobody deactivates themselves; every change is audited; and
 * two practices never see each other's staff: another practice's ids answer exactly like unknown ones. Real PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import type { Db } from '../../db/connection';
import { legacyTokenHash } from '../../db/queries/staff';
import { createStaffSession, staffSession } from '../../db/queries/staff-sessions';
import { useTestStack } from '../support/harness';
import { seedScenario, type Scenario } from '../support/fixtures';

const OPERATOR = `operator-${randomUUID()}`;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const PROBLEM = /^application\/problem\+json/;

/** A token for a staff row, as a test seeds one (the admin of a new practice would sign in with the identity provider). */
async function tokenFor(db: Db, practiceId: string, staffId: string, role: string): Promise<string> {
  const token = `t-${randomUUID()}`;
  await db('api_tokens').insert({
    practice_id: practiceId, staff_user_id: staffId, name: 'test', role, secret_hash: legacyTokenHash(token), hash_scheme: 'legacy_sha256', prefix: token.slice(0, 8), created_by: 'test',
  });
  return token;
}

describe('practice onboarding and staff management', () => {
  const stack = useTestStack({ worker: false });
  let app: Express;
  let a: Scenario;
  beforeAll(async () => {
    app = stack.makeApp({ operatorTokens: [OPERATOR] });
    a = await seedScenario(stack.db);
  });

  const onboard = (body: Record<string, unknown>, token = OPERATOR) => request(app).post('/platform/practices').set(bearer(token)).send(body);
  const newPractice = () => ({
    externalId: `ehr-practice-${randomUUID()}`, name: 'Lakeside Pediatrics', timeZone: 'America/Chicago', paymentPageUrl: 'https://ehr.example/pay',
    admin: { email: `Admin.${randomUUID().slice(0, 8)}@Lakeside.example`, displayName: 'Lee Admin' },
  });

  it('only the operator onboards; bad input names its field and changes nothing', async () => {
    const body = newPractice();
    expect((await onboard(body, 'not-an-operator-token-at-all')).status).toBe(401);
    expect((await onboard(body, a.tokens.admin)).status).toBe(401); // a practice admin is not the operator
    const before = await stack.db('practices').count<{ count: string }[]>('* as count');
    const bad = await onboard({ ...body, timeZone: 'Mars/Olympus', statementThresholdCents: 0 }).expect(422);
    expect(bad.headers['content-type']).toMatch(PROBLEM);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['statementThresholdCents', 'timeZone']);
    expect(await stack.db('practices').count<{ count: string }[]>('* as count')).toEqual(before);
  });

  it('onboards a practice with its first admin (invited), once per EHR practice id; audited; listed', async () => {
    const body = newPractice();
    const created = await onboard(body).expect(201);
    const { practiceId, adminStaffId } = created.body as { practiceId: string; adminStaffId: string };
    expect(await stack.db('practices').where({ id: practiceId }).first()).toMatchObject({ external_id: body.externalId, time_zone: 'America/Chicago', statement_threshold_cents: 1000 });
    expect(await stack.db('staff_users').where({ id: adminStaffId }).first()).toMatchObject({ role: 'admin', kind: 'person', email: body.admin.email.toLowerCase(), oidc_subject: null });
    expect((await onboard(body)).status).toBe(409);
    const audit = await stack.db('audit_log').where({ entity_id: practiceId, action: 'practice.onboarded' });
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0])).not.toContain(body.admin.email.toLowerCase()); // ids and amounts only
    const list = await request(app).get('/platform/practices').set(bearer(OPERATOR)).expect(200);
    expect(list.body.practices).toContainEqual(expect.objectContaining({ practiceId, externalId: body.externalId, staffCount: 1 }));
  });

  it("the new practice's admin invites, re-roles and deactivates staff; tokens and sessions of a deactivated member stop at once", async () => {
    const { practiceId, adminStaffId } = (await onboard(newPractice()).expect(201)).body as { practiceId: string; adminStaffId: string };
    const admin = bearer(await tokenFor(stack.db, practiceId, adminStaffId, 'admin'));

    const invited = await request(app).post('/v1/staff').set(admin).send({ email: 'Bill.Biller@lakeside.example', displayName: 'Bill Biller', role: 'billing' }).expect(201);
    expect(invited.body).toMatchObject({ email: 'bill.biller@lakeside.example', role: 'billing', kind: 'person', status: 'invited', deactivatedAt: null });
    const billId = invited.body.staffId as string;
    expect((await request(app).post('/v1/staff').set(admin).send({ email: 'bill.biller@LAKESIDE.example', displayName: 'Bill again', role: 'billing' })).status).toBe(409);
    const invalid = await request(app).post('/v1/staff').set(admin).send({ email: 'not an email', displayName: '', role: 'owner' }).expect(422);
    expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['displayName', 'email', 'role']);

    // Bill works through a token and a page session; the admin makes him front desk, then deactivates him.
    const billToken = await tokenFor(stack.db, practiceId, billId, 'billing');
    await request(app).get('/v1/manual-tasks').set(bearer(billToken)).expect(200);
    const session = await createStaffSession(stack.db, { id: billId, practiceId, role: 'billing', displayName: 'Bill Biller' }, 3600_000);
    const reRoled = await request(app).put(`/v1/staff/${billId}/role`).set(admin).send({ role: 'front_desk' }).expect(200);
    expect(reRoled.body.role).toBe('front_desk');
    expect((await request(app).get('/v1/reports/open-credits').set(bearer(billToken))).status).toBe(403); // his token follows his role
    const deactivated = await request(app).post(`/v1/staff/${billId}/deactivate`).set(admin).send({}).expect(200);
    expect(deactivated.body).toMatchObject({ status: 'deactivated', deactivatedAt: expect.any(String) });
    expect((await request(app).get('/v1/manual-tasks').set(bearer(billToken))).status).toBe(401);
    expect(await staffSession(stack.db, session.cookieValue)).toBeUndefined();
    await request(app).post(`/v1/staff/${billId}/deactivate`).set(admin).send({}).expect(200); // idempotent

    // The admin cannot lock the practice out: not themselves, not the last admin.
    expect((await request(app).post(`/v1/staff/${adminStaffId}/deactivate`).set(admin).send({})).status).toBe(409);
    const demote = await request(app).put(`/v1/staff/${adminStaffId}/role`).set(admin).send({ role: 'billing' }).expect(409);
    expect(demote.body.detail).toMatch(/last admin/);

    const actions = (await stack.db('audit_log').where({ practice_id: practiceId }).orderBy('id')).map((r: { action: string }) => r.action);
    expect(actions).toEqual(['practice.onboarded', 'staff.invited', 'staff.signed_in', 'staff.role_changed', 'staff.deactivated']);
    const list = await request(app).get('/v1/staff').set(admin).expect(200);
    expect(list.body.staff.map((m: { staffId: string; status: string }) => [m.staffId, m.status])).toEqual([[adminStaffId, 'active'], [billId, 'deactivated']]);
  });

  it("another practice's staff answer exactly like unknown ids; only admins manage staff", async () => {
    const { practiceId, adminStaffId } = (await onboard(newPractice()).expect(201)).body as { practiceId: string; adminStaffId: string };
    const otherAdmin = bearer(await tokenFor(stack.db, practiceId, adminStaffId, 'admin'));
    const unknown = randomUUID();
    for (const [method, path, body] of [
      ['get', (id: string) => `/v1/staff/${id}`, undefined],
      ['put', (id: string) => `/v1/staff/${id}/role`, { role: 'billing' }],
      ['post', (id: string) => `/v1/staff/${id}/deactivate`, {}],
    ] as const) {
      const theirs = await request(app)[method](path(adminStaffId)).set(a.auth('admin')).send(body);
      const none = await request(app)[method](path(unknown)).set(a.auth('admin')).send(body);
      expect([theirs.status, none.status]).toEqual([404, 404]);
      expect(theirs.body.detail).toBe(none.body.detail);
    }
    const listA = await request(app).get('/v1/staff').set(a.auth('admin')).expect(200);
    expect(listA.body.staff.map((m: { staffId: string }) => m.staffId)).not.toContain(adminStaffId);
    const listB = await request(app).get('/v1/staff').set(otherAdmin).expect(200);
    expect(listB.body.staff.map((m: { staffId: string }) => m.staffId)).toEqual([adminStaffId]);
    expect((await request(app).get('/v1/staff').set(a.auth('billing'))).status).toBe(403);
    expect((await request(app).post('/v1/staff').set(a.auth('frontDesk')).send({ email: 'x@y.example', displayName: 'X', role: 'admin' })).status).toBe(403);
  });

  it('onboards with its identity provider: the secret is sealed, never answered; invitations keep to its email domain', async () => {
    const secret = `client-secret-${randomUUID()}`;
    const identityProvider = { issuer: 'https://accounts.google.com', clientId: 'lakeside-client', clientSecret: secret, allowedEmailDomain: '@Lakeside.example' };
    const refused = await onboard({ ...newPractice(), identityProvider: { ...identityProvider, issuer: 'not a url', allowedEmailDomain: 'nodot' } }).expect(422);
    expect(refused.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['identityProvider.allowedEmailDomain', 'identityProvider.issuer']);
    const { practiceId, adminStaffId } = (await onboard({ ...newPractice(), identityProvider }).expect(201)).body as { practiceId: string; adminStaffId: string };
    const row = await stack.db('practice_identity_providers').where({ practice_id: practiceId }).first();
    expect(row).toMatchObject({ issuer: 'https://accounts.google.com', client_id: 'lakeside-client', allowed_email_domain: 'lakeside.example' });
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(JSON.stringify(await stack.db('audit_log').where({ practice_id: practiceId }))).not.toContain(secret);

    const admin = bearer(await tokenFor(stack.db, practiceId, adminStaffId, 'admin'));
    const shown = await request(app).get('/v1/practice/identity-provider').set(admin).expect(200);
    expect(shown.body).toEqual({ issuer: 'https://accounts.google.com', clientId: 'lakeside-client', allowedEmailDomain: 'lakeside.example', redirectPath: '/staff/oidc/callback' });
    const outside = await request(app).post('/v1/staff').set(admin).send({ email: 'pat@gmail.example', displayName: 'Pat', role: 'billing' }).expect(422);
    expect(outside.body.errors).toEqual([{ field: 'email', reason: 'must be an address at lakeside.example, the domain your practice signs in with' }]);
    await request(app).post('/v1/staff').set(admin).send({ email: 'pat@lakeside.example', displayName: 'Pat', role: 'billing' }).expect(201);

    const changed = await request(app).put('/v1/practice/identity-provider').set(admin)
      .send({ ...identityProvider, issuer: 'https://login.microsoftonline.com/tenant/v2.0', clientSecret: 'rotated-secret-value' }).expect(200);
    expect(changed.body.issuer).toBe('https://login.microsoftonline.com/tenant/v2.0');
    expect(JSON.stringify(changed.body)).not.toContain('rotated-secret-value');
    expect((await request(app).get('/v1/practice/identity-provider').set(a.auth('admin'))).status).toBe(404); // practice A has none
    expect((await request(app).put('/v1/practice/identity-provider').set(a.auth('billing')).send(identityProvider)).status).toBe(403);
  });

  it('the team page: an admin invites, is told why a refusal happened, changes a role and deactivates, all by forms with CSRF', async () => {
    const sessionCookie = async (token: string) => {
      const res = await request(app).post('/staff/sign-in').type('form').set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send({ token }).expect(303);
      return ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('pf_staff='))!.split(';')[0]!;
    };
    const signIn = async (token: string) => {
      const cookie = await sessionCookie(token);
      const team = await request(app).get('/staff/team').set('Cookie', cookie).expect(200);
      return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(team.text)![1]!, html: team.text };
    };
    const post = (path: string, session: { cookie: string; csrf: string }, form: Record<string, string> = {}) =>
      request(app).post(path).type('form').set('Cookie', session.cookie).set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send({ csrf: session.csrf, ...form });
    const admin = await signIn(a.tokens.admin);
    expect(admin.html).toContain('<h1>Team</h1>');
    expect(admin.html).toContain('aria-current="page">Team</a>');

    const email = `casey.${randomUUID().slice(0, 8)}@clinic.example`;
    const bad = await post('/staff/team/invite', admin, { email: 'casey at clinic', displayName: 'Casey', role: 'billing' }).expect(422);
    expect(bad.text).toMatch(/id="email-error">must be an email address\.</);
    expect(bad.text).toContain('value="casey at clinic"'); // what was typed stays
    await post('/staff/team/invite', admin, { email, displayName: 'Casey Front', role: 'front_desk' }).expect(303).expect('Location', '/staff/team?done=invited');
    const again = await post('/staff/team/invite', admin, { email, displayName: 'Casey again', role: 'front_desk' }).expect(409);
    expect(again.text).toContain('already on the practice');
    const casey = await stack.db('staff_users').where({ practice_id: a.practiceId, email }).first<{ id: string }>('id');
    await post(`/staff/team/${casey.id}/role`, admin, { role: 'billing' }).expect(303).expect('Location', '/staff/team?done=role');
    await post(`/staff/team/${casey.id}/deactivate`, admin).expect(303).expect('Location', '/staff/team?done=deactivated');
    const after = await request(app).get('/staff/team?done=deactivated').set('Cookie', admin.cookie).expect(200);
    expect(after.text).toContain('Their sessions have ended');
    expect(await stack.db('staff_users').where({ id: casey.id }).first()).toMatchObject({ role: 'billing', deactivated_at: expect.any(Date) });
    // Not without the CSRF token; not for other roles.
    await request(app).post(`/staff/team/${casey.id}/role`).type('form').set('Cookie', admin.cookie).set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1')
      .send({ role: 'admin' }).expect(403);
    const billing = await request(app).get('/staff/team').set('Cookie', await sessionCookie(a.tokens.billing)).expect(403);
    expect(billing.text).toContain('The team is managed by admins.');
  });
});
