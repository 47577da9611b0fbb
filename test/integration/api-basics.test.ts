/** Health, readiness and the bad-input contract of the HTTP API, on the real stack. */
import request from 'supertest';
import { Client, Connection } from '@temporalio/client';
import { JSON_BODY_LIMIT } from '../../server/app';
import { useTestStack } from '../support/harness';

const PROBLEM = /^application\/problem\+json/;

describe('HTTP API basics', () => {
  const stack = useTestStack({ worker: false });

  it('GET /healthz answers while the process is up', async () => {
    await request(stack.app).get('/healthz').expect(200, { status: 'ok' });
  });

  it('GET /readyz answers 200 when PostgreSQL and Temporal are reachable', async () => {
    const res = await request(stack.app).get('/readyz').expect(200);
    expect(res.body.checks).toEqual({ postgres: 'ok', temporal: 'ok', draining: false });
  });

  it('GET /readyz answers 503 problem+json when Temporal is unreachable', async () => {
    // A lazy connection to a port nobody listens on; no retry interceptor, so nothing outlives the test.
    const deadConnection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500, interceptors: [] });
    const app = stack.makeApp({ temporal: new Client({ connection: deadConnection }) });
    const res = await request(app).get('/readyz').expect(503).expect('Content-Type', PROBLEM);
    expect(res.body).toMatchObject({ status: 503, checks: { postgres: 'ok', temporal: 'unreachable' } });
    await deadConnection.close();
  });

  it('GET /readyz answers 503 while draining', async () => {
    const app = stack.makeApp({ isDraining: () => true });
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body.checks.draining).toBe(true);
  });

  it('answers an unknown route with 404 problem+json', async () => {
    const res = await request(stack.app).get('/no/such/route').expect(404).expect('Content-Type', PROBLEM);
    expect(res.body).toEqual({ type: '/problems/not-found', title: 'Not found', status: 404, detail: 'No route for GET /no/such/route.', instance: '/no/such/route' });
  });

  it('answers malformed JSON with 400 problem+json naming the problem, and writes nothing', async () => {
    const before = await stack.db('wiring_checks').count<{ count: number }[]>({ count: '*' });
    const res = await request(stack.app)
      .post('/v1/diagnostics/wiring-checks')
      .set('Content-Type', 'application/json')
      .send('{"requestedBy": ')
      .expect(400)
      .expect('Content-Type', PROBLEM);
    expect(res.body).toMatchObject({ type: '/problems/malformed-json', status: 400, errors: [{ field: 'body', reason: 'not valid JSON' }] });
    expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(|node_modules/); // no stack trace
    expect(await stack.db('wiring_checks').count<{ count: number }[]>({ count: '*' })).toEqual(before);
  });

  it(`answers a body over ${JSON_BODY_LIMIT} with 413 problem+json, and writes nothing`, async () => {
    const res = await request(stack.app)
      .post('/v1/diagnostics/wiring-checks')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ pad: 'x'.repeat(70 * 1024) }))
      .expect(413)
      .expect('Content-Type', PROBLEM);
    expect(res.body.status).toBe(413);
    expect(await stack.db('wiring_checks').count<{ count: number }[]>({ count: '*' })).toEqual([{ count: 0 }]);
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const ok = await request(stack.app).get('/healthz').set('X-Request-Id', 'abc-123');
    expect(ok.headers['x-request-id']).toBe('abc-123');
    const bad = await request(stack.app).get('/healthz').set('X-Request-Id', 'has spaces {and braces}');
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
