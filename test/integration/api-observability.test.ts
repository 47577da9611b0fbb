/**
 * The API's observability: Prometheus metrics at GET /metrics on the internal listener (latency by route template and status; staff queue and
 * in-flight collections from PostgreSQL at scrape time), and JSON logs, one line per request with its request id,
 * from which PHI stays out whatever path it travels (webhook bodies, URLs, query strings, headers, failures).
 */
import express from 'express';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '../../lib/logger';
import { signWebhook } from '../../lib/webhook-signature';
import { errorHandler } from '../../http/problem';
import { createApiMetrics, metricsApp } from '../../server/metrics';
import { TEST_SECRETS, useTestStack } from '../support/harness';
import { seedScenario, transferToPatient } from '../support/fixtures';
import { capture, collectionWhen, remit, startCopay } from '../support/copay-driver';
import { TEST_ENGINEER_TOKEN } from '../support/codec';

/** A pino logger whose lines land in `lines` (what production writes to stdout). */
function capturedLogger() {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger('trace', 'payflow-api', stream), lines: out };
}

const PATIENT = { firstName: 'Marisol', lastName: 'Quintanilla-Obregon', dateOfBirth: '1957-09-14', email: 'marisol.q@example.org', phone: '+1 415 555 0199' };
const PHI = Object.values(PATIENT);

describe('API metrics', () => {
  const stack = useTestStack();

  it('GET /metrics: latency by route template and status, the staff queue and in-flight collections from PostgreSQL', async () => {
    const s = await seedScenario(stack.db);
    const metrics = createApiMetrics({ db: stack.db, log: stack.log });
    const app = stack.makeApp({ metrics });
    const collectionId = randomUUID();
    await request(app).get(`/v1/collections/${collectionId}`).set(s.auth('frontDesk')).expect(404);
    await request(app).get(`/v1/collections/${randomUUID()}`).set(s.auth('frontDesk')).expect(404);
    await request(app).get('/healthz').expect(200);
    await request(app).get('/no/such/thing').expect(404);

    // A copay flagged for staff: one open credit_remaining task, one collection in needs_attention.
    const started = await startCopay(stack, s, 2500);
    await capture(stack, started.paymentRequest.requestId, '2026-11-20T18:00:00Z');
    await remit(stack, transferToPatient(s, 0));
    await collectionWhen(stack, s, started.collectionId, 'needs_attention');

    // Served by the internal listener's app (server/main.ts: API_METRICS_HOST:API_METRICS_PORT), not the public one.
    await request(app).get('/metrics').expect(404);
    const res = await request(metricsApp(metrics, stack.log)).get('/metrics').expect(200).expect('Content-Type', /^text\/plain; version=0\.0\.4/);
    const body = res.text;
    expect(body).toMatch(/^payflow_http_request_duration_seconds_count\{method="GET",route="\/v1\/collections\/:collectionId",status="404"\} 2$/m);
    expect(body).toMatch(/^payflow_http_request_duration_seconds_count\{method="GET",route="\(no route\)",status="404"\} 1$/m);
    expect(body).not.toMatch(/route="\/(healthz|metrics|readyz)"/);
    expect(body).not.toContain(collectionId); // templates, never concrete paths
    expect(body).toMatch(/^payflow_manual_tasks_open\{reason="credit_remaining"\} 1$/m);
    expect(body).toMatch(/^payflow_manual_task_oldest_open_seconds\{reason="credit_remaining"\} \d+$/m);
    expect(body).toMatch(/^payflow_collections_in_flight\{path="copay",status="needs_attention"\} 1$/m);
    expect(body).toMatch(/^process_cpu_user_seconds_total /m);
  });
});

