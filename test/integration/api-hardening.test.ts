/**
 * Issue 13 on the JSON API and the staff pages: control characters never echoed and an idempotent answer that cannot
 * be stored never ends the process (item 2); impossible cursors refused, not a 500 (item 7); metrics off the public
 * port, `no-store` on PHI, limits on refused staff and engineer tokens (item 8); the integrators' filters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { idempotency, setIdempotencySettings } from '../../api/idempotency';
import { errorHandler } from '../../http/problem';
import type { Db } from '../../db/connection';
import { createCopayCollection } from '../../db/queries/collections';
import { openManualTask } from '../../db/queries/ledger';
import { useTestStack } from '../support/harness';
import { seedScenario, type Scenario } from '../support/fixtures';
import { TEST_ENGINEER_TOKEN } from '../support/codec';
import { freePort } from '../support/global-setup';
import { sharedStack } from '../support/shared-stack';

const PROBLEM = /^application\/problem\+json/;
const LOCAL = { Host: '127.0.0.1', Origin: 'http://127.0.0.1' };
const cursorOf = (position: unknown) => Buffer.from(JSON.stringify(position)).toString('base64url');
/** This machine's first address that is not loopback, if it has one. */
const outsideAddress = Object.values(networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4')?.address;
const reachable = (url: string) => fetch(url).then((r) => r.status, () => 'refused' as const);

describe('API hardening', () => {
  const stack = useTestStack({ worker: false });
  let s: Scenario;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeAll(async () => {
    s = await seedScenario(stack.db);
    process.on('unhandledRejection', onRejection);
  });
  afterAll(() => {
    process.off('unhandledRejection', onRejection);
  });

  describe('control characters (item 2)', () => {
    it('a key "\\u0000" with Idempotency-Key: 422 without the control character, nothing unhandled, the answer stored', async () => {
      const send = () => request(stack.app)
        .post(`/v1/visits/${s.visitId}/copay-collections`)
        .set(s.auth('frontDesk'))
        .set('Idempotency-Key', 'nul-key-0001')
        .set('Content-Type', 'application/json')
        .send('{"amountCents": 500, "\\u0000": 1}');
      const res = await send().expect(422).expect('Content-Type', PROBLEM);
      expect(res.text).not.toMatch(/\\u0000|\p{Cc}/u);
      expect(res.body.errors).toEqual([{ field: '\\x00', reason: 'unknown field' }]);
      await new Promise((r) => setTimeout(r, 200));
      expect(rejections).toEqual([]);
      // The 422 was stored and is replayed; nothing else was written.
      const replay = await send().expect(422);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(await stack.db('collections').where({ visit_id: s.visitId })).toEqual([]);
    });

    it('control characters in unknown query parameters are escaped, not echoed', async () => {
      const res = await request(stack.app).get('/v1/statements?%01%1b%5B31m=1').set(s.auth('billing')).expect(422);
      expect(res.text).not.toMatch(/\p{Cc}/u);
      expect(res.text).not.toMatch(/\\u00(0|1)/);
      expect(res.body.errors).toEqual([{ field: '\\x01\\x1b[31m', reason: 'unknown query parameter' }]);
    });

    it('a NUL inside a value is refused naming its field (422), before anything reaches PostgreSQL or Temporal', async () => {
      const { collection } = await createCopayCollection(stack.db, { practiceId: s.practiceId, patientId: s.patientId, visitId: s.visitId, amountCents: 900, createdBy: 'system:test' });
      const res = await request(stack.app).post(`/v1/collections/${collection.id}/cancel`).set(s.auth('frontDesk')).send({ reason: 'wrong\u0000amount' }).expect(422);
      expect(res.body.errors).toEqual([{ field: 'reason', reason: expect.stringMatching(/cannot be stored/) }]);
      await stack.db('collections').where({ id: collection.id }).delete();
    });

    it('an answer that cannot be stored, and a key that cannot be released: logged, the answer still sent, no unhandled rejection', async () => {
      // The claim succeeds (db.raw), then every write fails as PostgreSQL's 22P05 would.
      const failing = Object.assign(() => {
        throw Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' });
      }, { raw: stack.db.raw.bind(stack.db) }) as unknown as Db;
      const app = express();
      setIdempotencySettings(app);
      app.use(express.json());
      app.post('/x', idempotency(failing), (_req, res) => {
        res.status(200).json({ ok: true });
      });
      app.use(errorHandler(stack.log));
      const res = await request(app).post('/x').set('Idempotency-Key', `broken-${randomUUID()}`).send({ a: 1 }).expect(200);
      expect(res.body).toEqual({ ok: true });
      await new Promise((r) => setTimeout(r, 100));
      expect(rejections).toEqual([]);
    });
  });

  describe('cursors (item 7)', () => {
    it.each([
      ['an impossible date', ['2026-13-45T99:99:99.000000Z', '00000000-0000-4000-8000-000000000000']],
      ['a leap day that does not exist', ['2026-02-29T10:00:00.000000Z', '00000000-0000-4000-8000-000000000000']],
      ['not a position at all', { createdAt: 'x' }],
    ])('GET /v1/manual-tasks with a cursor carrying %s → 422 naming cursor', async (_what, position) => {
      const res = await request(stack.app).get(`/v1/manual-tasks?cursor=${cursorOf(position)}`).set(s.auth('billing')).expect(422).expect('Content-Type', PROBLEM);
      expect(res.body.errors).toEqual([{ field: 'cursor', reason: 'is not a cursor of this list' }]);
    });

    it('GET /staff/queue with an impossible cursor → a 400 page naming the cursor', async () => {
      const signedIn = await request(stack.app).post('/staff/sign-in').type('form').set(LOCAL).send({ token: s.tokens.billing }).expect(303);
      const cookie = ([] as string[]).concat(signedIn.headers['set-cookie'] ?? []).find((c) => c.startsWith('pf_staff='))!.split(';')[0]!;
      const page = await request(stack.app).get(`/staff/queue?cursor=${cursorOf(['2026-13-45T99:99:99.000000Z', randomUUID()])}`).set('Cookie', cookie).expect(400).expect('Content-Type', /html/);
      expect(page.text).toContain('This link to the work queue is not valid');
      expect(page.text).toContain('Its cursor is not one this list understands');
    });
  });

  describe('requests refused before any handler: a 4xx on every surface, never a 500 (the HTTP fuzz test\'s fuzz-1 to fuzz-5)', () => {
    const signIn = async (token: string) => {
      const res = await request(stack.app).post('/staff/sign-in').type('form').set(LOCAL).send({ token }).expect(303);
      const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('pf_staff='))!.split(';')[0]!;
      const page = await request(stack.app).get('/staff/settings').set('Cookie', cookie);
      return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '' };
    };

    it('a body that is not what its Content-Encoding says → 400 (JSON API); an encoding the form parsers do not take → a 415 page', async () => {
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const res = await request(stack.app).post(`/v1/visits/${s.visitId}/copay-collections`).set(s.auth('frontDesk')).set('Content-Encoding', encoding)
          .set('Content-Type', 'application/json').send('{"amountCents":100}').expect(400).expect('Content-Type', PROBLEM);
        expect(res.body.errors).toEqual([{ field: 'Content-Encoding', reason: 'does not match the body' }]);
      }
      await request(stack.app).post(`/v1/visits/${s.visitId}/copay-collections`).set(s.auth('frontDesk')).set('Content-Encoding', 'x-bogus')
        .set('Content-Type', 'application/json').send('{"amountCents":100}').expect(415).expect('Content-Type', PROBLEM);
      const { cookie, csrf } = await signIn(s.tokens.admin);
      const page = await request(stack.app).post('/staff/settings').set(LOCAL).set('Cookie', cookie).set('Content-Encoding', 'x-bogus').type('form')
        .send({ csrf, statementThreshold: '25' }).expect(415).expect('Content-Type', /html/);
      expect(page.text).toContain('This form could not be read');
      await request(stack.app).post('/portal/lookup').set('Content-Encoding', 'gzip').type('form').send('accountId=x').expect(400).expect('Content-Type', /html/);
    });

    it('a path parameter that is not percent-encoding → 400 problem+json (JSON API) and a 400 page (staff), without echoing it', async () => {
      const res = await request(stack.app).get('/v1/collections/%E0%A4%A').set(s.auth('billing')).expect(400).expect('Content-Type', PROBLEM);
      expect(res.body.errors).toEqual([{ field: 'path', reason: 'not valid percent-encoding' }]);
      const { cookie } = await signIn(s.tokens.billing);
      const page = await request(stack.app).get('/staff/tasks/%FF%FE').set('Cookie', cookie).expect(400).expect('Content-Type', /html/);
      expect(page.text).toContain('This address is not valid');
      expect(page.text).not.toContain('%FF');
    });

    it('a staff form with more than 200 fields → a 413 page; nothing changed', async () => {
      const { cookie, csrf } = await signIn(s.tokens.admin);
      const fields = new URLSearchParams([['csrf', csrf], ['statementThreshold', '99.99'], ...Array.from({ length: 250 }, (_, i): [string, string] => [`p${i}`, '1'])]);
      const page = await request(stack.app).post('/staff/settings').set(LOCAL).set('Cookie', cookie).type('form').send(fields.toString()).expect(413).expect('Content-Type', /html/);
      expect(page.text).toContain('Too much data');
      expect((await stack.db('practices').where({ id: s.practiceId }).first()).statement_threshold_cents).not.toBe(9999);
    });

    it('staff sign-in with no body or one that is not a form → the sign-in-failed page (401), not a TypeError', async () => {
      await request(stack.app).post('/staff/sign-in').set(LOCAL).expect(401).expect('Content-Type', /html/);
      await request(stack.app).post('/staff/sign-in').set(LOCAL).set('Content-Type', 'multipart/form-data; boundary=x').send(`token=${s.tokens.billing}`).expect(401);
      await request(stack.app).post('/staff/sign-in').set(LOCAL).set('Content-Type', 'text/plain').send(`token=${s.tokens.billing}`).expect(401);
    });

    it('JSON nested deeper than 32 levels → 422 naming the body, before an Idempotency-Key is claimed (12,000 deep used to overflow the stack)', async () => {
      const deep = `{"claimIds":${'['.repeat(12_000)}${']'.repeat(12_000)}}`;
      const key = `deep-${randomUUID()}`;
      const res = await request(stack.app).post(`/v1/patients/${s.patientId}/balance-collections`).set(s.auth('billing')).set('Idempotency-Key', key)
        .set('Content-Type', 'application/json').send(deep).expect(422).expect('Content-Type', PROBLEM);
      expect(res.body.errors).toEqual([{ field: 'body', reason: 'nested more than 32 levels deep' }]);
      expect(await stack.db('idempotency_keys').where({ key })).toEqual([]);
      await request(stack.app).post('/webhooks/ehr').set('Content-Type', 'application/json').send(`{"data":${'['.repeat(40)}${']'.repeat(40)}}`).expect(422);
      // 32 levels still parse (and fail validation as usual).
      await request(stack.app).post(`/v1/patients/${s.patientId}/balance-collections`).set(s.auth('billing'))
        .set('Content-Type', 'application/json').send(`{"claimIds":${'['.repeat(31)}${']'.repeat(31)}}`).expect(422);
    });

    it('control characters typed into a staff form come back as visible escapes, never raw', async () => {
      const { cookie, csrf } = await signIn(s.tokens.admin);
      const page = await request(stack.app).post('/staff/settings').set(LOCAL).set('Cookie', cookie).type('form').send({ csrf, statementThreshold: 'a\u0000\u001bb' }).expect(422);
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      expect(page.text).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
      expect(page.text).toContain('value="a\\x00\\x1bb"');
    });
  });

  describe('metrics and caching (item 8)', () => {
    it('/metrics is not served on the public port', async () => {
      await request(stack.app).get('/metrics').expect(404).expect('Content-Type', PROBLEM);
    });

    it('the API process serves its metrics on API_METRICS_PORT, on loopback only', async () => {
      const [port, metricsPort] = [await freePort(), await freePort()];
      let output = '';
      const api: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../server/main.ts')], {
        cwd: join(__dirname, '../..'),
        env: {
          ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: String(port), API_METRICS_PORT: String(metricsPort), DATABASE_URL: stack.dbUrl,
          TEMPORAL_ADDRESS: sharedStack().temporalAddress, TEMPORAL_TASK_QUEUE: stack.taskQueue,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      api.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      api.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      try {
        for (let i = 0; i < 300 && !output.includes('"api metrics listening"'); i++) await new Promise((r) => setTimeout(r, 100));
        expect(output).toContain('"api metrics listening"');
        expect(await reachable(`http://127.0.0.1:${port}/metrics`)).toBe(404);
        const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        expect(metrics.status).toBe(200);
        expect(await metrics.text()).toMatch(/^# HELP payflow_http_request_duration_seconds /m);
        if (outsideAddress) {
          expect(await reachable(`http://${outsideAddress}:${port}/healthz`)).toBe(200); // the public port is reachable from outside…
          expect(await reachable(`http://${outsideAddress}:${metricsPort}/metrics`)).toBe('refused'); // …the metrics are not
        }
      } finally {
        const exited = new Promise((r) => api.once('exit', r));
        api.kill('SIGTERM');
        await exited;
      }
    });

    it('every /v1 answer is Cache-Control: no-store, errors included; the staff pages too', async () => {
      for (const res of [
        await request(stack.app).get('/v1/patients').set(s.auth('frontDesk')).expect(200),
        await request(stack.app).get(`/v1/patients/${randomUUID()}/visits`).set(s.auth('frontDesk')).expect(404),
        await request(stack.app).get('/v1/patients').expect(401),
        await request(stack.app).get('/staff/sign-in').expect(200),
      ]) expect(res.headers['cache-control']).toBe('no-store');
    });
  });

  describe('limits on refused tokens (item 8)', () => {
    const limited = () => stack.makeApp({ credentialLimits: { perClient: 3, perTokenPrefix: 100 } });
    // The counters are in PostgreSQL (issue 15), shared by every app of this file's database: each test starts at zero.
    beforeEach(async () => {
      await stack.db('rate_limits').delete();
    });

    it('staff sign-in: after 3 refused tokens a 429 page with Retry-After, the right token included (refused before comparing)', async () => {
      const app = limited();
      for (let i = 0; i < 3; i++) await request(app).post('/staff/sign-in').type('form').set(LOCAL).send({ token: `wrong-token-${i}-${randomUUID()}` }).expect(401);
      const res = await request(app).post('/staff/sign-in').type('form').set(LOCAL).send({ token: s.tokens.billing }).expect(429).expect('Content-Type', /html/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.text).toContain('Too many sign-in attempts');
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('staff sign-in: parallel guesses cannot pass the limit', async () => {
      const app = limited();
      const answers = await Promise.all(Array.from({ length: 12 }, () => request(app).post('/staff/sign-in').type('form').set(LOCAL).send({ token: `wrong-token-${randomUUID()}` })));
      expect(answers.filter((r) => r.status === 401)).toHaveLength(3);
      expect(answers.filter((r) => r.status === 429)).toHaveLength(9);
    });

    it('staff sign-in: accepted tokens do not count', async () => {
      const app = limited();
      for (let i = 0; i < 5; i++) await request(app).post('/staff/sign-in').type('form').set(LOCAL).send({ token: s.tokens.billing }).expect(303);
    });

    it('codec sign-in: 429 problem+json (or page) with Retry-After after 3 refused tokens', async () => {
      const app = limited();
      for (let i = 0; i < 3; i++) await request(app).post('/codec/session').send({ token: `not-an-engineer-${i}-xxxx` }).expect(401);
      const res = await request(app).post('/codec/session').send({ token: TEST_ENGINEER_TOKEN }).expect(429).expect('Content-Type', PROBLEM);
      expect(res.body).toMatchObject({ status: 429, type: '/problems/too-many-requests' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      const page = await request(app).post('/codec/session').type('form').send({ token: TEST_ENGINEER_TOKEN }).expect(429).expect('Content-Type', /html/);
      expect(page.text).toContain('Too many sign-in attempts');
    });

    it('/v1 bearer tokens and the codec share the counters: over the limit, 429 problem+json before the token is compared', async () => {
      const app = limited();
      // No credential at all guesses nothing: not counted.
      for (let i = 0; i < 5; i++) await request(app).get('/v1/patients').expect(401);
      for (let i = 0; i < 5; i++) await request(app).post('/codec/decode').send({ payloads: [] }).expect(401);
      await request(app).get('/v1/patients').set(s.auth('frontDesk')).expect(200);
      await request(app).get('/v1/patients').set('Authorization', `Bearer not-a-staff-token-${randomUUID()}`).expect(401);
      await request(app).post('/codec/decode').set('Authorization', `Bearer not-an-engineer-${randomUUID()}`).send({ payloads: [] }).expect(401);
      await request(app).post('/staff/sign-in').type('form').set(LOCAL).send({ token: `wrong-token-${randomUUID()}` }).expect(401);
      const res = await request(app).get('/v1/patients').set(s.auth('frontDesk')).expect(429).expect('Content-Type', PROBLEM);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      await request(app).post('/codec/decode').set('Authorization', `Bearer ${TEST_ENGINEER_TOKEN}`).send({ payloads: [] }).expect(429);
      // Another app (another process) shares the counters but has the default limits (30): not over them; the valid
      // requests never counted.
      await request(stack.app).get('/v1/patients').set(s.auth('frontDesk')).expect(200);
    });
  });

  describe('integrators', () => {
    it('GET /v1/patients?externalId= finds the one patient (or none), within the practice', async () => {
      const one = await request(stack.app).get(`/v1/patients?externalId=${s.patientExternalId}`).set(s.auth('frontDesk')).expect(200);
      expect(one.body.patients).toEqual([{ patientId: s.patientId, externalId: s.patientExternalId, firstName: 'Casey', lastName: 'Testpatient' }]);
      await request(stack.app).get('/v1/patients?externalId=nobody').set(s.auth('frontDesk')).expect(200, { patients: [] });
      const other = await seedScenario(stack.db);
      await request(stack.app).get(`/v1/patients?externalId=${s.patientExternalId}`).set(other.auth('frontDesk')).expect(200, { patients: [] });
      const bad = await request(stack.app).get('/v1/patients?externalId=').set(s.auth('frontDesk')).expect(422);
      expect(bad.body.errors).toEqual([{ field: 'externalId', reason: 'must not be empty' }]);
      await request(stack.app).get('/v1/patients?name=Casey').set(s.auth('frontDesk')).expect(422);
    });

    it('GET /v1/manual-tasks filters by patient, claim (or its visit) and collection', async () => {
      const t = await seedScenario(stack.db);
      const other = await seedScenario(stack.db);
      const claimId = await stack.db('claims').where({ visit_id: t.visitId }).first().then((c: { id: string }) => c.id);
      const { collection } = await createCopayCollection(stack.db, { practiceId: t.practiceId, patientId: t.patientId, visitId: t.visitId, amountCents: 2500, createdBy: 'system:test' });
      const open = (o: Record<string, string | null>) => openManualTask(stack.db, {
        practiceId: t.practiceId, patientId: t.patientId, reason: 'credit_remaining', amountCents: 100, businessKey: `test:${randomUUID()}`, actor: 'system:test', ...o,
      }).then((r) => r.taskId);
      const byCollection = await open({ collectionId: collection.id, visitId: t.visitId });
      const byClaim = await open({ claimId });
      const plain = await open({});
      const list = async (query: string) => (await request(stack.app).get(`/v1/manual-tasks?${query}`).set(t.auth('billing')).expect(200)).body.tasks.map((x: { taskId: string }) => x.taskId).sort();

      expect(await list(`patientId=${t.patientId}`)).toEqual([byCollection, byClaim, plain].sort());
      expect(await list(`collectionId=${collection.id}`)).toEqual([byCollection]);
      expect(await list(`claimId=${claimId}`)).toEqual([byCollection, byClaim].sort());
      expect(await list(`patientId=${other.patientId}`)).toEqual([]);
      const bad = await request(stack.app).get('/v1/manual-tasks?claimId=nope').set(t.auth('billing')).expect(422);
      expect(bad.body.errors).toEqual([{ field: 'claimId', reason: 'must be a claim id' }]);
    });

    it("GET /v1/visits/{visitId}/collections lists the visit's collections, newest first; another practice's visit is 404", async () => {
      const t = await seedScenario(stack.db);
      await request(stack.app).get(`/v1/visits/${t.visitId}/collections`).set(t.auth('frontDesk')).expect(200, { visitId: t.visitId, collections: [] });
      const { collection: first } = await createCopayCollection(stack.db, { practiceId: t.practiceId, patientId: t.patientId, visitId: t.visitId, amountCents: 2500, createdBy: 'system:test' });
      await stack.db('collections').where({ id: first.id }).update({ status: 'cancelled' });
      const { collection: second } = await createCopayCollection(stack.db, { practiceId: t.practiceId, patientId: t.patientId, visitId: t.visitId, amountCents: 3000, createdBy: 'system:test' });
      const res = await request(stack.app).get(`/v1/visits/${t.visitId}/collections`).set(t.auth('frontDesk')).expect(200);
      expect(res.body.collections.map((c: { collectionId: string }) => c.collectionId)).toEqual([second.id, first.id]);
      expect(res.body.collections[0]).toMatchObject({ path: 'copay', status: 'starting', requestedAmountCents: 3000, visitId: t.visitId, patientId: t.patientId });
      await request(stack.app).get(`/v1/visits/${t.visitId}/collections`).set(s.auth('frontDesk')).expect(404);
      await request(stack.app).get('/v1/visits/not-a-uuid/collections').set(t.auth('frontDesk')).expect(404);
    });

    it('the OpenAPI document describes the new filters and the list', async () => {
      const doc = (await request(stack.app).get('/openapi.json').expect(200)).body;
      expect(doc.paths['/v1/visits/{visitId}/collections'].get).toBeDefined();
      expect(doc.paths['/v1/patients'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['externalId']);
      expect(doc.paths['/v1/manual-tasks'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['patientId', 'claimId', 'collectionId']));
    });
  });
});
