/**
 * Issue 15, API tokens for systems: a practice admin creates one (its secret shown once, stored as its HMAC only), it
 * works at once, the list shows its last use, a revocation stops the very next request; expiry; roles; isolation between
 * two practices; one token for parallel requests with one Idempotency-Key. And the throttle on PostgreSQL: a burst of
 * parallel bad tokens gets no more comparisons than the limit, two apps (two processes) share the counters, a valid
 * burst is not throttled, and PostgreSQL down answers 503 at once.
 */
import { createHmac, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { DEV_API_TOKEN_PEPPER } from '../../app/api-tokens';
import { createDb } from '../../db/connection';
import { useTestStack } from '../support/harness';
import { seedScenario, type Scenario } from '../support/fixtures';
import { freePort } from '../support/global-setup';

const PROBLEM = /^application\/problem\+json/;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('API tokens', () => {
  const stack = useTestStack({ worker: false });
  let a: Scenario;
  let b: Scenario;

  beforeAll(async () => {
    a = await seedScenario(stack.db);
    b = await seedScenario(stack.db);
  });

  const create = (s: Scenario, body: Record<string, unknown>, app: Express = stack.app) =>
    request(app).post('/v1/api-tokens').set(s.auth('admin')).send(body);

  it('create → use → listed with its last use → revoke → 401 at once; the secret is nowhere but in the first answer', async () => {
    const name = `billing system ${randomUUID()}`;
    const before = Date.now();
    const res = await create(a, { name, role: 'billing' }).expect(201);
    const { token, id } = res.body as { token: string; id: string };
    expect(token).toMatch(/^pf_[A-Za-z0-9_-]{43}$/);
    expect(res.body).toMatchObject({ name, role: 'billing', prefix: token.slice(0, 8) });
    const expires = Date.parse(res.body.expiresAt as string);
    expect(expires - before).toBeGreaterThanOrEqual(90 * 86_400_000 - 1000);
    expect(expires - before).toBeLessThan(90 * 86_400_000 + 60_000);

    // Stored as its HMAC with the pepper, acting as a new system member of the practice named after it.
    const row = await stack.db('api_tokens').where({ id }).first();
    expect(row).toMatchObject({ practice_id: a.practiceId, hash_scheme: 'hmac_sha256', role: 'billing', revoked_at: null, last_used_at: null });
    expect(row.secret_hash).toBe(createHmac('sha256', DEV_API_TOKEN_PEPPER).update(token).digest('hex'));
    const system = await stack.db('staff_users').where({ id: row.staff_user_id }).first();
    expect(system).toMatchObject({ practice_id: a.practiceId, kind: 'system', display_name: name, role: 'billing' });
    expect(res.body.staffUserId).toBe(row.staff_user_id);

    await request(stack.app).get('/v1/patients').set(bearer(token)).expect(200);
    const list = await request(stack.app).get('/v1/api-tokens').set(a.auth('admin')).expect(200);
    const listed = (list.body.apiTokens as { id: string }[]).find((t) => t.id === id);
    expect(listed).toMatchObject({ id, name, role: 'billing', status: 'active', revokedAt: null, createdBy: expect.stringMatching(/^staff:/) });
    expect(Date.parse((listed as unknown as { lastUsedAt: string }).lastUsedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(list.text).not.toContain(token);
    expect(list.text).not.toContain(row.secret_hash);

    const revoked = await request(stack.app).post(`/v1/api-tokens/${id}/revoke`).set(a.auth('admin')).expect(200);
    expect(revoked.body).toMatchObject({ id, status: 'revoked', revokedAt: expect.any(String) });
    const refused = await request(stack.app).get('/v1/patients').set(bearer(token)).expect(401).expect('Content-Type', PROBLEM);
    expect(refused.body).toMatchObject({ status: 401, type: '/problems/unauthorized' });
    // Another app (another API process) refuses it as well; revoking again changes nothing.
    await request(stack.makeApp()).get('/v1/patients').set(bearer(token)).expect(401);
    const again = await request(stack.app).post(`/v1/api-tokens/${id}/revoke`).set(a.auth('admin')).expect(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);

    const audit = await stack.db('audit_log').where({ entity_type: 'api_token', entity_id: id }).orderBy('id');
    expect(audit.map((e: { action: string }) => e.action)).toEqual(['api_token.created', 'api_token.revoked']);
    const auditText = JSON.stringify(audit);
    expect(auditText).not.toContain(token);
    expect(auditText).not.toContain(row.secret_hash);
  });

  it('an expired token gets 401 and is listed as expired; expiry is validated', async () => {
    const res = await create(a, { name: 'short-lived', role: 'front_desk', expiresInDays: 1 }).expect(201);
    await request(stack.app).get('/v1/patients').set(bearer(res.body.token as string)).expect(200);
    await stack.db('api_tokens').where({ id: res.body.id }).update({ expires_at: new Date(Date.now() - 1000) });
    await request(stack.app).get('/v1/patients').set(bearer(res.body.token as string)).expect(401);
    const list = await request(stack.app).get('/v1/api-tokens').set(a.auth('admin')).expect(200);
    expect((list.body.apiTokens as { id: string; status: string }[]).find((t) => t.id === res.body.id)?.status).toBe('expired');

    const at = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const dated = await create(a, { name: 'dated', role: 'billing', expiresAt: at }).expect(201);
    expect(Date.parse(dated.body.expiresAt as string)).toBe(Date.parse(at));
    for (const [body, field] of [
      [{ name: 'x', role: 'billing', expiresInDays: 0 }, 'expiresInDays'],
      [{ name: 'x', role: 'billing', expiresInDays: 366 }, 'expiresInDays'],
      [{ name: 'x', role: 'billing', expiresAt: new Date(Date.now() - 60_000).toISOString() }, 'expiresAt'],
      [{ name: 'x', role: 'billing', expiresAt: new Date(Date.now() + 400 * 86_400_000).toISOString() }, 'expiresAt'],
      [{ name: 'x', role: 'billing', expiresInDays: 5, expiresAt: at }, 'expiresAt'],
      [{ name: 'x', role: 'owner' }, 'role'],
      [{ name: '', role: 'billing' }, 'name'],
      [{ name: 'x', role: 'billing', token: 'mine' }, 'token'],
    ] as const) {
      const bad = await create(a, body).expect(422);
      expect((bad.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
    }
  });

  it('only an admin manages tokens (403), a token of another role included', async () => {
    const fd = await create(a, { name: 'front desk kiosk', role: 'front_desk' }).expect(201);
    for (const auth of [a.auth('frontDesk'), a.auth('billing'), bearer(fd.body.token as string)]) {
      await request(stack.app).post('/v1/api-tokens').set(auth).send({ name: 'mine', role: 'admin' }).expect(403);
      await request(stack.app).get('/v1/api-tokens').set(auth).expect(403);
      await request(stack.app).post(`/v1/api-tokens/${fd.body.id}/revoke`).set(auth).expect(403);
    }
    await request(stack.app).get('/v1/patients').set(bearer(fd.body.token as string)).expect(200);
  });

  it("practice B's admin neither sees nor revokes A's token (404 like an unknown id); B's token sees only B", async () => {
    const ofA = await create(a, { name: 'A billing', role: 'billing' }).expect(201);
    const listB = await request(stack.app).get('/v1/api-tokens').set(b.auth('admin')).expect(200);
    expect((listB.body.apiTokens as { id: string }[]).map((t) => t.id)).not.toContain(ofA.body.id);
    const foreign = await request(stack.app).post(`/v1/api-tokens/${ofA.body.id}/revoke`).set(b.auth('admin')).expect(404);
    const unknown = await request(stack.app).post(`/v1/api-tokens/${randomUUID()}/revoke`).set(b.auth('admin')).expect(404);
    const malformed = await request(stack.app).post('/v1/api-tokens/not-an-id/revoke').set(b.auth('admin')).expect(404);
    for (const r of [foreign, unknown, malformed]) expect({ ...r.body, instance: undefined }).toEqual({ ...unknown.body, instance: undefined });
    await request(stack.app).get('/v1/patients').set(bearer(ofA.body.token as string)).expect(200);

    const ofB = (await create(b, { name: 'B billing', role: 'billing' }).expect(201)).body.token as string;
    const own = await request(stack.app).get(`/v1/patients?externalId=${b.patientExternalId}`).set(bearer(ofB)).expect(200);
    expect(own.body.patients).toHaveLength(1);
    await request(stack.app).get(`/v1/patients?externalId=${a.patientExternalId}`).set(bearer(ofB)).expect(200, { patients: [] });
    await request(stack.app).get(`/v1/patients/${a.patientId}/visits`).set(bearer(ofB)).expect(404);
    await request(stack.app).get(`/v1/patients/${b.patientId}/visits`).set(bearer(ofB)).expect(200);
  });

  it('20 parallel creations with one Idempotency-Key → one token; a replay answers 409 without the secret', async () => {
    const name = `idempotent ${randomUUID()}`;
    const key = `token-key-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 20 }, () => create(a, { name, role: 'billing' }).set('Idempotency-Key', key)));
    const created = answers.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    expect(answers.filter((r) => r.status !== 201).every((r) => r.status === 409)).toBe(true);
    expect(await stack.db('api_tokens').where({ practice_id: a.practiceId, name })).toHaveLength(1);
    const token = created[0]!.body.token as string;

    const replay = await create(a, { name, role: 'billing' }).set('Idempotency-Key', key).expect(409).expect('Content-Type', PROBLEM);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toMatchObject({ type: '/problems/api-token-already-created', status: 409 });
    expect(replay.body.detail).toContain(created[0]!.body.id);
    expect(replay.text).not.toContain(token);
    expect(JSON.stringify(await stack.db('idempotency_keys'))).not.toContain(token);
    expect(await stack.db('api_tokens').where({ practice_id: a.practiceId, name })).toHaveLength(1);
  });

  describe('throttling on PostgreSQL', () => {
    beforeEach(async () => {
      await stack.db('rate_limits').delete();
    });

    it('20 parallel bad tokens from one client: no more comparisons than the limit (5 × 401, 15 × 429)', async () => {
      const app = stack.makeApp({ credentialLimits: { perClient: 5, perTokenPrefix: 100 } });
      const answers = await Promise.all(Array.from({ length: 20 }, () =>
        request(app).get('/v1/patients').set(bearer(`pf_${randomUUID().replaceAll('-', '')}`))));
      expect(answers.filter((r) => r.status === 401)).toHaveLength(5);
      const limited = answers.filter((r) => r.status === 429);
      expect(limited).toHaveLength(15);
      expect(Number(limited[0]!.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited[0]!.body).toMatchObject({ status: 429, type: '/problems/too-many-requests' });
      // Over the limit, a valid token from that client is refused too, before it is compared.
      await request(app).get('/v1/patients').set(a.auth('billing')).expect(429);
    });

    it('two apps (two API processes) on one database share the counters, under parallel guesses too', async () => {
      const limits = { credentialLimits: { perClient: 3, perTokenPrefix: 100 } };
      const one = stack.makeApp(limits);
      const two = stack.makeApp(limits);
      await request(one).get('/v1/patients').set(bearer(`pf_wrong-${randomUUID()}`)).expect(401);
      await request(two).get('/v1/patients').set(bearer(`pf_wrong-${randomUUID()}`)).expect(401);
      await request(one).get('/v1/patients').set(bearer(`pf_wrong-${randomUUID()}`)).expect(401);
      await request(two).get('/v1/patients').set(bearer(`pf_wrong-${randomUUID()}`)).expect(429);
      await request(one).get('/v1/patients').set(a.auth('billing')).expect(429);
      await request(two).get('/v1/patients').set(a.auth('billing')).expect(429);

      await stack.db('rate_limits').delete();
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) =>
        request(i % 2 === 0 ? one : two).get('/v1/patients').set(bearer(`pf_wrong-${randomUUID()}`))));
      expect(answers.filter((r) => r.status === 401)).toHaveLength(3);
      expect(answers.filter((r) => r.status === 429)).toHaveLength(9);
    });

    it('a valid burst is not throttled: parallel requests with a new token are counted once, then not at all', async () => {
      const app = stack.makeApp({ credentialLimits: { perClient: 3, perTokenPrefix: 3 } });
      const token = (await create(a, { name: `burst ${randomUUID()}`, role: 'billing' }).expect(201)).body.token as string;
      for (let round = 0; round < 2; round++) {
        const answers = await Promise.all(Array.from({ length: 20 }, () => request(app).get('/v1/patients').set(bearer(token))));
        expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
      }
      const counters = await stack.db('rate_limits').select<{ points: number }[]>('points');
      expect(counters.every((c) => c.points <= 0)).toBe(true);
    });

    it('PostgreSQL down: 503 problem with Retry-After, fast, for a known and an unknown token', async () => {
      const deadDb = createDb(`postgres://payflow:secret@127.0.0.1:${await freePort()}/payflow`, 2);
      try {
        const app = stack.makeApp({ db: deadDb });
        for (const auth of [a.auth('billing'), bearer(`pf_${randomUUID()}`)]) {
          const started = Date.now();
          const res = await request(app).get('/v1/patients').set(auth);
          expect(res.status).toBe(503);
          expect(res.headers['content-type']).toMatch(PROBLEM);
          expect(res.headers['retry-after']).toBe('5');
          expect(res.body.detail).toMatch(/database/);
          expect(Date.now() - started).toBeLessThan(8000);
        }
      } finally {
        await deadDb.destroy();
      }
    });
  });
});