describe('API logs keep PHI out', () => {
  const stack = useTestStack({ worker: false });

  it('sends PHI through every path that logs, and finds none of it in the output', async () => {
    const s = await seedScenario(stack.db);
    const { log, lines } = capturedLogger();
    const app = stack.makeApp({ log });
    const event = (data: Record<string, unknown>) => ({ eventId: `evt-${randomUUID()}`, type: 'patient.upserted', occurredAt: '2026-11-20T17:00:00-08:00', data });
    const patient = { practiceExternalId: s.practiceExternalId, externalId: `pt-${randomUUID().slice(0, 8)}`, version: 1, ...PATIENT };
    const sign = (raw: string) => signWebhook(raw, TEST_SECRETS.ehr, Math.floor(Date.now() / 1000));
    const webhook = (raw: string, signature = sign(raw)) =>
      request(app).post('/webhooks/ehr').set('Content-Type', 'application/json').set('Payflow-Signature', signature).send(raw);

    // A signed patient webhook: accepted, and the patient's data stored.
    const ok = JSON.stringify(event(patient));
    await webhook(ok).expect(200);
    // The same, forged; then invalid (a bad date next to a real name); then not JSON at all.
    await webhook(ok, 't=1,v1=' + '0'.repeat(64)).expect(401);
    await webhook(JSON.stringify(event({ ...patient, dateOfBirth: `${PATIENT.firstName} ${PATIENT.dateOfBirth}` }))).expect(422);
    await webhook(`{"firstName":"${PATIENT.firstName}", "lastName": ${PATIENT.lastName}`).expect(400);
    // PHI in the URL, the query string and headers, with and without a staff token.
    const path = `/v1/patients/${encodeURIComponent(`${PATIENT.firstName} ${PATIENT.lastName}`)}?dob=${PATIENT.dateOfBirth}&email=${PATIENT.email}`;
    await request(app).get(path).set('X-Patient', PATIENT.lastName).expect(401);
    await request(app).get(path).set(s.auth('billing')).set('Cookie', `name=${PATIENT.lastName}`).expect(404);
    await request(app).get(`/${PATIENT.lastName}/${PATIENT.dateOfBirth}`).expect(404);
    // PHI in a staff free-text field that fails validation.
    await request(app).post(`/v1/collections/${randomUUID()}/cancel`).set(s.auth('frontDesk')).send({ reason: `${PATIENT.firstName} asked`, extra: PATIENT.dateOfBirth }).expect(404);
    // PHI in a payload an engineer decodes.
    const payload = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify(PATIENT)).toString('base64') };
    await request(app).post('/codec/encode').set('Authorization', `Bearer ${TEST_ENGINEER_TOKEN}`).send({ payloads: [payload] }).expect(200);
    await request(app).post('/codec/decode').send({ payloads: [payload] }).expect(401);

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, any>); // every line is JSON
    const access = parsed.filter((l) => l.msg === 'request completed');
    expect(access.length).toBe(10);
    for (const line of access) expect(line).toMatchObject({ service: 'payflow-api', req: { id: expect.any(String), method: expect.any(String) }, res: { statusCode: expect.any(Number) } });
    expect(access[0]).toMatchObject({ route: '/webhooks/ehr', res: { statusCode: 200 } });
    expect(access.find((l) => l.engineer)).toMatchObject({ route: '/codec/encode', engineer: expect.stringMatching(/^[0-9a-f]{12}$/) });
    const all = lines.join('\n');
    for (const value of PHI) expect(all).not.toContain(value);
    expect(all).not.toContain(encodeURIComponent(PATIENT.lastName));
    expect(all).not.toContain(TEST_ENGINEER_TOKEN);
  });

  it('an unexpected error is logged by class and scrubbed message: never the values a driver quoted', async () => {
    const { log, lines } = capturedLogger();
    const app = express();
    app.get('/boom', () => {
      throw Object.assign(new Error(`invalid input syntax for type date: "${PATIENT.firstName} ${PATIENT.lastName}"`), {
        code: '22007', detail: `Key (date_of_birth)=(${PATIENT.dateOfBirth}) is wrong`, table: 'patients',
      });
    });
    app.use(errorHandler(log));
    const res = await request(app).get('/boom').expect(500);
    expect(JSON.stringify(res.body)).not.toContain(PATIENT.lastName);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      msg: 'unhandled error', error: { type: 'Error', message: 'invalid input syntax for type date: [redacted]', code: '22007', table: 'patients' },
    });
    for (const value of PHI) expect(lines.join('\n')).not.toContain(value);
  });
});
